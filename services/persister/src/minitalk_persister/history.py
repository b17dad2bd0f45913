"""History pages: the request, which messages a page holds, and the reply.

Request ``{"roomId", "limit", "before", "after", "since"}``: ``limit`` 1..100 (default 50);
``before``/``after`` are exclusive seq cursors; ``since`` an ISO-8601 time (inclusive, UTC when
no offset is given). ``after`` or ``since`` give the first ``limit`` messages from there;
otherwise the page holds the last ``limit`` messages (before ``before`` when given). Both bounds
combine. Messages are always oldest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from minitalk_common import events, subjects

from .errors import BadHistoryRequest
from .reader import RoomReader
from .roomfile import time_us, wire_time

MAX_LIMIT = 100
DEFAULT_LIMIT = 50

Cursor = Annotated[int, msgspec.Meta(ge=0)]


class HistoryRequest(msgspec.Struct, frozen=True):
    roomId: str
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    before: Cursor | None = None
    after: Cursor | None = None
    since: str | None = None


class HistoryQuery(msgspec.Struct, frozen=True):
    room_id: str
    limit: int
    before: int | None
    after: int | None
    since_us: int | None


class HistoryMessage(msgspec.Struct, frozen=True, omit_defaults=True):
    """As realtime's live ``message`` (without ``type``); ``clientMsgId`` only when set."""

    id: str
    seq: int
    roomId: str
    sender: str
    content: str
    timestamp: str
    clientMsgId: str | None = None


class HistoryReply(msgspec.Struct, frozen=True):
    messages: list[HistoryMessage]


_encoder = msgspec.json.Encoder()


def parse_request(data: bytes) -> HistoryQuery:
    """Decode and check a request; raises ``BadHistoryRequest`` with a readable reason."""
    try:
        req = msgspec.json.decode(data, type=HistoryRequest, strict=False)
    except msgspec.ValidationError as exc:
        raise BadHistoryRequest(f"invalid history request: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise BadHistoryRequest("history request is not a JSON object") from exc
    try:
        subjects.token(req.roomId)
    except subjects.BadSubjectToken as exc:
        raise BadHistoryRequest(f"invalid roomId: {req.roomId!r}") from exc
    since = _parse_since(req.since) if req.since is not None else None
    return HistoryQuery(req.roomId, req.limit, req.before, req.after, since)


def _parse_since(value: str) -> int:
    try:
        return time_us(datetime.fromisoformat(value))
    except ValueError as exc:
        raise BadHistoryRequest(f"since is not an ISO-8601 time: {value!r}") from exc


def read_page(reader: RoomReader, query: HistoryQuery) -> list[HistoryMessage]:
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
    return [_message(line.seq, line.event) for line in reader.lines(reader.records(lo, hi))]


def _message(seq: int, raw: msgspec.Raw) -> HistoryMessage:
    event = events.decode(bytes(raw))
    if not isinstance(event, events.MessageSent):  # the index only points at messages
        raise events.BadEvent(f"seq {seq} is a {type(event).__name__}, not a message")
    return HistoryMessage(
        id=event.id,
        seq=seq,
        roomId=event.room_id,
        sender=event.sender,
        content=event.content,
        timestamp=wire_time(event.at),
        clientMsgId=event.client_msg_id,
    )


def encode_reply(messages: list[HistoryMessage]) -> bytes:
    return _encoder.encode(HistoryReply(messages))


def encode_error(message: str) -> bytes:
    return _encoder.encode({"error": message})
