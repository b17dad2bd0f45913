"""Follow the MESSAGES stream from this process's start, in stream order, and never lose a place.

One ephemeral push consumer per realtime process (AckNone, flow control, idle heartbeats,
in memory, R1) delivers every stored message once, in stream order; ``on_stored(msg, seq)``
gets each with its stream sequence. The feed remembers the last sequence it handed over and,
when the consumer breaks, makes a new one that starts right after it:

- a consumer sequence that skips (a message lost between nats-server and this process) or a
  heartbeat whose ``Nats-Last-Consumer`` is not the last one received;
- no message and no heartbeat for two heartbeat intervals (the consumer is gone: deleted, or
  its server restarted; ephemeral consumers do not survive a restart);
- a NATS reconnect (checked every ``TICK_S``, so a restarted server is followed at once);
- the stream recreated with fewer messages than were seen: it is followed from its end.

A consumer that cannot be made (NATS away, JetStream not ready yet) is tried again with a
growing delay (``RETRY_S`` .. ``RETRY_MAX_S``). A sequence at or below the last one handed
over is never handed over again, so a resumed consumer cannot duplicate; a message is handed
over whole or not at all (a lock, uncontended but while the consumer is replaced), so none is
lost half-delivered either. No task per message: the callbacks run in the subscription's task.

Why not nats-py's ordered consumer (``js.subscribe(ordered_consumer=True)``, 2.16): it resumes
from its last *received* stream sequence, which is 0 until the first message arrives, so a
reset before then (a quiet stream and a nats-server restart) replays the whole stream as live
messages; it notices a restarted server only after two missed heartbeats; and a message it
dropped as a slow consumer is counted as seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from minitalk_common import subjects
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext, api

log = logging.getLogger("minitalk.realtime.livefeed")

#: Receives each stored message and its stream sequence, in stream order.
OnStored = Callable[[Msg, int], Awaitable[None]]

#: How often the watchdog looks for a reconnect or a request to resume (seconds).
TICK_S = 0.25
#: First and largest delay between two failed attempts to make the consumer (seconds).
RETRY_S = 0.25
RETRY_MAX_S = 2.0
#: Timeout of the JetStream API requests that make the consumer (seconds).
API_TIMEOUT_S = 2.0

_ACK_PREFIX = "$JS.ACK."
_LAST_CONSUMER = api.Header.LAST_CONSUMER.value
_STALLED = api.Header.CONSUMER_STALLED.value


class LiveFeed:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        on_stored: OnStored,
        heartbeat_s: float,
        stream: str = subjects.MESSAGES_STREAM,
    ) -> None:
        self._nc = nc
        self._js = js
        self._on_stored = on_stored
        self._heartbeat = heartbeat_s
        self._stream = stream
        self._last_seq = 0  # the last stream sequence handed over (or skipped: none before it)
        self._dseq = 0  # the consumer sequence of the last message the current consumer sent
        self._gen = 0  # consumer generation; callbacks of an older one do nothing
        self._sub: Subscription | None = None
        self._broken = True  # the current consumer must be replaced
        self._active = False  # something arrived since the last heartbeat check
        self._wake = asyncio.Event()
        #: Held while a message is handed over and while the consumer is replaced, so that a
        #: message is handed over whole or not at all (then the next consumer sends it).
        self._handover = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def last_seq(self) -> int:
        """The stream sequence of the last message handed over."""
        return self._last_seq

    async def start(self) -> None:
        """Follow from the stream's end now (its last sequence + 1)."""
        info = await self._js.stream_info(self._stream)
        self._last_seq = info.state.last_seq
        await self._resume()  # when it fails, the watchdog tries again
        self._task = asyncio.create_task(self._watch(), name="livefeed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._gen += 1
        await self._drop_sub()

    # -- the watchdog -------------------------------------------------------------------------

    async def _watch(self) -> None:
        reconnects = self._nc.stats["reconnects"]
        checked = time.monotonic()
        delay = RETRY_S
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)
            self._wake.clear()
            if self._nc.stats["reconnects"] != reconnects:
                reconnects = self._nc.stats["reconnects"]
                self._break("NATS reconnected")
            elif time.monotonic() - checked >= 2 * self._heartbeat:
                checked = time.monotonic()
                self._check_activity()
            if self._broken and self._nc.is_connected:
                delay = await self._retry(delay)
                checked = time.monotonic()

    def _check_activity(self) -> None:
        """Every two heartbeat intervals: a consumer that sent nothing since is gone."""
        if not self._active and not self._broken:
            self._break("no message or heartbeat for two heartbeat intervals")
        self._active = False

    async def _retry(self, delay: float) -> float:
        """Try to make the consumer again; the delay before the next try."""
        if await self._resume():
            self._active = False
            return RETRY_S
        await asyncio.sleep(delay)
        return min(delay * 2, RETRY_MAX_S)

    def _break(self, why: str) -> None:
        if not self._broken:
            log.warning("live feed: %s; resuming after seq %d", why, self._last_seq)
        self._broken = True
        self._gen += 1  # what the broken consumer still sends is ignored
        self._wake.set()

    async def _resume(self) -> bool:
        """Replace the consumer by one that starts after the last sequence handed over."""
        async with self._handover:  # a message being handed over is handed over whole first
            self._gen += 1
            gen = self._gen
            await self._drop_sub()  # (this cancels its callback: hence the lock)
        try:
            info = await asyncio.wait_for(self._js.stream_info(self._stream), API_TIMEOUT_S)
            if info.state.last_seq < self._last_seq:
                log.warning(
                    "live feed: %s ends at seq %d, before %d: recreated; following its end",
                    self._stream,
                    info.state.last_seq,
                    self._last_seq,
                )
                self._last_seq = info.state.last_seq
            inbox = self._nc.new_inbox()
            self._sub = await self._nc.subscribe(
                inbox, cb=self._callback(gen), pending_msgs_limit=-1, pending_bytes_limit=-1
            )
            self._dseq = 0
            await self._js.add_consumer(
                self._stream, config=self._config(inbox), timeout=API_TIMEOUT_S
            )
        except Exception as exc:  # NATS away or JetStream not ready: the watchdog tries again
            log.warning("live feed: cannot follow %s yet: %r", self._stream, exc)
            self._broken = True
            return False
        if self._gen == gen:
            self._broken = False
            log.info("live feed: following %s from seq %d", self._stream, self._last_seq + 1)
        return not self._broken

    def _config(self, inbox: str) -> api.ConsumerConfig:
        return api.ConsumerConfig(
            deliver_subject=inbox,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self._last_seq + 1,
            ack_policy=api.AckPolicy.NONE,
            max_deliver=1,
            flow_control=True,
            idle_heartbeat=self._heartbeat,
            mem_storage=True,
            num_replicas=1,
        )

    async def _drop_sub(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            try:
                await sub.unsubscribe()
            except Exception as exc:  # a closed connection: nothing left to unsubscribe
                log.debug("live feed: unsubscribe failed: %r", exc)

    # -- the hot path -------------------------------------------------------------------------

    def _callback(self, gen: int) -> Callable[[Msg], Awaitable[None]]:
        async def on_msg(msg: Msg) -> None:
            if gen != self._gen:
                return
            self._active = True
            reply = msg.reply
            if not reply.startswith(_ACK_PREFIX):
                await self._control(msg)
                return
            tokens = reply.split(".")
            # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>, or with
            # <domain>.<account hash> after ACK and a random token at the end
            at = 5 if len(tokens) == 9 else 7
            seq, dseq = int(tokens[at]), int(tokens[at + 1])
            if dseq != self._dseq + 1:
                self._break(f"consumer sequence {dseq} after {self._dseq}")
                return
            self._dseq = dseq
            if seq <= self._last_seq:
                return
            async with self._handover:
                if gen != self._gen:  # replaced meanwhile: the new consumer sends it
                    return
                self._last_seq = seq
                try:
                    await self._on_stored(msg, seq)
                except Exception:
                    log.exception("live feed: handling seq %d failed", seq)

        return on_msg

    async def _control(self, msg: Msg) -> None:
        """Flow control request (answered: all before it is handled) or idle heartbeat."""
        headers = msg.headers or {}
        answer = msg.reply or headers.get(_STALLED)
        if answer:
            try:
                await self._nc.publish(answer)
            except Exception as exc:  # NATS away: the consumer is replaced after the reconnect
                log.debug("live feed: flow control answer failed: %r", exc)
        if msg.reply:
            return
        last = headers.get(_LAST_CONSUMER)
        if last is not None and last.isdigit() and int(last) != self._dseq:
            self._break(f"heartbeat says consumer sequence {last}, last received {self._dseq}")
