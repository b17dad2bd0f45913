"""``rebuild``: the room files again from the streams, from their first event, byte for byte.

Each stream is read once in sequence order (or, for chosen rooms, each room's subject), every
message turned into its line by ``roomfile.make_entry`` and appended through
``roomfile.encode_appends``: the very code the persister writes with. Appends are buffered (no
fsync per line or batch); each file is fsynced once at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from minitalk_common import subjects
from minitalk_persister.changes import RoomChanges, last_purge
from minitalk_persister.room import append_unsynced, fsync_dir, fsync_file, redact_in_place
from minitalk_persister.roomfile import (
    MESSAGES,
    SUFFIXES,
    BadEntry,
    Entry,
    Position,
    encode_appends,
    index_path_of,
    make_entry,
    path_of,
)
from nats.js import JetStreamContext

from . import streams
from .console import Meter
from .streams import ReplayError, Stored

log = logging.getLogger("minitalk.replay.rebuild")

#: Bytes of lines held in memory before they are appended to their files.
BUFFER_BYTES = 32 * 1024 * 1024


@dataclass
class Tally:
    """What a rebuild did with one stream."""

    events: int = 0
    written: int = 0
    invalid: int = 0
    other_partition: int = 0
    rooms: set[str] = field(default_factory=set)


@dataclass
class _Room:
    position: Position = field(default_factory=Position)
    entries: list[Entry] = field(default_factory=list)
    #: The changes of the room's messages, and where each message's line is: the redactions
    #: a deletion calls for are made as the persister makes them (``changes.py``).
    changes: RoomChanges = field(default_factory=RoomChanges)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)


class FileWriter:
    """Writes one stream's room files from scratch, in stream order: buffered appends, then one
    fsync per file in ``finish``."""

    def __init__(self, directory: Path, stream: str, buffer_bytes: int = BUFFER_BYTES) -> None:
        self._dir = directory
        self._stream = stream
        self._indexed = stream == MESSAGES
        self._rooms: dict[str, _Room] = {}
        self._buffered = 0
        self._limit = buffer_bytes

    def add(self, entry: Entry) -> None:
        room = self._rooms.get(entry.room_id)
        if room is None:
            room = self._rooms[entry.room_id] = _Room()
        room.entries.append(entry)
        self._buffered += len(entry.line)
        if self._buffered >= self._limit:
            self.flush()

    def flush(self) -> None:
        for room_id, room in self._rooms.items():
            if room.entries:
                self._flush_room(room_id, room)
        self._buffered = 0

    def _flush_room(self, room_id: str, room: _Room) -> None:
        path = path_of(self._dir, room_id, self._stream)
        entries = room.entries
        purge = last_purge(room.position, entries) if self._indexed else None
        if purge is not None:  # the file starts again at the purge, as the persister's
            for cut in (path, index_path_of(self._dir, room_id)):
                if cut.exists():
                    cut.write_bytes(b"")
            room.position, room.changes, room.spans = Position(), RoomChanges(), {}
            entries = entries[purge:]
        before = room.position
        encoded = encode_appends(before, entries, self._indexed)
        append_unsynced(path, encoded.lines)
        if encoded.records:
            append_unsynced(index_path_of(self._dir, room_id), encoded.records)
        room.position, room.entries = encoded.position, []
        if self._indexed:
            self._note_spans(room, before, entries)
            redact_in_place(path, room.changes.apply(before, entries, room.spans.get))

    @staticmethod
    def _note_spans(room: _Room, before: Position, entries: list[Entry]) -> None:
        last, offset = before.last_seq, before.size
        for entry in entries:
            if entry.seq <= last:
                continue
            last = entry.seq
            if entry.time_us is not None:
                room.spans[entry.seq] = (offset, len(entry.line))
            offset += len(entry.line)

    def finish(self) -> int:
        """Write what is buffered and make every file durable; returns the files written."""
        self.flush()
        files = 0
        for room_id, room in self._rooms.items():
            if room.position.size:
                fsync_file(path_of(self._dir, room_id, self._stream))
                files += 1
            if room.position.count:
                fsync_file(index_path_of(self._dir, room_id))
                files += 1
        fsync_dir(self._dir)
        return files


@dataclass(frozen=True)
class Partition:
    """The rooms of one persister partition (``crc32(roomId) % of == index``)."""

    index: int = 0
    of: int = 1

    def holds(self, room_id: str) -> bool:
        return subjects.partition_of(room_id, self.of) == self.index


#: Every room (one partition of one).
WHOLE = Partition()


def prepare_out_dir(out: Path, rooms: Sequence[str]) -> None:
    """Create ``out``; refuse to write over room files (a rebuild goes into a fresh folder)."""
    if out.exists() and not out.is_dir():
        raise ReplayError(f"{out} is not a folder")
    names = [p.name for p in out.iterdir()] if out.exists() else []
    if rooms:
        wanted = {f"{r}{suffix}" for r in rooms for suffix in (*SUFFIXES.values(), ".idx")}
        taken = sorted(wanted.intersection(names))
    else:
        taken = sorted(n for n in names if n.endswith((".jsonl", ".idx")))
    if taken:
        raise ReplayError(f"{out} already holds room files ({', '.join(taken[:3])}, ...)")
    out.mkdir(parents=True, exist_ok=True)


async def rebuild(
    js: JetStreamContext,
    out: Path,
    meter: Meter,
    rooms: Sequence[str] = (),
    partition: Partition = WHOLE,
) -> dict[str, Tally]:
    """Write the room files of every room (or of ``rooms``) into ``out``, one stream at a time."""
    prepare_out_dir(out, rooms)
    tallies: dict[str, Tally] = {}
    for stream in SUFFIXES:
        tallies[stream] = await _rebuild_stream(js, out, stream, meter, rooms, partition)
    return tallies


async def _rebuild_stream(
    js: JetStreamContext,
    out: Path,
    stream: str,
    meter: Meter,
    rooms: Sequence[str],
    partition: Partition,
) -> Tally:
    span = await streams.bounds(js, stream)
    tally = Tally()
    writer = FileWriter(out, stream)
    tick = meter.counter(f"{stream} -> room files", None if rooms else span.messages)

    def take(msg: Stored) -> None:
        tick()
        tally.events += 1
        room_id = subjects.room_of(msg.subject)
        if not partition.holds(room_id):
            tally.other_partition += 1
            return
        try:
            entry = make_entry(stream, msg.subject, msg.seq, msg.data, msg.headers)
        except BadEntry as exc:  # the persister skips the same events
            log.warning("skipping an event that cannot be stored: %s", exc)
            tally.invalid += 1
            return
        writer.add(entry)
        tally.written += 1
        tally.rooms.add(room_id)

    for subject in [subjects.stream_subject(stream, r) for r in rooms] or [subjects.all_of(stream)]:
        await streams.read(js, stream, subject, take)
    writer.finish()
    return tally
