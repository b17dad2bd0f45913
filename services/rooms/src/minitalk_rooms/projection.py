"""The rooms' state as the logs say: every room aggregate (from ROOMS) and known users (from USERS).

Only the projections' ``apply`` functions change this state, one event at a time in stream order;
commands read it to decide, and publish events that come back through ``apply``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from minitalk_common import events

log = logging.getLogger("minitalk.rooms.projection")


@dataclass
class Room:
    """One room aggregate. ``last_seq`` is the stream sequence of the last event on its subject."""

    room_id: str
    name: str
    created_by: str
    created_at: datetime
    created_seq: int
    last_seq: int
    participants: list[str] = field(default_factory=list)

    @classmethod
    def created(cls, event: events.RoomCreated, seq: int) -> Room:
        """The room as ``event`` (stored at ``seq``) creates it."""
        room = cls(event.room_id, event.name, event.actor, event.at, created_seq=seq, last_seq=seq)
        room.participants.extend(dict.fromkeys(event.participants))
        return room

    def has_member(self, username: str) -> bool:
        return username in self.participants


class RoomDirectory:
    """Every live room, and which rooms each user is in."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._by_user: dict[str, set[str]] = {}

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def rooms_of(self, username: str) -> list[Room]:
        """The user's rooms, newest first (by the stream sequence of their creation)."""
        rooms = [self._rooms[r] for r in self._by_user.get(username, ())]
        return sorted(rooms, key=lambda room: room.created_seq, reverse=True)

    def __len__(self) -> int:
        return len(self._rooms)

    async def apply(self, event: events.Event, seq: int) -> None:
        if isinstance(event, events.RoomCreated):
            self._created(event, seq)
            return
        room = self._rooms.get(event.room_id) if isinstance(event, events.RoomEvent) else None
        if room is None:
            log.warning("seq %d: %s for an unknown room, ignored", seq, type(event).__name__)
            return
        room.last_seq = seq
        if isinstance(event, events.MembersInvited):
            self._join(room, event.participants)
        elif isinstance(event, events.MemberLeft):
            self._leave(room, event.username)
        elif isinstance(event, events.RoomDeleted):
            self._delete(room)

    def _created(self, event: events.RoomCreated, seq: int) -> None:
        room = Room.created(event, seq)
        self._rooms[room.room_id] = room
        for username in room.participants:
            self._by_user.setdefault(username, set()).add(room.room_id)

    def _join(self, room: Room, usernames: tuple[str, ...]) -> None:
        for username in usernames:
            if not room.has_member(username):
                room.participants.append(username)
                self._by_user.setdefault(username, set()).add(room.room_id)

    def _leave(self, room: Room, username: str) -> None:
        if room.has_member(username):
            room.participants.remove(username)
            self._by_user.get(username, set()).discard(room.room_id)

    def _delete(self, room: Room) -> None:
        for username in list(room.participants):
            self._leave(room, username)
        del self._rooms[room.room_id]


class KnownUsers:
    """The usernames that registered (UserRegistered on the USERS stream)."""

    def __init__(self) -> None:
        self._names: set[str] = set()

    def unknown(self, usernames: list[str]) -> list[str]:
        """Those of ``usernames`` that never registered, in the order given."""
        return [name for name in usernames if name not in self._names]

    async def apply(self, event: events.Event, seq: int) -> None:
        if isinstance(event, events.UserRegistered):
            self._names.add(event.username)
