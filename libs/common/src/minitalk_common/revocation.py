"""Revoked tokens: the shared store that auth's logout writes and every verifier follows.

A revoked token's id (``jti``) is a key of the KV bucket ``minitalk-revoked``; its value is the
token's expiry (UNIX seconds, ASCII). Every service creates the bucket if it is missing
(``bus.ensure_streams``); auth then sets its max age to its token lifetime plus a minute, so an
entry disappears once the token it names is dead anyway (nats-server 2.9 has no per-message TTL;
the bucket-level age is enough because no entry needs to outlive the longest token).

Rooms and realtime hold the whole set in memory (a few bytes per logout of the last token
lifetime) and follow the bucket (``kvfollow``), so checking a token is a dict
lookup, not a NATS round trip. A revocation reaches them one NATS message after auth stored it
(milliseconds); ``ready`` is set once everything stored at start has been read, and a verifier
must not be used before (a restarted service would otherwise accept a revoked token).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from nats.js import JetStreamContext

from . import kvfollow
from .subjects import REVOKED_BUCKET

log = logging.getLogger("minitalk.revocation")

#: Kept past a token's lifetime: clocks of auth and of the verifiers may disagree a little.
MARGIN_S = 60.0
#: Max age of the bucket when another service creates it before auth: the longest default
#: token lifetime (24 h) and the margin. Auth sets it to its own ``MINITALK_TOKEN_TTL_S``.
DEFAULT_MAX_AGE_S = 24 * 3600 + MARGIN_S
_PRUNE_EVERY_S = 60.0

Listener = Callable[[str], None]

#: Prefix of a user's entry (issue 16: a deleted user): every token of that user issued at or
#: before the entry's time is revoked. The value is ``user <revoked_at> <expires_at>``.
USER_PREFIX = "user-"


def user_key(username: str) -> str:
    """The key of ``username``'s entry (a hash: KV keys allow few characters)."""
    return USER_PREFIX + hashlib.sha256(username.encode()).hexdigest()[:40]


async def revoke_user(js: JetStreamContext, username: str, token_ttl_s: float) -> None:
    """Revoke every token ``username`` holds now (not the ones issued after)."""
    kv = await js.key_value(REVOKED_BUCKET)
    now = time.time()
    await kv.put(user_key(username), f"user {now!r} {now + token_ttl_s!r}".encode())


def max_age(token_ttl_s: float) -> float:
    """The bucket's max age for tokens living ``token_ttl_s``: auth creates or reshapes the
    bucket with it at start (``bus.ensure_bucket``)."""
    return token_ttl_s + MARGIN_S


async def revoke(js: JetStreamContext, jti: str, expires_at: float) -> None:
    """Store ``jti`` as revoked until ``expires_at``; every verifier sees it within ms."""
    kv = await js.key_value(REVOKED_BUCKET)
    await kv.put(jti, repr(float(expires_at)).encode())


class Revocations:
    """The revoked token ids this process knows, with listeners told of each new one."""

    def __init__(self) -> None:
        self._revoked: dict[str, float] = {}
        self._users: dict[str, float] = {}
        self._listeners: list[Listener] = []
        self._pruned = time.monotonic()
        self.ready = asyncio.Event()
        #: Set while following the bucket (not while NATS is away or it resumes after).
        self.current = asyncio.Event()

    def is_revoked(self, jti: str) -> bool:
        return jti in self._revoked

    def user_revoked_at(self, username: str) -> float | None:
        """When every token of ``username`` issued until then was revoked (None: never)."""
        return self._users.get(user_key(username))

    def on_revoke(self, listener: Listener) -> None:
        """Call ``listener(jti)`` for every token revoked from now on (e.g. close its sockets)."""
        self._listeners.append(listener)

    def add(self, jti: str, expires_at: float) -> None:
        now = time.time()
        if now - self._pruned > _PRUNE_EVERY_S:
            self._prune(now)
        if expires_at + MARGIN_S < now or jti in self._revoked:
            return
        self._revoked[jti] = expires_at
        for listener in self._listeners:
            try:
                listener(jti)
            except Exception:  # one listener's failure must not cost the others theirs
                log.exception("revocation listener failed for a token")

    def _user_entry(self, key: str, value: bytes) -> None:
        try:
            _, revoked_at, expires_at = value.split()
            self._users[key] = float(revoked_at)
            expiry = float(expires_at)
        except ValueError:
            log.warning("ignoring an unreadable user revocation %r", key[:64])
            return
        self.add(key, expiry)  # the listeners close that user's sockets (keyed by user_key)

    def _prune(self, now: float) -> None:
        self._pruned = now
        for jti in [j for j, exp in self._revoked.items() if exp + MARGIN_S < now]:
            del self._revoked[jti]

    def _on_entry(self, jti: str, value: bytes | None) -> None:
        if value and value.startswith(b"user "):
            self._user_entry(jti, value)
            return
        if value:  # a deleted entry needs nothing: it was only kept for a dead token
            try:
                self.add(jti, float(value))
            except ValueError:
                log.warning("ignoring an unreadable revocation entry for %r", jti[:64])


@asynccontextmanager
async def following(js: JetStreamContext) -> AsyncIterator[Revocations]:
    """Revocations that follow the bucket until the context ends.

    Waits in the background for auth to create the bucket (``ready`` stays unset meanwhile).
    """
    revocations = Revocations()
    async with kvfollow.following(
        js, REVOKED_BUCKET, revocations._on_entry, revocations.ready, revocations.current
    ):
        yield revocations
