"""A socket lives no longer than its token: at the token's expiry, or as soon as logout revokes
it, the socket gets ``error`` {message: "token expired" | "token revoked"} and is disconnected
(the client reconnects with a new token, or its user logs in again).

One timer for all sockets: the sockets' expiry times in a heap, a ``loop.call_at`` for the
earliest (nothing polls; a timer per socket held ~0.8 KB each, issue 18), and an index token id
-> sockets, fed by the revocation store's listener (``minitalk_common.revocation``): a
revocation costs a dict lookup here, whatever the number of sockets. A socket that goes first
leaves its heap entry behind (skipped when due); the heap is rebuilt from the live sockets when
such entries outnumber them.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from typing import Any

import socketio
from minitalk_common import revocation, tokens

from .deadlines import Deadlines

log = logging.getLogger("minitalk.realtime.expiry")

EXPIRED = "token expired"
REVOKED = "token revoked"


class TokenWatch(Deadlines):
    """The sockets by when their token expires (entries ``(when, sid)``, one timer), and by
    token id and user for revocations."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        super().__init__()
        self._sio = sio
        #: sid -> when its token expires (the loop's clock); the heap holds the same
        self._expires: dict[str, float] = {}
        self._jti_of: dict[str, str] = {}
        self._user_of: dict[str, str] = {}
        #: token id or user key -> its socket, or its sockets when more than one
        self._sids_of: dict[str, str | set[str]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        #: Set by the lifespan: checked once more after a socket is registered, so a revocation
        #: that arrived during the handshake is not missed.
        self.revocations: revocation.Revocations | None = None

    def watch(self, sid: str, identity: tokens.Identity) -> None:
        """Close ``sid`` when the token it connected with expires or is revoked."""
        delay = max(identity.expires_at - time.time(), 0.0)
        loop = asyncio.get_running_loop()
        at = loop.time() + delay
        self._expires[sid] = at
        self._push(loop, (at, sid))
        self._jti_of[sid] = identity.jti
        self._user_of[sid] = revocation.user_key(identity.username)
        for key in (identity.jti, self._user_of[sid]):  # a user's deletion revokes its key
            held = self._sids_of.get(key)
            if held is None:
                self._sids_of[key] = sid
            elif isinstance(held, set):
                held.add(sid)
            elif held != sid:
                self._sids_of[key] = {held, sid}
        if self.revocations is not None and self.revocations.is_revoked(identity.jti):
            self._close(sid, REVOKED)

    def forget(self, sid: str) -> None:
        """The socket is gone: drop its expiry and index entries."""
        if self._expires.pop(sid, None) is not None and len(self._due) > 64 + 2 * len(
            self._expires
        ):
            self._due = [(at, sid) for sid, at in self._expires.items()]
            heapq.heapify(self._due)
        for key in (self._jti_of.pop(sid, None), self._user_of.pop(sid, None)):
            if key is not None:
                held = self._sids_of.get(key)
                if held == sid:
                    del self._sids_of[key]
                elif isinstance(held, set):
                    held.discard(sid)
                    if len(held) == 1:
                        self._sids_of[key] = next(iter(held))

    def __len__(self) -> int:
        """Sockets watched (the heap may still hold entries of sockets gone)."""
        return len(self._expires)

    def _on_due(self, entry: tuple[Any, ...]) -> None:
        """Close the socket whose token expired (unless it is gone, or watched anew since)."""
        at, sid = entry
        if self._expires.get(sid) == at:
            self._close(sid, EXPIRED)

    def revoked(self, jti: str) -> None:
        """Listener of the revocation store: close every socket of that token."""
        held = self._sids_of.get(jti)
        for sid in [held] if isinstance(held, str) else list(held or ()):
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
