"""``erase``: take deleted messages' content out of the MESSAGES stream too (issue 16).

A ``MessageDeleted`` redacts the room files at once, but the stream keeps the ``MessageSent``
and every ``MessageEdited`` of that message until its age limit removes them. ``erase`` reads
the room's subject (or every room's), finds the messages a ``MessageDeleted`` deletes, and
deletes their ``MessageSent`` and ``MessageEdited`` events from the stream with JetStream's
secure delete (the stored bytes are overwritten, not only unlinked). The ``MessageDeleted``
stays: it records that something was deleted, by whom and when, not what.

Afterwards ``rebuild`` no longer has those messages (a rebuilt file lacks their redacted lines)
and ``verify`` counts the redacted lines whose seq the stream lacks as erased, not as errors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from minitalk_common import events, subjects
from nats.aio.client import Client as NATS

from . import streams
from .streams import ReplayError, Stored

MESSAGES = subjects.MESSAGES_STREAM


@dataclass
class EraseTally:
    deleted_messages: int = 0
    erased: list[int] = field(default_factory=list)


async def erase(nc: NATS, rooms: Sequence[str], dry_run: bool = False) -> EraseTally:
    js = nc.jetstream()
    holding: dict[tuple[str, int], list[int]] = {}  # (room, message seq) -> seqs holding content
    deleted: set[tuple[str, int]] = set()

    def take(msg: Stored) -> None:
        try:
            event = events.decode(msg.data)
        except events.BadEvent:
            return
        room = subjects.room_of(msg.subject)
        if isinstance(event, events.MessageSent):
            holding.setdefault((room, msg.seq), []).append(msg.seq)
        elif isinstance(event, events.MessageEdited):
            holding.setdefault((room, event.message_seq), []).append(msg.seq)
        elif isinstance(event, events.MessageDeleted):
            deleted.add((room, event.message_seq))

    for subject in [subjects.message_subject(r) for r in rooms] or [subjects.all_of(MESSAGES)]:
        await streams.read(js, MESSAGES, subject, take)
    tally = EraseTally(deleted_messages=len(deleted))
    for key in sorted(deleted):
        for seq in holding.get(key, []):
            if not dry_run:
                await _secure_delete(nc, seq)
            tally.erased.append(seq)
    return tally


async def _secure_delete(nc: NATS, seq: int) -> None:
    """``$JS.API.STREAM.MSG.DELETE`` without ``no_erase``: the message is overwritten."""
    reply = await nc.request(
        f"$JS.API.STREAM.MSG.DELETE.{MESSAGES}", json.dumps({"seq": seq}).encode(), timeout=5
    )
    answer = json.loads(reply.data)
    if "error" in answer and answer["error"].get("err_code") != 10037:  # 10037: no message
        raise ReplayError(f"cannot erase MESSAGES seq {seq}: {answer['error']}")
