"""Replay a stream from its first message, follow it live (also across a NATS restart: see
``feed``), and say when it has caught up.

``Projection.catch_up(subject)`` is the one "look up the subject's last event, then wait until
my projection holds it" that rooms and realtime do before refusing a room they do not know.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from . import bus, events, subjects
from .feed import Feed

log = logging.getLogger("minitalk.projection")

Apply = Callable[[events.Event, int], Awaitable[None]]


class CatchUpFailed(Exception):
    """The subject's last event could not be looked up, or was not applied in time."""


class Projection:
    """Feeds every event of ``stream`` (in stream order, each once) to ``apply(event, seq)``,
    through a ``Feed`` that resumes by itself after a NATS restart.

    ``ready`` is set once every message that existed at start has been applied; ``current``
    while the projection follows the stream (cleared while NATS is away or its consumer is
    being made again, until it has caught up); ``wait_for(seq)`` waits until the event stored
    at ``seq`` (e.g. from a PubAck) has been applied, which gives a service read-your-writes on
    its own projection.
    """

    def __init__(self, js: JetStreamContext, stream: str, apply: Apply) -> None:
        self._js = js
        self._stream = stream
        self._apply = apply
        self._seq = 0
        self._advanced = asyncio.Condition()
        self.ready = asyncio.Event()
        self.current = asyncio.Event()
        self._feed: Feed | None = None

    @property
    def seq(self) -> int:
        """The stream sequence of the last applied event."""
        return self._seq

    @property
    def resets(self) -> int:
        """How many consumers were made (1 at start, one more per resumption)."""
        return self._feed.resets if self._feed else 0

    async def start(self) -> None:
        subject = subjects.all_of(self._stream)
        self._feed = Feed(
            self._js, self._stream, subject, self._on_msg, ready=self.ready, current=self.current
        )
        await self._feed.start()

    async def close(self) -> None:
        if self._feed is not None:
            await self._feed.close()

    async def _on_msg(self, msg: Msg, seq: int) -> None:
        try:
            event = events.decode(msg.data)
        except events.BadEvent as exc:
            log.error("%s seq %d: skipping an undecodable event: %s", self._stream, seq, exc)
        else:
            try:
                await self._apply(event, seq)
            except Exception:
                log.exception("%s seq %d: projection failed to apply %s", self._stream, seq, event)
        async with self._advanced:
            self._seq = seq
            self._advanced.notify_all()

    async def wait_for(self, seq: int, timeout: float = 5.0) -> None:
        """Wait until the event at stream sequence ``seq`` has been applied."""
        async with self._advanced:
            await asyncio.wait_for(self._advanced.wait_for(lambda: self._seq >= seq), timeout)

    async def wait_beyond(self, seq: int, timeout: float = 5.0) -> bool:
        """Wait until an event after ``seq`` has been applied; False on timeout."""
        try:
            await self.wait_for(seq + 1, timeout)
        except TimeoutError:
            return False
        return True

    async def catch_up(self, subject: str, timeout: float = 5.0) -> None:
        """Wait until the last event stored on ``subject`` (one of this stream's) has been
        applied: at once when there is none. ``CatchUpFailed`` when the lookup fails (NATS
        away, a timeout) or the projection does not get there within ``timeout``: then what it
        holds may be stale, and a refusal based on it would be wrong."""
        try:
            last = await bus.last_seq(self._js, self._stream, subject)
        except (nats.errors.Error, TimeoutError) as exc:
            raise CatchUpFailed(f"cannot look up the last event of {subject}: {exc!r}") from exc
        if last and not await self.wait_beyond(last - 1, timeout):
            raise CatchUpFailed(f"{self._stream} projection did not reach seq {last} of {subject}")
