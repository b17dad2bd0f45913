"""What a history request can get wrong; the responder turns each into ``{"error": ...}``."""

from __future__ import annotations

from minitalk_common.errors import BadInput, Unavailable


class BadHistoryRequest(BadInput):
    """The request is not valid JSON of the expected shape."""


class WrongPartition(BadInput):
    def __init__(self, room_id: str, partition: int) -> None:
        super().__init__(f"room {room_id} is not kept by persister partition {partition}")


class HistoryUnavailable(Unavailable):
    """The history could not be read (e.g. a disk error); the details are in the log."""

    def __init__(self) -> None:
        super().__init__("history is unavailable, try again")
