"""Read positions, folded from the READS stream: the one reducer rooms and realtime apply.

A position is the MESSAGES stream sequence of the last message ``username`` read in a room
(0: none). ``ReadUpTo`` only moves it forward: an event with a lower or equal ``seq`` changes
nothing, so two replicas publishing at once (or a client sending an old seq) can never move a
position back, whatever order the events were stored in. Pure: no I/O, no clock.

``target`` is the one rule both writers (REST ``POST /read``, socket ``mark_read``) apply before
publishing: clamp to the room's last message, and publish nothing when the position would not
move (a no-op event would cost a stored event, a file line and a fan-out for nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import events

#: The largest seq a client may name (JetStream's are 64-bit); more, or not an int: refused.
MAX_SEQ = 2**63 - 1


class BadSeq(ValueError):
    """``seq`` is not a whole number in 0..2**63-1."""


@dataclass(frozen=True, slots=True)
class Moved:
    """A position that an event moved forward."""

    room_id: str
    username: str
    seq: int
    #: The event's id (a writer recognises its own event when it comes back).
    event_id: str


def parse_seq(value: object) -> int:
    """The ``seq`` of a request: an int (not a bool) in 0..MAX_SEQ; ``BadSeq`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise BadSeq("seq must be a whole number from 0")
    return value


class ReadPositions:
    """``(room, user) -> lastReadSeq`` and, per room, its readers."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, int]] = {}

    def of(self, room_id: str, username: str) -> int:
        return self._rooms.get(room_id, {}).get(username, 0)

    def readers(self, room_id: str) -> dict[str, int]:
        """Who has a position in the room, and which (a copy)."""
        return dict(self._rooms.get(room_id, {}))

    def apply(self, event: events.Event) -> Moved | None:
        """Fold one READS event; the move it made, None when it moved nothing."""
        if not isinstance(event, events.ReadUpTo):
            return None
        room = self._rooms.setdefault(event.room_id, {})
        if event.seq <= room.get(event.username, 0):
            return None
        room[event.username] = event.seq
        return Moved(event.room_id, event.username, event.seq, event.id)

    def target(self, room_id: str, username: str, seq: int, last_message_seq: int) -> int | None:
        """The position to publish for a request to read up to ``seq``: clamped to the room's
        last message; None when the position would not move."""
        wanted = min(seq, last_message_seq)
        return wanted if wanted > self.of(room_id, username) else None

    def __len__(self) -> int:
        return sum(len(room) for room in self._rooms.values())
