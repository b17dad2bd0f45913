"""Moderation (issue 16): admins, purging a room's history, wiping every room's.

Admins are the users named by ``MINITALK_ADMIN_USERS``. A purge is an event - ``HistoryPurged``
on the room's MESSAGES subject, so the persister cuts the room's file at it, replay sees it and
every consumer has it in order - followed by a JetStream purge of the room's subject below it,
so the content is gone from the stream too (not only hidden).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from minitalk_common import bus, events, subjects
from minitalk_common.errors import BadInput, Forbidden, Unavailable
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

log = logging.getLogger("minitalk.rooms.moderation")

#: The confirmation code the original client's danger zone sends to wipe every message.
DELETE_ALL_MESSAGES = "DELETE_ALL_MESSAGES_CONFIRM"


class NotAnAdmin(Forbidden):
    def __init__(self) -> None:
        super().__init__("only an admin may do this")


class WrongConfirmation(BadInput):
    def __init__(self) -> None:
        super().__init__("invalid confirmation code")


def require_admin(username: str, admins: frozenset[str]) -> None:
    if username not in admins:
        raise NotAnAdmin


def require_code(body: Any, code: str) -> None:
    if not isinstance(body, dict) or body.get("confirmationCode") != code:
        raise WrongConfirmation


@dataclass(frozen=True)
class Purged:
    room_id: str
    #: Events removed from the stream (messages and their changes).
    events: int


class Moderator:
    def __init__(self, nc: NATS, js: JetStreamContext, timeout: float) -> None:
        self._nc = nc
        self._js = js
        self._timeout = timeout

    async def purge_room(self, actor: str, room_id: str) -> Purged:
        """``HistoryPurged`` on the room's subject, then the subject purged below it."""
        subject = subjects.message_subject(room_id)
        event = events.HistoryPurged(actor=actor, room_id=room_id)
        try:
            ack = await bus.publish_event(self._js, subject, event, timeout=self._timeout)
            purged = await self._purge_below(subject, ack.seq)
        except Exception as exc:
            log.warning("purge of %s failed: %r", room_id, exc)
            raise Unavailable("the purge was not stored, try again") from exc
        log.info("%s purged the history of room %s (%d events)", actor, room_id, purged)
        return Purged(room_id, purged)

    async def purge_all(self, actor: str) -> list[Purged]:
        """Every room with something in the MESSAGES stream, purged one by one."""
        info = await self._js.stream_info(subjects.MESSAGES_STREAM, subjects_filter="messages.>")
        rooms = sorted(subjects.room_of(s) for s in (info.state.subjects or {}))
        return [await self.purge_room(actor, room_id) for room_id in rooms]

    async def _purge_below(self, subject: str, seq: int) -> int:
        """JetStream's purge of ``subject`` below ``seq``: how many events it removed."""
        request = json.dumps({"filter": subject, "seq": seq}).encode()
        api = f"$JS.API.STREAM.PURGE.{subjects.MESSAGES_STREAM}"
        reply = await self._nc.request(api, request, timeout=self._timeout)
        answer = json.loads(reply.data)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return int(answer.get("purged", 0))


def now_text() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
