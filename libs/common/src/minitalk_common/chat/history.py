"""History between rooms and the persister: NATS request-reply on ``minitalk.history.<p>``
(``p = crc32(roomId) % partitions``, ``subjects.history_subject``).

Request: ``{"roomId", "limit", "before", "after", "since"}`` (``HistoryRequest``): ``limit``
1..100; ``before``/``after`` exclusive stream-sequence cursors or null; ``since`` an ISO-8601
time or null (UTC when it has no offset).

Reply: the page itself, a JSON array of ``Message`` oldest first, exactly the bytes the HTTP
answer carries (rooms passes them through after its membership check). A refusal carries the
header ``Minitalk-Error: <code>`` and ``{"error": "..."}``; ``failure`` is the one place where a
code becomes an HTTP status. A reply that is neither is a broken persister: 503.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from ..errors import ApiError, BadInput, Unavailable
from .messages import Message

log = logging.getLogger("minitalk.history")

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
#: The NATS header of a refused request: its ``ErrorCode``.
ERROR_HEADER = "Minitalk-Error"
#: What users read when the history cannot be had (the reason goes to the log).
UNAVAILABLE = "history is unavailable, try again"

Cursor = Annotated[int, msgspec.Meta(ge=0)]


class ErrorCode(enum.StrEnum):
    #: The request is malformed: the caller's fault (400).
    BAD_REQUEST = "bad-request"
    #: The room is not this persister partition's (partition counts differ): 503.
    WRONG_PARTITION = "wrong-partition"
    #: The persister cannot read the history now (disk, catching up): 503.
    UNAVAILABLE = "unavailable"


#: The HTTP status of each refusal, the one place that says so.
STATUS = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.WRONG_PARTITION: 503,
    ErrorCode.UNAVAILABLE: 503,
}


class HistoryRequest(msgspec.Struct, frozen=True, rename="camel"):
    room_id: str
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    before: Cursor | None = None
    after: Cursor | None = None
    since: str | None = None


class Refusal(msgspec.Struct, frozen=True):
    error: str


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(HistoryRequest, strict=False)


def parse_since(text: str) -> datetime:
    """``since`` as an aware UTC time (a time without offset is UTC); ValueError if unreadable."""
    at = datetime.fromisoformat(text.strip())
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC)


def since_text(at: datetime) -> str:
    """The normalised ``since`` a request carries (``...Z``)."""
    return at.isoformat().replace("+00:00", "Z")


def encode_request(request: HistoryRequest) -> bytes:
    return _encoder.encode(request)


def decode_request(data: bytes) -> HistoryRequest:
    """The request in ``data``; ``BadInput`` with a readable reason when it is not one."""
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise BadInput(f"invalid history request: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise BadInput("history request is not a JSON object") from exc


def encode_page(messages: list[Message]) -> bytes:
    """The reply holding a page (oldest first)."""
    return _encoder.encode(messages)


def encode_refusal(code: ErrorCode, message: str) -> tuple[bytes, dict[str, str]]:
    """The reply body and headers of a refused request."""
    return _encoder.encode(Refusal(message)), {ERROR_HEADER: code.value}


def page_of(data: bytes, headers: Mapping[str, str] | None) -> bytes:
    """The page a reply holds (its bytes, to pass on as they are), else the ``ApiError`` it
    stands for (``failure``)."""
    code = (headers or {}).get(ERROR_HEADER)
    if code is None and data[:1] == b"[" and data[-1:] == b"]":
        return data
    try:
        reason = msgspec.json.decode(data, type=Refusal).error
    except (msgspec.ValidationError, msgspec.DecodeError):
        reason = repr(data[:200])
    raise failure(code, reason)


def failure(code: str | None, reason: str) -> ApiError:
    """The error users get for a refusal: the persister's reason for their own mistakes, the
    generic 503 for the service's (the reason is logged)."""
    try:
        status = STATUS[ErrorCode(code)] if code is not None else 503
    except ValueError:
        status = 503
    if status < 500:
        return ApiError(reason, status)
    log.warning("history refused (%s): %s", code or "no code", reason)
    return Unavailable(UNAVAILABLE)
