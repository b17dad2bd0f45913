"""Turning fetched stream messages into room-file lines, in stream order and without gaps."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from minitalk_common import metrics, subjects
from minitalk_common.telemetry import extract_context
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from opentelemetry import trace

from .config import PersisterSettings
from .roomfile import BadEntry, Entry, make_entry
from .stats import StreamStats
from .store import RoomStore, WriteFailed, Written

log = logging.getLogger("minitalk.persister.batch")
tracer = trace.get_tracer("minitalk.persister")


@dataclass
class Batch:
    """Lines to write, and links to the traces of the events they hold."""

    entries: list[Entry] = field(default_factory=list)
    links: list[trace.Link] = field(default_factory=list)


class BatchWriter:
    """Builds one stream's batches (only this partition's rooms) and writes them to the store."""

    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        settings: PersisterSettings,
        store: RoomStore,
        stats: StreamStats,
    ) -> None:
        self._js = js
        self._stream = stream
        self._partition = settings.persister_partition
        self._partitions = settings.persister_partitions
        self._store = store
        self._stats = stats

    async def from_messages(self, msgs: list[Msg], durable_seq: int) -> tuple[Batch, int]:
        """The batch of ``msgs`` (sorted by stream seq) after ``durable_seq``, and its last seq.

        Events at or below ``durable_seq`` were delivered again and are in the files already;
        the seqs missing before an event are read from the stream (an earlier run got them).
        """
        batch = Batch()
        expected = durable_seq + 1
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            if seq < expected:
                self._stats.skipped += 1
                continue
            if seq > expected:
                await self._fill(batch, expected, seq)
            self._add(batch, msg.subject, seq, msg.data, msg.headers)
            expected = seq + 1
        return batch, expected - 1

    async def from_stream(self, start: int, end: int) -> Batch:
        """The batch of seqs ``start`` to ``end`` (excluded), read from the stream."""
        batch = Batch()
        await self._fill(batch, start, end)
        return batch

    async def write(self, batch: Batch) -> None:
        """Write a batch in a span linked to the trace of every event in it; the span and the
        metrics record its size, the rooms it touched and the write + fsync time.

        Raises ``WriteFailed`` when a file could not be written (what the others wrote is
        counted; a retry skips it)."""
        if not batch.entries:
            return
        started = time.perf_counter()
        with tracer.start_as_current_span(
            f"{self._stream} persist",
            kind=trace.SpanKind.CONSUMER,
            links=batch.links,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": self._stream,
                "messaging.operation.type": "process",
                "messaging.batch.message_count": len(batch.entries),
            },
        ) as span:
            try:
                done = await self._store.write(batch.entries)
            except WriteFailed as exc:
                self._count(exc.done)
                raise
            elapsed = time.perf_counter() - started
            span.set_attribute("minitalk.batch.rooms", done.rooms)
            span.set_attribute("minitalk.batch.written", done.written)
            span.set_attribute("minitalk.batch.fsyncs", done.fsyncs)
            span.set_attribute("minitalk.batch.flush_ms", round(elapsed * 1000, 3))
        attributes = {"messaging.destination.name": self._stream}
        metrics.BATCH_SIZE.record(len(batch.entries), attributes)
        metrics.FLUSH_DURATION.record(elapsed, attributes)
        self._count(done)
        if done.written:
            self._stats.flushed(elapsed * 1000)

    def _count(self, done: Written) -> None:
        self._stats.written += done.written
        self._stats.skipped += done.skipped
        self._stats.room_writes += done.rooms
        self._stats.fsyncs += done.fsyncs

    async def _fill(self, batch: Batch, start: int, end: int) -> None:
        start = max(start, (await self._js.stream_info(self._stream)).state.first_seq)
        if start < end:
            log.info("%s: reading seqs %d..%d from the stream", self._stream, start, end - 1)
        for seq in range(start, end):
            try:
                raw = await self._js.get_msg(self._stream, seq)
            except NotFoundError:  # deleted or aged out
                continue
            self._stats.gap_filled += 1
            self._add(batch, raw.subject or "", seq, raw.data or b"", raw.headers)

    def _add(
        self, batch: Batch, subject: str, seq: int, data: bytes, headers: Mapping[str, str] | None
    ) -> None:
        if subjects.partition_of(subjects.room_of(subject), self._partitions) != self._partition:
            self._stats.skipped += 1
            return
        try:
            batch.entries.append(make_entry(self._stream, subject, seq, data, headers))
        except BadEntry as exc:
            log.error("%s: skipping an event that cannot be stored: %s", self._stream, exc)
            self._stats.skipped += 1
            return
        if headers and "traceparent" in headers:
            span = trace.get_current_span(extract_context(headers)).get_span_context()
            if span.is_valid:
                batch.links.append(trace.Link(span))
