"""Edits, deletes and reactions of stored messages (issue 16): the contract every side shares.

- ``MessageState``: a stored message with its changes folded (what the persister's lookup
  answers, ``minitalk.message.<p>``, and what a history entry adds to ``Message``).
- The refusals, each with its sentence and HTTP status (``Refused``): REST answers
  ``{error}`` with the status, a socket ``{ok:false, error}``.
- The rules (``check_edit``, ``check_delete``, ``check_react``) and the emoji check: one rule
  set for the two transports (realtime's socket events and rooms' REST routes), so they cannot
  drift apart as the copies of issue 13 had.
- The event ids: derived from the actor, room, message, what changes and the message's
  ``version`` (the seq of its last change), so a resend before the first copy was folded is a
  JetStream duplicate, and a later one finds the change made already and publishes nothing.
- The live payloads ``message_edited``, ``message_deleted``, ``reaction``: ``id`` is the
  message's id, ``seq`` the stream seq of the change event (the order of the changes).
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
import uuid
from typing import Any

import msgspec

from .. import events
from .messages import timestamp

#: Namespace of the change event ids.
NAMESPACE = uuid.UUID("0b7c2f4e-5a61-4f0a-8f3e-9d2c6b1a7e44")

#: Most characters of a ``:short_name:`` (colons included).
MAX_SHORT_NAME = 34
_SHORT_NAME = re.compile(r"^:[a-z0-9_+-]{1,32}:$")
_ZWJ = "\u200d"
_VS16 = "\ufe0f"
_KEYCAP = "\u20e3"


class Code(enum.StrEnum):
    """Why a change is refused (the lookup's ``Minitalk-Error`` codes are a subset)."""

    NOT_SENDER = "not-sender"
    NOT_ALLOWED = "not-allowed"
    UNKNOWN = "unknown-message"
    OTHER_ROOM = "other-room"
    DELETED = "deleted"
    BAD_EMOJI = "bad-emoji"
    TOO_MANY = "too-many-reactions"
    BAD_REQUEST = "bad-request"
    WRONG_PARTITION = "wrong-partition"
    UNAVAILABLE = "unavailable"


MESSAGES = {
    Code.NOT_SENDER: "only the sender may edit a message",
    Code.NOT_ALLOWED: "only the sender or the room's creator may delete a message",
    Code.UNKNOWN: "unknown message",
    Code.OTHER_ROOM: "the message is in another room",
    Code.DELETED: "the message is deleted",
    Code.BAD_EMOJI: "emoji must be one emoji or a :short_name:",
    Code.TOO_MANY: "too many different reactions on this message",
    Code.BAD_REQUEST: "bad request",
    Code.WRONG_PARTITION: "messages are unavailable, try again",
    Code.UNAVAILABLE: "messages are unavailable, try again",
}

STATUS = {
    Code.NOT_SENDER: 403,
    Code.NOT_ALLOWED: 403,
    Code.UNKNOWN: 404,
    Code.OTHER_ROOM: 404,
    Code.DELETED: 410,
    Code.BAD_EMOJI: 400,
    Code.TOO_MANY: 409,
    Code.BAD_REQUEST: 400,
    Code.WRONG_PARTITION: 503,
    Code.UNAVAILABLE: 503,
}


class Refused(Exception):
    """A change that may not be made: ``message`` for the user, ``status`` for REST."""

    def __init__(self, code: Code, detail: str | None = None) -> None:
        self.code = code
        self.message = detail or MESSAGES[code]
        self.status = STATUS[code]
        super().__init__(self.message)


class MessageState(msgspec.Struct, rename="camel", omit_defaults=True):
    """A stored message with its changes folded onto it."""

    id: str
    seq: int
    room_id: str
    sender: str
    #: The seq of the last event that changed the message (its own seq when none did).
    version: int
    #: The current content ("" once deleted).
    content: str = ""
    deleted: bool = False
    edited_at: str | None = None
    reactions: dict[str, list[str]] = msgspec.field(default_factory=dict)


class LookupRequest(msgspec.Struct, frozen=True, rename="camel"):
    room_id: str
    id: str


_encoder = msgspec.json.Encoder()
_state_decoder = msgspec.json.Decoder(MessageState)
_request_decoder = msgspec.json.Decoder(LookupRequest)


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def decode_state(data: bytes) -> MessageState:
    return _state_decoder.decode(data)


def decode_request(data: bytes) -> LookupRequest:
    """Raises ``Refused(BAD_REQUEST)`` for anything that is not a lookup request."""
    try:
        return _request_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Refused(Code.BAD_REQUEST, f"invalid message lookup: {exc}") from exc


# -- emoji ------------------------------------------------------------------------------------


def is_emoji(value: str) -> bool:
    """One emoji (a grapheme cluster of emoji code points: ZWJ sequences, skin tones,
    variation selectors, flags, keycaps, tag sequences) or a ``:short_name:``."""
    if _SHORT_NAME.match(value):
        return True
    if not value or len(value) > 32:
        return False
    if len(value) == 2 and all(0x1F1E6 <= ord(c) <= 0x1F1FF for c in value):
        return True  # a flag: two regional indicators
    if len(value) in (2, 3) and value[0] in "0123456789#*" and value[-1] == _KEYCAP:
        return value[1:-1] in ("", _VS16)
    return all(_component(part) for part in value.split(_ZWJ))


def _component(part: str) -> bool:
    """One emoji of a ZWJ sequence: a pictograph, then modifiers, VS16 or tag characters."""
    if not part or not _pictographic(part[0]):
        return False
    return all(_modifier(c) for c in part[1:])


def _pictographic(c: str) -> bool:
    o = ord(c)
    if 0x1F1E6 <= o <= 0x1F1FF:
        return False  # a lone regional indicator is half a flag
    return (
        0x1F000 <= o <= 0x1FAFF
        or 0x2600 <= o <= 0x27BF
        or 0x2300 <= o <= 0x23FF
        or 0x2B00 <= o <= 0x2BFF
        or o in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x2190 <= o <= 0x21FF
        or 0x25A0 <= o <= 0x25FF
    ) and unicodedata.category(c) in ("So", "Sm", "Cn", "Po")


def _modifier(c: str) -> bool:
    o = ord(c)
    return c == _VS16 or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F


def check_emoji(value: Any) -> str:
    if not isinstance(value, str) or not is_emoji(value):
        raise Refused(Code.BAD_EMOJI)
    return value


# -- rules ------------------------------------------------------------------------------------


def _live(state: MessageState, room_id: str) -> None:
    if state.room_id != room_id:
        raise Refused(Code.OTHER_ROOM)
    if state.deleted:
        raise Refused(Code.DELETED)


def check_edit(state: MessageState, room_id: str, actor: str) -> None:
    _live(state, room_id)
    if state.sender != actor:
        raise Refused(Code.NOT_SENDER)


def check_delete(state: MessageState, room_id: str, actor: str, creator: str | None) -> None:
    if state.room_id != room_id:
        raise Refused(Code.OTHER_ROOM)
    if actor != state.sender and actor != creator:
        raise Refused(Code.NOT_ALLOWED)


def check_react(state: MessageState, room_id: str, emoji: str, on: bool, max_distinct: int) -> None:
    _live(state, room_id)
    if on and emoji not in state.reactions and len(state.reactions) >= max_distinct:
        raise Refused(Code.TOO_MANY, f"{MESSAGES[Code.TOO_MANY]} (at most {max_distinct})")


# -- events -----------------------------------------------------------------------------------


def change_id(*parts: str | int | bool) -> str:
    """uuid5(NAMESPACE, compact JSON array of ``parts``).hex: the same parts, the same id."""
    name = _encoder.encode(parts)
    return str(uuid.UUID(bytes=hashlib.sha1(NAMESPACE.bytes + name).digest()[:16], version=5).hex)


def edited(state: MessageState, actor: str, content: str) -> events.MessageEdited:
    key = change_id("edit", actor, state.room_id, state.id, content, state.version)
    return events.MessageEdited(
        id=key,
        actor=actor,
        room_id=state.room_id,
        message_id=state.id,
        message_seq=state.seq,
        content=content,
    )


def deleted(state: MessageState, actor: str) -> events.MessageDeleted:
    key = change_id("delete", actor, state.room_id, state.id, state.version)
    return events.MessageDeleted(
        id=key, actor=actor, room_id=state.room_id, message_id=state.id, message_seq=state.seq
    )


def reacted(
    state: MessageState, actor: str, emoji: str, on: bool
) -> events.ReactionAdded | events.ReactionRemoved:
    key = change_id("react", actor, state.room_id, state.id, emoji, on, state.version)
    kind = events.ReactionAdded if on else events.ReactionRemoved
    return kind(
        id=key,
        actor=actor,
        room_id=state.room_id,
        message_id=state.id,
        message_seq=state.seq,
        emoji=emoji,
        username=actor,
    )


def has_reaction(state: MessageState, emoji: str, username: str) -> bool:
    return username in state.reactions.get(emoji, ())


# -- live payloads ----------------------------------------------------------------------------


def live_event(event: events.Event, seq: int) -> tuple[str, dict[str, Any]] | None:
    """The Socket.IO event name and payload of a stored change (None for anything else)."""
    if isinstance(event, events.MessageEdited):
        return "message_edited", {
            "roomId": event.room_id,
            "id": event.message_id,
            "seq": seq,
            "content": event.content,
            "editedAt": timestamp(event.at),
        }
    if isinstance(event, events.MessageDeleted):
        return "message_deleted", {"roomId": event.room_id, "id": event.message_id, "seq": seq}
    if isinstance(event, events.ReactionAdded | events.ReactionRemoved):
        return "reaction", {
            "roomId": event.room_id,
            "id": event.message_id,
            "seq": seq,
            "emoji": event.emoji,
            "username": event.username,
            "on": isinstance(event, events.ReactionAdded),
        }
    return None
