"""What can go wrong in rooms, each with the status users get (mapped by minitalk_common.http)."""

from __future__ import annotations

from collections.abc import Iterable

from minitalk_common.chat.history import UNAVAILABLE
from minitalk_common.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    TooLarge,
    Unauthorized,
    Unavailable,
)


class NotAuthenticated(Unauthorized):
    """No token, or one that is malformed, forged, expired or signed by another key."""


class RoomNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("room not found")


class NotAMember(Forbidden):
    def __init__(self) -> None:
        super().__init__("you are not a member of this room")


class UnknownUsers(NotFound):
    def __init__(self, usernames: Iterable[str]) -> None:
        super().__init__(f"unknown users: {', '.join(usernames)}")


class InvalidRoomName(BadInput):
    def __init__(self, limit: int) -> None:
        super().__init__(f"name must be 1-{limit} characters")


class TooManyParticipants(BadInput):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a request names at most {limit} participants")


class RoomFull(BadInput):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a room holds at most {limit} members")


class EmptyBatch(BadInput):
    def __init__(self) -> None:
        super().__init__("rooms must hold at least one entry")


class BatchTooLarge(TooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a batch holds at most {limit} rooms")


class BadHistoryQuery(BadInput):
    """A history cursor or time that cannot be read."""


class ConcurrentUpdate(Conflict):
    def __init__(self) -> None:
        super().__init__("the room is being changed by others at the same time, try again")


class HistoryUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)


class NotReady(Unavailable):
    def __init__(self, reason: str) -> None:
        super().__init__(f"not ready: {reason}")


class LogUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("the room log is unavailable, try again")


class PresenceUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("presence is unavailable, try again")
