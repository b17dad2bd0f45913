"""The auth service's settings (environment variables ``MINITALK_*``)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from minitalk_common.config import ServiceSettings
from pydantic import Field, model_validator


def _cpu_count() -> int:
    return os.cpu_count() or 1


class AuthSettings(ServiceSettings):
    """Settings of ``python -m minitalk_auth``."""

    #: HTTP port (the edge routes ``/api/auth/*`` here).
    port: int = Field(default=8001, ge=0, le=65535)
    #: The Ed25519 private key (PEM) that signs tokens. Takes precedence over the key file.
    jwt_private_key: str | None = None
    #: File holding the private key (PEM); default ``<data_dir>/keys/jwt-ed25519.pem``. Outside
    #: production a missing file is filled with a new key on first start.
    jwt_private_key_file: Path | None = None
    #: Lifetime of a token in seconds (default 24 h).
    token_ttl_s: float = Field(default=24 * 3600, gt=0)
    #: bcrypt cost factor (log2 rounds) of new password hashes.
    bcrypt_cost: int = Field(default=12, ge=4, le=15)
    #: Threads that run bcrypt (it releases the GIL); default: one per CPU.
    hash_workers: int = Field(default_factory=_cpu_count, ge=1, le=256)

    @model_validator(mode="after")
    def _default_key_file(self) -> AuthSettings:
        if self.jwt_private_key_file is None:
            self.jwt_private_key_file = self.data_dir.resolve() / "keys" / "jwt-ed25519.pem"
        return self

    @property
    def key_file(self) -> Path:
        assert self.jwt_private_key_file is not None  # set by the validator
        return self.jwt_private_key_file

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(seconds=self.token_ttl_s)
