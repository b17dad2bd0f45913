"""Sending a message: store it in JetStream, acknowledge, then deliver it live once.

The sender is acknowledged only after JetStream has stored the ``MessageSent`` (its PubAck). The
wire message then goes out once on core ``deliver.<roomId>``, and only when the PubAck is not a
duplicate: a resend with the same ``clientMsgId`` has the same event id (``Nats-Msg-Id``), is
stored once, gets the first message's id, seq and timestamp, and never reaches the room twice.

With ``local`` the publishing process gives its own sockets the message itself, right after the
sender's ack: its NATS connection has no echo (``no_echo``), so ``deliver.<roomId>`` reaches
only the other processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import nats.errors
from minitalk_common import bus, events, metrics, subjects, telemetry
from minitalk_common.chat.messages import LiveMessage, live_message, timestamp
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from .errors import NotStored
from .payloads import SendMessage

log = logging.getLogger("minitalk.realtime.messages")

#: Delivers (room id, wire message, the publish's headers) to this process's own sockets.
LocalDelivery = Callable[[str, LiveMessage, dict[str, str] | None], Any]

#: Namespace of the event ids derived from ``[sender, roomId, clientMsgId]``.
NAMESPACE = uuid.UUID("6f0f5a1e-8d3c-4d0e-9a53-1c2b8f5e7a10")


_NAMESPACE_BYTES = NAMESPACE.bytes
_id_name = msgspec.json.Encoder()


def event_id(sender: str, room_id: str, client_msg_id: str | None) -> str:
    """Stable for a resend (same sender, room and clientMsgId), random otherwise.

    The clientMsgId is scoped to (sender, room): a client that numbers its messages per room
    (or per session) reuses ids across rooms, and those are different messages. The name is
    the JSON array ``["<sender>","<roomId>","<clientMsgId>"]`` (unambiguous whatever the
    parts hold); ``uuid.uuid5(NAMESPACE, name).hex`` without building UUID objects (a few
    percent of the process's CPU at 1,000 msgs/s).
    """
    if client_msg_id is None:
        return uuid.uuid4().hex
    name = _id_name.encode((sender, room_id, client_msg_id))
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()


class MessageSender:
    def __init__(
        self,
        js: JetStreamContext,
        nc: NATS,
        timeout: float,
        local: LocalDelivery | None = None,
    ) -> None:
        """``local``: this process's own sockets, when its NATS connection has no echo (see the
        module's doc)."""
        self._js = js
        self._nc = nc
        self._timeout = timeout
        self._local = local
        self._pending: set[asyncio.Task[Any]] = set()

    async def send(self, sender: str, command: SendMessage) -> dict[str, Any]:
        """Store, then deliver; the acknowledgement ``{ok, id, seq, timestamp}``."""
        event = events.MessageSent(
            id=event_id(sender, command.room_id, command.client_msg_id),
            actor=sender,
            room_id=command.room_id,
            sender=sender,
            content=command.content,
            client_msg_id=command.client_msg_id,
        )
        seq, duplicate = await self._store(event)
        at = await self._stored_at(seq, event.at) if duplicate else event.at
        if not duplicate:
            metrics.MESSAGES_PUBLISHED.add(1)
            await self._deliver(event, seq, at)
        return {"ok": True, "id": event.id, "seq": seq, "timestamp": timestamp(at)}

    async def _store(self, event: events.MessageSent) -> tuple[int, bool]:
        subject = subjects.message_subject(event.room_id)
        try:
            ack = await bus.publish_event(self._js, subject, event, timeout=self._timeout)
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            log.warning("message %s not stored: %r", event.id, exc)
            raise NotStored from exc
        return ack.seq, bool(ack.duplicate)

    async def _stored_at(self, seq: int, fallback: datetime) -> datetime:
        """The time of the first copy of a resent message (so its ack matches what was sent)."""
        try:
            raw = await self._js.get_msg(subjects.MESSAGES_STREAM, seq, direct=True)
            stored = events.decode(raw.data or b"")
        except (nats.errors.Error, TimeoutError, events.BadEvent) as exc:
            log.warning("could not read back message at seq %d: %r", seq, exc)
            return fallback
        return stored.at

    async def _deliver(self, event: events.MessageSent, seq: int, at: datetime) -> None:
        wire = live_message(event, seq, at)
        data = msgspec.json.encode(wire)
        subject = subjects.deliver_subject(event.room_id)
        local = self._local
        headers = None
        try:
            headers = await telemetry.publish(self._nc, subject, data, message_id=event.id)
        except nats.errors.Error as exc:  # stored: history still has it after a reconnect
            log.warning("live delivery of message %s failed: %r", event.id, exc)
        if local is not None:
            # a task: it runs once this handler has returned, so the sender's ack goes first
            task = asyncio.create_task(local(event.room_id, wire, headers))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
