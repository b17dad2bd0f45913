"""What a history request can get wrong; each has its code in the reply (``chat.history``)."""

from __future__ import annotations

from minitalk_common.chat.history import UNAVAILABLE, ErrorCode
from minitalk_common.errors import ApiError


class HistoryError(ApiError):
    """A refused request: ``code`` travels in the reply's ``Minitalk-Error`` header."""

    code = ErrorCode.UNAVAILABLE


class BadHistoryRequest(HistoryError):
    """The request is not valid JSON of the expected shape."""

    code = ErrorCode.BAD_REQUEST


class WrongPartition(HistoryError):
    """rooms and this persister disagree on the partition count: the deployment's fault."""

    code = ErrorCode.WRONG_PARTITION

    def __init__(self, room_id: str, partition: int) -> None:
        super().__init__(f"room {room_id} is not kept by persister partition {partition}")


class HistoryUnavailable(HistoryError):
    """The history could not be read (e.g. a disk error); the details are in the log."""

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)
