"""The room file format: one file per room and stream, JSON lines in stream-sequence order.

A room has up to three files in the rooms directory:

- ``<roomId>.jsonl``: the room's MESSAGES events (the chat log), one object per line;
- ``<roomId>.idx``: one 28-byte little-endian record per line of ``<roomId>.jsonl``;
- ``<roomId>.events.jsonl``: the room's ROOMS events (created, invited, left, deleted);
- ``<roomId>.reads.jsonl``: the room's READS events (``ReadUpTo``: read positions).

Each line is::

    {"stream":"MESSAGES","seq":42,"trace_id":"4bf9...36 (32 hex) or null","event":{...}}

``event`` is exactly ``events.encode(events.decode(<stored bytes>))`` (current schema version) and
the line is encoded by msgspec with the fields in this order. A file is the room's subject of
one stream, in sequence order, so it is a pure function of the stream: replaying the stream
through ``make_entry`` and ``encode_appends`` gives the same bytes, index included.

An index record is ``(seq u64, time_key_us i64, offset u64, length u32)``: ``time_key_us`` is the
running maximum of the messages' ``at`` (microseconds since the epoch), so it is sorted even when
clocks disagree; ``length`` counts the line with its newline.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import msgspec
from minitalk_common import events, subjects

MESSAGES = subjects.MESSAGES_STREAM
ROOMS = subjects.ROOMS_STREAM
READS = subjects.READS_STREAM
#: The streams that have room files, and the suffix of each one's file.
SUFFIXES = {MESSAGES: ".jsonl", ROOMS: ".events.jsonl", READS: ".reads.jsonl"}
INDEX_SUFFIX = ".idx"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


class Line(msgspec.Struct, frozen=True):
    """One line of a room file (the field order is part of the format)."""

    stream: str
    seq: int
    trace_id: str | None
    event: msgspec.Raw


class IndexRecord(NamedTuple):
    seq: int
    time_key_us: int
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


RECORD = struct.Struct("<QqQI")
SEQ_FIELD = 0  # byte offset of ``seq`` inside a record
TIME_FIELD = 8  # byte offset of ``time_key_us`` inside a record

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Line)


class BadEntry(ValueError):
    """A stream message that cannot become a room-file line (logged and skipped)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A line ready to append to ``room_id``'s file; ``time_us`` and ``sender`` are set for
    MESSAGES lines."""

    room_id: str
    stream: str
    seq: int
    line: bytes
    time_us: int | None
    sender: str | None = None
    #: The event's type (``MessageSent``, ``MessageEdited``, ``HistoryPurged``, ...).
    kind: str = ""
    #: The event's id.
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class Position:
    """Where one room file stands: the next append continues from here."""

    #: The last sequence in the file: an event at or below it is there already.
    last_seq: int = 0
    #: Bytes of whole lines in the file.
    size: int = 0
    #: Records in the index (MESSAGES files only).
    count: int = 0
    #: The last record's time key (MESSAGES files only).
    time_key_us: int = 0


@dataclass(frozen=True, slots=True)
class Encoded:
    """The bytes an append adds to a room file and its index, and where the file then stands."""

    lines: bytes
    records: bytes
    written: int
    skipped: int
    position: Position


def path_of(directory: Path, room_id: str, stream: str) -> Path:
    """The file of ``room_id``'s events of ``stream``."""
    return directory / f"{subjects.token(room_id)}{SUFFIXES[stream]}"


def index_path_of(directory: Path, room_id: str) -> Path:
    return directory / f"{subjects.token(room_id)}{INDEX_SUFFIX}"


def room_of_file(name: str) -> tuple[str, str] | None:
    """``(room_id, stream)`` of a room file's name; None for an index or another file."""
    for stream, suffix in sorted(SUFFIXES.items(), key=lambda item: -len(item[1])):
        if name.endswith(suffix):
            room_id = name[: -len(suffix)]
            return (room_id, stream) if _is_token(room_id) else None
    return None


def _is_token(value: str) -> bool:
    try:
        subjects.token(value)
    except subjects.BadSubjectToken:
        return False
    return True


def encode_appends(position: Position, entries: Sequence[Entry], indexed: bool) -> Encoded:
    """What appending ``entries`` (of one room and stream, in seq order) adds to its files.

    Entries at or below ``position.last_seq`` are in the file already and skipped. The one
    function both the persister and the replay tool write with, so their files are the same.
    """
    last, key, size = position.last_seq, position.time_key_us, position.size
    lines = bytearray()
    records = bytearray()
    written = skipped = 0
    for entry in entries:
        if entry.seq <= last:
            skipped += 1
            continue
        last = entry.seq
        if indexed and entry.time_us is not None:  # only messages are indexed, not changes
            key = max(key, entry.time_us)
            records += RECORD.pack(entry.seq, key, size + len(lines), len(entry.line))
        lines += entry.line
        written += 1
    count = position.count + len(records) // RECORD.size
    moved = Position(last, size + len(lines), count, key)
    return Encoded(bytes(lines), bytes(records), written, skipped, moved)


def time_us(at: datetime) -> int:
    """Microseconds since the epoch (naive times count as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // _MICROSECOND


def trace_id_of(headers: Mapping[str, str] | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header, or None when absent or invalid."""
    found = _TRACEPARENT.match((headers or {}).get("traceparent", ""))
    if found is None or found.group(1) == "0" * 32:
        return None
    return found.group(1)


def encode_line(stream: str, seq: int, trace_id: str | None, event: events.Event) -> bytes:
    """The bytes of one line, newline included."""
    line = Line(stream=stream, seq=seq, trace_id=trace_id, event=msgspec.Raw(events.encode(event)))
    return _encoder.encode(line) + b"\n"


def decode_line(data: bytes) -> Line:
    """Decode one line (with or without its newline); raises ``msgspec.DecodeError``."""
    return _decoder.decode(data)


def make_entry(
    stream: str, subject: str, seq: int, data: bytes, headers: Mapping[str, str] | None
) -> Entry:
    """Turn a stored stream message into the line its room file gets."""
    room_id = subjects.room_of(subject)
    try:
        subjects.token(room_id)
        event = events.decode(data)
    except (subjects.BadSubjectToken, events.BadEvent) as exc:
        raise BadEntry(f"{stream} seq {seq} on {subject!r}: {exc}") from exc
    if stream == READS and not isinstance(event, events.ReadUpTo):
        raise BadEntry(f"{stream} seq {seq}: {type(event).__name__} is no read position")
    line = encode_line(stream, seq, trace_id_of(headers), event)
    kind = type(event).__name__
    if stream != MESSAGES:
        return Entry(room_id, stream, seq, line, None, kind=kind)
    if isinstance(event, events.MessageSent):
        return Entry(room_id, stream, seq, line, time_us(event.at), event.sender, kind, event.id)
    if isinstance(event, (*events.CHANGE_TYPES, events.HistoryPurged)):
        if event.room_id != room_id:
            raise BadEntry(f"{stream} seq {seq}: a change of room {event.room_id!r} on {subject}")
        return Entry(room_id, stream, seq, line, None, kind=kind)
    raise BadEntry(f"{stream} seq {seq}: {kind} is no message and no change of one")


def message_time_us(line: Line) -> int | None:
    """The ``at`` of a MESSAGES line's message, for rebuilding its index record; None for a
    line that is not a message (a change: not indexed)."""
    event = events.decode(bytes(line.event))
    return time_us(event.at) if isinstance(event, events.MessageSent) else None
