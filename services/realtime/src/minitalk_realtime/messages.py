"""Sending a message: store it in JetStream, then acknowledge.

The sender is acknowledged only after JetStream has stored the ``MessageSent`` (its PubAck).
Nothing is published after that: every realtime process delivers what the MESSAGES stream
stores (the hub's ``Feed``), so a process that dies right after the PubAck loses no live copy. A
resend with the same ``clientMsgId`` has the same event id (``Nats-Msg-Id``): JetStream stores
it once (a duplicate PubAck), so it never reaches the room twice, and its ack carries the first
message's id, seq and timestamp.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Iterator
from datetime import datetime
from typing import Any

import msgspec
import nats.errors
from minitalk_common import bus, events, metrics, subjects
from minitalk_common.chat.messages import timestamp
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from .errors import NotStored
from .jspublish import Publisher
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


class MessageSender:
    def __init__(
        self, js: JetStreamContext, nc: NATS, timeout: float, coalesce_s: float = 0.0
    ) -> None:
        self._js = js
        self._publisher = Publisher(nc, timeout, coalesce_s)

    @property
    def pending(self) -> int:
        """Sends waiting for JetStream's PubAck."""
        return self._publisher.pending

    async def submit(self, sender: str, command: SendMessage) -> Awaitable[dict[str, Any]]:
        """Write the message to JetStream (in call order) and return once it is written, with
        what to await for its acknowledgement ``{ok, id, seq, timestamp}`` (``NotStored`` if
        JetStream does not store it)."""
        event = events.MessageSent(
            id=event_id(sender, command.room_id, command.client_msg_id),
            actor=sender,
            room_id=command.room_id,
            sender=sender,
            content=command.content,
            client_msg_id=command.client_msg_id,
        )
        stored = await self._store(event)
        return self._acked(event, stored)

    async def _acked(
        self, event: events.MessageSent, stored: Awaitable[tuple[int, bool]]
    ) -> dict[str, Any]:
        with _not_stored(event):
            seq, duplicate = await stored
        at = await self._stored_at(seq, event.at) if duplicate else event.at
        if not duplicate:
            metrics.MESSAGES_PUBLISHED.add(1)
        return {"ok": True, "id": event.id, "seq": seq, "timestamp": timestamp(at)}

    async def _store(self, event: events.MessageSent) -> Awaitable[tuple[int, bool]]:
        """``bus.publish_event``'s headers and span (``bus.event_headers``), the publish written
        through ``jspublish.Publisher``; what to await for its PubAck."""
        subject = subjects.message_subject(event.room_id)
        with _not_stored(event), bus.event_headers(subject, event) as headers:
            return await self._publisher.submit(subject, events.encode(event), headers)

    async def _stored_at(self, seq: int, fallback: datetime) -> datetime:
        """The time of the first copy of a resent message (so its ack matches what was sent)."""
        try:
            raw = await self._js.get_msg(subjects.MESSAGES_STREAM, seq, direct=True)
            stored = events.decode(raw.data or b"")
        except (nats.errors.Error, TimeoutError, events.BadEvent) as exc:
            log.warning("could not read back message at seq %d: %r", seq, exc)
            return fallback
        return stored.at


@contextlib.contextmanager
def _not_stored(event: events.MessageSent) -> Iterator[None]:
    """What NATS raises while a message is written or awaited becomes ``NotStored`` (the sender
    resends with the same clientMsgId)."""
    try:
        yield
    except (nats.errors.Error, TimeoutError, OSError) as exc:
        log.warning("message %s not stored: %r", event.id, exc)
        raise NotStored from exc
