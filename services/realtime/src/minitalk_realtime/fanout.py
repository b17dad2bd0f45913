"""Which local sockets are in which room, and the core NATS subscriptions that follow it.

Messages come from the MESSAGES stream (the hub's ``Feed``): the hub asks ``members`` which local
sockets a stored message goes to. Typing notices stay on core NATS: a process subscribes to
``typing.<roomId>`` only while at least one of its sockets is in that room, and unsubscribes
when the last one leaves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from minitalk_common import subjects, telemetry
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger("minitalk.realtime.fanout")

#: Receives (room id, raw payload) of a core NATS message for a room with local sockets.
RoomHandler = Callable[[str, bytes], Awaitable[None]]


class Fanout:
    def __init__(
        self,
        nc: NATS,
        on_typing: RoomHandler,
    ) -> None:
        self._nc = nc
        self._routes: list[tuple[Callable[[str], str], RoomHandler]] = [
            (subjects.typing_subject, on_typing),
        ]
        self._sids: dict[str, set[str]] = {}
        self._rooms_of: dict[str, set[str]] = {}
        self._subs: dict[str, list[Subscription]] = {}
        self._lock = asyncio.Lock()

    def members(self, room_id: str) -> set[str] | None:
        """The local sockets in ``room_id`` (the live set: copy it before any ``await``), or
        None when there is none; the cheapest check, made for every stored message."""
        return self._sids.get(room_id)

    def sids_in(self, room_id: str) -> list[str]:
        return list(self._sids.get(room_id, ()))

    def subscribed(self) -> int:
        return len(self._subs)

    def add(self, sid: str, room_id: str) -> None:
        self._sids.setdefault(room_id, set()).add(sid)
        self._rooms_of.setdefault(sid, set()).add(room_id)

    def remove(self, sid: str, room_id: str) -> None:
        self._discard(self._sids, room_id, sid)
        self._discard(self._rooms_of, sid, room_id)

    def drop(self, sid: str) -> set[str]:
        """Take ``sid`` out of every room; the rooms it was in."""
        rooms = self._rooms_of.pop(sid, set())
        for room_id in rooms:
            self._discard(self._sids, room_id, sid)
        return rooms

    async def sync(self, room_ids: Iterable[str]) -> None:
        """Subscribe to the given rooms that have local sockets, unsubscribe from the others.

        Returns once the server has seen the subscriptions (a flush), so a message published
        after this returns is delivered.
        """
        rooms = set(room_ids)
        if not rooms:
            return
        async with self._lock:
            for room_id in rooms:
                wanted, subs = bool(self._sids.get(room_id)), self._subs.get(room_id)
                if wanted and subs is None:
                    self._subs[room_id] = [
                        await self._subscribe(subject(room_id), handler)
                        for subject, handler in self._routes
                    ]
                elif not wanted and subs is not None:
                    del self._subs[room_id]
                    for sub in subs:
                        await sub.unsubscribe()
        try:
            await self._nc.flush(timeout=5)
        except Exception as exc:  # NATS reconnecting: nats-py resubscribes once it is back
            log.warning("flush after subscription change failed: %s", exc)

    async def _subscribe(self, subject: str, handler: RoomHandler) -> Subscription:
        """Subscribe ``handler``; each message is handled in a CONSUMER span parented on its
        headers' trace context."""
        room_id = subjects.room_of(subject)

        async def on_msg(msg: Msg) -> None:
            with telemetry.consumer_span(msg.subject, msg.headers):
                try:
                    await handler(room_id, msg.data)
                except Exception:
                    log.exception("fan-out of %s failed", msg.subject)

        return await self._nc.subscribe(subject, cb=on_msg)

    async def close(self) -> None:
        async with self._lock:
            for subs in self._subs.values():
                for sub in subs:
                    await sub.unsubscribe()
            self._subs.clear()

    @staticmethod
    def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
        values = index.get(key)
        if values is not None:
            values.discard(value)
            if not values:
                del index[key]
