"""The rooms service's settings (environment variables ``MINITALK_*``)."""

from __future__ import annotations

from minitalk_common.budgets import Budget
from minitalk_common.config import ServiceSettings
from pydantic import Field


class RoomsSettings(ServiceSettings):
    """Settings of ``python -m minitalk_rooms``."""

    #: HTTP port (the edge routes ``/api/chatrooms*`` here).
    port: int = Field(default=8002, ge=0, le=65535)
    #: The Ed25519 public key (PEM) that verifies tokens; unset: wait for auth to publish it in
    #: the ``minitalk-keys`` KV bucket.
    jwt_public_key: str | None = None
    #: Number of persister partitions; a room's history is asked of ``crc32(roomId) % P``.
    persister_partitions: int = Field(default=1, ge=1, le=1024)
    #: Seconds to wait for the persister's answer to a history query before a 503.
    history_timeout_s: float = Field(default=5.0, gt=0)
    #: Most members one room may have; an invite beyond it is refused (400).
    max_room_members: int = Field(default=1000, ge=1)
    #: Most participants one create or invite request may name (more: 400).
    max_participants_per_request: int = Field(default=100, ge=1)
    #: Most rooms one ``POST /api/chatrooms-batch`` may create (more: 413).
    max_batch_rooms: int = Field(default=1000, ge=1)
    #: Attempts of one command when other replicas keep changing the same room at once (then 409).
    command_attempts: int = Field(default=10, ge=1, le=100)
    #: Longest message (characters) an edit may leave; the same as realtime's.
    max_message_chars: int = Field(default=4000, ge=1, le=500_000)
    #: Most different reactions one message may hold (the same as realtime's).
    max_reactions_per_message: int = Field(default=20, ge=1, le=1000)
    #: Users allowed to moderate (comma-separated usernames): wipe every message
    #: (``DELETE /api/messages/delete-all``), purge a room's history. Nobody when empty.
    admin_users: str = ""
    #: Per-user budgets of the REST writes (a 429 with ``Retry-After`` beyond them; the same
    #: defaults as realtime's socket events, settings of their own): create, invite, leave
    #: (``rooms``; a batch costs one token per ``ROOMS_PER_TOKEN`` rooms), edit and delete a
    #: message (``edit``), reactions (``react``), read marks (``reads``). Local to the process.
    rest_room_writes_rate_per_s: float = Field(default=10.0, gt=0)
    rest_room_writes_burst: int = Field(default=50, ge=1)
    rest_edit_rate_per_s: float = Field(default=5.0, gt=0)
    rest_edit_burst: int = Field(default=30, ge=1)
    rest_react_rate_per_s: float = Field(default=10.0, gt=0)
    rest_react_burst: int = Field(default=50, ge=1)
    rest_read_rate_per_s: float = Field(default=5.0, gt=0)
    rest_read_burst: int = Field(default=30, ge=1)

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.admin_users.split(",") if name.strip())

    def budgets(self) -> dict[str, Budget]:
        """The per-user budgets of the REST writes, by kind (``routes.py``)."""
        return {
            "rooms": Budget(self.rest_room_writes_rate_per_s, self.rest_room_writes_burst),
            "edit": Budget(self.rest_edit_rate_per_s, self.rest_edit_burst),
            "react": Budget(self.rest_react_rate_per_s, self.rest_react_burst),
            "reads": Budget(self.rest_read_rate_per_s, self.rest_read_burst),
        }
