"""Sign-up and login, one at a time or in batches. Transport-free: routes decode and encode.

Sign-up stores the credential first (atomic KV create: the name is taken or not), then publishes
the public ``UserRegistered`` event. If that publish fails, the credential is deleted again and
the caller gets a 503, so a name never ends up taken without the rest of the system knowing the
user. The trade-off: a publish that timed out may still have been stored by JetStream; the user
then exists on the bus without a credential and may sign up again, which publishes a second
``UserRegistered`` for the same name (consumers must apply it idempotently). A crash between the
KV create and the publish leaves a credential without an event until the next auth start, which
publishes the missing events (``reconcile.py``).

Usernames are case-sensitive (``Alice`` and ``alice`` are two users). A login whose username or
password could never have been signed up (wrong shape) is the same 401 as a wrong password.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import nats.errors
from minitalk_common import bus, events, subjects
from minitalk_common.errors import ApiError
from nats.js import JetStreamContext

from .errors import (
    BatchTooLarge,
    DuplicateInBatch,
    EmptyBatch,
    InvalidCredentials,
    InvalidPassword,
    InvalidUsername,
    RegistrationUnavailable,
)
from .keys import TokenMinter
from .passwords import Hasher, password_bytes
from .store import CredentialStore

log = logging.getLogger("minitalk.auth")

USERNAME = re.compile(r"[A-Za-z0-9_-]{3,64}")
#: The most users one batch request may hold; more is a 413.
MAX_BATCH = 1000


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class Rejected:
    """A batch entry that could not be decoded; ``username`` as far as it could be read."""

    username: str | None
    error: str


@dataclass
class BatchReport:
    #: (username, what the action returned: the username on sign-up, the token on login)
    succeeded: list[tuple[str, str]] = field(default_factory=list)
    errors: list[Rejected] = field(default_factory=list)


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise InvalidUsername
    return username


def check_batch(entries: Sequence[object]) -> None:
    if not entries:
        raise EmptyBatch
    if len(entries) > MAX_BATCH:
        raise BatchTooLarge(MAX_BATCH)


class AuthService:
    def __init__(
        self, js: JetStreamContext, store: CredentialStore, hasher: Hasher, minter: TokenMinter
    ) -> None:
        self._js = js
        self._store = store
        self._hasher = hasher
        self._minter = minter

    async def signup(self, credentials: Credentials) -> str:
        """Register a new user; returns the username."""
        username = check_username(credentials.username)
        password_hash = await self._hasher.hash(password_bytes(credentials.password))
        revision = await self._store.create(username, password_hash)
        event = events.UserRegistered(actor=username, user_id=username, username=username)
        try:
            await bus.publish_event(self._js, subjects.user_subject(username), event)
        except nats.errors.Error as exc:
            log.error("publishing UserRegistered of %s failed, undoing: %r", username, exc)
            await self._undo_signup(username, revision)
            raise RegistrationUnavailable from exc
        log.info("signed up %s", username)
        return username

    async def login(self, credentials: Credentials) -> str:
        """A token for a user whose password matches; ``InvalidCredentials`` otherwise."""
        try:
            username = check_username(credentials.username)
            password = password_bytes(credentials.password)
        except (InvalidUsername, InvalidPassword) as exc:  # no such credential can exist
            raise InvalidCredentials from exc
        credential = await self._store.get(username)
        stored_hash = credential.password_hash if credential else None
        if not await self._hasher.check(password, stored_hash):  # spends bcrypt either way
            raise InvalidCredentials
        return self._minter.mint(username)

    async def signup_batch(self, entries: Sequence[Credentials | Rejected]) -> BatchReport:
        return await self._batch(entries, self.signup)

    async def login_batch(self, entries: Sequence[Credentials | Rejected]) -> BatchReport:
        return await self._batch(entries, self.login)

    async def _batch(
        self,
        entries: Sequence[Credentials | Rejected],
        action: Callable[[Credentials], Awaitable[str]],
    ) -> BatchReport:
        """Run ``action`` on each good entry; a bad or failing entry is reported, not raised.

        At most as many entries run at once as bcrypt has threads, so a single request arriving
        during a large batch waits for a few hashes, not for the whole batch.
        """
        check_batch(entries)
        limit = asyncio.Semaphore(self._hasher.workers)

        async def run(entry: Credentials | Rejected) -> tuple[str, str] | Rejected:
            if isinstance(entry, Rejected):
                return entry
            async with limit:
                try:
                    return entry.username, await action(entry)
                except ApiError as exc:
                    return Rejected(entry.username, exc.message)

        report = BatchReport()
        for outcome in await asyncio.gather(*map(run, _first_of_each_name(entries))):
            if isinstance(outcome, Rejected):
                report.errors.append(outcome)
            else:
                report.succeeded.append(outcome)
        return report

    async def _undo_signup(self, username: str, revision: int) -> None:
        try:
            await self._store.remove(username, revision)
        except nats.errors.Error:
            log.exception("could not remove the credential of %s; the name stays taken", username)


def _first_of_each_name(entries: Sequence[Credentials | Rejected]) -> list[Credentials | Rejected]:
    """The entries in order, with every repeat of an earlier username rejected."""
    seen: set[str] = set()
    result: list[Credentials | Rejected] = []
    for entry in entries:
        if isinstance(entry, Credentials) and entry.username in seen:
            result.append(Rejected(entry.username, DuplicateInBatch().message))
            continue
        if isinstance(entry, Credentials):
            seen.add(entry.username)
        result.append(entry)
    return result
