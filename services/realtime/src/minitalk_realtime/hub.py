"""The live chat of one realtime process: who is connected, which rooms they are in, and what
happens when they send, type, join or leave, when the MESSAGES stream stores a message, or when
the ROOMS stream changes membership.

Transport-free: it speaks to sockets only through ``Emitter.emit`` (the Socket.IO server).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

import msgspec
from minitalk_common import events, metrics, subjects, telemetry
from minitalk_common.chat import changes
from minitalk_common.chat.editing import MessageEditor
from minitalk_common.chat.membership import Change, Membership
from minitalk_common.chat.messages import live_message
from minitalk_common.feed import Feed
from minitalk_common.projection import CatchUpFailed, Projection
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from .errors import NotAMember, NotReady, RealtimeError, UnknownRoom
from .fanout import Fanout
from .messages import MessageSender
from .payloads import DeleteMessage, EditMessage, React, SendMessage, Typing
from .sessions import Sessions

log = logging.getLogger("minitalk.realtime.hub")


class Emitter(Protocol):
    async def emit(self, event: str, data: Any = ..., *, to: Any = ..., **kwargs: Any) -> None: ...


class TypingNotice(msgspec.Struct, frozen=True, rename="camel"):
    """What travels on ``typing.<roomId>`` (core NATS, never stored) and what sockets get."""

    room_id: str
    username: str
    is_typing: bool


async def _nothing(sid: str, room_id: str) -> None:
    return None


def changes_room(event: events.Event) -> str | None:
    return events.room_id_of(event)


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A refused change (``chat.changes.Refused``) as the socket error its user reads."""
    try:
        yield
    except changes.Refused as exc:
        raise RealtimeError(exc.message) from exc


class Hub:
    def __init__(
        self,
        js: JetStreamContext,
        nc: NATS,
        emitter: Emitter,
        publish_timeout: float,
        live_heartbeat: float,
        publish_coalesce: float = 0.0,
    ) -> None:
        self._js = js
        self._nc = nc
        self._emitter = emitter
        self.membership = Membership()
        self.sessions = Sessions()
        # ``nc`` has no echo: what this process publishes on typing.* it gives its own sockets
        # itself
        self.fanout = Fanout(nc, self._on_typing)
        self.sender = MessageSender(js, nc, publish_timeout, publish_coalesce)
        #: Edits, deletions and reactions (``chat.editing``), set up by ``main.py``.
        self.editor: MessageEditor
        self.projection = Projection(js, subjects.ROOMS_STREAM, self._apply)
        #: Live delivery: the MESSAGES stream from its end at start, each stored message once.
        self.live = Feed(
            js,
            subjects.MESSAGES_STREAM,
            None,  # the whole stream: no filter
            self._on_stored,
            start="new",
            heartbeat_s=live_heartbeat,
        )
        #: Called for each socket told ``room_joined`` (main.py hooks presence in).
        self.on_room_joined: Callable[[str, str], Awaitable[None]] = _nothing

    async def start(self) -> None:
        await self.live.start()  # from the stream's end now: nothing stored later is missed
        await self.projection.start()

    async def close(self) -> None:
        await self.live.close()
        await self.projection.close()
        await self.fanout.close()

    # -- sockets ----------------------------------------------------------------------------

    async def connect(self, sid: str, username: str) -> None:
        """Put a new socket in every room of its user."""
        rooms = self.membership.room_ids_of(username)
        for room_id in rooms:
            self.fanout.add(sid, room_id)
        self.sessions.add(sid, username)
        await self.fanout.sync(rooms)

    async def disconnect(self, sid: str) -> None:
        self.sessions.remove(sid)
        await self.fanout.sync(self.fanout.drop(sid))

    async def join(self, sid: str, room_id: str) -> None:
        """The socket receives the room again (its user must be a member)."""
        await self._require_member(self._user(sid), room_id)
        self.fanout.add(sid, room_id)
        await self.fanout.sync([room_id])

    async def leave(self, sid: str, room_id: str) -> None:
        """The socket stops receiving the room; membership is unchanged."""
        self.fanout.remove(sid, room_id)
        await self.fanout.sync([room_id])

    async def send(self, sid: str, command: SendMessage) -> dict[str, Any]:
        acked = await self.submit(sid, command)
        return await acked

    async def submit(self, sid: str, command: SendMessage) -> Awaitable[dict[str, Any]]:
        """``send`` up to the message written to NATS; what to await for its ack."""
        username = self._user(sid)
        await self._require_member(username, command.room_id)
        return await self.sender.submit(username, command)

    async def edit(self, sid: str, command: EditMessage) -> dict[str, Any]:
        username = self._user(sid)
        await self._require_member(username, command.room_id)
        with _refusals():
            return await self.editor.edit(username, command.room_id, command.id, command.content)

    async def delete(self, sid: str, command: DeleteMessage) -> dict[str, Any]:
        username = self._user(sid)
        await self._require_member(username, command.room_id)
        room = self.membership.get(command.room_id)
        creator = room.created_by if room is not None else None
        with _refusals():
            return await self.editor.delete(username, command.room_id, command.id, creator)

    async def react(self, sid: str, command: React) -> dict[str, Any]:
        username = self._user(sid)
        await self._require_member(username, command.room_id)
        with _refusals():
            return await self.editor.react(
                username, command.room_id, command.id, command.emoji, command.on
            )

    async def typing(self, sid: str, command: Typing) -> None:
        username = self._user(sid)
        await self._require_member(username, command.room_id)
        notice = TypingNotice(command.room_id, username, command.is_typing)
        subject = subjects.typing_subject(command.room_id)
        data = msgspec.json.encode(notice)
        headers = await telemetry.publish(self._nc, subject, data)
        with telemetry.consumer_span(subject, headers):  # no echo: this process's own sockets
            await self._on_typing(command.room_id, data)

    def user(self, sid: str) -> str:
        """The user of a logged-in socket (``NotReady`` otherwise)."""
        return self._user(sid)

    async def require_member(self, username: str, room_id: str) -> None:
        """``UnknownRoom`` / ``NotAMember`` unless ``username`` is in the room (caught up)."""
        await self._require_member(username, room_id)

    def _user(self, sid: str) -> str:
        username = self.sessions.user_of(sid)
        if username is None:
            raise NotReady
        return username

    async def _require_member(self, username: str, room_id: str) -> None:
        if self.membership.is_member(username, room_id):
            return
        await self._catch_up(room_id)  # the room may be newer than this projection
        if self.membership.is_member(username, room_id):
            return
        raise UnknownRoom if self.membership.get(room_id) is None else NotAMember

    async def _catch_up(self, room_id: str) -> None:
        """Wait until the projection holds the last event of ``rooms.<room_id>``."""
        try:
            await self.projection.catch_up(subjects.room_subject(room_id))
        except CatchUpFailed as exc:
            log.warning("room %s: %s", room_id, exc)

    # -- NATS -------------------------------------------------------------------------------

    async def _on_stored(self, msg: Msg, seq: int) -> None:
        """Live feed callback: a message the stream stored at ``seq`` goes to this process's
        sockets in its room. Nothing is decoded for a room without local sockets; an event that
        is not a ``MessageSent`` (or not one of this room's) goes to ``_on_change``."""
        room_id = subjects.room_of(msg.subject)
        members = self.fanout.members(room_id)
        if not members:
            return
        sids = list(members)
        try:
            event = events.decode(msg.data)
        except events.BadEvent as exc:
            log.debug("%s seq %d: not an event we know: %s", msg.subject, seq, exc)
            return
        if not isinstance(event, events.MessageSent) or event.room_id != room_id:
            await self._on_change(event, seq, room_id, sids)
            return
        metrics.MESSAGES_DELIVERED.add(len(sids))
        with telemetry.consumer_span(msg.subject, msg.headers, event.id):
            try:
                await self._emitter.emit("message", live_message(event, seq, event.at), to=sids)
            except Exception:  # the feed goes on with the next message
                log.exception("live delivery of seq %d to room %s failed", seq, room_id)

    async def _on_change(
        self, event: events.Event, seq: int, room_id: str, sids: list[str]
    ) -> None:
        """An edit, deletion or reaction stored at ``seq``: ``message_edited``,
        ``message_deleted`` or ``reaction`` to the room's sockets here."""
        live = changes.live_event(event, seq)
        if live is None or changes_room(event) != room_id:
            return
        await self._emitter.emit(live[0], live[1], to=sids)

    async def _on_typing(self, room_id: str, data: bytes) -> None:
        notice = msgspec.json.decode(data, type=TypingNotice)
        own = self.sessions.sids_of(notice.username)
        sids = [sid for sid in self.fanout.sids_in(room_id) if sid not in own]
        if sids:
            await self._emitter.emit("typing", msgspec.to_builtins(notice), to=sids)

    async def _apply(self, event: events.Event, seq: int) -> None:
        """Projection callback: update membership, then move this process's sockets."""
        change = self.membership.apply(event, seq)
        if change is not None:
            await self._joined(change)
            await self._left(change)

    async def _joined(self, change: Change) -> None:
        sids = [sid for user in change.joined for sid in self.sessions.sids_of(user)]
        if not sids:
            return
        room = change.room
        for sid in sids:
            self.fanout.add(sid, room.room_id)
        await self.fanout.sync([room.room_id])  # subscribed before the client hears of it
        joined = {"roomId": room.room_id, "name": room.name, "participants": room.participants}
        await self._emitter.emit("room_joined", joined, to=sids)
        for sid in sids:  # presence.py: who is online in the room just joined
            await self.on_room_joined(sid, room.room_id)

    async def _left(self, change: Change) -> None:
        sids = [sid for user in change.left for sid in self.sessions.sids_of(user)]
        if not sids:
            return
        room_id = change.room.room_id
        for sid in sids:
            self.fanout.remove(sid, room_id)
        await self._emitter.emit("room_left", {"roomId": room_id}, to=sids)
        await self.fanout.sync([room_id])
