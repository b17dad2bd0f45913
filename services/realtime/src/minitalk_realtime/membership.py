"""Room membership from the ROOMS stream: room -> name and members, user -> rooms.

``apply`` returns what changed, so the hub can move live sockets; it knows nothing of sockets.
``RoomCreated.participants`` is the complete member list (the creator included).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from minitalk_common import events

log = logging.getLogger("minitalk.realtime.membership")


@dataclass
class Room:
    room_id: str
    name: str
    #: An ordered set: the order in which members joined.
    members: dict[str, None] = field(default_factory=dict)

    @property
    def participants(self) -> list[str]:
        return list(self.members)


@dataclass(frozen=True)
class Change:
    """Who entered and who left ``room`` with one event."""

    room: Room
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


class Membership:
    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._by_user: dict[str, set[str]] = {}

    def room(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def rooms_of(self, username: str) -> set[str]:
        return set(self._by_user.get(username, ()))

    def is_member(self, username: str, room_id: str) -> bool:
        return room_id in self._by_user.get(username, ())

    def apply(self, event: events.Event) -> Change | None:
        match event:
            case events.RoomCreated():
                return self._created(event)
            case events.MembersInvited():
                return self._invited(event)
            case events.MemberLeft():
                return self._left(event)
            case events.RoomDeleted():
                return self._deleted(event)
        return None

    def _created(self, event: events.RoomCreated) -> Change | None:
        if event.room_id in self._rooms:
            log.warning("room %s created twice; keeping the first", event.room_id)
            return None
        room = Room(event.room_id, event.name)
        self._rooms[room.room_id] = room
        return Change(room, joined=self._add(room, event.participants))

    def _invited(self, event: events.MembersInvited) -> Change | None:
        room = self._rooms.get(event.room_id)
        if room is None:
            log.warning("invitation to unknown room %s ignored", event.room_id)
            return None
        return Change(room, joined=self._add(room, event.participants))

    def _left(self, event: events.MemberLeft) -> Change | None:
        room = self._rooms.get(event.room_id)
        if room is None or event.username not in room.members:
            return None
        self._remove(room, event.username)
        return Change(room, left=(event.username,))

    def _deleted(self, event: events.RoomDeleted) -> Change | None:
        room = self._rooms.pop(event.room_id, None)
        if room is None:
            return None
        members = tuple(room.members)
        for username in members:
            self._remove(room, username)
        return Change(room, left=members)

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
