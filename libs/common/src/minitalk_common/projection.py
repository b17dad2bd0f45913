"""Replay a stream from its first message, follow it live, and say when it has caught up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from . import events, subjects

log = logging.getLogger("minitalk.projection")

Apply = Callable[[events.Event, int], Awaitable[None]]


class Projection:
    """Feeds every event of ``stream`` (in stream order) to ``apply(event, stream_seq)``.

    ``ready`` is set once every message that existed at start has been applied; ``wait_for(seq)``
    waits until the event stored at ``seq`` (e.g. from a PubAck) has been applied, which gives a
    service read-your-writes on its own projection.
    """

    def __init__(self, js: JetStreamContext, stream: str, apply: Apply) -> None:
        self._js = js
        self._stream = stream
        self._apply = apply
        self._seq = 0
        self._target = 0
        self._advanced = asyncio.Condition()
        self.ready = asyncio.Event()
        self._sub: object | None = None

    @property
    def seq(self) -> int:
        """The stream sequence of the last applied event."""
        return self._seq

    async def start(self) -> None:
        info = await self._js.stream_info(self._stream)
        self._target = info.state.last_seq
        if info.state.messages == 0 or self._target == 0:
            self.ready.set()
        self._sub = await self._js.subscribe(
            subjects.all_of(self._stream),
            stream=self._stream,
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.ALL,
            cb=self._on_msg,
            pending_msgs_limit=-1,
            pending_bytes_limit=-1,
        )

    async def _on_msg(self, msg: Msg) -> None:
        meta = msg.metadata
        seq = meta.sequence.stream
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
        if not self.ready.is_set() and (seq >= self._target or meta.num_pending == 0):
            log.info("%s projection caught up at seq %d", self._stream, seq)
            self.ready.set()

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
