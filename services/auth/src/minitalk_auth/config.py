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
    #: Lifetime of a token in seconds (default 12 h: a working day; the web app logs out at the
    #: first 401 and a socket is closed with "token expired"). Also the max age of the
    #: revocation bucket, so at most 30 days.
    token_ttl_s: float = Field(default=12 * 3600, gt=0, le=30 * 24 * 3600)
    #: Users allowed to moderate (comma-separated usernames, issue 16): delete one user
    #: (``DELETE /api/auth/users/<name>``) or every user (``DELETE /api/auth/delete-all-users``
    #: with the confirmation code). Nobody when empty. Set the same in rooms.
    admin_users: str = ""

    # Login throttling (docs/security.md, "Login throttling"). A scope allows ``threshold``
    # failed logins; from then on every further attempt waits for a lock that starts at
    # ``login_lock_s`` and doubles up to its cap. A scope forgets its failures after
    # ``login_failure_window_s`` without one; a good login resets its (account, client IP).
    #: Failed logins of one account from one client IP before it is locked (the brute force).
    login_failures_per_account_ip: int = Field(default=5, ge=1)
    #: Failed logins from one client IP, over all accounts (password spraying).
    login_failures_per_ip: int = Field(default=100, ge=1)
    #: Failed logins of one account from all IPs (a distributed attack). Its lock does not
    #: apply to a client IP that logged in to that account recently (see ``known_client_s``).
    login_failures_per_account: int = Field(default=50, ge=1)
    #: How long a scope remembers failures after the last one (seconds).
    login_failure_window_s: float = Field(default=3600, gt=0, le=7 * 24 * 3600)
    #: First lock of a scope (seconds); each further failure doubles it.
    login_lock_s: float = Field(default=30, gt=0)
    #: Cap of the per-(account, IP) and per-IP locks (seconds).
    login_lock_max_s: float = Field(default=900, gt=0, le=7 * 24 * 3600)
    #: Cap of the per-account lock (seconds): short, since it may hit the owner on a new IP.
    account_lock_max_s: float = Field(default=300, gt=0, le=7 * 24 * 3600)
    #: How long a client IP stays "known" to an account after a good login from it (seconds).
    known_client_s: float = Field(default=30 * 24 * 3600, gt=0)

    # Sign-ups and batches, counted per client IP the same way (threshold, doubling lock up to
    # the window).
    #: Sign-ups (``/signup``, good or not) from one client IP per window.
    signups_per_ip: int = Field(default=50, ge=1)
    #: Window of the sign-up and batch budgets (seconds); also the cap of their locks.
    signup_window_s: float = Field(default=3600, gt=0, le=7 * 24 * 3600)
    #: First lock of the sign-up and batch budgets (seconds).
    signup_lock_s: float = Field(default=60, gt=0)
    #: ``signup-batch`` / ``login-batch`` on? Default: on, except with ``MINITALK_ENV=production``
    #: (where they answer 403 unless this is ``true``); load tests turn it on.
    batch_endpoints: bool | None = None
    #: The most users one batch may hold (more is a 413); the load tests send 1000.
    batch_max_users: int = Field(default=1000, ge=1, le=10_000)
    #: Batch entries (sign-up and login alike) from one client IP per window: a load test of
    #: 10,000 users spends 20,000. Login entries also count against the login failure limits.
    batch_entries_per_ip: int = Field(default=50_000, ge=1)
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
    def batches_enabled(self) -> bool:
        return self.batch_endpoints if self.batch_endpoints is not None else not self.production

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(seconds=self.token_ttl_s)

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.admin_users.split(",") if name.strip())
