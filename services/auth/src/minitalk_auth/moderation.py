"""Deleting users (issue 16): one user, or every user with the original client's danger zone.

Only admins (``MINITALK_ADMIN_USERS``) may; anyone else gets 403, a request without a valid
token 401, an admin with a wrong confirmation code 400. A deletion is, per user: the credential
purged from the KV bucket (its bcrypt hash gone from the bucket's history too), ``UserDeleted``
on ``users.<userId>`` (rooms forgets the name; replay shows it), and every token the user holds
revoked (a ``user-`` entry in ``minitalk-revoked``: every verifier refuses them, realtime
closes the user's sockets with "token revoked").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import nats.errors
from minitalk_common import bus, events, revocation, subjects, tokens
from minitalk_common.errors import BadInput, Forbidden, NotFound, Unauthorized
from minitalk_common.kvfollow import live_keys
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from .errors import StoreUnavailable

log = logging.getLogger("minitalk.auth.moderation")

DELETE_ALL_USERS = "DELETE_ALL_USERS_CONFIRM"


class NotAnAdmin(Forbidden):
    def __init__(self) -> None:
        super().__init__("only an admin may do this")


class WrongConfirmation(BadInput):
    def __init__(self) -> None:
        super().__init__("invalid confirmation code")


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("unknown user")


def now_text() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class UserRemover:
    def __init__(
        self,
        js: JetStreamContext,
        kv: KeyValue,
        verifier: tokens.TokenVerifier,
        admins: frozenset[str],
        token_ttl_s: float,
    ) -> None:
        self._js = js
        self._kv = kv
        self._verifier = verifier
        self._admins = admins
        self._ttl = token_ttl_s

    def admin(self, token: str | None) -> str:
        """The caller, if an admin: else 401 (no valid token) or 403."""
        try:
            username = self._verifier.verify(token).username
        except tokens.InvalidToken as exc:
            raise Unauthorized(str(exc)) from exc
        if username not in self._admins:
            raise NotAnAdmin
        return username

    async def delete(self, actor: str, username: str) -> None:
        try:
            await self._kv.get(username)
        except KeyNotFoundError as exc:
            raise UnknownUser from exc
        await self._remove(actor, username)

    async def delete_all(self, actor: str) -> int:
        """Every user but the admins (named by the setting: deleting them would lock the
        operators out of the panel they just used)."""
        names = sorted(await live_keys(self._js, subjects.CREDENTIALS_BUCKET) - self._admins)
        for username in names:
            await self._remove(actor, username)
        return len(names)

    async def _remove(self, actor: str, username: str) -> None:
        event = events.UserDeleted(actor=actor, user_id=username, username=username)
        try:
            await revocation.revoke_user(self._js, username, self._ttl)
            await bus.publish_event(self._js, subjects.user_subject(username), event)
            await self._kv.purge(username)
        except nats.errors.Error as exc:
            log.error("deleting user %s failed: %r", username, exc)
            raise StoreUnavailable from exc
        log.warning("%s deleted user %s", actor, username)
