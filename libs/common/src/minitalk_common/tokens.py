"""JWT verification with the public key only. Only auth holds the private key."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import jwt
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


async def load_public_key(
    js: JetStreamContext, configured: str | None = None, wait_s: float = 60.0
) -> str:
    """The configured public key, or the one auth published in the keys bucket (waits for it)."""
    if configured:
        return configured
    kv = await js.key_value(subjects.KEYS_BUCKET)
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            entry = await kv.get(subjects.JWT_PUBLIC_KEY)
            if entry.value:
                return entry.value.decode()
        except (KeyNotFoundError, NotFoundError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError("no JWT public key: start auth first or set MINITALK_JWT_PUBLIC_KEY")
        log.info("waiting for auth to publish the JWT public key")
        await asyncio.sleep(0.5)
