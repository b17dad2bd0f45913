"""What the routes need at run time, built by the lifespan: NATS, projections, commands, keys."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack

from minitalk_common import bus, revocation, subjects, tokens
from minitalk_common.budgets import UserBudgets
from minitalk_common.chat.editing import MessageEditor
from minitalk_common.errors import TooManyRequests
from minitalk_common.projection import Projection
from nats.js import JetStreamContext

from . import errors
from .config import RoomsSettings
from .handlers import Limits, RoomCommands, State
from .history import HistoryClient
from .moderation import Moderator
from .presence import PresenceClient
from .projection import KnownUsers, RoomDirectory
from .reads import ReadCommands, ReadDirectory
from .summaries import SummaryClient

log = logging.getLogger("minitalk.rooms")

#: Seconds between two sweeps of the refilled per-user buckets.
SWEEP_EVERY_S = 60.0


class Runtime:
    """Filled in by ``start``; until then (and until caught up) every route answers 503."""

    def __init__(self, settings: RoomsSettings) -> None:
        self.settings = settings
        self._state: State | None = None
        self._commands: RoomCommands | None = None
        self._history: HistoryClient | None = None
        self._reads: ReadCommands | None = None
        self._reads_view: Projection | None = None
        self._summaries: SummaryClient | None = None
        self._presence: PresenceClient | None = None
        self._verifier: tokens.TokenVerifier | None = None
        self._revoked: revocation.Revocations | None = None
        self._editor: MessageEditor | None = None
        self._moderator: Moderator | None = None
        self._budgets = UserBudgets(settings.budgets())
        self._swept = time.monotonic()

    async def start(self, stack: AsyncExitStack) -> None:
        nc = await stack.enter_async_context(bus.connect(self.settings, "rooms"))
        js = nc.jetstream()
        await bus.ensure_streams(js, self.settings)
        rooms, users = RoomDirectory(), KnownUsers()
        state = State(
            rooms=rooms,
            rooms_view=Projection(js, subjects.ROOMS_STREAM, rooms.project),
            users=users,
            users_view=Projection(js, subjects.USERS_STREAM, users.apply),
        )
        for view in (state.users_view, state.rooms_view):
            await view.start()
            stack.push_async_callback(view.close)
        self._state = state
        self._commands = RoomCommands(js, state, self._limits())
        positions = ReadDirectory()
        self._reads_view = Projection(js, subjects.READS_STREAM, positions.project)
        await self._reads_view.start()
        stack.push_async_callback(self._reads_view.close)
        self._reads = ReadCommands(js, self._commands, positions, self._reads_view)
        settings = self.settings
        self._history = HistoryClient(nc, settings.persister_partitions, settings.history_timeout_s)
        timeout = settings.history_timeout_s
        self._summaries = SummaryClient(nc, settings.persister_partitions, timeout)
        self._presence = PresenceClient(nc, timeout)
        self._editor = MessageEditor(
            nc, js, settings.persister_partitions, timeout, settings.max_reactions_per_message
        )
        self._moderator = Moderator(nc, js, timeout)
        revoked = self._revoked = await stack.enter_async_context(revocation.following(js))
        key_loader = asyncio.create_task(self._load_key(js, revoked))
        stack.callback(key_loader.cancel)

    def not_ready(self) -> str | None:
        """None when ready, else why not (for /readyz)."""
        if self._state is None:
            return "starting"
        if not self._state.users_view.ready.is_set():
            return "catching up on users"
        if not self._state.rooms_view.ready.is_set():
            return "catching up on rooms"
        if self._reads_view is None or not self._reads_view.ready.is_set():
            return "catching up on read positions"
        if self._verifier is None:
            return "waiting for the JWT public key"
        return self._following()

    def _following(self) -> str | None:
        """Why the projections do not follow NATS now (away, or resuming after it came back)."""
        assert self._state is not None
        assert self._revoked is not None
        if not self._state.users_view.current.is_set():
            return "following users again"
        if not self._state.rooms_view.current.is_set():
            return "following rooms again"
        if not self._revoked.current.is_set():
            return "following revocations again"
        if self._reads_view is not None and not self._reads_view.current.is_set():
            return "following read positions again"
        return None

    def caller(self, authorization: str | None) -> str:
        """The username of a request's bearer token, else NotAuthenticated."""
        if self._verifier is None:
            raise errors.NotReady("waiting for the JWT public key")
        try:
            return self._verifier.verify(tokens.bearer(authorization)).username
        except tokens.InvalidToken as exc:
            raise errors.NotAuthenticated(str(exc)) from exc

    def spend(self, username: str, kind: str, cost: float = 1.0) -> None:
        """One write of ``kind`` by ``username`` (``cost`` tokens); a 429 beyond its budget."""
        now = time.monotonic()
        if now - self._swept > SWEEP_EVERY_S:
            self._budgets.sweep()
            self._swept = now
        if wait := self._budgets.wait(username, kind, cost):
            raise TooManyRequests(f"too many {kind} requests", wait)

    @property
    def commands(self) -> RoomCommands:
        reason = self.not_ready()
        if reason is not None or self._commands is None:
            raise errors.NotReady(reason or "starting")
        return self._commands

    @property
    def history(self) -> HistoryClient:
        if self._history is None:
            raise errors.NotReady("starting")
        return self._history

    @property
    def reads(self) -> ReadCommands:
        self.commands  # noqa: B018 - the same readiness check
        assert self._reads is not None
        return self._reads

    @property
    def summaries(self) -> SummaryClient:
        if self._summaries is None:
            raise errors.NotReady("starting")
        return self._summaries

    @property
    def presence(self) -> PresenceClient:
        if self._presence is None:
            raise errors.NotReady("starting")
        return self._presence

    @property
    def editor(self) -> MessageEditor:
        if self._editor is None:
            raise errors.NotReady("starting")
        return self._editor

    @property
    def moderator(self) -> Moderator:
        if self._moderator is None:
            raise errors.NotReady("starting")
        return self._moderator

    def _limits(self) -> Limits:
        return Limits(
            participants_per_request=self.settings.max_participants_per_request,
            room_members=self.settings.max_room_members,
            command_attempts=self.settings.command_attempts,
        )

    async def _load_key(self, js: JetStreamContext, revoked: revocation.Revocations) -> None:
        """The verifier, once the key is known and every stored revocation read."""
        verifier = await tokens.load_verifier(js, self.settings.jwt_public_key, revoked)
        await revoked.ready.wait()
        self._verifier = verifier
