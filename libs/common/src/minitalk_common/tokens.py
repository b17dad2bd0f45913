"""JWT verification with the public key only. Only auth holds the private key.

Every token carries a ``jti`` (its id), so logout can revoke exactly that token: a verifier given
a ``Revocations`` (``revocation.py``, the shared store auth writes on logout) refuses a revoked
token with "token revoked". The check is a dict lookup: the store is watched, not asked.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

import jwt
import nats.errors
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, NotFoundError

from . import subjects

log = logging.getLogger("minitalk.tokens")

ALGORITHM = "EdDSA"
ISSUER = "minitalk-auth"
AUDIENCE = "minitalk"


class InvalidToken(Exception):
    """A missing, malformed, forged, expired or foreign token."""


class Revoked(Protocol):
    """What a verifier asks of the revocation store."""

    def is_revoked(self, jti: str) -> bool: ...

    def user_revoked_at(self, username: str) -> float | None: ...


@dataclass(frozen=True)
class Identity:
    username: str
    #: The token's id (what logout revokes) and when it expires (UNIX seconds).
    jti: str = ""
    expires_at: float = 0.0


class TokenVerifier:
    def __init__(self, public_key_pem: str, revocations: Revoked | None = None) -> None:
        self._key = public_key_pem
        self._revocations = revocations

    def verify(self, token: str | None) -> Identity:
        if not token:
            raise InvalidToken("missing token")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        sub, jti, exp = claims.get("sub"), claims.get("jti"), claims.get("exp")
        if not isinstance(sub, str) or not sub or not isinstance(jti, str) or not jti:
            raise InvalidToken("invalid token")
        if self._revocations is not None and self._revoked(sub, jti, claims.get("iat")):
            raise InvalidToken("token revoked")
        return Identity(username=sub, jti=jti, expires_at=float(exp or 0))

    def _revoked(self, username: str, jti: str, issued_at: object) -> bool:
        """The token itself was revoked (logout), or every token of its user issued until a
        moment after it was (the user was deleted)."""
        assert self._revocations is not None
        if self._revocations.is_revoked(jti):
            return True
        before = self._revocations.user_revoked_at(username)
        return before is not None and isinstance(issued_at, int | float) and issued_at <= before


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <jwt>`` header."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def load_verifier(
    js: JetStreamContext, configured: str | None = None, revocations: Revoked | None = None
) -> TokenVerifier:
    """A verifier for the configured public key, or for the one auth publishes in the keys
    bucket: waits as long as it takes (the caller's ``/readyz`` says why meanwhile)."""
    if configured:
        return TokenVerifier(configured, revocations)
    while True:
        try:
            kv = await js.key_value(subjects.KEYS_BUCKET)
            entry = await kv.get(subjects.JWT_PUBLIC_KEY)
            if entry.value:
                return TokenVerifier(entry.value.decode(), revocations)
        except (KeyNotFoundError, NotFoundError):
            pass
        except nats.errors.Error as exc:
            log.warning("cannot read the JWT public key yet: %s", exc)
        log.info("waiting for auth to publish the JWT public key")
        await asyncio.sleep(0.5)
