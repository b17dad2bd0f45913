"""Every event of MiniTalk, as frozen msgspec Structs in one tagged union.

JSON on the wire and in the room files. Each event carries ``id`` (also sent as ``Nats-Msg-Id``),
``type`` (the tag), ``v`` (schema version), ``at`` (UTC) and ``actor`` (who caused it).
Older versions are brought up to date by the upcasters in ``UPCASTERS`` before decoding.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Event(msgspec.Struct, frozen=True, tag_field="type", kw_only=True):
    id: str = msgspec.field(default_factory=new_id)
    v: int = 1
    at: datetime = msgspec.field(default_factory=utcnow)
    actor: str


class UserRegistered(_Event, frozen=True, tag="UserRegistered"):
    """A user signed up. Public: no credential travels on the bus."""

    user_id: str
    username: str


class RoomCreated(_Event, frozen=True, tag="RoomCreated"):
    room_id: str
    name: str
    participants: tuple[str, ...]


class MembersInvited(_Event, frozen=True, tag="MembersInvited"):
    room_id: str
    #: Only the users that were not members yet.
    participants: tuple[str, ...]


class MemberLeft(_Event, frozen=True, tag="MemberLeft"):
    room_id: str
    username: str


class RoomDeleted(_Event, frozen=True, tag="RoomDeleted"):
    room_id: str


class MessageSent(_Event, frozen=True, tag="MessageSent"):
    room_id: str
    sender: str
    content: str
    client_msg_id: str | None = None


class ReadUpTo(_Event, frozen=True, tag="ReadUpTo"):
    """``username`` has read ``room_id`` up to the message stored at MESSAGES seq ``seq``.

    On ``reads.<roomId>`` (the READS stream). Folded with ``max``: a lower ``seq`` than the
    position already held changes nothing (``minitalk_common.chat.reads``).
    """

    room_id: str
    username: str
    seq: int


class UserDeleted(_Event, frozen=True, tag="UserDeleted"):
    """An admin deleted a user: credentials gone, tokens revoked, sockets closed (on
    ``users.<userId>``)."""

    user_id: str
    username: str


class _MessageChange(_Event, frozen=True, kw_only=True):
    """A change of the message stored at MESSAGES seq ``message_seq`` (id ``message_id``), on
    the room's MESSAGES subject so that it is ordered with the messages."""

    room_id: str
    message_id: str
    message_seq: int


class MessageEdited(_MessageChange, frozen=True, tag="MessageEdited"):
    content: str


class MessageDeleted(_MessageChange, frozen=True, tag="MessageDeleted"):
    """The message's content is gone from every answer and every room file (redacted)."""


class ReactionAdded(_MessageChange, frozen=True, tag="ReactionAdded"):
    emoji: str
    username: str


class ReactionRemoved(_MessageChange, frozen=True, tag="ReactionRemoved"):
    emoji: str
    username: str


class HistoryPurged(_Event, frozen=True, tag="HistoryPurged"):
    """An admin purged the room's history: every MESSAGES event before this one is gone from
    the room's file (and from the stream, by the purge that follows it)."""

    room_id: str


Event = (
    UserRegistered
    | UserDeleted
    | RoomCreated
    | MembersInvited
    | MemberLeft
    | RoomDeleted
    | MessageSent
    | MessageEdited
    | MessageDeleted
    | ReactionAdded
    | ReactionRemoved
    | HistoryPurged
    | ReadUpTo
)
#: The changes of a stored message (folded onto it in history, never listed themselves).
MessageChange = MessageEdited | MessageDeleted | ReactionAdded | ReactionRemoved
CHANGE_TYPES = (MessageEdited, MessageDeleted, ReactionAdded, ReactionRemoved)
RoomEvent = RoomCreated | MembersInvited | MemberLeft | RoomDeleted

#: (type, version) -> function from the old dict to the next version's dict.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)


class BadEvent(ValueError):
    """Bytes that are no MiniTalk event, even after upcasting."""


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def decode(data: bytes) -> Event:
    """Decode an event; fall back to upcasting when the typed decode refuses an old shape."""
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise BadEvent(str(exc)) from exc
    raw = msgspec.json.decode(data)
    if not isinstance(raw, dict):
        raise BadEvent("an event is a JSON object")
    return from_dict(raw)


def from_dict(raw: dict[str, Any]) -> Event:
    """Upcast ``raw`` step by step to the current version of its type, then convert it."""
    while (upcast := UPCASTERS.get((str(raw.get("type")), int(raw.get("v", 1))))) is not None:
        raw = upcast(raw)
    try:
        event: Event = msgspec.convert(raw, Event)
    except msgspec.ValidationError as exc:
        raise BadEvent(str(exc)) from exc
    return event


def to_builtins(event: Event) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(event)
    return result


def room_id_of(event: Event) -> str | None:
    return getattr(event, "room_id", None)
