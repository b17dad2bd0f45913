"""What can go wrong on a socket, each with the sentence its user reads.

``reply`` is the one place where an error becomes what the client sees: an ``error`` event
``{message}`` and, when the client asked for an acknowledgement, ``{ok: false, error}``.
"""

from __future__ import annotations

from typing import Any


class RealtimeError(Exception):
    """Base of the hierarchy: ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        #: Extra fields of the ``error`` event and the ack (``retryAfterMs`` of a rate limit).
        self.details: dict[str, Any] = {}


class BadPayload(RealtimeError):
    """A payload that is not an object, or a field missing or of the wrong type."""


class MessageTooLong(BadPayload):
    def __init__(self, limit: int) -> None:
        super().__init__(f"content is longer than {limit} characters")


class UnknownRoom(RealtimeError):
    def __init__(self) -> None:
        super().__init__("unknown room")


class NotAMember(RealtimeError):
    def __init__(self) -> None:
        super().__init__("you are not a member of this room")


class NotStored(RealtimeError):
    """JetStream did not confirm the message: the sender must retry (same clientMsgId)."""

    def __init__(self) -> None:
        super().__init__("message not stored, try again")


class NotReady(RealtimeError):
    def __init__(self) -> None:
        super().__init__("service starting, try again")


class Internal(RealtimeError):
    """Anything unexpected: the user learns that it failed, the log learns why."""

    def __init__(self) -> None:
        super().__init__("internal error")


def error_event(exc: RealtimeError) -> dict[str, Any]:
    return {"message": exc.message, **exc.details}


def error_ack(exc: RealtimeError) -> dict[str, Any]:
    return {"ok": False, "error": exc.message, **exc.details}
