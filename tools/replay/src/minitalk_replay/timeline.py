"""``room ID --at POINT``: a room as it was at a point in the log.

POINT is one of:

- an ISO-8601 time (``2024-05-01T12:00:00Z``; UTC when no offset): the room's events whose
  ``at`` is at or before it, messages and membership alike;
- ``rooms:<seq>``: the room after its ROOMS events up to that ROOMS sequence; messages up to the
  time of the last of those events;
- ``messages:<seq>``: the messages up to that MESSAGES sequence; membership as of the time of the
  last of those messages;
- ``now`` (the default): everything.

The events come from the streams (the room's subjects only), or with ``--files`` from the room
files in ``--data`` (which also hold messages older than the MESSAGES age limit).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import msgspec
from minitalk_common import events, subjects
from minitalk_common.chat.membership import Membership, Room
from minitalk_common.chat.messages import timestamp as wire_time
from minitalk_persister.roomfile import MESSAGES, ROOMS, Line, path_of, time_us
from nats.js import JetStreamContext

from . import streams
from .files import lines
from .streams import ReplayError, Stored

#: A room's events of one stream, in sequence order: (seq, event).
Events = list[tuple[int, events.Event]]


@dataclass(frozen=True)
class At:
    """A point in the log (nothing set: now)."""

    time_us: int | None = None
    stream: str | None = None
    seq: int | None = None
    #: As the user wrote it.
    text: str = "now"

    @classmethod
    def parse(cls, text: str) -> At:
        kind, _, number = text.partition(":")
        if text == "now":
            return cls()
        if kind in ("rooms", "messages") and number.isdigit():
            stream = ROOMS if kind == "rooms" else MESSAGES
            return cls(stream=stream, seq=int(number), text=text)
        try:
            return cls(time_us=time_us(datetime.fromisoformat(text)), text=text)
        except ValueError as exc:
            raise ReplayError(
                f"--at {text!r}: expected an ISO time, rooms:<seq>, messages:<seq> or now"
            ) from exc


@dataclass
class RoomView:
    """The room as the shared ROOMS reducer (``minitalk_common.chat.membership``) folds its
    events: the rooms service and realtime see the same at the same point."""

    room_id: str
    at: At
    deleted: bool = False
    rooms_seq: int = 0
    messages_seq: int = 0
    message_count: int = 0
    last_messages: list[tuple[int, events.MessageSent]] = field(default_factory=list)
    #: What happened to a message up to ``at`` (issue 16): "edited", "deleted", "👍 bob, ...".
    notes: dict[int, str] = field(default_factory=dict)
    _rooms: Membership = field(default_factory=Membership, repr=False)
    #: The room as last seen (kept after a deletion, its members gone).
    _room: Room | None = field(default=None, repr=False)

    @property
    def exists(self) -> bool:
        return self._room is not None

    @property
    def name(self) -> str | None:
        return self._room.name if self._room else None

    @property
    def created_by(self) -> str | None:
        return self._room.created_by if self._room else None

    @property
    def created_at(self) -> datetime | None:
        return self._room.created_at if self._room else None

    @property
    def members(self) -> list[str]:
        return self._room.participants if self._room else []

    def apply(self, seq: int, event: events.Event) -> None:
        """One ROOMS event of this room."""
        self.rooms_seq = seq
        change = self._rooms.apply(event, seq)
        if change is not None:
            self._room = change.room
            self.deleted = self._rooms.get(self.room_id) is None


def view(room_id: str, at: At, rooms: Events, messages: Events, last: int) -> RoomView:
    """The room at ``at`` from its ROOMS and MESSAGES events."""
    room = RoomView(room_id, at)
    kept: deque[tuple[int, events.MessageSent]] = deque(maxlen=last)

    def fold_rooms(keep: Callable[[int, events.Event], bool]) -> int | None:
        applied = [(s, e) for s, e in rooms if keep(s, e)]
        for seq, event in applied:
            room.apply(seq, event)
        return time_us(applied[-1][1].at) if applied else None

    def fold_messages(keep: Callable[[int, events.Event], bool]) -> int | None:
        until = None
        folded = MessageFold(kept, room)
        for seq, event in messages:
            if not keep(seq, event):
                continue
            if isinstance(event, events.MessageSent):
                kept.append((seq, event))
                room.message_count += 1
            elif not folded.apply(event):
                continue
            room.messages_seq, until = seq, time_us(event.at)
        return until

    if at.stream == ROOMS:
        until = fold_rooms(lambda s, e: s <= (at.seq or 0))
        fold_messages(lambda s, e: until is not None and time_us(e.at) <= until)
    elif at.stream == MESSAGES:
        until = fold_messages(lambda s, e: s <= (at.seq or 0))
        fold_rooms(lambda s, e: until is not None and time_us(e.at) <= until)
    else:
        fold_rooms(lambda s, e: at.time_us is None or time_us(e.at) <= at.time_us)
        fold_messages(lambda s, e: at.time_us is None or time_us(e.at) <= at.time_us)
    room.last_messages = list(kept)
    return room


class MessageFold:
    """Edits, deletions, reactions and purges folded onto the messages kept (time travel: a
    message shows its content as it was at ``at``)."""

    def __init__(self, kept: deque[tuple[int, events.MessageSent]], room: RoomView) -> None:
        self._kept = kept
        self._room = room
        self._reactions: dict[int, dict[str, list[str]]] = {}

    def apply(self, event: events.Event) -> bool:
        """Fold one MESSAGES event that is not a message; False for anything else."""
        if isinstance(event, events.HistoryPurged):
            self._kept.clear()
            self._room.message_count = 0
            self._room.notes.clear()
            return True
        if not isinstance(event, events.CHANGE_TYPES):
            return False
        seq = event.message_seq
        if isinstance(event, events.MessageEdited):
            self._replace(seq, event.content)
            self._room.notes[seq] = f"edited {wire_time(event.at)}"
        elif isinstance(event, events.MessageDeleted):
            self._replace(seq, "")
            self._room.notes[seq] = f"deleted {wire_time(event.at)}"
        else:
            self._react(seq, event)
        return True

    def _replace(self, seq: int, content: str) -> None:
        for i, (kept_seq, message) in enumerate(self._kept):
            if kept_seq == seq:
                self._kept[i] = (seq, msgspec.structs.replace(message, content=content))

    def _react(self, seq: int, event: events.ReactionAdded | events.ReactionRemoved) -> None:
        reactions = self._reactions.setdefault(seq, {})
        names = [n for n in reactions.get(event.emoji, []) if n != event.username]
        if isinstance(event, events.ReactionAdded):
            names.append(event.username)
        reactions[event.emoji] = names
        shown = ", ".join(f"{e} {' '.join(n)}" for e, n in reactions.items() if n)
        if not self._room.notes.get(seq, "").startswith("deleted"):
            self._room.notes[seq] = shown


async def from_streams(js: JetStreamContext, room_id: str, at: At) -> tuple[Events, Events]:
    """The room's events, read from its subjects of the ROOMS and MESSAGES streams."""
    found: dict[str, Events] = {ROOMS: [], MESSAGES: []}
    for stream, subject in (
        (ROOMS, subjects.room_subject(room_id)),
        (MESSAGES, subjects.message_subject(room_id)),
    ):

        def take(msg: Stored, into: Events = found[stream]) -> None:
            with contextlib.suppress(events.BadEvent):  # no service could read it either
                into.append((msg.seq, events.decode(msg.data)))

        end = at.seq if at.stream == MESSAGES and stream == MESSAGES else None
        await streams.read(js, stream, subject, take, end=end)
    return found[ROOMS], found[MESSAGES]


def from_files(rooms_dir: Path, room_id: str) -> tuple[Events, Events]:
    """The room's events, read from its room files."""
    found: dict[str, Events] = {}
    for stream in (ROOMS, MESSAGES):
        path = path_of(rooms_dir, room_id, stream)
        found[stream] = _decoded(lines(path)) if path.exists() else []
    return found[ROOMS], found[MESSAGES]


def _decoded(source: Iterable[Line]) -> Events:
    found: Events = []
    for line in source:
        with contextlib.suppress(events.BadEvent):
            found.append((line.seq, events.decode(bytes(line.event))))
    return found
