"""The room file format: JSON lines plus a fixed-width index of the MessageSent lines.

``<roomId>.jsonl`` holds one object per line, the room's events in the order the persister
received them::

    {"stream":"MESSAGES","seq":42,"trace_id":"4bf9...36 (32 hex) or null","event":{...}}

``event`` is exactly ``events.encode(events.decode(<stored bytes>))`` (current schema version) and
the line is encoded by msgspec with the fields in this order, so replaying a stream through
``encode_line`` gives the same bytes. ``<roomId>.idx`` holds one 36-byte little-endian record per
MESSAGES line, in file order: ``(seq u64, time_key_us i64, offset u64, length u32, rooms_seq
u64)``. ``time_key_us`` is the running maximum of the messages' ``at`` (microseconds since the
epoch), so it is sorted even when clocks disagree; ``length`` counts the line with its newline;
``rooms_seq`` is the last ROOMS sequence written before the line, so a restart learns both
streams' positions from the last record and the few lines after it.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import msgspec
from minitalk_common import events, subjects

MESSAGES = subjects.MESSAGES_STREAM
ROOMS = subjects.ROOMS_STREAM

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
    rooms_seq: int

    @property
    def end(self) -> int:
        return self.offset + self.length


RECORD = struct.Struct("<QqQIQ")
SEQ_FIELD = 0  # byte offset of ``seq`` inside a record
TIME_FIELD = 8  # byte offset of ``time_key_us`` inside a record

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Line)


class BadEntry(ValueError):
    """A stream message that cannot become a room-file line (logged and skipped)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A line ready to append to ``room_id``'s file; ``time_us`` is set for MESSAGES lines."""

    room_id: str
    stream: str
    seq: int
    line: bytes
    time_us: int | None


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
    if stream == MESSAGES and not isinstance(event, events.MessageSent):
        raise BadEntry(f"{stream} seq {seq}: {type(event).__name__} is no message")
    line = encode_line(stream, seq, trace_id_of(headers), event)
    return Entry(room_id, stream, seq, line, time_us(event.at) if stream == MESSAGES else None)


def message_time_us(line: Line) -> int:
    """The ``at`` of a MESSAGES line's event, for rebuilding its index record."""
    return time_us(events.decode(bytes(line.event)).at)


def wire_time(at: datetime) -> str:
    """The event's ``at`` as the event itself stores it (ISO-8601 UTC, ``...Z``); realtime sends
    live messages with the same text."""
    text: str = msgspec.to_builtins(at)
    return text
