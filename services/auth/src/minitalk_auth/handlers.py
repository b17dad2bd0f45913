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

Every login, sign-up and batch entry is counted by ``throttle.py`` against the limits of its
client IP (and account) before any bcrypt work; a locked scope is a 429. A batch answers per
entry: a throttled entry goes to ``errors``, and a batch whose every entry was throttled is a 429.
Logout revokes the token's ``jti`` in the shared revocation bucket (``minitalk_common.revocation``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import nats.errors
from minitalk_common import bus, events, revocation, subjects, tokens
from minitalk_common.errors import ApiError, Unauthorized
from nats.js import JetStreamContext

from .errors import (
    BatchTooLarge,
    DuplicateInBatch,
    EmptyBatch,
    InvalidCredentials,
    InvalidPassword,
    InvalidUsername,
    RegistrationUnavailable,
    StoreUnavailable,
)
from .keys import TokenMinter
from .passwords import Hasher, password_bytes
from .store import CredentialStore
from .throttle import Throttle, TooManyAttempts

log = logging.getLogger("minitalk.auth")

USERNAME = re.compile(r"[A-Za-z0-9_-]{3,64}")
#: The most users one batch request may hold by default (``MINITALK_BATCH_MAX_USERS``).
MAX_BATCH = 1000
#: What a batch entry whose processing failed unexpectedly answers (as a 500 would).
INTERNAL_ERROR = "internal error"
#: Batch entries in flight per bcrypt thread: the throttle's KV round trips overlap the hashes.
ENTRIES_PER_WORKER = 4


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


def check_batch(entries: Sequence[object], limit: int = MAX_BATCH) -> None:
    if not entries:
        raise EmptyBatch
    if len(entries) > limit:
        raise BatchTooLarge(limit)


class AuthService:
    def __init__(
        self,
        js: JetStreamContext,
        store: CredentialStore,
        hasher: Hasher,
        minter: TokenMinter,
        throttle: Throttle,
        verifier: tokens.TokenVerifier,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._js = js
        self._store = store
        self._hasher = hasher
        self._minter = minter
        self._throttle = throttle
        self._verifier = verifier
        self._max_batch = max_batch

    async def signup(self, credentials: Credentials, ip: str) -> str:
        """Register a new user from client ``ip``; returns the username."""
        await self._throttle.signups(ip)
        return await self._signup(credentials)

    async def _signup(self, credentials: Credentials) -> str:
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

    async def login(self, credentials: Credentials, ip: str) -> str:
        """A token for a user whose password matches; ``InvalidCredentials`` otherwise.

        The attempt is counted against ``ip`` and the account first (``TooManyAttempts`` when
        one of them is locked) and taken back when the password was right.
        """
        name = credentials.username if USERNAME.fullmatch(credentials.username) else None
        attempt = await self._throttle.login_attempt(name, ip)
        try:
            username = await self._check_password(credentials)
        except InvalidCredentials:
            await attempt.failed()
            raise
        await attempt.succeeded()
        return self._minter.mint(username)

    async def _check_password(self, credentials: Credentials) -> str:
        """The username if the password matches; ``InvalidCredentials`` otherwise."""
        try:
            username = check_username(credentials.username)
            password = password_bytes(credentials.password)
        except (InvalidUsername, InvalidPassword) as exc:  # no such credential can exist
            raise InvalidCredentials from exc
        credential = await self._store.get(username)
        stored_hash = credential.password_hash if credential else None
        if not await self._hasher.check(password, stored_hash):  # spends bcrypt either way
            raise InvalidCredentials
        return username

    async def logout(self, token: str | None) -> str:
        """Revoke ``token`` (its ``jti``) everywhere; returns its username."""
        try:
            identity = self._verifier.verify(token)
        except tokens.InvalidToken as exc:
            raise Unauthorized(str(exc)) from exc
        try:
            await revocation.revoke(self._js, identity.jti, identity.expires_at)
        except nats.errors.Error as exc:
            log.error("revoking a token of %s failed: %r", identity.username, exc)
            raise StoreUnavailable from exc
        log.info("logged out a token of %s", identity.username)
        return identity.username

    async def signup_batch(self, entries: Sequence[Credentials | Rejected], ip: str) -> BatchReport:
        check_batch(entries, self._max_batch)
        await self._throttle.batch_entries(ip, len(entries))
        return await self._batch(entries, self._signup)

    async def login_batch(self, entries: Sequence[Credentials | Rejected], ip: str) -> BatchReport:
        check_batch(entries, self._max_batch)
        await self._throttle.batch_entries(ip, len(entries))
        return await self._batch(entries, lambda entry: self.login(entry, ip))

    async def _batch(
        self,
        entries: Sequence[Credentials | Rejected],
        action: Callable[[Credentials], Awaitable[str]],
    ) -> BatchReport:
        """A few entries per bcrypt thread run at once, so a single request arriving during a
        large batch waits for a few hashes, not for the whole batch."""
        return await answer_each(entries, action, self._hasher.workers * ENTRIES_PER_WORKER)

    async def _undo_signup(self, username: str, revision: int) -> None:
        try:
            await self._store.remove(username, revision)
        except nats.errors.Error:
            log.exception("could not remove the credential of %s; the name stays taken", username)


async def answer_each(
    entries: Sequence[Credentials | Rejected],
    action: Callable[[Credentials], Awaitable[str]],
    concurrency: int,
) -> BatchReport:
    """Run ``action`` on each good entry, ``concurrency`` at once; each entry answers alone.

    A bad entry is reported with its error; one whose action fails unexpectedly is reported as
    ``internal error`` (and logged with its traceback) while the others go on, so the entries
    already done are answered as done, not hidden behind a 500. When every entry was
    throttled, the batch itself is a 429 (the earliest retry).
    """
    limit = asyncio.Semaphore(concurrency)
    throttled: list[TooManyAttempts] = []

    async def run(entry: Credentials | Rejected) -> tuple[str, str] | Rejected:
        if isinstance(entry, Rejected):
            return entry
        async with limit:
            try:
                return entry.username, await action(entry)
            except TooManyAttempts as exc:
                throttled.append(exc)
                return Rejected(entry.username, exc.message)
            except ApiError as exc:
                return Rejected(entry.username, exc.message)
            except Exception:
                log.exception("batch entry %r failed", entry.username[:64])
                return Rejected(entry.username, INTERNAL_ERROR)

    report = BatchReport()
    for outcome in await asyncio.gather(*map(run, _first_of_each_name(entries))):
        if isinstance(outcome, Rejected):
            report.errors.append(outcome)
        else:
            report.succeeded.append(outcome)
    if throttled and len(throttled) == len(entries):
        raise min(throttled, key=lambda exc: exc.retry_after)
    return report


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
