"""Connecting the tool to NATS, and reading a stream from a start to a fixed end, fast.

A read is one ordered push consumer (flow control, no acks, in memory), which JetStream sends as
fast as the tool takes; ``read`` stops at the stream's last sequence as it was when the read
started, so a stream written meanwhile still gives a bounded, consistent read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import NamedTuple

import nats.errors
from minitalk_common import bus
from minitalk_common.config import NatsSettings
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

#: Seconds a read may go without a message before it gives up.
STALL_S = 30.0


class ReplayError(Exception):
    """A failure the tool reports in one line and exits non-zero for."""


class Stored(NamedTuple):
    """A message as the stream holds it."""

    seq: int
    subject: str
    data: bytes
    headers: dict[str, str] | None


Handler = Callable[[Stored], None]


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncIterator[NATS]:
    """A connection for one command (the services' helper): a few reconnects, then the command
    fails."""
    stack = contextlib.AsyncExitStack()
    try:
        nc = await stack.enter_async_context(
            bus.connect(NatsSettings(nats_url=url), "minitalk-replay", reconnects=5)
        )
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        raise ReplayError(f"cannot reach NATS at {url}: {exc}") from exc
    async with stack:
        yield nc


@dataclass(frozen=True, slots=True)
class Bounds:
    """A stream's sequences when a command looked: ``first``..``last``, ``messages`` stored."""

    first: int
    last: int
    messages: int


async def bounds(js: JetStreamContext, stream: str) -> Bounds:
    try:
        state = (await js.stream_info(stream)).state
    except NotFoundError as exc:
        raise ReplayError(f"no stream {stream} on this NATS") from exc
    return Bounds(state.first_seq, state.last_seq, state.messages)


async def read(
    js: JetStreamContext,
    stream: str,
    subject: str,
    handler: Handler,
    *,
    start: int = 1,
    end: int | None = None,
    last_per_subject: bool = False,
) -> int:
    """Give ``handler`` each message of ``stream`` on ``subject`` from ``start`` to ``end``
    (default: the stream's last seq now), in sequence order; returns how many it got.

    ``subject`` is either the stream's whole wildcard or one exact subject.
    """
    span = await bounds(js, stream)
    stop = span.last if end is None else min(end, span.last)
    if span.messages == 0 or stop < max(start, span.first):
        return 0
    if not subject.endswith(">"):
        try:
            last = await js.get_last_msg(stream, subject)
        except NotFoundError:
            return 0
        stop = min(stop, last.seq or 0)
        if stop < start:
            return 0
    return await _consume(js, stream, subject, handler, start, stop, last_per_subject)


async def _consume(
    js: JetStreamContext,
    stream: str,
    subject: str,
    handler: Handler,
    start: int,
    stop: int,
    last_per_subject: bool,
) -> int:
    done = asyncio.get_running_loop().create_future()
    count = 0

    async def on_msg(msg: Msg) -> None:
        nonlocal count
        if done.done():
            return
        seq, pending = _position(msg)
        if seq > stop:
            done.set_result(None)
            return
        count += 1
        try:
            handler(Stored(seq, msg.subject, msg.data, msg.headers))
        except Exception as exc:
            done.set_exception(exc)
            return
        if seq >= stop or pending == 0:
            done.set_result(None)

    if last_per_subject:
        config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT)
    else:
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start
        )
    sub = await js.subscribe(
        subject,
        stream=stream,
        cb=on_msg,
        ordered_consumer=True,
        config=config,
        pending_msgs_limit=-1,
        pending_bytes_limit=-1,
    )
    try:
        seen = -1
        while not done.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(done), STALL_S)
            if not done.done() and count == seen:
                raise ReplayError(f"{stream}: no message for {STALL_S:.0f}s after {count}")
            seen = count
        done.result()
    finally:
        with contextlib.suppress(nats.errors.Error):
            await sub.unsubscribe()
    return count


def _position(msg: Msg) -> tuple[int, int]:
    """The stream sequence and the pending count of a delivered message (nats.py's metadata)."""
    meta = msg.metadata
    return meta.sequence.stream, meta.num_pending
