"""Read positions in rooms: ``POST /read`` publishes ``ReadUpTo``; the READS projection folds them
(``minitalk_common.chat.reads``) for the room list, ``/receipts`` and the next ``/read``.

Only forward and never a no-op: the request's seq is clamped to the room's last message (one
direct get of ``messages.<roomId>``) and nothing is published when the position would not move.
After a publish the answer waits for this replica's projection to apply it (read-your-writes).
"""

from __future__ import annotations

import logging

from minitalk_common import bus, events, subjects
from minitalk_common.chat.reads import ReadPositions
from minitalk_common.projection import Projection
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext

from . import errors
from .handlers import RoomCommands

log = logging.getLogger("minitalk.rooms.reads")


class ReadDirectory(ReadPositions):
    async def project(self, event: events.Event, seq: int) -> None:
        """The READS projection's callback."""
        self.apply(event)


class ReadCommands:
    def __init__(
        self,
        js: JetStreamContext,
        commands: RoomCommands,
        positions: ReadDirectory,
        view: Projection,
    ) -> None:
        self._js = js
        self._commands = commands
        self.positions = positions
        self._view = view

    async def mark(self, actor: str, room_id: str, seq: int) -> int:
        """Move ``actor``'s position in the room up to ``seq`` (clamped); the position after."""
        await self._commands.member_room(actor, room_id)
        try:
            last = await bus.last_seq(
                self._js, subjects.MESSAGES_STREAM, subjects.message_subject(room_id)
            )
            target = self.positions.target(room_id, actor, seq, last)
            if target is not None:
                event = events.ReadUpTo(actor=actor, room_id=room_id, username=actor, seq=target)
                ack = await bus.publish_event(self._js, subjects.reads_subject(room_id), event)
                await self._view.wait_for(ack.seq)
        except (NatsTimeout, NoRespondersError, TimeoutError) as exc:
            log.warning("read position of %s in %s: %r", actor, room_id, exc)
            raise errors.LogUnavailable() from exc
        return self.positions.of(room_id, actor)

    async def receipts(self, actor: str, room_id: str) -> list[dict[str, object]]:
        """``[{username, lastReadSeq}]`` of every member, in the room's member order."""
        room = await self._commands.member_room(actor, room_id)
        return [
            {"username": name, "lastReadSeq": self.positions.of(room_id, name)}
            for name in room.participants
        ]
