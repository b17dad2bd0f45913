"""Room commands: checked against the projection, published with optimistic concurrency.

A command reads the room from the projection, decides the event, and publishes it on the room's
subject with ``Nats-Expected-Last-Subject-Sequence`` = the room's last sequence. When another
replica changed the room first, JetStream refuses (10071); the command then waits until the
projection holds that change, decides again against the fresh room, and retries (bounded).
After a stored event the command waits for its own projection to apply it: read-your-writes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from minitalk_common import bus, events, subjects
from minitalk_common.projection import CatchUpFailed, Projection
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError

from . import errors
from .projection import KnownUsers, Room, RoomDirectory

log = logging.getLogger("minitalk.rooms.handlers")

MAX_NAME_CHARS = 100

Decide = Callable[[Room], events.RoomEvent | None]


@dataclass(frozen=True)
class Limits:
    participants_per_request: int = 100
    room_members: int = 1000
    command_attempts: int = 10


@dataclass
class State:
    """The two projections and what they build, as the commands read them."""

    rooms: RoomDirectory
    rooms_view: Projection
    users: KnownUsers
    users_view: Projection


def room_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise errors.InvalidRoomName(MAX_NAME_CHARS)
    return name


class RoomCommands:
    def __init__(self, js: JetStreamContext, state: State, limits: Limits) -> None:
        self._js = js
        self._state = state
        self._limits = limits
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def rooms_of(self, username: str) -> list[Room]:
        return self._state.rooms.rooms_of(username)

    async def member_room(self, username: str, room_id: str) -> Room:
        """The room, if ``username`` is in it: else RoomNotFound or NotAMember.

        A refusal first catches up on the room's subject, so a change made through another
        replica a moment ago is seen here too.
        """
        try:
            return self._member_room(username, room_id)
        except (errors.RoomNotFound, errors.NotAMember):
            await self._sync_room(room_id)
        return self._member_room(username, room_id)

    def _member_room(self, username: str, room_id: str) -> Room:
        room = self._state.rooms.get(room_id)
        if room is None:
            raise errors.RoomNotFound()
        if not room.has_member(username):
            raise errors.NotAMember()
        return room

    async def create(self, actor: str, name: str, participants: list[str]) -> Room:
        """A new room holding ``actor`` (first, unless named) and every named participant."""
        name = room_name(name)
        members = self._requested(participants, actor if actor not in participants else None)
        if len(members) > self._limits.room_members:
            raise errors.RoomFull(self._limits.room_members)
        await self._require_known(members)
        event = events.RoomCreated(
            actor=actor, room_id=events.new_id(), name=name, participants=tuple(members)
        )
        seq = await self._publish(event, expected_last_subject_seq=0)
        return Room.created(event, seq)

    async def invite(self, actor: str, room_id: str, participants: list[str]) -> list[str]:
        """Add the named users who are not members yet; the members after."""
        wanted = self._requested(participants)
        await self.member_room(actor, room_id)
        await self._require_known(wanted)

        def decide(room: Room) -> events.RoomEvent | None:
            self._member_room(actor, room.room_id)
            new = [name for name in wanted if not room.has_member(name)]
            if len(room.participants) + len(new) > self._limits.room_members:
                raise errors.RoomFull(self._limits.room_members)
            if not new:
                return None
            return events.MembersInvited(actor=actor, room_id=room_id, participants=tuple(new))

        return list((await self._change(room_id, decide)).participants)

    async def leave(self, actor: str, room_id: str) -> bool:
        """Take ``actor`` out of the room; the last one out deletes it. True if it was deleted."""

        def decide(room: Room) -> events.RoomEvent:
            self._member_room(actor, room.room_id)
            return events.MemberLeft(actor=actor, room_id=room_id, username=actor)

        def delete_if_empty(room: Room) -> events.RoomEvent | None:
            return None if room.participants else events.RoomDeleted(actor=actor, room_id=room_id)

        await self.member_room(actor, room_id)
        room = await self._change(room_id, decide)
        if room.participants:
            return False
        await self._change(room_id, delete_if_empty)
        return True

    def _requested(self, usernames: list[str], first: str | None = None) -> list[str]:
        if len(usernames) > self._limits.participants_per_request:
            raise errors.TooManyParticipants(self._limits.participants_per_request)
        return list(dict.fromkeys([first, *usernames] if first else usernames))

    async def _require_known(self, usernames: list[str]) -> None:
        """Refuse unknown users; a miss first waits for the projection to reach the log's end
        (LogUnavailable when it cannot: a refusal on a stale projection would be wrong)."""
        if not self._state.users.unknown(usernames):
            return
        try:
            info = await self._js.stream_info(subjects.USERS_STREAM)
            await self._state.users_view.wait_for(info.state.last_seq)
        except (NatsError, TimeoutError) as exc:
            log.warning("catching up on users failed: %r", exc)
            if self._state.users.unknown(usernames):
                raise errors.LogUnavailable() from exc
        if unknown := self._state.users.unknown(usernames):
            raise errors.UnknownUsers(unknown)

    async def _change(self, room_id: str, decide: Decide) -> Room:
        """Decide against the latest room and publish, retrying when another replica won."""
        lock = self._locks.setdefault(room_id, asyncio.Lock())
        async with lock:
            for attempt in range(self._limits.command_attempts):
                room = self._state.rooms.get(room_id)
                if room is None:
                    raise errors.RoomNotFound()
                event = decide(room)
                if event is None:
                    return room
                try:
                    await self._publish(event, expected_last_subject_seq=room.last_seq)
                except APIError as exc:
                    if not bus.is_wrong_last_sequence(exc):
                        raise
                    log.info("room %s changed concurrently (attempt %d)", room_id, attempt + 1)
                    await self._sync_room(room_id)
                    # Two replicas that keep colliding spread out a little.
                    await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                    continue
                return self._state.rooms.get(room_id) or room
        raise errors.ConcurrentUpdate()

    async def _publish(self, event: events.RoomEvent, expected_last_subject_seq: int) -> int:
        """Store ``event`` and wait until the projection applied it; its stream sequence."""
        subject = subjects.room_subject(event.room_id)
        try:
            ack = await bus.publish_event(
                self._js, subject, event, expected_last_subject_seq=expected_last_subject_seq
            )
            await self._state.rooms_view.wait_for(ack.seq)
        except (NatsTimeout, NoRespondersError, NoStreamResponseError, TimeoutError) as exc:
            # NoStreamResponseError: the stream has no leader now (a cluster electing one)
            log.warning("publishing %s on %s failed: %r", type(event).__name__, subject, exc)
            raise errors.LogUnavailable() from exc
        return ack.seq

    async def _sync_room(self, room_id: str) -> None:
        """Wait until the projection holds the room's latest event in the log; LogUnavailable
        when that cannot be known (a refusal on a stale projection would be wrong)."""
        try:
            subject = subjects.room_subject(room_id)
        except subjects.BadSubjectToken:
            return  # no room can have this id
        try:
            await self._state.rooms_view.catch_up(subject)
        except CatchUpFailed as exc:
            log.warning("catching up on room %s failed: %s", room_id, exc)
            raise errors.LogUnavailable() from exc
