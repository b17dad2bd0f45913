"""Login and sign-up throttling, shared by every auth replica through JetStream KV.

A *scope* is one counter record in the bucket ``auth-throttle``: ``pair.<user>.<ip>`` (one
account from one client IP), ``ip.<ip>`` (every login from one IP), ``acct.<user>`` (one account
from everywhere), ``signup.<ip>`` and ``batch.<ip>``. Each record is ``{n, last, until}``: the
attempts counted, the time of the last one, and the end of its lock. A :class:`Rule` says how a
scope counts: ``threshold`` attempts pass freely; the attempt that reaches it sets a lock of
``lock_s``, and every attempt after a lock ends sets a lock twice as long, up to ``max_lock_s``.
A scope forgets its count after ``window_s`` without an attempt. An attempt is refused (429 with
the seconds left) while any of its scopes is locked, and then counts nowhere.

Every update is a compare-and-set on the record's revision (``update(..., last=revision)``),
retried on a conflict, so replicas and parallel requests never lose a count. A login attempt is
counted against its account scopes *before* bcrypt runs (1,000 parallel guesses at one account
cannot all pass the check first) and taken back when the password was right: the (account, IP)
record is deleted, the account's decremented. The per-IP scope is only checked before and
counted after a failure: its record is shared by every login from that IP (a load test's 10,000
good logins would otherwise queue on it), at the price that parallel requests from one IP may
overshoot its threshold by the number they have in flight (the edge bounds those per IP).

Why the owner cannot be locked out from one IP: a lock of ``pair`` or ``ip`` refuses only that
IP. The account scope counts a failure only while its (account, IP) record is at or below its own
threshold, so one IP adds at most that many failures to it per window; reaching the account
threshold takes many IPs. And the account lock, short and capped, is not applied to a client IP
that logged in to the account within ``known_client_s`` (bucket ``auth-known-clients``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import msgspec
import nats.errors
from minitalk_common import bus, subjects
from minitalk_common.errors import TooManyRequests
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from .config import AuthSettings
from .errors import StoreUnavailable

log = logging.getLogger("minitalk.auth.throttle")

#: Compare-and-set retries of one record before the attempt is refused as unavailable.
CAS_ATTEMPTS = 25
_NOT_A_KEY_CHAR = re.compile(r"[^A-Za-z0-9_-]")


class TooManyAttempts(TooManyRequests):
    """An attempt refused because one of its scopes is locked."""


@dataclass(frozen=True)
class Rule:
    threshold: int
    window_s: float
    lock_s: float
    max_lock_s: float

    def lock_for(self, count: int) -> float:
        """The lock set by the ``count``-th attempt (``count >= threshold``)."""
        return float(min(self.lock_s * 2 ** min(count - self.threshold, 40), self.max_lock_s))


class Count(msgspec.Struct, frozen=True):
    n: int = 0
    last: float = 0.0
    until: float = 0.0

    def counted(self, rule: Rule, now: float, k: int = 1) -> Count:
        n = (0 if now - self.last > rule.window_s else self.n) + k
        until = now + rule.lock_for(n) if n >= rule.threshold else self.until
        return Count(n=n, last=now, until=until)

    def taken_back(self, rule: Rule) -> Count:
        n = max(self.n - 1, 0)
        return Count(n=n, last=self.last, until=self.until if n >= rule.threshold else 0.0)


@dataclass(frozen=True)
class Counted:
    key: str
    revision: int
    count: Count


def ip_key(ip: str) -> str:
    """A client IP as one KV key token (IPv6 colons and zone ids become ``_``)."""
    return _NOT_A_KEY_CHAR.sub("_", ip)[:64] or "unknown"


class Counters:
    """Counter records of one bucket, each changed only by compare-and-set.

    Within one process the changes of one record wait for each other (a lock per busy key), so
    compare-and-set conflicts come only from other replicas, and a short random pause spreads
    those out.
    """

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._busy: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def _one_at_a_time(self, key: str) -> AsyncIterator[None]:
        lock, users = self._busy.get(key, (asyncio.Lock(), 0))
        self._busy[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._busy[key]
            if users == 1:
                del self._busy[key]
            else:
                self._busy[key] = (lock, users - 1)

    async def read(self, key: str) -> tuple[int, Count]:
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError as exc:  # never written, or deleted (then its revision counts)
            return (exc.entry.revision or 0 if exc.entry is not None else 0), Count()
        except nats.errors.Error as exc:
            raise _unavailable(key, exc) from exc
        try:
            return entry.revision or 0, msgspec.json.decode(entry.value or b"{}", type=Count)
        except msgspec.DecodeError:
            log.warning("resetting an unreadable throttle record %s", key)
            return entry.revision or 0, Count()

    async def count(self, key: str, rule: Rule, now: float, k: int = 1) -> Counted | float:
        """Count ``k`` attempts unless ``key`` is locked; if locked, the seconds left."""
        async with self._one_at_a_time(key):
            for attempt in range(CAS_ATTEMPTS):
                revision, current = await self.read(key)
                if current.until > now:
                    return current.until - now
                changed = current.counted(rule, now, k)
                new_revision = await self._write(key, changed, revision)
                if new_revision is not None:
                    if changed.until > current.until:  # one line per lock, not per refusal
                        lock = changed.until - now
                        log.warning("locked %s for %.0f s after %d attempts", key, lock, changed.n)
                    return Counted(key, new_revision, changed)
                await _pause(attempt)
        raise _unavailable(key, "too many concurrent updates")

    async def take_back(self, counted: Counted, rule: Rule) -> None:
        """Undo one counted attempt (it turned out good)."""
        revision, current = counted.revision, counted.count
        async with self._one_at_a_time(counted.key):
            for attempt in range(CAS_ATTEMPTS):
                if await self._write(counted.key, current.taken_back(rule), revision) is not None:
                    return
                await _pause(attempt)
                revision, current = await self.read(counted.key)
        log.warning("could not take back a good login from %s", counted.key)

    async def reset(self, key: str) -> None:
        try:
            await self._kv.delete(key)
        except nats.errors.Error as exc:
            log.warning("could not reset %s: %r", key, exc)

    async def _write(self, key: str, count: Count, revision: int) -> int | None:
        """Store ``count`` if ``key`` is still at ``revision``; None on a conflict."""
        try:
            new_revision: int = await self._kv.update(
                key, msgspec.json.encode(count), last=revision
            )
        except KeyWrongLastSequenceError:
            return None
        except nats.errors.Error as exc:
            raise _unavailable(key, exc) from exc
        return new_revision


async def _pause(attempt: int) -> None:
    """A random pause that grows with the conflicts: replicas stop colliding in step."""
    await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))


def _unavailable(key: str, why: object) -> StoreUnavailable:
    log.error("throttle record %s unavailable: %s", key, why)
    return StoreUnavailable()


@dataclass(frozen=True)
class Limits:
    pair: Rule
    ip: Rule
    account: Rule
    signup: Rule
    batch: Rule
    known_client_s: float


class Throttle:
    """The login, sign-up and batch limits of auth (see the module docstring)."""

    def __init__(self, counters: Counters, known: KeyValue, limits: Limits) -> None:
        self._counters = counters
        self._known = known
        self.limits = limits

    async def login_attempt(self, username: str | None, ip: str) -> LoginAttempt:
        """Count a login attempt before its password is checked; TooManyAttempts if locked.

        ``username`` is None when it could not name an account (wrong shape): only the IP
        counts then.
        """
        now, addr = time.time(), ip_key(ip)
        attempt = LoginAttempt(self, username, addr)
        if username is not None:
            pair = await self._counters.count(f"pair.{username}.{addr}", self.limits.pair, now)
            attempt.pair = _counted_or_refuse(pair, "too many failed logins for this account")
        _, per_ip = await self._counters.read(f"ip.{addr}")
        if per_ip.until > now:
            raise TooManyAttempts("too many failed logins from this address", per_ip.until - now)
        if username is not None and attempt.pair.count.n <= self.limits.pair.threshold:
            account = await self._counters.count(f"acct.{username}", self.limits.account, now)
            if isinstance(account, Counted):
                attempt.account = account
            elif not await self._is_known(username, addr):
                raise TooManyAttempts("too many failed logins for this account", account)
        return attempt

    async def signups(self, ip: str, k: int = 1) -> None:
        """Count ``k`` sign-ups from ``ip``; TooManyAttempts if its budget is locked."""
        key = f"signup.{ip_key(ip)}"
        counted = await self._counters.count(key, self.limits.signup, time.time(), k)
        _counted_or_refuse(counted, "too many sign-ups from this address")

    async def batch_entries(self, ip: str, k: int) -> None:
        """Count a batch of ``k`` entries from ``ip``; TooManyAttempts if its budget is locked."""
        key = f"batch.{ip_key(ip)}"
        counted = await self._counters.count(key, self.limits.batch, time.time(), k)
        _counted_or_refuse(counted, "too many batch entries from this address")

    async def _is_known(self, username: str, addr: str) -> bool:
        try:
            entry = await self._known.get(f"{username}.{addr}")
        except KeyNotFoundError:
            return False
        except nats.errors.Error as exc:
            raise _unavailable(f"{username}.{addr}", exc) from exc
        try:
            at = float(entry.value or b"0")
        except ValueError:
            return False
        return at + self.limits.known_client_s > time.time()

    async def _failed(self, attempt: LoginAttempt) -> None:
        await self._counters.count(f"ip.{attempt.addr}", self.limits.ip, time.time())

    async def _succeeded(self, attempt: LoginAttempt) -> None:
        """Reset the (account, IP) scope, take the account's count back, remember the client."""
        assert attempt.username is not None
        steps = [
            self._counters.reset(f"pair.{attempt.username}.{attempt.addr}"),
            self._remember(attempt.username, attempt.addr),
        ]
        if attempt.account is not None:
            steps.append(self._counters.take_back(attempt.account, self.limits.account))
        await asyncio.gather(*steps)

    async def _remember(self, username: str, addr: str) -> None:
        try:
            await self._known.put(f"{username}.{addr}", repr(time.time()).encode())
        except nats.errors.Error as exc:
            log.warning("could not remember a good login of %s: %r", username, exc)


class LoginAttempt:
    """One counted login attempt: ``succeeded()`` takes it back once the password matched."""

    def __init__(self, throttle: Throttle, username: str | None, addr: str) -> None:
        self._throttle = throttle
        self.username = username
        self.addr = addr
        self.pair = Counted("", 0, Count())
        self.account: Counted | None = None

    async def succeeded(self) -> None:
        await self._throttle._succeeded(self)

    async def failed(self) -> None:
        await self._throttle._failed(self)


def _counted_or_refuse(outcome: Counted | float, message: str) -> Counted:
    if isinstance(outcome, Counted):
        return outcome
    raise TooManyAttempts(message, outcome)


def limits_of(settings: AuthSettings) -> Limits:
    """The rules of each scope, from the settings (documented in ``config.py``)."""
    s = settings
    login = (s.login_failure_window_s, s.login_lock_s)
    signup = (s.signup_window_s, s.signup_lock_s, s.signup_window_s)
    return Limits(
        pair=Rule(s.login_failures_per_account_ip, *login, s.login_lock_max_s),
        ip=Rule(s.login_failures_per_ip, *login, s.login_lock_max_s),
        account=Rule(s.login_failures_per_account, *login, s.account_lock_max_s),
        signup=Rule(s.signups_per_ip, *signup),
        batch=Rule(s.batch_entries_per_ip, *signup),
        known_client_s=s.known_client_s,
    )


async def open_throttle(js: JetStreamContext, settings: AuthSettings) -> Throttle:
    """Create (or reshape) the two buckets and return the throttle on them.

    A record must outlive its window and its longest lock, which is what the bucket's max age
    is (nats-server 2.9 has no per-key TTL); a known client is remembered ``known_client_s``.
    """
    limits = limits_of(settings)
    rules = (limits.pair, limits.ip, limits.account, limits.signup, limits.batch)
    longest = max(max(rule.window_s, rule.max_lock_s) for rule in rules) + 60
    replicas = settings.stream_replicas
    counters = await bus.ensure_bucket(js, subjects.THROTTLE_BUCKET, replicas, longest)
    known = await bus.ensure_bucket(
        js, subjects.KNOWN_CLIENTS_BUCKET, replicas, limits.known_client_s
    )
    return Throttle(Counters(counters), known, limits)
