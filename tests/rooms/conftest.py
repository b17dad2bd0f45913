"""Rooms as a real process against the test's nats-server, users registered straight on the log.

Rooms verifies tokens with the test public key only (``MINITALK_JWT_PUBLIC_KEY``), and users are
registered by publishing ``UserRegistered`` events, so these tests do not need auth running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx
import pytest
from minitalk_auth.keys import KeyPair
from minitalk_common import bus, events, subjects
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

Register = Callable[..., Awaitable[None]]
StartRooms = Callable[..., str]


@pytest.fixture
def start_rooms(system: LocalSystem, key_pair: KeyPair, js: JetStreamContext) -> StartRooms:
    """``start_rooms(name="rooms", **env)`` starts a rooms process and returns its base URL.

    Depends on ``js`` so the streams exist before rooms starts (rooms also ensures them).
    """

    def start(name: str = "rooms", env: Mapping[str, str] | None = None) -> str:
        settings = {"MINITALK_JWT_PUBLIC_KEY": key_pair.public_pem, **(env or {})}
        system.start_service("rooms", name=name, env=settings)
        return system.http(name)

    return start


@pytest.fixture
async def rooms(start_rooms: StartRooms) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of one running rooms process."""
    async with httpx.AsyncClient(base_url=start_rooms(), timeout=30) as client:
        yield client


@pytest.fixture
def register(js: JetStreamContext) -> Register:
    """``await register("alice", "bob")``: the users exist, as auth's sign-up would record."""

    async def publish(*usernames: str) -> None:
        for name in usernames:
            event = events.UserRegistered(actor=name, user_id=name, username=name)
            await bus.publish_event(js, subjects.user_subject(name), event)

    return publish


@pytest.fixture
def auth(make_token: Callable[..., str]) -> Callable[[str], dict[str, str]]:
    """``auth("alice")``: the headers of a request made by alice."""

    def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(username)}"}

    return headers
