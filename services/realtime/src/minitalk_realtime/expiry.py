"""A socket lives no longer than its token: at the token's expiry, or as soon as logout revokes
it, the socket gets ``error`` {message: "token expired" | "token revoked"} and is disconnected
(the client reconnects with a new token, or its user logs in again).

One timer per socket (``loop.call_later``, nothing polls) and an index token id -> sockets, fed
by the revocation store's listener (``minitalk_common.revocation``): a revocation costs a dict
lookup here, whatever the number of sockets.
"""

from __future__ import annotations

import asyncio
import logging
import time

import socketio
from minitalk_common import revocation, tokens

log = logging.getLogger("minitalk.realtime.expiry")

EXPIRED = "token expired"
REVOKED = "token revoked"


class TokenWatch:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._jti_of: dict[str, str] = {}
        self._user_of: dict[str, str] = {}
        self._sids_of: dict[str, set[str]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        #: Set by the lifespan: checked once more after a socket is registered, so a revocation
        #: that arrived during the handshake is not missed.
        self.revocations: revocation.Revocations | None = None

    def watch(self, sid: str, identity: tokens.Identity) -> None:
        """Close ``sid`` when the token it connected with expires or is revoked."""
        delay = max(identity.expires_at - time.time(), 0.0)
        loop = asyncio.get_running_loop()
        self._timers[sid] = loop.call_later(delay, self._close, sid, EXPIRED)
        self._jti_of[sid] = identity.jti
        self._user_of[sid] = revocation.user_key(identity.username)
        for key in (identity.jti, self._user_of[sid]):  # a user's deletion revokes its key
            self._sids_of.setdefault(key, set()).add(sid)
        if self.revocations is not None and self.revocations.is_revoked(identity.jti):
            self._close(sid, REVOKED)

    def forget(self, sid: str) -> None:
        """The socket is gone: drop its timer and index entry."""
        timer = self._timers.pop(sid, None)
        if timer is not None:
            timer.cancel()
        for key in (self._jti_of.pop(sid, None), self._user_of.pop(sid, None)):
            if key is not None:
                sids = self._sids_of.get(key, set())
                sids.discard(sid)
                if not sids:
                    self._sids_of.pop(key, None)

    def revoked(self, jti: str) -> None:
        """Listener of the revocation store: close every socket of that token."""
        for sid in list(self._sids_of.get(jti, ())):
            self._close(sid, REVOKED)

    def _close(self, sid: str, reason: str) -> None:
        self.forget(sid)
        task = asyncio.get_running_loop().create_task(self._disconnect(sid, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _disconnect(self, sid: str, reason: str) -> None:
        try:
            await self._sio.emit("error", {"message": reason}, to=sid)
            await self._sio.disconnect(sid)
        except Exception:  # the socket may have gone meanwhile; nobody else is affected
            log.exception("closing a socket whose %s failed", reason)
        else:
            log.info("closed a socket: %s", reason)
