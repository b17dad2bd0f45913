"""The chat message on the wire: what sockets receive live and what a history page holds.

Live (``message`` event): ``{type: "message", id, seq, roomId, sender, content, timestamp,
clientMsgId?}``; history: the same without ``type``. ``timestamp`` is the stored event's ``at``
in the text the event itself has (ISO-8601 UTC, ``...Z``), so a message reads the same live, in
history, in the room file and in the replay tool.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from .. import events


def timestamp(at: datetime) -> str:
    """ISO-8601 UTC, the same text as the ``at`` of the stored event (``...Z``)."""
    text: str = msgspec.to_builtins(at)
    return text


class Message(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    """A stored message as history returns it; ``clientMsgId`` only when the sender set one.

    History folds the message's changes (issue 16, ``chat.changes``): ``editedAt`` once edited
    (``content`` is then the last edit's), ``deleted: true`` with ``content: ""`` once deleted,
    ``reactions`` {emoji: [username, ...]} when it has any. A live ``message`` has none of them.
    """

    id: str
    seq: int
    room_id: str
    sender: str
    content: str
    timestamp: str
    client_msg_id: str | None = None
    edited_at: str | None = None
    deleted: bool = False
    reactions: dict[str, list[str]] | None = None


class LiveMessage(Message, frozen=True, tag_field="type", tag="message"):
    """What every socket in the room receives as ``message``: a ``Message`` with ``type``."""


def message(event: events.MessageSent, seq: int, at: datetime | None = None) -> Message:
    """The history entry of ``event``, stored at ``seq`` (``at``: the stored copy's time)."""
    return Message(*_fields(event, seq, at))


def live_message(event: events.MessageSent, seq: int, at: datetime | None = None) -> LiveMessage:
    """The live ``message`` of ``event``, stored at ``seq``."""
    return LiveMessage(*_fields(event, seq, at))


def _fields(
    event: events.MessageSent, seq: int, at: datetime | None
) -> tuple[str, int, str, str, str, str, str | None]:
    stamp = timestamp(event.at if at is None else at)
    return (event.id, seq, event.room_id, event.sender, event.content, stamp, event.client_msg_id)
