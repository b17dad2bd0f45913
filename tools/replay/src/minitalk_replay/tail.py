"""``tail``: follow the ROOMS and MESSAGES streams live, one line per event."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import nats.errors
from minitalk_common import events, subjects
from minitalk_common.chat.messages import timestamp as wire_time
from minitalk_persister.roomfile import MESSAGES, ROOMS, trace_id_of
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

#: Characters of a message's content shown.
CONTENT_WIDTH = 60


def describe(
    stream: str, seq: int, subject: str, data: bytes, headers: dict[str, str] | None
) -> str:
    """One event as one line: time, stream:seq, type, room, actor, trace id, and what it says."""
    trace = trace_id_of(headers) or "-"
    room = subjects.room_of(subject)
    try:
        event = events.decode(data)
    except events.BadEvent:
        return f"{'?':27} {stream}:{seq} (undecodable) room={room} trace={trace}"
    return (
        f"{wire_time(event.at):27} {stream}:{seq} {type(event).__name__} room={room} "
        f"actor={event.actor} trace={trace}{_detail(event)}"
    )


def _detail(event: events.Event) -> str:
    if isinstance(event, events.MessageSent):
        content = event.content.replace("\n", " ")
        if len(content) > CONTENT_WIDTH:
            content = content[: CONTENT_WIDTH - 1] + "…"
        return f" {content!r}"
    if isinstance(event, events.RoomCreated):
        return f" name={event.name!r} participants={','.join(event.participants)}"
    if isinstance(event, events.MembersInvited):
        return f" participants={','.join(event.participants)}"
    if isinstance(event, events.MemberLeft):
        return f" username={event.username}"
    if isinstance(event, events.MessageEdited):
        return f" message={event.message_seq} {_short(event.content)!r}"
    if isinstance(event, events.MessageDeleted):
        return f" message={event.message_seq}"
    if isinstance(event, events.ReactionAdded | events.ReactionRemoved):
        return f" message={event.message_seq} emoji={event.emoji} username={event.username}"
    if isinstance(event, events.UserDeleted):
        return f" username={event.username}"
    return ""


def _short(content: str) -> str:
    content = content.replace("\n", " ")
    return content[: CONTENT_WIDTH - 1] + "…" if len(content) > CONTENT_WIDTH else content


async def tail(
    js: JetStreamContext,
    show: Callable[[str], None],
    room: str | None = None,
    count: int | None = None,
    following: Callable[[], None] = lambda: None,
) -> int:
    """Show each new event until ``count`` were shown (or forever); returns how many."""
    done = asyncio.Event()
    shown = 0

    def handler(stream: str) -> Callable[[Msg], Awaitable[None]]:
        async def on_msg(msg: Msg) -> None:
            nonlocal shown
            if done.is_set():
                return
            seq = msg.metadata.sequence.stream
            show(describe(stream, seq, msg.subject, msg.data, msg.headers))
            shown += 1
            if count is not None and shown >= count:
                done.set()

        return on_msg

    subs = []
    try:
        for stream, subject_of in (
            (ROOMS, subjects.room_subject),
            (MESSAGES, subjects.message_subject),
        ):
            subject = subject_of(room) if room else subjects.all_of(stream)
            subs.append(
                await js.subscribe(
                    subject,
                    stream=stream,
                    cb=handler(stream),
                    ordered_consumer=True,
                    deliver_policy=api.DeliverPolicy.NEW,
                )
            )
        following()
        await done.wait()
    finally:
        for sub in subs:
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()
    return shown


def _subject(stream: str, room: str) -> str:
    return subjects.room_subject(room) if stream == ROOMS else subjects.message_subject(room)
