"""Editing, deleting and reacting to a stored message: look it up, check, publish (issue 16).

One implementation for the two transports (realtime's socket events, rooms' REST routes): the
caller has checked that the actor is a member of the room and passes the room's creator; this
asks the persister partition of the room what the message is now (``minitalk.message.<p>``,
read-your-writes), applies the rules of ``changes``, and publishes the change on the room's
MESSAGES subject with its derived id as ``Nats-Msg-Id``.

A change already made (a reaction already there or not, the same content, a deleted message
deleted again by someone allowed to) is acknowledged without publishing: a resend after a lost
ack finds its first copy folded (the lookup waits for it) and is applied once.
"""

from __future__ import annotations

import logging
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext

from .. import bus, events, subjects, telemetry
from .changes import (
    Code,
    LookupRequest,
    MessageState,
    Refused,
    check_delete,
    check_edit,
    check_emoji,
    check_react,
    decode_state,
    deleted,
    edited,
    encode,
    has_reaction,
    reacted,
)
from .history import ERROR_HEADER
from .messages import timestamp

log = logging.getLogger("minitalk.editing")

#: What users read when the change could not be stored (they may send it again).
NOT_STORED = "change not stored, try again"


class MessageEditor:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        partitions: int,
        timeout: float,
        max_reactions: int,
    ) -> None:
        self._nc = nc
        self._js = js
        self._partitions = partitions
        self._timeout = timeout
        self._max_reactions = max_reactions

    async def edit(self, actor: str, room_id: str, message_id: str, content: str) -> dict[str, Any]:
        """``{ok, id, seq, editedAt}``: ``seq`` is the stored edit's stream seq."""
        state = await self.lookup(room_id, message_id)
        check_edit(state, room_id, actor)
        if state.content == content and state.edited_at is not None:
            return _edit_ack(state.id, state.version, state.edited_at)
        event = edited(state, actor, content)
        seq, at = await self._publish(event)
        return _edit_ack(state.id, seq, timestamp(at))

    async def delete(
        self, actor: str, room_id: str, message_id: str, creator: str | None
    ) -> dict[str, Any]:
        """``{ok, id, seq}``: ``seq`` is the stored deletion's stream seq."""
        state = await self.lookup(room_id, message_id)
        check_delete(state, room_id, actor, creator)
        if state.deleted:
            return {"ok": True, "id": state.id, "seq": state.version}
        seq, _ = await self._publish(deleted(state, actor))
        return {"ok": True, "id": state.id, "seq": seq}

    async def react(
        self, actor: str, room_id: str, message_id: str, emoji: Any, on: bool
    ) -> dict[str, Any]:
        """``{ok: true}`` once the actor's reaction ``emoji`` is ``on`` (or off)."""
        emoji = check_emoji(emoji)
        state = await self.lookup(room_id, message_id)
        check_react(state, room_id, emoji, on, self._max_reactions)
        if has_reaction(state, emoji, actor) != on:
            await self._publish(reacted(state, actor, emoji, on))
        return {"ok": True}

    async def lookup(self, room_id: str, message_id: str) -> MessageState:
        """What the message is now (``Refused`` when unknown, in another room, unavailable)."""
        partition = subjects.partition_of(room_id, self._partitions)
        subject = subjects.lookup_subject(partition)
        with telemetry.producer_span(subject):
            try:
                reply = await self._nc.request(
                    subject,
                    encode(LookupRequest(room_id, message_id)),
                    timeout=self._timeout,
                    headers=telemetry.traced_headers(),
                )
            except (NoRespondersError, NatsTimeout, TimeoutError) as exc:
                log.warning("lookup of %s in %s: %r", message_id, room_id, exc)
                raise Refused(Code.UNAVAILABLE) from exc
        code = (reply.headers or {}).get(ERROR_HEADER)
        if code is not None:
            try:
                raise Refused(Code(code))
            except ValueError:
                raise Refused(Code.UNAVAILABLE) from None
        return decode_state(reply.data)

    async def _publish(self, event: events.MessageChange) -> tuple[int, Any]:
        """Store the change; its seq and time (those of the first copy for a duplicate)."""
        subject = subjects.message_subject(event.room_id)
        try:
            ack = await bus.publish_event(self._js, subject, event, timeout=self._timeout)
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            log.warning("change %s not stored: %r", event.id, exc)
            raise Refused(Code.UNAVAILABLE, NOT_STORED) from exc
        at = event.at
        if ack.duplicate:
            try:
                raw = await self._js.get_msg(subjects.MESSAGES_STREAM, ack.seq, direct=True)
                at = events.decode(raw.data or b"").at
            except (nats.errors.Error, TimeoutError, events.BadEvent) as exc:
                log.warning("could not read back change at seq %d: %r", ack.seq, exc)
        return ack.seq, at


def _edit_ack(message_id: str, seq: int, edited_at: str) -> dict[str, Any]:
    return {"ok": True, "id": message_id, "seq": seq, "editedAt": edited_at}
