"""An ordered consumer that comes back by itself after a NATS restart or a lost consumer.

Projections, KV followers and realtime's live delivery of chat messages (the chat's hot path)
read a stream through an ephemeral ordered consumer (AckNone, flow control, idle heartbeats, in
memory, R1), from the stream's first message (``start="all"``), the last one per subject
(``"last_per_subject"``) or its end when the feed starts (``"new"``: the stream's last sequence
+ 1, read with ``start()``, so nothing stored after ``start()`` returns is missed; when the
stream cannot be read yet, its end when it first can). JetStream keeps streams and durable
consumers across a restart from the same store (and across a cluster node's death), but an
ephemeral consumer is gone, and nats-py's ordered consumer notices only after two missed idle
heartbeats (5 s each by default): rooms' projections stood still for 10-20 s after a restart
(issue 14: room creation waited ~15 s). It also resumes from its last *received* sequence, 0
until a first message, so a reset on a quiet stream would replay the whole stream as new, and
it counts a message it dropped as a slow consumer as seen (a feed's subscriptions have no
pending limit).

A ``Feed`` points consumer ``<id>-<n>`` at an inbox of its own, ``<inbox>.<n>`` (nats-server
2.9 delivers a push consumer only to a subscription on its exact subject); nats-py sends the
subscription again on reconnect. Consumer ``n`` is named by the feed, so its messages are known
before the server answers its creation; what an older consumer still sends is dropped, and an
older subscription is ended only while none of its handlers runs (ending it cancels its task).
Messages are handled one at a time (a lock across generations), in stream order; the feed
remembers the stream sequence of the last one handled and creates its consumer again from the
next one (``reset``):

- as soon as the connection is back (nats-py's reconnect count, looked at every ``TICK_S``);
- when the consumer skipped a delivery (a consumer sequence gap, or an idle heartbeat naming a
  later one);
- when nothing, not even a heartbeat, came for ``STALL_HEARTBEATS`` heartbeats and no handler
  is busy (a cluster node holding the consumer died while this connection, to another node,
  stayed up).

A consumer that cannot be made (NATS away, no stream yet) is tried again after a growing delay
(``TICK_S`` up to half a heartbeat). A stream recreated with fewer messages than were handled is
followed from its end (checked at each reset). A message at or below the last handled sequence
is dropped, so nothing is skipped and nothing handled twice; ``handle(msg, seq)`` gets its
stream sequence, read from the reply subject (no ``msg.metadata``: no date parsing per
message, no task per message: handlers run in the subscription's task); a handler that raises
is logged and its message counted as handled. ``current`` is set while the feed follows and
has handled everything that was stored when its consumer was made; ``ready`` the first time
that happens. Readiness reads them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial
from typing import Literal

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext, api

from . import tasks

log = logging.getLogger("minitalk.feed")

#: The consumers' idle heartbeat (s): a lost consumer is noticed within a few of them.
HEARTBEAT_S = 1.0
#: Heartbeats without any message after which the consumer is taken for lost.
STALL_HEARTBEATS = 3
#: How often the watchdog looks for a reconnect (s), and the first retry delay.
TICK_S = 0.25
#: Seconds a consumer creation may take before it is tried again.
CREATE_TIMEOUT_S = 3.0
#: Seconds an old consumer's deletion may take (it would go away by itself anyway).
DELETE_TIMEOUT_S = 1.0

#: Gets each message and its stream sequence, in stream order.
Handle = Callable[[Msg, int], Awaitable[None]]
#: Where a feed starts: the stream's first message, the last per subject, or its end.
Start = Literal["all", "last_per_subject", "new"]

_ACK_PREFIX = "$JS.ACK."
_LAST_CONSUMER = api.Header.LAST_CONSUMER.value
_STALLED = api.Header.CONSUMER_STALLED.value


class Feed:
    """Every message of ``subject`` (a wildcard; None: the whole stream, unfiltered, which
    spares nats-server a subject match per message) on ``stream`` from ``start``, then every
    new one, to ``handle(msg, seq)``; see the module's text."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        subject: str | None,
        handle: Handle,
        *,
        start: Start = "all",
        heartbeat_s: float = HEARTBEAT_S,
        ready: asyncio.Event | None = None,
        current: asyncio.Event | None = None,
    ) -> None:
        self._js = js
        self._nc: NATS = js._nc  # JetStreamContext keeps its connection only here
        self.stream = stream
        self._subject = subject
        self._handle = handle
        self._start = start
        self._positioned = start != "new"  # "new": ``last`` is the stream's end once read
        self._heartbeat_s = heartbeat_s
        self.last = 0  # stream sequence of the last message handled
        self.ready = ready or asyncio.Event()
        self.current = current or asyncio.Event()
        self.resets = 0
        self._inbox = self._nc.new_inbox()
        self._id = self._inbox.rsplit(".", 1)[-1]
        self._made_count = 0  # consumers made (or tried): the next one's generation
        self._generation = 0  # of the consumer in use; 0: none (what comes is dropped)
        self._subs: dict[int, Subscription] = {}
        self._made: str | None = None  # name of the last consumer the server made
        self._consumer = ""  # name of the consumer in use
        self._dseq = 0  # consumer sequence of the last delivery of the consumer in use
        self._seen = time.monotonic()
        self._lock = asyncio.Lock()
        self._busy: int | None = None  # generation whose handler runs
        self._failures = 0
        self._broken = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Make the first consumer (made again in the background when that fails, e.g. while
        the stream does not exist yet) and watch it.

        A "new" feed reads the stream's end here, retrying until it can: its place must be
        fixed before ``start`` returns. Left to a later reset (a slow NATS under load timing
        the first read out), it would start from the end *then*, and whatever was stored in
        between - after the service said it was ready - would never be handled (a socket that
        connected meanwhile and caught up from history would miss those messages live).
        """
        delay = TICK_S
        while not self._positioned:
            try:
                await self._position()
            except (nats.errors.Error, TimeoutError) as exc:
                log.warning("%s: cannot read the stream's end yet: %r", self.stream, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        await self._reset()
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        await tasks.stop(self._watcher)  # not a bare cancel: see ``tasks``
        for generation in list(self._subs):
            await self._end(generation)
        await self._delete(self._made)

    # -- consumers ----------------------------------------------------------------------------

    async def _watch(self) -> None:
        reconnects = self._nc.stats["reconnects"]
        tick = min(TICK_S, self._heartbeat_s / 2)
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._broken.wait(), tick)
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
        self._made_count += 1
        generation = self._generation = self._made_count  # a name and subject used once
        self._consumer = self._name(generation)
        self._dseq = 0
        self._seen = time.monotonic()
        deliver = f"{self._inbox}.{generation}"
        try:
            if not self._positioned or self.last:
                await self._position()
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
                why = getattr(exc, "description", None) or repr(exc)
                log.warning("%s: cannot create a consumer yet: %s", self.stream, why)
            self._generation = 0
            self._broken.set()
            delay = TICK_S * 2 ** min(self._failures - 1, 5)
            await asyncio.sleep(min(delay, max(TICK_S, self._heartbeat_s / 2)))
            return
        self._failures = 0
        old, self._made = self._made, info.name
        delivered = info.delivered.stream_seq if info.delivered else 0
        if not info.num_pending and (delivered or 0) <= self.last:
            self._caught_up()
        await self._delete(old)

    async def _position(self) -> None:
        """Read the stream's end: where a "new" feed starts, or (below the last handled
        sequence) a sign that the stream was recreated."""
        info = await asyncio.wait_for(self._js.stream_info(self.stream), CREATE_TIMEOUT_S)
        end = info.state.last_seq
        if not self._positioned:
            self.last, self._positioned = end, True
        elif end < self.last:
            log.warning(
                "%s ends at seq %d, before %d: recreated; following its end",
                self.stream,
                end,
                self.last,
            )
            self.last = end

    def _config(self, generation: int, deliver: str) -> api.ConsumerConfig:
        if self.last or self._start == "new":
            start = {"deliver_policy": api.DeliverPolicy.BY_START_SEQUENCE}
            start["opt_start_seq"] = self.last + 1  # type: ignore[assignment]
        elif self._start == "last_per_subject":
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
            await asyncio.wait_for(
                self._js.delete_consumer(self.stream, consumer), DELETE_TIMEOUT_S
            )

    def _caught_up(self) -> None:
        if not self.current.is_set():
            log.info("%s: following, caught up at seq %d", self.stream, self.last)
        self.current.set()
        self.ready.set()

    # -- messages -----------------------------------------------------------------------------

    async def _on_msg(self, generation: int, msg: Msg) -> None:
        if generation != self._generation:
            return  # an older consumer's
        self._seen = time.monotonic()
        reply = msg.reply
        if not reply.startswith(_ACK_PREFIX):
            await self._on_control(msg)
            return
        tokens = reply.split(".")
        # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>, or with
        # <domain>.<account hash> after ACK and a random token at the end
        at = 5 if len(tokens) == 9 else 7
        if tokens[at - 2] != self._consumer:
            return  # an older consumer that sends to this subject (after a reconnect)
        seq, dseq = int(tokens[at]), int(tokens[at + 1])
        if dseq != self._dseq + 1:
            self._lost(f"consumer seq {dseq} after {self._dseq}")
            return
        self._dseq = dseq
        if seq > self.last:  # else handled already, before a reset
            async with self._lock:  # a handler of an older generation may still run
                if seq > self.last:  # inline, not a method: this is the chat's hot path
                    self._busy = generation
                    try:
                        await self._handle(msg, seq)
                    except Exception:
                        log.exception("%s seq %d: handling failed", self.stream, seq)
                    finally:
                        self._busy = None
                        self._seen = time.monotonic()
                        self.last = seq
        if tokens[at + 3] == "0" and generation == self._generation and not self.current.is_set():
            self._caught_up()  # nothing pending

    async def _on_control(self, msg: Msg) -> None:
        """Flow control (every earlier message is handled: answer) or an idle heartbeat."""
        headers = msg.headers or {}
        if msg.reply:  # flow control request
            await self._answer(msg.reply)
            return
        stalled = headers.get(_STALLED)
        if stalled:
            await self._answer(stalled)
        last = headers.get(_LAST_CONSUMER)
        if last is not None and last.isdigit() and int(last) != self._dseq:
            self._lost(f"heartbeat names consumer seq {last}, handled up to {self._dseq}")

    async def _answer(self, subject: str) -> None:
        with suppress(nats.errors.Error):  # NATS away: the consumer is made again after it
            await self._nc.publish(subject)

    def _lost(self, why: str) -> None:
        log.warning("%s: consumer skipped a delivery (%s)", self.stream, why)
        self._generation = 0
        self.current.clear()
        self._broken.set()
