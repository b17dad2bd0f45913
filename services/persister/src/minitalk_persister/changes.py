"""The changes of a room's messages (issue 16): folded per message, beside the index.

``RoomChanges`` is one room's overlay: message id -> seq (every message of the file), and for
each message that has changes, its folded state (``Folded``: edit, deletion, reactions, the
seq of its last change, and where its edit lines are in the file). A history page looks its
messages up by seq: O(page), whatever the number of edits. It is built by one scan of the
room's file on first use (``scan``) and kept current by every append (``apply``).

Redaction is part of the file format, a pure function of the stream: the ``MessageSent`` line
and every ``MessageEdited`` line of a message that a ``MessageDeleted`` of the file deletes
hold ``content: ""`` and are padded with spaces to their original length (so no offset and no
index record moves). Both writers - the persister and ``minitalk-replay rebuild`` - call
``apply`` with the entries they appended and write the ``Patch`` es it returns in place.

A ``HistoryPurged`` line starts the file again: everything before it is cut off (``purge``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
from minitalk_common import events
from minitalk_common.chat.changes import MessageState
from minitalk_common.chat.messages import Message, timestamp

from .roomfile import Entry, Line, Position, decode_line, encode_line

#: ``(offset, length)`` of a line of the file.
Span = tuple[int, int]
#: The span of the line of the message stored at ``seq``, or None.
Locate = Callable[[int], Span | None]


@dataclass(frozen=True, slots=True)
class Patch:
    """Bytes to write over the file at ``offset`` (the same length as what they replace)."""

    offset: int
    data: bytes


@dataclass(slots=True)
class Folded:
    """The changes of one message."""

    version: int = 0
    content: str | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    reactions: dict[str, list[str]] = field(default_factory=dict)
    #: ``(offset, length)`` of each of its ``MessageEdited`` lines.
    edits: list[tuple[int, int]] = field(default_factory=list)


class _Kind(msgspec.Struct):
    """What a scan needs of a line's event to tell a message from a change."""

    type: str
    id: str = ""


_kind = msgspec.json.Decoder(_Kind)


class RoomChanges:
    __slots__ = ("changed", "ids", "size")

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.changed: dict[int, Folded] = {}
        #: Bytes of the file this overlay covers.
        self.size = 0

    # -- reading ------------------------------------------------------------------------------

    def fold(self, message: Message) -> Message:
        """The history entry of ``message`` in its current state."""
        done = self.changed.get(message.seq)
        if done is None:
            return message
        if done.deleted:
            return msgspec.structs.replace(message, content="", deleted=True)
        return msgspec.structs.replace(
            message,
            content=done.content if done.content is not None else message.content,
            edited_at=timestamp(done.edited_at) if done.edited_at is not None else None,
            reactions={k: list(v) for k, v in done.reactions.items()} or None,
        )

    def state(self, message: Message) -> MessageState:
        """What the lookup answers about ``message``."""
        done = self.changed.get(message.seq) or Folded(version=message.seq)
        return MessageState(
            id=message.id,
            seq=message.seq,
            room_id=message.room_id,
            sender=message.sender,
            version=max(done.version, message.seq),
            content="" if done.deleted else (done.content or message.content),
            deleted=done.deleted,
            edited_at=timestamp(done.edited_at) if done.edited_at else None,
            reactions={k: list(v) for k, v in done.reactions.items()},
        )

    def deleted_spans(self, locate: Locate) -> list[Span]:
        """The lines of every deleted message (its own and its edits): what must be redacted."""
        spans: list[Span] = []
        for seq, done in self.changed.items():
            if done.deleted:
                sent = locate(seq)
                spans += [*([sent] if sent is not None else []), *done.edits]
        return spans

    # -- writing ------------------------------------------------------------------------------

    def scan(self, lines: Iterator[tuple[int, bytes]], locate: Locate) -> None:
        """Fold the lines ``(offset, bytes)`` of the file from ``self.size`` on."""
        for offset, data in lines:
            self.size = offset + len(data)
            try:
                line = decode_line(data)
                kind = _kind.decode(line.event)
                if kind.type == "MessageSent":  # the common case: no full decode
                    self.ids.setdefault(kind.id, line.seq)
                    continue
                if kind.type == "HistoryPurged":
                    self.ids.clear()
                    self.changed.clear()
                    continue
                event = events.decode(bytes(line.event))
            except (msgspec.DecodeError, msgspec.ValidationError, events.BadEvent):
                continue
            self._one(line.seq, event, offset, len(data), locate, patch=False)

    def apply(self, before: Position, entries: Sequence[Entry], locate: Locate) -> list[Span]:
        """Fold the entries appended after ``before`` (those above its last seq, as
        ``encode_appends`` writes them); the lines they call to redact."""
        patches: list[Span] = []
        last, offset = before.last_seq, before.size
        for entry in entries:
            if entry.seq <= last:
                continue
            last = entry.seq
            event = events.decode(bytes(decode_line(entry.line).event))
            patches += self._one(entry.seq, event, offset, len(entry.line), locate, patch=True)
            offset += len(entry.line)
        self.size = offset
        return patches

    def _one(
        self, seq: int, event: events.Event, offset: int, length: int, locate: Locate, patch: bool
    ) -> list[Span]:
        if isinstance(event, events.MessageSent):
            self.ids.setdefault(event.id, seq)
            return []
        if isinstance(event, events.HistoryPurged):
            self.ids.clear()
            self.changed.clear()
            return []
        if not isinstance(event, events.CHANGE_TYPES):
            return []
        done = self.changed.get(event.message_seq)
        if done is None:
            done = self.changed[event.message_seq] = Folded()
        done.version = max(done.version, seq)
        if isinstance(event, events.MessageDeleted):
            was = done.deleted
            done.deleted, done.content, done.reactions = True, None, {}
            if was or not patch:
                return []
            sent = locate(event.message_seq)
            return [*([sent] if sent is not None else []), *done.edits]
        if isinstance(event, events.MessageEdited):
            done.edits.append((offset, length))
            if done.deleted:
                return [(offset, length)] if patch else []
            done.content, done.edited_at = event.content, event.at
            return []
        if not done.deleted:
            _react(done.reactions, event)
        return []


def _react(
    reactions: dict[str, list[str]], event: events.ReactionAdded | events.ReactionRemoved
) -> None:
    names = reactions.get(event.emoji, [])
    if isinstance(event, events.ReactionAdded):
        if event.username not in names:
            reactions[event.emoji] = [*names, event.username]
    elif event.username in names:
        rest = [n for n in names if n != event.username]
        if rest:
            reactions[event.emoji] = rest
        else:
            del reactions[event.emoji]


def redact(data: bytes) -> bytes:
    """The line ``data`` without its content, padded with spaces to the same length (a line
    that holds no content, or none any more, comes back as it is)."""
    line: Line = decode_line(data)
    event = events.decode(bytes(line.event))
    if not isinstance(event, events.MessageSent | events.MessageEdited) or not event.content:
        return data
    bare = encode_line(
        line.stream, line.seq, line.trace_id, msgspec.structs.replace(event, content="")
    )
    if len(bare) > len(data):  # cannot happen: the content was not empty
        raise ValueError(f"seq {line.seq}: the redacted line is longer")
    return bare[:-1] + b" " * (len(data) - len(bare)) + b"\n"


def redactions(spans: Sequence[Span], read: Callable[[int, int], bytes]) -> list[Patch]:
    """The patches that redact the lines at ``spans``: ``read(offset, length)`` gives a line."""
    done = []
    for offset, length in spans:
        data = read(offset, length)
        redacted = redact(data)
        if redacted != data:
            done.append(Patch(offset, redacted))
    return done


def is_purge(entry: Entry) -> bool:
    return entry.kind == "HistoryPurged"


def last_purge(before: Position, entries: Sequence[Entry]) -> int | None:
    """The position in ``entries`` of the last ``HistoryPurged`` that would be appended."""
    found = None
    for i, entry in enumerate(entries):
        if entry.seq > before.last_seq and is_purge(entry):
            found = i
    return found
