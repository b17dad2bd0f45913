"""The Ed25519 key pair that signs tokens, and the minting of tokens.

Only auth holds the private key. In development a key pair is generated into the data folder on
first run; with ``MINITALK_ENV=production`` a missing key refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from minitalk_common.tokens import ALGORITHM, AUDIENCE, ISSUER


class MissingKey(RuntimeError):
    """No signing key where production requires one."""


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls) -> KeyPair:
        return cls.from_private_pem(
            Ed25519PrivateKey.generate()
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )

    @classmethod
    def from_private_pem(cls, pem: str) -> KeyPair:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise MissingKey("the JWT private key must be an Ed25519 key (EdDSA)")
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private_pem=pem, public_pem=public.decode())

    @property
    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 8037 OKP/Ed25519), with its RFC 7638 thumbprint as kid."""
        return {**self._jwk_members(), "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    @property
    def kid(self) -> str:
        canonical = json.dumps(self._jwk_members(), separators=(",", ":"), sort_keys=True)
        return _b64url(hashlib.sha256(canonical.encode()).digest())

    def _jwk_members(self) -> dict[str, str]:
        key = serialization.load_pem_public_key(self.public_pem.encode())
        assert isinstance(key, Ed25519PublicKey)
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_key_pair(configured_pem: str | None, key_file: Path, production: bool) -> KeyPair:
    """The configured key, else the key file, else (development only) a new one saved there."""
    if configured_pem:
        return KeyPair.from_private_pem(configured_pem)
    if key_file.exists():
        return KeyPair.from_private_pem(key_file.read_text())
    if production:
        raise MissingKey(
            "MINITALK_ENV=production needs MINITALK_JWT_PRIVATE_KEY or an existing "
            f"MINITALK_JWT_PRIVATE_KEY_FILE ({key_file}); refusing to generate one"
        )
    pair = KeyPair.generate()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = key_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(pair.private_pem)
    tmp.chmod(0o600)
    try:
        os.link(tmp, key_file)  # atomic: a racing auth process keeps the first key
    except FileExistsError:
        pair = KeyPair.from_private_pem(key_file.read_text())
    finally:
        tmp.unlink()
    return pair


class TokenMinter:
    def __init__(
        self, private_pem: str, ttl: timedelta = timedelta(hours=24), kid: str | None = None
    ) -> None:
        self._key = private_pem
        self._ttl = ttl
        self._headers = {"kid": kid} if kid else None

    def mint(self, username: str, now: datetime | None = None) -> str:
        """A signed token for ``username``; its ``jti`` (a random id) is what logout revokes."""
        issued = now or datetime.now(UTC)
        claims = {
            "jti": uuid.uuid4().hex,
            "sub": username,
            "username": username,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": issued,
            "exp": issued + self._ttl,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers=self._headers)
