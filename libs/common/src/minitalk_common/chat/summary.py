"""Room summaries between rooms and the persister: NATS request-reply on
``minitalk.summary.<p>`` (``subjects.summary_subject``), one request per partition for a whole
room list.

Request: ``{"username", "rooms": [{"roomId", "after"}]}`` (``after``: the user's lastReadSeq in
that room). Reply: ``[{"roomId", "unread", "lastMessage"}]`` in the request's order; ``unread``
counts the room's messages after ``after`` that others sent, ``lastMessage`` is
``{id, seq, sender, content, timestamp}`` or null. A refusal is the history contract's
(``Minitalk-Error`` header, ``{"error"}``, ``history.failure``).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

#: Most rooms one request may name (a user's list is split into requests of at most this many).
MAX_ROOMS = 1000


class LastMessage(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    seq: int
    sender: str
    content: str
    timestamp: str


class RoomAsk(msgspec.Struct, frozen=True, rename="camel"):
    room_id: str
    after: Annotated[int, msgspec.Meta(ge=0)] = 0


class SummaryRequest(msgspec.Struct, frozen=True, rename="camel"):
    username: str
    rooms: Annotated[list[RoomAsk], msgspec.Meta(max_length=MAX_ROOMS)]


class RoomSummary(msgspec.Struct, frozen=True, rename="camel"):
    room_id: str
    unread: int
    last_message: LastMessage | None


_encoder = msgspec.json.Encoder()
_request = msgspec.json.Decoder(SummaryRequest)
_reply = msgspec.json.Decoder(list[RoomSummary])


def encode_request(request: SummaryRequest) -> bytes:
    return _encoder.encode(request)


def decode_request(data: bytes) -> SummaryRequest:
    """Raises ``msgspec.ValidationError`` / ``msgspec.DecodeError`` for a bad request."""
    return _request.decode(data)


def encode_reply(summaries: list[RoomSummary]) -> bytes:
    return _encoder.encode(summaries)


def decode_reply(data: bytes) -> list[RoomSummary]:
    return _reply.decode(data)
