"""Batch statistics: counted per stream, served on ``GET /stats`` and logged now and then."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass, fields

log = logging.getLogger("minitalk.persister.stats")


@dataclass
class StreamStats:
    #: Fetches that returned events.
    batches: int = 0
    #: Events fetched, redeliveries included.
    events: int = 0
    #: Events taken from the stream directly to fill a gap (delivered to an earlier run).
    gap_filled: int = 0
    #: Lines appended to room files.
    written: int = 0
    #: Events not written: already in the file, another partition's room, or invalid.
    skipped: int = 0
    #: Batch writes that appended something (each: one write and fsync per room file).
    flushes: int = 0
    #: Room files appended to, summed over the flushes.
    room_writes: int = 0
    #: fsync calls (room files and their indexes).
    fsyncs: int = 0
    #: Batches that failed and were NAKed.
    failures: int = 0
    #: Attempts to write a batch that the disk refused (ENOSPC, EDQUOT, EIO...), each retried.
    write_errors: int = 0
    #: Duration of the last and the longest flush, and the sum of all, in milliseconds.
    last_flush_ms: float = 0.0
    max_flush_ms: float = 0.0
    total_flush_ms: float = 0.0
    #: Every event up to this stream sequence is written (or deliberately skipped).
    durable_seq: int = 0

    def flushed(self, elapsed_ms: float) -> None:
        self.flushes += 1
        self.last_flush_ms = round(elapsed_ms, 3)
        self.max_flush_ms = max(self.max_flush_ms, self.last_flush_ms)
        self.total_flush_ms = round(self.total_flush_ms + elapsed_ms, 3)


_SUMMED = ("batches", "events", "written", "flushes", "fsyncs", "failures", "write_errors")


class Stats:
    def __init__(self, streams: tuple[str, ...]) -> None:
        self.streams = {name: StreamStats() for name in streams}
        self._logged: dict[str, StreamStats] = {}

    def snapshot(self) -> dict[str, object]:
        """Totals over the streams, ``last_flush_ms`` of the latest flush, and each stream."""
        result: dict[str, object] = {
            key: sum(getattr(s, key) for s in self.streams.values()) for key in _SUMMED
        }
        result["last_flush_ms"] = max((s.last_flush_ms for s in self.streams.values()), default=0)
        result["streams"] = {name: asdict(s) for name, s in self.streams.items()}
        return result

    async def log_every(self, interval: float, stop: asyncio.Event) -> None:
        """Log what happened every ``interval`` seconds until ``stop``."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
                return
            self.log_since_last()

    def log_since_last(self) -> None:
        """One INFO line per stream that did something since the last call."""
        for name, now in self.streams.items():
            before = self._logged.get(name, StreamStats())
            if now.batches != before.batches or now.written != before.written:
                log.info("%s: %s", name, _describe(before, now))
            self._logged[name] = StreamStats(**{f.name: getattr(now, f.name) for f in fields(now)})


def _describe(old: StreamStats, new: StreamStats) -> str:
    batches = new.batches - old.batches
    flushes = new.flushes - old.flushes
    flush_ms = new.total_flush_ms - old.total_flush_ms
    return (
        f"{batches} batches, {new.events - old.events} events "
        f"({(new.events - old.events) / max(batches, 1):.1f}/batch), "
        f"{new.written - old.written} written, {flushes} flushes "
        f"({flush_ms / max(flushes, 1):.1f} ms avg, {new.max_flush_ms:.1f} ms max), "
        f"{new.fsyncs - old.fsyncs} fsyncs, {new.failures - old.failures} failures, "
        f"{new.write_errors - old.write_errors} write errors, "
        f"durable up to seq {new.durable_seq}"
    )
