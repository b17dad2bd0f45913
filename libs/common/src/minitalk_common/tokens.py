"""JWT verification with the public key only. Only auth holds the private key."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Identity:
    username: str


class TokenVerifier:
    def __init__(self, public_key_pem: str) -> None:
        self._key = public_key_pem

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
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("invalid token")
        return Identity(username=sub)


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <jwt>`` header."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def load_verifier(js: JetStreamContext, configured: str | None = None) -> TokenVerifier:
    """A verifier for the configured public key, or for the one auth publishes in the keys
    bucket: waits as long as it takes (the caller's ``/readyz`` says why meanwhile)."""
    if configured:
        return TokenVerifier(configured)
    while True:
        try:
            kv = await js.key_value(subjects.KEYS_BUCKET)
            entry = await kv.get(subjects.JWT_PUBLIC_KEY)
            if entry.value:
                return TokenVerifier(entry.value.decode())
        except (KeyNotFoundError, NotFoundError):
            pass
        except nats.errors.Error as exc:
            log.warning("cannot read the JWT public key yet: %s", exc)
        log.info("waiting for auth to publish the JWT public key")
        await asyncio.sleep(0.5)
