"""Follow a KV bucket into memory: every entry stored, then every change, as a callback.

A process that must check a small shared set often (revoked tokens, sockets per user) keeps a
copy in memory and follows the bucket with an ordered push consumer (``LAST_PER_SUBJECT``, a
``feed.Feed``), so a check is a dict lookup, not a NATS round trip; a change reaches it one NATS
message after it was stored. ``ready`` is set once everything stored when following started has
been read; ``current`` while it follows (not while NATS is away or it resumes after a restart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from .feed import Feed

log = logging.getLogger("minitalk.kvfollow")

#: ``on_entry(key, value)``: ``value`` is ``None`` when the key was deleted or purged.
OnEntry = Callable[[str, bytes | None], None]


@asynccontextmanager
async def following(
    js: JetStreamContext,
    bucket: str,
    on_entry: OnEntry,
    ready: asyncio.Event,
    current: asyncio.Event | None = None,
) -> AsyncIterator[Feed]:
    """Feed ``on_entry`` from ``bucket`` until the context ends; the ``Feed`` comes back by
    itself after a NATS restart, from the entry after the last it read (``feed.current`` says
    whether it follows now).

    Waits in the background for the bucket to exist (``ready`` stays unset meanwhile).
    """
    prefix = f"$KV.{bucket}."

    async def on_msg(msg: Msg, _seq: int) -> None:
        key = msg.subject[len(prefix) :]
        deleted = (msg.headers or {}).get("KV-Operation") is not None  # DEL or PURGE
        try:
            on_entry(key, None if deleted else msg.data)
        except Exception:  # one bad entry must not stop the following
            log.exception("cannot apply an entry of the %s bucket", bucket)

    stream, subject = f"KV_{bucket}", f"{prefix}>"
    feed = Feed(js, stream, subject, on_msg, start="last_per_subject", ready=ready, current=current)
    await feed.start()
    try:
        yield feed
    finally:
        await feed.close()


#: How long ``live_keys`` waits for a bucket's stored entries to be read.
KEYS_TIMEOUT_S = 30.0


async def live_keys(js: JetStreamContext, bucket: str, timeout: float = KEYS_TIMEOUT_S) -> set[str]:
    """The keys of ``bucket`` that hold a value (neither deleted nor purged).

    Not nats-py's ``KeyValue.keys()``: its watcher decides that there is nothing more to read
    from the consumer's pending count, read once while the entries are already on their way,
    so on a busy machine it can answer "no keys" for a full bucket (a fuzz run saw six stored
    users missing). A ``Feed`` counts what it read against the stream's end instead.
    """
    keys: set[str] = set()

    def on_entry(key: str, value: bytes | None) -> None:
        if value is None:
            keys.discard(key)
        else:
            keys.add(key)

    ready = asyncio.Event()
    async with following(js, bucket, on_entry, ready):
        await asyncio.wait_for(ready.wait(), timeout)
    return keys
