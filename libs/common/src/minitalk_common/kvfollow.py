"""Follow a KV bucket into memory: every entry stored, then every change, as a callback.

A process that must check a small shared set often (revoked tokens, sockets per user) keeps a
copy in memory and follows the bucket with an ordered push consumer (``LAST_PER_SUBJECT``), so a
check is a dict lookup, not a NATS round trip; a change reaches it one NATS message after it was
stored. ``ready`` is set once everything stored when following started has been read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

log = logging.getLogger("minitalk.kvfollow")

#: ``on_entry(key, value)``: ``value`` is ``None`` when the key was deleted or purged.
OnEntry = Callable[[str, bytes | None], None]


@asynccontextmanager
async def following(
    js: JetStreamContext, bucket: str, on_entry: OnEntry, ready: asyncio.Event
) -> AsyncIterator[None]:
    """Feed ``on_entry`` from ``bucket`` until the context ends.

    Waits in the background for the bucket to exist (``ready`` stays unset meanwhile).
    """
    task = asyncio.create_task(_follow(js, bucket, on_entry, ready))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _follow(
    js: JetStreamContext, bucket: str, on_entry: OnEntry, ready: asyncio.Event
) -> None:
    prefix = f"$KV.{bucket}."

    async def on_msg(msg: Msg) -> None:
        key = msg.subject[len(prefix) :]
        deleted = (msg.headers or {}).get("KV-Operation") is not None  # DEL or PURGE
        try:
            on_entry(key, None if deleted else msg.data)
        except Exception:  # one bad entry must not stop the following
            log.exception("cannot apply an entry of the %s bucket", bucket)
        if msg.metadata.num_pending == 0:
            ready.set()

    while True:
        try:
            sub = await js.subscribe(
                f"{prefix}>",
                stream=f"KV_{bucket}",
                ordered_consumer=True,
                idle_heartbeat=5.0,
                deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT,
                cb=on_msg,
                pending_msgs_limit=-1,
                pending_bytes_limit=-1,
            )
            if (await sub.consumer_info()).num_pending == 0 and sub.delivered == 0:
                ready.set()  # nothing stored: no message will say so
            return
        except NotFoundError:
            log.info("waiting for the %s bucket to be created", bucket)
        except nats.errors.Error as exc:
            log.warning("cannot follow the %s bucket yet: %s", bucket, exc)
        await asyncio.sleep(0.5)
