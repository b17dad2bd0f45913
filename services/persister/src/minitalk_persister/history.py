"""History pages: which messages a page holds, read from a room file's index.

The request and the reply are the shared contract (``minitalk_common.chat.history``): ``after``
or ``since`` give the first ``limit`` messages from there; otherwise the page holds the last
``limit`` messages (before ``before`` when given). Both bounds combine. Messages are always
oldest first.
"""

from __future__ import annotations

import msgspec
from minitalk_common import events, subjects
from minitalk_common.chat import history
from minitalk_common.chat.messages import Message, message
from minitalk_common.errors import BadInput

from .errors import BadHistoryRequest
from .reader import RoomReader
from .roomfile import time_us


class HistoryQuery(msgspec.Struct, frozen=True):
    room_id: str
    limit: int
    before: int | None
    after: int | None
    since_us: int | None


def parse_request(data: bytes) -> HistoryQuery:
    """Decode and check a request; raises ``BadHistoryRequest`` with a readable reason."""
    try:
        req = history.decode_request(data)
    except BadInput as exc:
        raise BadHistoryRequest(exc.message) from exc
    try:
        subjects.token(req.room_id)
    except subjects.BadSubjectToken as exc:
        raise BadHistoryRequest(f"invalid roomId: {req.room_id!r}") from exc
    since = _parse_since(req.since) if req.since is not None else None
    return HistoryQuery(req.room_id, req.limit, req.before, req.after, since)


def _parse_since(value: str) -> int:
    try:
        return time_us(history.parse_since(value))
    except ValueError as exc:
        raise BadHistoryRequest(f"since is not an ISO-8601 time: {value!r}") from exc


def read_page(reader: RoomReader, query: HistoryQuery) -> list[Message]:
    """The messages of one page, oldest first."""
    lo, hi = 0, reader.count
    if query.after is not None:
        lo = max(lo, reader.first_seq_above(query.after))
    if query.since_us is not None:
        lo = max(lo, reader.first_time_from(query.since_us))
    if query.before is not None:
        hi = min(hi, reader.first_seq_from(query.before))
    if query.after is not None or query.since_us is not None:
        hi = min(hi, lo + query.limit)
    else:
        lo = max(lo, hi - query.limit)
    return [message_of(line.seq, line.event) for line in reader.lines(reader.records(lo, hi))]


def message_of(seq: int, raw: msgspec.Raw) -> Message:
    event = events.decode(bytes(raw))
    if not isinstance(event, events.MessageSent):  # the index only points at messages
        raise events.BadEvent(f"seq {seq} is a {type(event).__name__}, not a message")
    return message(event, seq)
