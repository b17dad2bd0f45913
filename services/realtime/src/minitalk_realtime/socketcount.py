"""Sockets per user across every realtime process (``max_sockets_per_user`` is for them all).

Each process counts its own sockets per user and stores the count in the KV bucket
``realtime-sockets`` under ``<user>.<replica id>`` (a random id per process start): when it
changes (one NATS round trip per connect or disconnect, none per message) and, for every user
with at least one socket, every ``refresh_s`` seconds. The bucket's max age is a few refreshes,
so the entries of a process that died without deleting them disappear by themselves
(nats-server 2.9 has no per-message TTL). Every process follows the bucket into memory
(``kvfollow``), so the check at connect is a dict lookup: its own count plus the others'.
An entry that expires leaves no trace in the bucket's watchers (JetStream drops it silently), so
each process also forgets another's count it has not seen refreshed for the bucket's max age.

A process also says it is alive on core NATS every ``presence_heartbeat_s`` (``presence.py``
sends it, ``heard`` records it): once a process has been heard, its counts stop counting when it
has been silent for ``dead_after_s``, so a SIGKILLed process's users go offline (and stop counting
against the limit) seconds after its death instead of after the bucket's max age. A process never
heard (an older version) is judged by the max age alone.

Two connects of one user at the same instant on two processes may both pass (each sees the
other's count a NATS message later): the limit can be overshot by the number of processes at
most, which is enough against a script opening thousands of sockets.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import nats.errors
from minitalk_common import bus, kvfollow, subjects, tasks
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

log = logging.getLogger("minitalk.realtime.sockets")

#: Max age of an entry, in refresh intervals: a missed refresh or two does not lose it.
AGE_IN_REFRESHES = 3


class SocketCounts:
    """This process's sockets per user, and what the other processes published of theirs."""

    def __init__(self, kv: KeyValue, refresh_s: float, dead_after_s: float = 3.0) -> None:
        self.replica = secrets.token_hex(8)
        self.ready = asyncio.Event()
        #: Set while following the bucket (not while NATS is away or it resumes after).
        self.current = asyncio.Event()
        self._kv = kv
        self._refresh_s = refresh_s
        self._mine: dict[str, int] = {}
        self._max_age = AGE_IN_REFRESHES * refresh_s
        #: user -> replica -> (sockets, when last stored: ``time.monotonic()`` here)
        self._others: dict[str, dict[str, tuple[int, float]]] = {}
        #: replica -> when its last heartbeat came (``time.monotonic()`` here)
        self._heard: dict[str, float] = {}
        self._dead_after = dead_after_s
        self._dead: set[str] = set()
        #: Called with a username whenever its count may have changed (``presence.py``).
        self.on_change: Callable[[str], None] = lambda _: None

    def of(self, username: str) -> int:
        """Sockets ``username`` holds on every realtime process (as far as this one knows)."""
        others = self._others.get(username, {})
        now = time.monotonic()
        live = sum(
            count for replica, (count, seen) in others.items() if self._live(replica, seen, now)
        )
        return self._mine.get(username, 0) + live

    def users(self) -> list[str]:
        """Every user with a count here or on another process (live or not)."""
        return list({*self._mine, *self._others})

    def _live(self, replica: str, seen: float, now: float) -> bool:
        heard = self._heard.get(replica)
        if heard is not None:
            return now - heard < self._dead_after
        return now - seen < self._max_age

    def heard(self, replica: str) -> None:
        """A heartbeat of ``replica``; its users change when it was thought dead."""
        self._heard[replica] = time.monotonic()
        if replica in self._dead:
            self._dead.discard(replica)
            log.info("realtime process %s is heard again", replica)
            self._changed_on(replica)

    def check_silent(self) -> None:
        """Tell ``on_change`` about the users of the replicas that fell silent since the last
        call (their sockets stop counting), and forget replicas silent for the max age."""
        now = time.monotonic()
        for replica, at in list(self._heard.items()):
            if now - at >= self._max_age:
                del self._heard[replica]
                self._dead.discard(replica)
            elif now - at >= self._dead_after and replica not in self._dead:
                log.warning("realtime process %s is silent: its sockets no longer count", replica)
                self._dead.add(replica)
                self._changed_on(replica)

    def _changed_on(self, replica: str) -> None:
        for username, counts in list(self._others.items()):
            if replica in counts:
                self.on_change(username)

    def opened(self, username: str) -> None:
        """Count one more socket of ``username`` here (``publish`` tells the others)."""
        self._mine[username] = self._mine.get(username, 0) + 1
        self.on_change(username)

    def closed(self, username: str) -> None:
        left = self._mine.get(username, 0) - 1
        if left > 0:
            self._mine[username] = left
        else:
            self._mine.pop(username, None)
        self.on_change(username)

    async def publish(self, username: str) -> None:
        """Store this process's count of ``username`` (deleted at 0) for the other processes."""
        key = f"{subjects.token(username)}.{self.replica}"
        count = self._mine.get(username, 0)
        try:
            if count:
                await self._kv.put(key, str(count).encode())
            else:
                await self._kv.delete(key)
        except nats.errors.Error as exc:  # the next refresh (or the max age) puts it right
            log.warning("cannot publish the socket count of %s: %r", username, exc)

    def _on_entry(self, key: str, value: bytes | None) -> None:
        username, _, replica = key.rpartition(".")
        if replica == self.replica:
            return  # this process knows its own counts better
        counts = self._others.setdefault(username, {})
        if value:
            counts[replica] = (int(value), time.monotonic())
        else:
            counts.pop(replica, None)
            if not counts:
                del self._others[username]
        self.on_change(username)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                for username in list(self._mine):
                    await self.publish(username)
                self._forget_expired()
            except Exception:  # the next round tries again; the loop must not die
                log.exception("refreshing the socket counts failed")

    def _forget_expired(self) -> None:
        """Drop the counts of processes gone without deleting them (killed, cut off)."""
        live_since = time.monotonic() - self._max_age
        for username, counts in list(self._others.items()):
            for replica in [r for r, (_, seen) in counts.items() if seen < live_since]:
                del counts[replica]
                self.on_change(username)
            if not counts:
                del self._others[username]


async def ensure_bucket(js: JetStreamContext, refresh_s: float, replicas: int) -> KeyValue:
    """Create the bucket, or bring its max age to this process's refresh (the last started
    process's setting wins; all replicas are meant to share one)."""
    return await bus.ensure_bucket(
        js, subjects.SOCKETS_BUCKET, replicas, AGE_IN_REFRESHES * refresh_s
    )


@asynccontextmanager
async def counting(
    js: JetStreamContext, refresh_s: float, replicas: int, dead_after_s: float = 3.0
) -> AsyncIterator[SocketCounts]:
    """Socket counts shared with the other realtime processes until the context ends."""
    kv = await ensure_bucket(js, refresh_s, replicas)
    counts = SocketCounts(kv, refresh_s, dead_after_s)
    refresher = asyncio.create_task(counts._refresh())
    try:
        bucket = subjects.SOCKETS_BUCKET
        async with kvfollow.following(js, bucket, counts._on_entry, counts.ready, counts.current):
            yield counts
    finally:
        await tasks.stop(refresher)  # before the last publishes, which it could race
        for username in list(counts._mine):  # this process's sockets are gone with it
            counts._mine.pop(username)
            await counts.publish(username)
