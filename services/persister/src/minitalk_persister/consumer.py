"""A durable pull consumer that writes one stream's events to the room files in batches.

Each batch is written (one write and fsync per room file), then acknowledged with ONE ack of
its last event (AckPolicy ALL). Events are written in stream order without gaps: an event
delivered to an earlier run that died before its ack (and so not delivered again until
``ack_wait`` passes) is taken from the stream directly, so acking a later event never
acknowledges an event that is not in its file. A failed batch is NAKed and retried after a
delay that doubles up to a cap; a batch the disk refuses (full, quota, I/O error) is kept,
unacknowledged, and written again after a delay that doubles up to a cap (``disk.py`` says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

import nats.errors
from minitalk_common import subjects
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from .batch import Batch, BatchWriter
from .config import PersisterSettings
from .disk import DiskState
from .stats import StreamStats
from .store import RoomStore, WriteFailed

log = logging.getLogger("minitalk.persister.consumer")

#: Seconds without events after which the consumer checks it still exists.
IDLE_CHECK_S = 30.0
#: Seconds a batch's second fetch waits when nothing more came (it asks without waiting first).
TOP_UP_TIMEOUT_S = 0.005


class StreamConsumer:
    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        settings: PersisterSettings,
        store: RoomStore,
        stats: StreamStats,
        disk: DiskState,
    ) -> None:
        self.stream = stream
        self.name = f"persister-{stream.lower()}-{settings.persister_partition}"
        self.stats = stats
        self._js = js
        self._settings = settings
        self._writer = BatchWriter(js, stream, settings, store, stats)
        self._disk = disk
        self._sub: JetStreamContext.PullSubscription | None = None
        self._resume_to = 0
        self._durable = asyncio.Condition()
        #: The highest seq a reader waits for (``wait_durable``), and the wake-up that cuts a
        #: batch's wait short for it.
        self._wanted_seq = 0
        self._wanted = asyncio.Event()
        self._checked = time.monotonic()

    async def bind(self) -> None:
        """Create or bind the durable consumer; learn where the previous run stopped."""
        # Used only when the consumer does not exist yet: a consumer created again (deleted by
        # hand) starts after what this process has written.
        resume_at = self.stats.durable_seq + 1
        config = api.ConsumerConfig(
            ack_policy=api.AckPolicy.ALL,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=resume_at,
            max_ack_pending=self._settings.max_ack_pending,
            ack_wait=self._settings.ack_wait_s,
        )
        self._sub = await self._js.pull_subscribe(
            subjects.all_of(self.stream), durable=self.name, stream=self.stream, config=config
        )
        info = await self._sub.consumer_info()
        await self._advance(info.ack_floor.stream_seq if info.ack_floor else 0)
        self._resume_to = info.delivered.stream_seq if info.delivered else 0
        log.info(
            "%s: bound, acked up to seq %d, delivered up to %d",
            *(self.name, self.stats.durable_seq, self._resume_to),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Write batches until ``stop`` is set; the batch in flight is finished first."""
        await self._resume(stop)
        failures = 0
        while not stop.is_set():
            msgs = await self._fetch(stop)
            if not msgs:
                continue
            try:
                await self._commit(msgs, stop)
                failures = 0
            except Exception:
                failures += 1
                delay = self._retry_delay(failures)
                log.exception(
                    "%s: batch failed (%d in a row), retry in %.1fs", self.name, failures, delay
                )
                self.stats.failures += 1
                await _nak(msgs, delay)
                await _sleep(stop, delay)

    async def close(self) -> None:
        """Unsubscribe: left-over pull statuses in its queue would hold a drain up."""
        if self._sub is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
            self._sub = None

    def _retry_delay(self, failures: int) -> float:
        delay: float = self._settings.retry_min_s * 2.0 ** (failures - 1)
        return min(delay, self._settings.retry_max_s)

    @property
    def disk_failing(self) -> bool:
        """The disk refuses this stream's writes at the moment (full, quota, I/O error)."""
        return self._disk.failing(self.stream)

    async def wait_durable(self, seq: int, timeout: float) -> bool:
        """Wait until every event up to ``seq`` is in the files; False on timeout, and at once
        while the disk refuses the writes (history then answers with what is written)."""
        if self.disk_failing or self.stats.durable_seq >= seq:
            return self.stats.durable_seq >= seq
        if seq > self._wanted_seq:
            self._wanted_seq = seq
        self._wanted.set()
        async with self._durable:
            try:
                await asyncio.wait_for(
                    self._durable.wait_for(lambda: self.stats.durable_seq >= seq), timeout
                )
            except TimeoutError:
                return False
        return True

    async def _fetch(self, stop: asyncio.Event) -> list[Msg]:
        if self._sub is None:
            await _sleep(stop, self._settings.retry_min_s)
            await self._check_bound()
            return []
        try:
            msgs = await self._sub.fetch(self._settings.batch_size, self._settings.batch_wait_s)
        except TimeoutError:
            if time.monotonic() - self._checked > IDLE_CHECK_S:
                await self._check_bound()
            return []
        except nats.errors.Error as exc:
            log.warning("%s: fetch failed: %s", self.name, exc)
            await _sleep(stop, self._settings.retry_min_s)
            await self._check_bound()
            return []
        self._checked = time.monotonic()
        if len(msgs) < self._settings.batch_size:
            msgs += await self._top_up(len(msgs), stop)
        return msgs

    async def _top_up(self, have: int, stop: asyncio.Event) -> list[Msg]:
        """The events that came within ``batch_wait`` of a batch's first one.

        A fetch returns as soon as anything is there: under load that makes batches of a few
        events and one fsync per room file for each. Waiting for the batch to fill lets one
        write and fsync per file cover up to ``batch_size`` events. A reader waiting for an
        event not yet written (history, a lookup, the room list: read-your-writes) cuts the
        wait short, so the wait costs readers nothing; so does ``stop`` (the batch is written).
        """
        assert self._sub is not None
        if self._wanted_seq <= self.stats.durable_seq and not stop.is_set():
            self._wanted.clear()
            wakes = [asyncio.create_task(e.wait()) for e in (self._wanted, stop)]
            await asyncio.wait(
                wakes, timeout=self._settings.batch_wait_s, return_when=asyncio.FIRST_COMPLETED
            )
            for wake in wakes:
                wake.cancel()
        try:
            return await self._sub.fetch(self._settings.batch_size - have, TOP_UP_TIMEOUT_S)
        except TimeoutError:
            return []
        except nats.errors.Error as exc:  # the batch so far is written; the rest comes next
            log.warning("%s: fetch failed: %s", self.name, exc)
            return []

    async def _check_bound(self) -> None:
        """Bind again if the consumer was deleted (a fetch then only ever times out)."""
        self._checked = time.monotonic()
        if self._sub is not None:
            try:
                await self._sub.consumer_info()
                return
            except NotFoundError:
                log.warning("%s: the consumer is gone, creating it again", self.name)
            except nats.errors.Error as exc:
                log.warning("%s: cannot check the consumer: %s", self.name, exc)
                return
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
            self._sub = None
        try:
            await self.bind()
        except Exception:
            log.exception("%s: binding again failed; will retry", self.name)

    async def _resume(self, stop: asyncio.Event) -> None:
        """Write what an earlier run was delivered but never acked, without waiting for it."""
        start, end = self.stats.durable_seq + 1, self._resume_to + 1
        if end <= start:
            return
        try:
            if not await self._write(await self._writer.from_stream(start, end), stop):
                return
        except Exception:
            log.exception("%s: catching up %d..%d failed; redelivery will", self.name, start, end)
            return
        await self._advance(end - 1)

    async def _commit(self, msgs: list[Msg], stop: asyncio.Event) -> None:
        msgs.sort(key=lambda m: m.metadata.sequence.stream)
        self.stats.batches += 1
        self.stats.events += len(msgs)
        batch, last = await self._writer.from_messages(msgs, self.stats.durable_seq)
        if not await self._write(batch, stop, msgs):
            return  # stopping while the disk refuses it: unacknowledged, the next run writes it
        await self._advance(last)
        await msgs[-1].ack()  # AckPolicy ALL: acknowledges every event up to this one

    async def _write(self, batch: Batch, stop: asyncio.Event, msgs: Sequence[Msg] = ()) -> bool:
        """Write ``batch``; while the disk refuses it, try the same batch again after a delay
        that doubles up to a cap, holding ``msgs`` unacknowledged and in progress (so JetStream
        does not deliver them again meanwhile). False if ``stop`` came first."""
        attempts = 0
        while True:
            try:
                await self._writer.write(batch)
            except WriteFailed as exc:
                if not isinstance(exc.error, OSError):
                    raise
                attempts += 1
                delay = self._disk_retry_delay(attempts)
                self.stats.write_errors += 1
                self._disk.failed(self.stream, exc.error, delay)
                await _in_progress(msgs)
                await _sleep(stop, delay)
                if stop.is_set():
                    return False
            else:
                self._disk.written(self.stream)
                return True

    def _disk_retry_delay(self, attempts: int) -> float:
        cap = min(self._settings.disk_retry_max_s, self._settings.ack_wait_s / 2)
        return min(self._settings.retry_min_s * 2.0 ** min(attempts - 1, 30), cap)

    async def _advance(self, seq: int) -> None:
        async with self._durable:
            if seq > self.stats.durable_seq:
                self.stats.durable_seq = seq
                self._durable.notify_all()


async def _nak(msgs: list[Msg], delay: float) -> None:
    try:
        for msg in msgs:
            await msg.nak(delay=delay)
    except nats.errors.Error as exc:  # redelivery after ack_wait then
        log.warning("nak failed: %s", exc)


async def _in_progress(msgs: Sequence[Msg]) -> None:
    """Tell JetStream the messages are still being worked on: their ack wait starts again."""
    try:
        for msg in msgs:
            await msg.in_progress()
    except nats.errors.Error as exc:  # redelivered after ack_wait then, and skipped
        log.debug("in-progress ack failed: %s", exc)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
