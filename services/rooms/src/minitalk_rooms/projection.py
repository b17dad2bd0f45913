"""The rooms' state as the logs say: every room (from ROOMS) and the known users (from USERS).

Only the projections' ``apply`` functions change this state, one event at a time in stream order;
commands read it to decide, and publish events that come back through ``apply``. The rooms are
folded by the shared reducer (``minitalk_common.chat.membership``), as realtime and the replay
tool fold them.
"""

from __future__ import annotations

from minitalk_common import events
from minitalk_common.chat.membership import Membership, Room

__all__ = ["KnownUsers", "Room", "RoomDirectory"]


class RoomDirectory(Membership):
    """Every live room, and which rooms each user is in."""

    async def project(self, event: events.Event, seq: int) -> None:
        """The projection's callback."""
        self.apply(event, seq)


class KnownUsers:
    """The usernames that registered (UserRegistered on the USERS stream) and were not deleted
    since (UserDeleted)."""

    def __init__(self) -> None:
        self._names: set[str] = set()

    def unknown(self, usernames: list[str]) -> list[str]:
        """Those of ``usernames`` that never registered, in the order given."""
        return [name for name in usernames if name not in self._names]

    async def apply(self, event: events.Event, seq: int) -> None:
        if isinstance(event, events.UserRegistered):
            self._names.add(event.username)
        elif isinstance(event, events.UserDeleted):  # an admin deleted it (issue 16)
            self._names.discard(event.username)
