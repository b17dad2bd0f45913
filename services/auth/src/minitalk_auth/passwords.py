"""Password rules and bcrypt, run in a bounded thread pool (bcrypt releases the GIL).

Passwords are 8-72 bytes of UTF-8: bcrypt reads at most 72 bytes, so a longer password is
refused rather than silently cut.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import bcrypt

from .errors import InvalidPassword

MIN_PASSWORD_BYTES = 8
MAX_PASSWORD_BYTES = 72


def password_bytes(password: str) -> bytes:
    """The UTF-8 bytes of an acceptable password, else ``InvalidPassword``."""
    try:
        raw = password.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from a JSON "\\ud800" escape
        raise InvalidPassword("password must be valid Unicode text") from exc
    if len(raw) < MIN_PASSWORD_BYTES:
        raise InvalidPassword(f"password must be at least {MIN_PASSWORD_BYTES} bytes")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise InvalidPassword(f"password must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8)")
    return raw


class Hasher:
    """bcrypt hashing and checking on ``workers`` threads, off the event loop."""

    def __init__(self, cost: int, workers: int) -> None:
        self._cost = cost
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bcrypt")
        # Checked when a login names no known user, so that answer costs what a real check does.
        self._dummy = bcrypt.hashpw(b"no such user, no such password", bcrypt.gensalt(cost))

    async def hash(self, password: bytes) -> str:
        loop = asyncio.get_running_loop()
        digest: bytes = await loop.run_in_executor(self._pool, self._hash, password)
        return digest.decode()

    async def check(self, password: bytes, password_hash: str | None) -> bool:
        """Whether ``password`` matches; with no hash, spend one check anyway and say no."""
        loop = asyncio.get_running_loop()
        target = password_hash.encode() if password_hash else self._dummy
        matches: bool = await loop.run_in_executor(self._pool, bcrypt.checkpw, password, target)
        return matches and password_hash is not None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _hash(self, password: bytes) -> bytes:
        digest: bytes = bcrypt.hashpw(password, bcrypt.gensalt(self._cost))
        return digest
