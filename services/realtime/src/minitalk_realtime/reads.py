"""Read positions on sockets: ``mark_read`` publishes ``ReadUpTo``; the READS projection tells.

``mark_read`` {roomId, seq}: the seq is clamped to the room's last message and nothing is
published when the position would not move (``minitalk_common.chat.reads``); the ack
``{ok: true, roomId, lastReadSeq}`` comes once this process's projection applied the event.

Every realtime process follows READS, so a position moved anywhere (a socket on another
process, rooms' ``POST /read``) reaches every process once; each tells its own sockets:
``read`` {roomId, lastReadSeq} to the reader's sockets (not the one that sent ``mark_read``:
it has its ack) and ``receipt`` {roomId, username, lastReadSeq} to the room's sockets.
"""

from __future__ import annotations

import logging
from typing import Any

import nats.errors
from minitalk_common import bus, events, subjects
from minitalk_common.chat.reads import ReadPositions
from minitalk_common.projection import Projection
from nats.js import JetStreamContext

from .errors import NotStored
from .hub import Emitter, Hub
from .payloads import MarkRead

log = logging.getLogger("minitalk.realtime.reads")


class Reads:
    def __init__(self, js: JetStreamContext, hub: Hub, emitter: Emitter, timeout: float) -> None:
        self._js = js
        self._hub = hub
        self._emitter = emitter
        self._timeout = timeout
        self.positions = ReadPositions()
        self.projection = Projection(js, subjects.READS_STREAM, self._apply)
        #: event id -> the socket whose ``mark_read`` published it (it gets the ack, not ``read``)
        self._origins: dict[str, str] = {}

    async def start(self) -> None:
        await self.projection.start()

    async def mark(self, sid: str, command: MarkRead) -> dict[str, Any]:
        username = self._hub.user(sid)
        room_id = command.room_id
        await self._hub.require_member(username, room_id)
        try:
            subject = subjects.message_subject(room_id)
            last = await bus.last_seq(self._js, subjects.MESSAGES_STREAM, subject)
            target = self.positions.target(room_id, username, command.seq, last)
            if target is not None:
                await self._publish(sid, username, room_id, target)
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("mark_read of %s in %s: %r", username, room_id, exc)
            raise NotStored from exc
        return {"ok": True, "roomId": room_id, "lastReadSeq": self.positions.of(room_id, username)}

    async def _publish(self, sid: str, username: str, room_id: str, seq: int) -> None:
        event = events.ReadUpTo(actor=username, room_id=room_id, username=username, seq=seq)
        self._origins[event.id] = sid
        try:
            subject = subjects.reads_subject(room_id)
            ack = await bus.publish_event(self._js, subject, event, timeout=self._timeout)
            await self.projection.wait_for(ack.seq, self._timeout)
        finally:
            self._origins.pop(event.id, None)

    async def _apply(self, event: events.Event, seq: int) -> None:
        moved = self.positions.apply(event)
        if moved is None or not self.projection.ready.is_set():
            return  # replaying what was before this process started: nobody to tell
        origin = self._origins.pop(moved.event_id, None)
        own = [s for s in self._hub.sessions.sids_of(moved.username) if s != origin]
        if own:
            read = {"roomId": moved.room_id, "lastReadSeq": moved.seq}
            await self._emitter.emit("read", read, to=own)
        room = self._hub.fanout.sids_in(moved.room_id)
        if room:
            receipt = {
                "roomId": moved.room_id,
                "username": moved.username,
                "lastReadSeq": moved.seq,
            }
            await self._emitter.emit("receipt", receipt, to=room)
