"""Client payloads decoded into commands, with a clear error for every malformed field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minitalk_common import subjects, text
from minitalk_common.chat import reads

from .errors import BadPayload, MessageTooLong

#: Longest ``clientMsgId`` accepted (it is hashed into the event id).
MAX_CLIENT_MSG_ID = 128


@dataclass(frozen=True)
class SendMessage:
    room_id: str
    content: str
    client_msg_id: str | None


@dataclass(frozen=True)
class Typing:
    room_id: str
    is_typing: bool


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadPayload("payload must be an object")
    return payload


def _storable(field: str, value: str) -> None:
    """Refuse text that cannot be stored (a lone surrogate, NUL), naming the field."""
    if reason := text.problem(value):
        raise BadPayload(f"{field} {reason}")


def room_id(payload: Any) -> str:
    """The ``roomId`` of ``{roomId, ...}``: a string that can name a room."""
    value = _object(payload).get("roomId")
    if not isinstance(value, str) or not value:
        raise BadPayload("roomId must be a non-empty string")
    try:
        return subjects.token(value)
    except subjects.BadSubjectToken as exc:
        raise BadPayload("roomId is not a valid room id") from exc


def send_message(payload: Any, max_chars: int) -> SendMessage:
    """``{roomId, content, clientMsgId?}``; content is kept exactly as sent (no trimming)."""
    room = room_id(payload)
    content = _content(payload.get("content"), max_chars)
    client_msg_id = payload.get("clientMsgId")
    if client_msg_id is not None and (
        not isinstance(client_msg_id, str)
        or not client_msg_id
        or len(client_msg_id) > MAX_CLIENT_MSG_ID
    ):
        raise BadPayload(f"clientMsgId must be a string of 1-{MAX_CLIENT_MSG_ID} characters")
    if client_msg_id is not None:
        _storable("clientMsgId", client_msg_id)
    return SendMessage(room_id=room, content=content, client_msg_id=client_msg_id)


def _content(content: Any, max_chars: int) -> str:
    if not isinstance(content, str) or not content.strip():
        raise BadPayload("content must be a non-empty string")
    if len(content) > max_chars:
        raise MessageTooLong(max_chars)
    _storable("content", content)
    return content


def typing(payload: Any) -> Typing:
    """``{roomId, isTyping}``."""
    room = room_id(payload)
    is_typing = payload.get("isTyping")
    if not isinstance(is_typing, bool):
        raise BadPayload("isTyping must be true or false")
    return Typing(room_id=room, is_typing=is_typing)


@dataclass(frozen=True)
class MarkRead:
    room_id: str
    seq: int


def mark_read(payload: Any) -> MarkRead:
    """``{roomId, seq}``: seq a whole number from 0 (clamped to the room's last message)."""
    room = room_id(payload)
    try:
        seq = reads.parse_seq(payload.get("seq"))
    except reads.BadSeq as exc:
        raise BadPayload(str(exc)) from exc
    return MarkRead(room_id=room, seq=seq)


@dataclass(frozen=True)
class EditMessage:
    room_id: str
    id: str
    content: str


@dataclass(frozen=True)
class DeleteMessage:
    room_id: str
    id: str


@dataclass(frozen=True)
class React:
    room_id: str
    id: str
    emoji: object
    on: bool


def message_id(payload: Any) -> str:
    """The ``id`` of ``{roomId, id, ...}``: a message id (a non-empty string)."""
    value = _object(payload).get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_MSG_ID:
        raise BadPayload("id must be a message id")
    _storable("id", value)
    return value


def edit_message(payload: Any, max_chars: int) -> EditMessage:
    """``{roomId, id, content}``: content under the rules of ``send_message``."""
    room = room_id(payload)
    return EditMessage(room, message_id(payload), _content(payload.get("content"), max_chars))


def delete_message(payload: Any) -> DeleteMessage:
    """``{roomId, id}``."""
    return DeleteMessage(room_id(payload), message_id(payload))


def react(payload: Any) -> React:
    """``{roomId, id, emoji, on}``: ``on`` true adds the reaction, false takes it back; the
    emoji is checked by the shared rules (``chat.changes.check_emoji``)."""
    room = room_id(payload)
    on = payload.get("on", True)
    if not isinstance(on, bool):
        raise BadPayload("on must be true or false")
    return React(room, message_id(payload), payload.get("emoji"), on)
