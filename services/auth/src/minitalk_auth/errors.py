"""What can go wrong in auth, each with the status users get (mapped by minitalk_common.http)."""

from __future__ import annotations

from minitalk_common.errors import (
    BadInput,
    Conflict,
    Forbidden,
    TooLarge,
    Unauthorized,
    Unavailable,
)


class InvalidUsername(BadInput):
    def __init__(self) -> None:
        super().__init__("username must be 3-64 characters: letters, digits, '_' or '-'")


class InvalidPassword(BadInput):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class UsernameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("username already taken")


class DuplicateInBatch(Conflict):
    def __init__(self) -> None:
        super().__init__("username appears more than once in this batch")


class InvalidCredentials(Unauthorized):
    def __init__(self) -> None:
        super().__init__("invalid username or password")


class BatchTooLarge(TooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(f"a batch holds at most {limit} users")


class EmptyBatch(BadInput):
    def __init__(self) -> None:
        super().__init__("users must hold at least one entry")


class BadEntry(BadInput):
    """A batch entry that is not ``{"username": str, "password": str}``."""


class RegistrationUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("sign-up is unavailable right now, please retry")


class StoreUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("the credential store is unavailable right now, please retry")


class BatchesDisabled(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "batch endpoints are disabled in production "
            "(MINITALK_BATCH_ENDPOINTS=true enables them)"
        )
