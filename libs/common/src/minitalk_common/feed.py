"""An ordered consumer that comes back by itself after a NATS restart or a lost consumer.

Projections and KV followers read a stream through an ephemeral ordered consumer. JetStream
keeps streams and durable consumers across a restart from the same store (and across a cluster
node's death), but an ephemeral consumer is gone, and nats-py's ordered consumer notices only
after two missed idle heartbeats (5 s each by default): rooms' projections stood still for
10-20 s after a restart (issue 14: room creation waited ~15 s).

A ``Feed`` points consumer ``<id>-<n>`` at an inbox of its own, ``<inbox>.<n>`` (nats-server
2.9 delivers a push consumer only to a subscription on its exact subject); nats-py sends the
subscription again on reconnect. Consumer ``n`` is named by the feed, so its messages are known
before the server answers its creation; what an older consumer still sends is dropped, and an
older subscription is ended only while none of its handlers runs (ending it cancels its task).
Messages are handled one at a time (a lock across generations), in stream order; the feed
remembers the stream sequence of the last one handled and creates its consumer again from the
next one (``reset``):

- as soon as the connection is back (nats-py's reconnect count moved);
- when the consumer skipped a delivery (a consumer sequence gap, or an idle heartbeat naming a
  later one);
- when nothing, not even a heartbeat, came for ``STALL_HEARTBEATS`` heartbeats and no handler
  is busy (a cluster node holding the consumer died while this connection, to another node,
  stayed up).

A message at or below the last handled sequence is dropped, so nothing is skipped and nothing
handled twice. ``current`` is set while the feed follows and has handled everything that was
stored when its consumer was made; ``ready`` the first time that happens. Readiness reads them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext, api

log = logging.getLogger("minitalk.feed")

#: The consumers' idle heartbeat (s): a lost consumer is noticed within a few of them.
HEARTBEAT_S = 1.0
#: Heartbeats without any message after which the consumer is taken for lost.
STALL_HEARTBEATS = 3
#: Seconds a consumer creation may take before it is tried again.
CREATE_TIMEOUT_S = 3.0

Handle = Callable[[Msg], Awaitable[None]]


class Feed:
    """Every message of ``subject`` (a wildcard) on ``stream`` from the first (or the last per
    subject, ``last_per_subject``), then every new one, to ``handle(msg)``; see the module's
    text."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        subject: str,
        handle: Handle,
        *,
        last_per_subject: bool = False,
        heartbeat_s: float = HEARTBEAT_S,
        ready: asyncio.Event | None = None,
        current: asyncio.Event | None = None,
    ) -> None:
        self._js = js
        self._nc: NATS = js._nc  # JetStreamContext keeps its connection only here
        self.stream = stream
        self._subject = subject
        self._handle = handle
        self._last_per_subject = last_per_subject
        self._heartbeat_s = heartbeat_s
        self.last = 0  # stream sequence of the last message handled
        self.ready = ready or asyncio.Event()
        self.current = current or asyncio.Event()
        self.resets = 0
        self._inbox = self._nc.new_inbox()
        self._id = self._inbox.rsplit(".", 1)[-1]
        self._generation = 0  # of the consumer in use; 0: none
        self._subs: dict[int, Subscription] = {}
        self._made: str | None = None  # name of the last consumer the server made
        self._dseq = 0  # consumer sequence of the last delivery of the consumer in use
        self._seen = time.monotonic()
        self._lock = asyncio.Lock()
        self._busy: int | None = None  # generation whose handler runs
        self._failures = 0
        self._broken = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Make the first consumer (made again in the background when that fails, e.g. while
        the stream does not exist yet) and watch it."""
        await self._reset()
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with suppress(asyncio.CancelledError):
                await self._watcher
        for generation in list(self._subs):
            await self._end(generation)
        await self._delete(self._made)

    # -- consumers ----------------------------------------------------------------------------

    async def _watch(self) -> None:
        reconnects = self._nc.stats["reconnects"]
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._broken.wait(), self._heartbeat_s / 2)
            for generation in [g for g in self._subs if g not in (self._generation, self._busy)]:
                await self._end(generation)
            if not self._nc.is_connected:
                self.current.clear()
                await asyncio.sleep(self._heartbeat_s / 2)
                continue
            moved = self._nc.stats["reconnects"] != reconnects
            if moved or self._broken.is_set() or self._stalled():
                reconnects = self._nc.stats["reconnects"]
                why = "reconnected" if moved else "consumer lost or broken"
                log.info("%s: following again from seq %d (%s)", self.stream, self.last + 1, why)
                await self._reset()

    def _stalled(self) -> bool:
        quiet = time.monotonic() - self._seen
        return self._busy is None and quiet > STALL_HEARTBEATS * self._heartbeat_s

    async def _reset(self) -> None:
        """A new consumer from the message after the last one handled."""
        self.current.clear()
        self._broken.clear()
        self.resets += 1
        self._generation += 1
        generation, self._dseq = self._generation, 0
        self._seen = time.monotonic()
        deliver = f"{self._inbox}.{generation}"
        try:
            self._subs[generation] = await self._nc.subscribe(
                deliver,
                cb=partial(self._on_msg, generation),
                pending_msgs_limit=-1,
                pending_bytes_limit=-1,
            )
            info = await self._js.add_consumer(
                self.stream, self._config(generation, deliver), timeout=CREATE_TIMEOUT_S
            )
        except (nats.errors.Error, TimeoutError) as exc:
            self._failures += 1
            if self._failures % 20 == 1:  # not every half second while a stream is missing
                log.warning("%s: cannot create a consumer yet: %r", self.stream, exc)
            self._generation = 0  # nothing in use: what comes is dropped
            self._broken.set()
            await asyncio.sleep(self._heartbeat_s / 2)
            return
        self._failures = 0
        old, self._made = self._made, info.name
        delivered = info.delivered.stream_seq if info.delivered else 0
        if not info.num_pending and (delivered or 0) <= self.last:
            self._caught_up()
        await self._delete(old)

    def _config(self, generation: int, deliver: str) -> api.ConsumerConfig:
        if self.last:
            start = {"deliver_policy": api.DeliverPolicy.BY_START_SEQUENCE}
            start["opt_start_seq"] = self.last + 1  # type: ignore[assignment]
        elif self._last_per_subject:
            start = {"deliver_policy": api.DeliverPolicy.LAST_PER_SUBJECT}
        else:
            start = {"deliver_policy": api.DeliverPolicy.ALL}
        return api.ConsumerConfig(
            name=self._name(generation),
            deliver_subject=deliver,
            filter_subject=self._subject,
            ack_policy=api.AckPolicy.NONE,
            max_deliver=1,
            flow_control=True,
            idle_heartbeat=self._heartbeat_s,
            mem_storage=True,
            num_replicas=1,
            **start,  # type: ignore[arg-type]
        )

    def _name(self, generation: int) -> str:
        return f"{self._id}-{generation}"

    async def _end(self, generation: int) -> None:
        sub = self._subs.pop(generation)
        with suppress(nats.errors.Error):
            await sub.unsubscribe()

    async def _delete(self, consumer: str | None) -> None:
        """Best effort: an old consumer that still exists would keep sending (dropped)."""
        if consumer is None or not self._nc.is_connected:
            return
        with suppress(nats.errors.Error, TimeoutError):
            await self._js.delete_consumer(self.stream, consumer)

    def _caught_up(self) -> None:
        if not self.current.is_set():
            log.info("%s: following, caught up at seq %d", self.stream, self.last)
        self.current.set()
        self.ready.set()

    # -- messages -----------------------------------------------------------------------------

    async def _on_msg(self, generation: int, msg: Msg) -> None:
        if generation != self._generation:
            return  # an older consumer's
        headers = msg.headers or {}
        self._seen = time.monotonic()
        if headers.get("Status") == "100":
            await self._on_control(msg, headers)
            return
        meta = msg.metadata
        if meta.consumer != self._name(generation):
            return  # an older consumer that sends to this subject (after a reconnect)
        if meta.sequence.consumer != self._dseq + 1:
            self._lost(f"consumer seq {meta.sequence.consumer} after {self._dseq}")
            return
        self._dseq = meta.sequence.consumer
        async with self._lock:  # a handler of an older generation may still run
            if meta.sequence.stream > self.last:  # else handled already, before a reset
                self._busy = generation
                try:
                    await self._handle(msg)
                finally:
                    self._busy = None
                    self._seen = time.monotonic()
                self.last = meta.sequence.stream
        if meta.num_pending == 0 and generation == self._generation:
            self._caught_up()

    async def _on_control(self, msg: Msg, headers: dict[str, str]) -> None:
        """Flow control (every earlier message is handled: answer) or an idle heartbeat."""
        if msg.reply:  # flow control request
            await self._nc.publish(msg.reply)
            return
        stalled = headers.get("Nats-Consumer-Stalled")
        if stalled:
            await self._nc.publish(stalled)
        last = headers.get("Nats-Last-Consumer")
        if last is not None and int(last) != self._dseq:
            self._lost(f"heartbeat names consumer seq {last}, handled up to {self._dseq}")

    def _lost(self, why: str) -> None:
        log.warning("%s: consumer skipped a delivery (%s)", self.stream, why)
        self._generation = 0
        self.current.clear()
        self._broken.set()
