"""Sending a message: admit it, store it in JetStream, then acknowledge.

The sender is acknowledged only after JetStream has stored the ``MessageSent`` (its PubAck).
Nothing is published after that: every realtime process delivers what the MESSAGES stream
stores (the hub's ``Feed``), so a process that dies right after the PubAck loses no live copy. A
resend with the same ``clientMsgId`` has the same event id (``Nats-Msg-Id``): JetStream stores
it once (a duplicate PubAck), so it never reaches the room twice, and its ack carries the first
message's id, seq and timestamp.

Sends are pipelined (``minitalk_common.publisher``): ``send`` returns once the message is
written to NATS, and the socket's next event is handled meanwhile; the ack goes out when the
PubAck comes (``Reply``). A socket's messages are written in the order it sent them, on one
connection, so JetStream stores them in that order. Before anything is published,
``admission.py`` may refuse the send (``Busy``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from datetime import datetime
from functools import partial
from typing import Any, Protocol

import msgspec
import nats.errors
from minitalk_common import bus, events, metrics, subjects
from minitalk_common.chat.messages import timestamp
from minitalk_common.publisher import Publisher
from nats.js import JetStreamContext, api

from .admission import Admission
from .errors import NotStored, RealtimeError
from .payloads import SendMessage

log = logging.getLogger("minitalk.realtime.messages")

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


class Reply(Protocol):
    """How a send is answered once JetStream answered (``sockets.Answer``)."""

    async def __call__(self, ack: dict[str, Any]) -> None: ...

    async def refuse(self, exc: RealtimeError) -> None: ...


class MessageSender:
    def __init__(self, js: JetStreamContext, publisher: Publisher, admission: Admission) -> None:
        self._js = js
        self._publisher = publisher
        self.admission = admission
        self._readbacks: set[asyncio.Task[None]] = set()

    async def send(self, sid: str, sender: str, command: SendMessage, reply: Reply) -> None:
        """Admit (``Busy``), then write the message; ``reply`` gets the acknowledgement
        ``{ok, id, seq, timestamp}`` once it is stored, or ``NotStored``."""
        self.admission.admit(sid)
        event = events.MessageSent(
            id=event_id(sender, command.room_id, command.client_msg_id),
            actor=sender,
            room_id=command.room_id,
            sender=sender,
            content=command.content,
            client_msg_id=command.client_msg_id,
        )
        subject = subjects.message_subject(event.room_id)
        done = partial(self._stored, sid, event, reply)
        try:
            await bus.send_event(self._publisher, subject, event, done)
        except (nats.errors.Error, OSError) as exc:
            self.admission.finished(sid, None)
            log.warning("message %s not stored: %r", event.id, exc)
            raise NotStored from exc

    async def _stored(
        self,
        sid: str,
        event: events.MessageSent,
        reply: Reply,
        ack: api.PubAck | None,
        error: Exception | None,
    ) -> None:
        if ack is None:
            self.admission.finished(sid, None)
            log.warning("message %s not stored: %r", event.id, error)
            await reply.refuse(NotStored())
            return
        if ack.duplicate:
            self.admission.finished(sid, None)
            task = asyncio.create_task(self._answer_resend(event, ack.seq, reply))
            self._readbacks.add(task)
            task.add_done_callback(self._readbacks.discard)
            return
        self.admission.finished(sid, ack.seq)
        metrics.MESSAGES_PUBLISHED.add(1)
        await reply({"ok": True, "id": event.id, "seq": ack.seq, "timestamp": timestamp(event.at)})

    async def _answer_resend(self, event: events.MessageSent, seq: int, reply: Reply) -> None:
        """A resend is acked with the first copy's time (a read, off the ack path)."""
        at = await self._stored_at(seq, event.at)
        await reply({"ok": True, "id": event.id, "seq": seq, "timestamp": timestamp(at)})

    async def _stored_at(self, seq: int, fallback: datetime) -> datetime:
        """The time of the first copy of a resent message (so its ack matches what was sent)."""
        try:
            raw = await self._js.get_msg(subjects.MESSAGES_STREAM, seq, direct=True)
            stored = events.decode(raw.data or b"")
        except (nats.errors.Error, TimeoutError, events.BadEvent) as exc:
            log.warning("could not read back message at seq %d: %r", seq, exc)
            return fallback
        return stored.at
