"""Credentials in the JetStream KV bucket ``credentials``: one key per username.

The value is the record of ``minitalk_common.credentials`` (auth's exported contract, which the
replay tool's backup reads too). ``create`` is atomic on the server (expected last sequence 0),
so two auth processes racing for one name cannot both win.
"""

from __future__ import annotations

import logging

import msgspec
import nats.errors
from minitalk_common import credentials
from minitalk_common.credentials import Credential
from minitalk_common.events import utcnow
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from .errors import StoreUnavailable, UsernameTaken

log = logging.getLogger("minitalk.auth.store")


class CredentialStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def create(self, username: str, password_hash: str) -> int:
        """Store a new credential and return its revision; ``UsernameTaken`` if one exists."""
        record = Credential(username=username, password_hash=password_hash, created_at=utcnow())
        try:
            revision: int = await self._kv.create(username, credentials.encode(record))
        except KeyWrongLastSequenceError as exc:
            raise UsernameTaken from exc
        except nats.errors.Error as exc:
            log.error("storing the credential of %s failed: %r", username, exc)
            raise StoreUnavailable from exc
        return revision

    async def get(self, username: str) -> Credential | None:
        try:
            entry = await self._kv.get(username)
        except KeyNotFoundError:
            return None
        except nats.errors.Error as exc:
            log.error("reading the credential of %s failed: %r", username, exc)
            raise StoreUnavailable from exc
        if not entry.value:
            return None
        return msgspec.json.decode(entry.value, type=Credential)

    async def remove(self, username: str, revision: int) -> None:
        """Delete the credential stored at ``revision`` (and nothing written after it)."""
        await self._kv.delete(username, last=revision)
