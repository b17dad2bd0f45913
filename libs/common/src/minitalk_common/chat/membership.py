"""Rooms and their members, folded from the ROOMS stream: the one reducer every reader applies.

rooms (its directory), realtime (who gets which room live) and the replay tool (a room at a
point in the log) fold the same events with ``Membership.apply``, so they cannot disagree on who
is in a room. Pure: no I/O, no clock; the state after a sequence of events depends only on them.

The rules, per event on ``rooms.<roomId>``:

- ``RoomCreated``: a new room whose members are its participants (creator included), in order,
  each once. **A second ``RoomCreated`` for a room that exists is ignored** (only its sequence
  is recorded as the room's last): the first creation is the fact, and a later event cannot
  rewrite history that other events already built on (an invitation applied to the first
  room must not be undone by a copy). rooms never publishes one (it creates with expected last
  subject sequence 0), so only a replayed or hand-made log can hold one.
- ``MembersInvited``: the participants not yet in the room join, in order.
- ``MemberLeft``: the user leaves, if a member.
- ``RoomDeleted``: every member leaves and the room is gone (its id may be created again).
- Events for a room that does not exist are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from .. import events

log = logging.getLogger("minitalk.membership")


@dataclass
class Room:
    """One room. ``last_seq`` is the stream sequence of the last event on its subject."""

    room_id: str
    name: str
    created_by: str
    created_at: datetime
    created_seq: int
    last_seq: int
    #: An ordered set: the order in which members joined.
    members: dict[str, None] = field(default_factory=dict)

    @classmethod
    def created(cls, event: events.RoomCreated, seq: int) -> Room:
        """The room as ``event`` (stored at ``seq``) creates it."""
        room = cls(event.room_id, event.name, event.actor, event.at, seq, seq)
        room.members.update(dict.fromkeys(event.participants))
        return room

    @property
    def participants(self) -> list[str]:
        return list(self.members)

    def has_member(self, username: str) -> bool:
        return username in self.members


@dataclass(frozen=True)
class Change:
    """Who entered and who left ``room`` with one event (both empty: nothing moved)."""

    room: Room
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


class Membership:
    """Every live room, and which rooms each user is in."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._by_user: dict[str, set[str]] = {}

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def room_ids_of(self, username: str) -> set[str]:
        return set(self._by_user.get(username, ()))

    def rooms_of(self, username: str) -> list[Room]:
        """The user's rooms, newest first (by the stream sequence of their creation)."""
        rooms = [self._rooms[r] for r in self._by_user.get(username, ())]
        return sorted(rooms, key=lambda room: room.created_seq, reverse=True)

    def is_member(self, username: str, room_id: str) -> bool:
        return room_id in self._by_user.get(username, ())

    def __len__(self) -> int:
        return len(self._rooms)

    def apply(self, event: events.Event, seq: int) -> Change | None:
        """Fold one ROOMS event stored at ``seq``; what it changed, None if no room is touched."""
        if not isinstance(event, events.RoomEvent):
            return None
        room = self._rooms.get(event.room_id)
        if isinstance(event, events.RoomCreated):
            if room is None:
                return self._created(event, seq)
            log.warning("seq %d: room %s created again, keeping the first", seq, room.room_id)
        if room is None:
            log.warning("seq %d: %s for an unknown room, ignored", seq, type(event).__name__)
            return None
        room.last_seq = seq
        match event:
            case events.MembersInvited():
                return Change(room, joined=self._add(room, event.participants))
            case events.MemberLeft() if room.has_member(event.username):
                self._remove(room, event.username)
                return Change(room, left=(event.username,))
            case events.RoomDeleted():
                members = tuple(room.members)
                for username in members:
                    self._remove(room, username)
                del self._rooms[room.room_id]
                return Change(room, left=members)
        return Change(room)

    def _created(self, event: events.RoomCreated, seq: int) -> Change:
        room = Room.created(event, seq)
        self._rooms[room.room_id] = room
        for username in room.members:
            self._by_user.setdefault(username, set()).add(room.room_id)
        return Change(room, joined=tuple(room.members))

    def _add(self, room: Room, usernames: tuple[str, ...]) -> tuple[str, ...]:
        added = tuple(dict.fromkeys(u for u in usernames if u not in room.members))
        for username in added:
            room.members[username] = None
            self._by_user.setdefault(username, set()).add(room.room_id)
        return added

    def _remove(self, room: Room, username: str) -> None:
        room.members.pop(username, None)
        rooms = self._by_user.get(username)
        if rooms is not None:
            rooms.discard(room.room_id)
            if not rooms:
                del self._by_user[username]
