"""One room's files on disk: appending a batch, and recovering the state after a crash.

Blocking code: the store calls it through ``asyncio.to_thread`` and never runs two calls on
the same room at once. A reader may read the files meanwhile: it trusts only the first
``count`` index records and ``size`` bytes, which are fsynced before they grow.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from .roomfile import MESSAGES, RECORD, ROOMS, Entry, IndexRecord, decode_line, message_time_us

log = logging.getLogger("minitalk.persister.room")


@dataclass
class Appended:
    """What one append did: lines written, duplicates skipped, fsyncs made."""

    written: int = 0
    skipped: int = 0
    fsyncs: int = 0


@dataclass
class RoomFile:
    room_id: str
    path: Path
    index_path: Path
    #: Bytes of whole, durable lines in the room file.
    size: int = 0
    #: Durable records in the index (MESSAGES lines).
    count: int = 0
    #: Last sequence written per stream: an event at or below it is already in the file.
    last_seq: dict[str, int] = field(default_factory=lambda: {MESSAGES: 0, ROOMS: 0})
    time_key_us: int = 0

    @classmethod
    def open(cls, directory: Path, room_id: str) -> RoomFile:
        """The room's state, recovered from the last index record and the lines after it."""
        room = cls(room_id, directory / f"{room_id}.jsonl", directory / f"{room_id}.idx")
        room._recover()
        return room

    def append(self, entries: Sequence[Entry]) -> Appended:
        """Append the entries not in the file yet: one write and one fsync per file."""
        done = Appended()
        last = dict(self.last_seq)
        key = self.time_key_us
        lines = bytearray()
        records = bytearray()
        for entry in entries:
            if entry.seq <= last[entry.stream]:
                done.skipped += 1
                continue
            last[entry.stream] = entry.seq
            if entry.stream == MESSAGES and entry.time_us is not None:
                key = max(key, entry.time_us)
                offset = self.size + len(lines)
                records += RECORD.pack(entry.seq, key, offset, len(entry.line), last[ROOMS])
            lines += entry.line
            done.written += 1
        if lines:
            done.fsyncs = self._write(bytes(lines), bytes(records))
        self.size += len(lines)
        self.count += len(records) // RECORD.size
        self.last_seq, self.time_key_us = last, key
        return done

    def _write(self, lines: bytes, records: bytes) -> int:
        created = self.size == 0 or (bool(records) and self.count == 0)  # new directory entry
        try:
            _append_synced(self.path, lines)
            if records:
                _append_synced(self.index_path, records)
        except OSError:
            self._undo()
            raise
        if created:
            _fsync_dir(self.path.parent)
        return 2 if records else 1

    def _undo(self) -> None:
        """Best effort after a failed write: cut both files back to their durable length."""
        for path, length in ((self.path, self.size), (self.index_path, self.count * RECORD.size)):
            try:
                os.truncate(path, length)
            except OSError as exc:
                log.warning("%s: cannot truncate back after a failed write: %s", path, exc)

    # -- recovery -----------------------------------------------------------------------------

    def _recover(self) -> None:
        self.size = self.path.stat().st_size if self.path.exists() else 0
        last = self._last_valid_record()
        if last is not None:
            self.last_seq = {MESSAGES: last.seq, ROOMS: last.rooms_seq}
            self.time_key_us = last.time_key_us
        self._scan_tail(last.end if last is not None else 0)

    def _last_valid_record(self) -> IndexRecord | None:
        """The last index record if it matches its line; else the index is rebuilt."""
        length = self.index_path.stat().st_size if self.index_path.exists() else 0
        self.count = length // RECORD.size
        if length % RECORD.size:
            log.warning("%s: dropping a torn index record", self.index_path)
        last = self._record(self.count - 1) if self.count else None
        if last is not None and not self._matches(last):
            log.warning("%s: index does not match the room file, rebuilding it", self.index_path)
            self.count, last = 0, None
        if self.count * RECORD.size != length:
            os.truncate(self.index_path, self.count * RECORD.size)
        return last

    def _record(self, i: int) -> IndexRecord:
        with self.index_path.open("rb") as f:
            return IndexRecord._make(
                RECORD.unpack(os.pread(f.fileno(), RECORD.size, i * RECORD.size))
            )

    def _matches(self, record: IndexRecord) -> bool:
        if record.end > self.size or record.length < 2:
            return False
        with self.path.open("rb") as f:
            data = os.pread(f.fileno(), record.length, record.offset)
        try:
            line = decode_line(data)
        except msgspec.DecodeError:
            return False
        return data.endswith(b"\n") and line.stream == MESSAGES and line.seq == record.seq

    def _scan_tail(self, start: int) -> None:
        """Index the whole lines after ``start`` and cut a torn or invalid end off the file."""
        records = bytearray()
        end = start
        for offset, data in _lines_from(self.path, start):
            try:
                line = decode_line(data)
                key = message_time_us(line) if line.stream == MESSAGES else 0
            except (msgspec.DecodeError, ValueError):
                log.error("%s: invalid line at byte %d", self.path, offset)
                continue
            self.last_seq[line.stream] = max(self.last_seq.get(line.stream, 0), line.seq)
            if line.stream == MESSAGES:
                self.time_key_us = max(self.time_key_us, key)
                rooms_seq = self.last_seq[ROOMS]
                records += RECORD.pack(line.seq, self.time_key_us, offset, len(data), rooms_seq)
            end = offset + len(data)
        if end < self.size:
            log.warning("%s: cutting %d bytes of a torn last line", self.path, self.size - end)
            with self.path.open("r+b") as f:
                f.truncate(end)
                os.fsync(f.fileno())
            self.size = end
        if records:
            log.info("%s: indexed %d lines", self.index_path, len(records) // RECORD.size)
            _append_synced(self.index_path, bytes(records))
            self.count += len(records) // RECORD.size


def _lines_from(path: Path, start: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of each line from ``start``; a last line without newline is left out."""
    if not path.exists():
        return
    with path.open("rb") as f:
        f.seek(start)
        offset = start
        for data in f:
            if not data.endswith(b"\n"):
                return
            yield offset, data
            offset += len(data)


def _append_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
