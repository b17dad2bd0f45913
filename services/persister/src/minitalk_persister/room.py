"""One room file (one room, one stream): appending a batch, and recovering after a crash.

Blocking code: the store calls it through ``asyncio.to_thread`` and never runs two calls on
the same file at once. A reader may read the files meanwhile: it trusts only the first
``count`` index records and ``size`` bytes, which are fsynced before they grow.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import msgspec

from .changes import RoomChanges, last_purge, redactions
from .reader import RoomReader
from .roomfile import (
    MESSAGES,
    RECORD,
    Encoded,
    Entry,
    IndexRecord,
    Position,
    decode_line,
    encode_appends,
    index_path_of,
    message_time_us,
    path_of,
)

log = logging.getLogger("minitalk.persister.room")

#: Bytes read at a time when looking for the last line of a file from its end.
_TAIL_CHUNK = 64 * 1024


@dataclass
class Appended:
    """What one append did: lines written, duplicates skipped, fsyncs made."""

    written: int = 0
    skipped: int = 0
    fsyncs: int = 0


@dataclass
class RoomFile:
    """``<roomId>.jsonl`` + ``<roomId>.idx`` (MESSAGES) or ``<roomId>.events.jsonl`` (ROOMS)."""

    room_id: str
    stream: str
    path: Path
    #: The index of a MESSAGES file; None for a ROOMS file.
    index_path: Path | None
    position: Position = field(default_factory=Position)
    #: A failed write could not be cut back: the files may not match ``position``.
    damaged: bool = False
    #: The changes of the room's messages (MESSAGES files), loaded on first use.
    changes: RoomChanges | None = None

    @classmethod
    def open(cls, directory: Path, room_id: str, stream: str = MESSAGES) -> RoomFile:
        """The file's state, recovered from its end (and the last index record)."""
        index = index_path_of(directory, room_id) if stream == MESSAGES else None
        room = cls(room_id, stream, path_of(directory, room_id, stream), index)
        room._recover()
        return room

    @property
    def size(self) -> int:
        return self.position.size

    @property
    def count(self) -> int:
        return self.position.count

    @property
    def last_seq(self) -> int:
        return self.position.last_seq

    def encode(self, entries: Sequence[Entry]) -> Encoded:
        """The bytes that appending ``entries`` adds (those not in the file yet)."""
        if any(entry.stream != self.stream or entry.room_id != self.room_id for entry in entries):
            raise ValueError(f"{self.path.name} holds only {self.room_id}'s {self.stream} events")
        return encode_appends(self.position, entries, self.index_path is not None)

    def append(self, entries: Sequence[Entry]) -> Appended:
        """Append the entries not in the file yet: one write and one fsync per file; then fold
        the changes among them and redact what a deletion calls for (``changes.py``)."""
        purge = last_purge(self.position, entries) if self.index_path is not None else None
        if purge is not None:
            self._purge()
            entries = entries[purge:]
        changed = self.index_path is not None and any(e.time_us is None for e in entries)
        if changed or self.changes is not None:
            self.load_changes()
        before = self.position
        encoded = self.encode(entries)
        done = Appended(encoded.written, encoded.skipped)
        if encoded.lines:
            done.fsyncs = self._write(encoded.lines, encoded.records)
        self.position = encoded.position
        if self.changes is not None:
            try:
                self._redact(self.changes.apply(before, entries, self.locate))
            except BaseException:
                self.changes = None  # rebuilt (and the redaction made) at its next use
                raise
        return done

    def load_changes(self) -> RoomChanges:
        """The overlay of the room's changes: one scan of the file the first time, and the
        redactions it finds missing made (a write that failed half-way)."""
        if self.changes is None:
            changes = RoomChanges()
            changes.scan(_lines_from(self.path, 0, self.size), self.locate)
            self._redact(changes.deleted_spans(self.locate))
            self.changes = changes
        return self.changes

    def locate(self, seq: int) -> tuple[int, int] | None:
        """``(offset, length)`` of the message stored at ``seq`` (through the index)."""
        if self.index_path is None or not self.count:
            return None
        with RoomReader(self.path, self.index_path, self.count) as reader:
            i = reader.first_seq_from(seq)
            found = reader.records(i, i + 1)
        if not found or found[0].seq != seq:
            return None
        return found[0].offset, found[0].length

    def _redact(self, spans: list[tuple[int, int]]) -> None:
        redact_in_place(self.path, spans, sync=True)

    def _purge(self) -> None:
        """A ``HistoryPurged`` starts the file again: both files cut to nothing."""
        _truncate_to_zero(self.path)
        if self.index_path is not None:
            _truncate_to_zero(self.index_path)
        self.position = Position()
        self.changes = None

    def _write(self, lines: bytes, records: bytes) -> int:
        created = self.size == 0  # a new directory entry
        try:
            _append(self.path, lines, sync=True)
            if records and self.index_path is not None:
                _append(self.index_path, records, sync=True)
            if created:
                fsync_dir(self.path.parent)
        except OSError:
            # A full disk (ENOSPC, EDQUOT) may have taken part of the bytes; a failed fsync
            # leaves pages that may never reach the disk. Neither may count as written.
            self.damaged = not self._undo()
            raise
        return 2 if records else 1

    def _undo(self) -> bool:
        """After a failed write: cut the files back to their last good length (and fsync that).

        True when both are back where ``position`` says; else the file must be recovered from
        disk before its next use (``damaged``).
        """
        lengths = [(self.path, self.size)]
        if self.index_path is not None:
            lengths.append((self.index_path, self.count * RECORD.size))
        restored = True
        for path, length in lengths:
            try:
                _truncate(path, length)
            except OSError as exc:
                log.warning("%s: cannot truncate back after a failed write: %s", path, exc)
                restored = False
        return restored

    # -- recovery -----------------------------------------------------------------------------

    def _recover(self) -> None:
        size = self.path.stat().st_size if self.path.exists() else 0
        self.position = Position(size=size)
        if self.index_path is None:
            start = _last_line_start(self.path, size)
            self._scan_tail(start)
            if start and not self.last_seq:  # the last line was damaged: look at them all
                self._scan_tail(0)
            return
        last = self._last_valid_record()
        if last is not None:
            self.position = Position(last.seq, size, self.count, last.time_key_us)
        self._scan_tail(last.end if last is not None else 0)

    def _last_valid_record(self) -> IndexRecord | None:
        """The last index record if it matches its line; else the index is rebuilt."""
        assert self.index_path is not None
        length = self.index_path.stat().st_size if self.index_path.exists() else 0
        count = length // RECORD.size
        if length % RECORD.size:
            log.warning("%s: dropping a torn index record", self.index_path)
        last = self._record(count - 1) if count else None
        if last is not None and not self._matches(last):
            log.warning("%s: index does not match the room file, rebuilding it", self.index_path)
            count, last = 0, None
        if count * RECORD.size != length:
            os.truncate(self.index_path, count * RECORD.size)
        self.position = Position(size=self.size, count=count)
        return last

    def _record(self, i: int) -> IndexRecord:
        assert self.index_path is not None
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
        return data.endswith(b"\n") and line.stream == self.stream and line.seq == record.seq

    def _scan_tail(self, start: int) -> None:
        """Index the whole lines after ``start`` and cut a torn or invalid end off the file."""
        pos = self.position
        last, key, count = pos.last_seq, pos.time_key_us, pos.count
        records = bytearray()
        end = start
        for offset, data in _lines_from(self.path, start):
            try:
                line = decode_line(data)
                time_key = message_time_us(line) if self.index_path is not None else 0
            except (msgspec.DecodeError, ValueError):
                log.error("%s: invalid line at byte %d", self.path, offset)
                continue
            last = max(last, line.seq)
            if self.index_path is not None and time_key is not None:  # a message, no change
                key = max(key, time_key)
                records += RECORD.pack(line.seq, key, offset, len(data))
            end = offset + len(data)
        if end < self.size:
            log.warning("%s: cutting %d bytes of a torn last line", self.path, self.size - end)
            with self.path.open("r+b") as f:
                f.truncate(end)
                os.fsync(f.fileno())
        if records and self.index_path is not None:
            log.info("%s: indexed %d lines", self.index_path, len(records) // RECORD.size)
            _append(self.index_path, bytes(records), sync=True)
            count += len(records) // RECORD.size
        self.position = Position(last, end, count, key)


def _last_line_start(path: Path, size: int) -> int:
    """Where the last newline-terminated line of the file starts (0 if there is none)."""
    if size == 0:
        return 0
    newlines: list[int] = []
    with path.open("rb") as f:
        end = size
        while end > 0 and len(newlines) < 2:
            start = max(0, end - _TAIL_CHUNK)
            chunk = os.pread(f.fileno(), end - start, start)
            newlines += islice((start + i for i in _newlines_backwards(chunk)), 2 - len(newlines))
            end = start
    if not newlines:
        return 0  # no whole line: everything is a torn tail
    return newlines[1] + 1 if len(newlines) == 2 else 0


def _newlines_backwards(chunk: bytes) -> Iterator[int]:
    i = len(chunk)
    while (i := chunk.rfind(b"\n", 0, i)) >= 0:
        yield i


def _lines_from(path: Path, start: int, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of each line from ``start`` (to ``end``); a last line without newline
    is left out."""
    if not path.exists():
        return
    with path.open("rb") as f:
        f.seek(start)
        offset = start
        for data in f:
            if not data.endswith(b"\n") or (end is not None and offset + len(data) > end):
                return
            yield offset, data
            offset += len(data)


def redact_in_place(path: Path, spans: list[tuple[int, int]], sync: bool = False) -> None:
    """Redact the lines at ``spans`` (``changes.redact``: same length, no content)."""
    if not spans:
        return
    fd = os.open(path, os.O_RDWR)
    try:
        patches = redactions(spans, lambda at, n: os.pread(fd, n, at))
        for patch in patches:
            os.pwrite(fd, patch.data, patch.offset)
        if patches and sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _truncate_to_zero(path: Path) -> None:
    if path.exists():
        with path.open("r+b") as f:
            f.truncate(0)
            os.fsync(f.fileno())


def _append(path: Path, data: bytes, sync: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _truncate(path: Path, length: int) -> None:
    """Cut ``path`` to ``length`` bytes (if it grew past them) and fsync it."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        if length:
            raise
        return
    try:
        size = os.fstat(fd).st_size
        if size < length:
            raise OSError(errno.EIO, f"{size} bytes, {length} were written before", str(path))
        if size > length:
            os.ftruncate(fd, length)
            os.fsync(fd)
    finally:
        os.close(fd)


def append_unsynced(path: Path, data: bytes) -> None:
    """Append without fsync (the replay tool syncs each file once, at the end)."""
    _append(path, data, sync=False)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
