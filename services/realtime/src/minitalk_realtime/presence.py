"""Presence: who is online, told to the rooms' sockets without a storm.

A user is online while their sockets on every realtime process add up to more than 0
(``socketcount.py``: each process follows every process's counts, so each sees the same
changes). Each process tells only its own sockets, in the rooms where the user is a member,
so nothing is delivered twice and no message crosses NATS per presence change.

- **Grace**: when a user's count falls to 0 they stay online for ``grace_s``; a socket back
  within it (a page reload, a reconnect storm) changes nothing and nobody hears of it.
- **Coalescing**: changes are collected and told every ``tick_s``; a user who went
  offline and online again within one tick is not told at all.
- **Dead processes**: each process sends a heartbeat on core NATS every ``heartbeat_s``
  (a few bytes; N processes make N x N deliveries a second); one silent for ``dead_after_s``
  stops counting, so its users go offline a grace after that, not after the bucket's max age.

Also answers ``minitalk.presence.query`` for rooms' ``GET /presence``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec
import nats.errors
from minitalk_common import subjects
from minitalk_common.chat import presence as contract
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from .hub import Emitter, Hub
from .socketcount import SocketCounts

log = logging.getLogger("minitalk.realtime.presence")


@dataclass(frozen=True)
class Timing:
    grace_s: float = 5.0
    tick_s: float = 0.25
    heartbeat_s: float = 1.0


@dataclass
class Traffic:
    """What presence cost this process (logged at exit; read by the benchmark)."""

    changes: int = 0
    emits: int = 0
    frames: int = 0
    heartbeats_sent: int = 0
    heartbeats_heard: int = 0


class Presence:
    def __init__(
        self, nc: NATS, hub: Hub, counts: SocketCounts, emitter: Emitter, timing: Timing
    ) -> None:
        self._nc = nc
        self._hub = hub
        self._counts = counts
        self._emitter = emitter
        self._timing = timing
        self._online: set[str] = set()
        #: user -> when they go offline unless a socket comes back first
        self._offline_at: dict[str, float] = {}
        #: user -> whether they were online when the tick began (changed within it)
        self._was: dict[str, bool] = {}
        self._subs: list[Subscription] = []
        self.traffic = Traffic()
        counts.on_change = self._on_count

    def is_online(self, username: str) -> bool:
        return username in self._online

    def online_in(self, room_id: str) -> list[str]:
        room = self._hub.membership.get(room_id)
        return [m for m in room.participants if m in self._online] if room else []

    async def tell(self, sid: str, room_ids: Iterable[str]) -> None:
        """``presence`` {roomId, online} to one socket for each of ``room_ids``."""
        for room_id in room_ids:
            body = {"roomId": room_id, "online": self.online_in(room_id)}
            await self._emitter.emit("presence", body, to=sid)

    async def run(self) -> None:
        """Heartbeats, the grace and the ticks, until cancelled."""
        self._subs = [
            await self._nc.subscribe(subjects.PRESENCE_HEARTBEAT, cb=self._on_heartbeat),
            await self._nc.subscribe(subjects.PRESENCE_QUERY, queue="realtime", cb=self._on_query),
        ]
        beat = 0.0
        try:
            while True:
                now = time.monotonic()
                if now - beat >= self._timing.heartbeat_s:
                    beat = now
                    await self._heartbeat()
                self._counts.check_silent()
                self._expire(now)
                await self._flush()
                await asyncio.sleep(self._timing.tick_s)
        finally:
            for sub in self._subs:
                with contextlib.suppress(nats.errors.Error):
                    await sub.unsubscribe()
            log.info("presence traffic: %s", self.traffic)

    # -- state --------------------------------------------------------------------------------

    def _on_count(self, username: str) -> None:
        if self._counts.of(username) > 0:
            self._offline_at.pop(username, None)
            if username not in self._online:
                self._set(username, True)
        elif username in self._online and username not in self._offline_at:
            self._offline_at[username] = time.monotonic() + self._timing.grace_s

    def _expire(self, now: float) -> None:
        due = [user for user, at in self._offline_at.items() if at <= now]
        for username in due:
            del self._offline_at[username]
            if self._counts.of(username) == 0:
                self._set(username, False)

    def _set(self, username: str, online: bool) -> None:
        self._was.setdefault(username, username in self._online)
        if online:
            self._online.add(username)
        else:
            self._online.discard(username)

    async def _flush(self) -> None:
        changed, self._was = self._was, {}
        for username, was in changed.items():
            online = username in self._online
            if online != was:
                self.traffic.changes += 1
                await self._announce(username, online)

    async def _announce(self, username: str, online: bool) -> None:
        fanout = self._hub.fanout
        for room_id in self._hub.membership.room_ids_of(username):
            sids = fanout.sids_in(room_id)
            if sids:
                body = {"roomId": room_id, "username": username, "online": online}
                self.traffic.emits += 1
                self.traffic.frames += len(sids)
                try:
                    await self._emitter.emit("presence_changed", body, to=sids)
                except Exception:
                    log.exception("presence of %s to room %s failed", username, room_id)

    # -- NATS ---------------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        try:
            await self._nc.publish(subjects.PRESENCE_HEARTBEAT, self._counts.replica.encode())
            self.traffic.heartbeats_sent += 1
        except nats.errors.Error as exc:
            log.warning("cannot send the presence heartbeat: %r", exc)

    async def _on_heartbeat(self, msg: Msg) -> None:
        replica = msg.data.decode(errors="replace")
        if replica != self._counts.replica:
            self.traffic.heartbeats_heard += 1
            self._counts.heard(replica)

    async def _on_query(self, msg: Msg) -> None:
        try:
            users = contract.decode_query(msg.data).users
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            log.warning("bad presence query %r: %s", msg.data[:200], exc)
            return
        reply = contract.PresenceReply([u for u in users if u in self._online])
        if msg.reply:
            with contextlib.suppress(nats.errors.Error):
                await self._nc.publish(msg.reply, contract.encode(reply))
