"""Realtime as a real process against this test's nats-server; rooms made by publishing events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from minitalk_auth.keys import KeyPair
from minitalk_common import bus, events, subjects
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

from .clients import Client

StartRealtime = Callable[..., str]


@pytest.fixture
def start_realtime(system: LocalSystem, key_pair: KeyPair) -> StartRealtime:
    """``start_realtime("realtime2")`` starts a realtime process and returns its base URL."""

    def start(name: str = "realtime", **env: str) -> str:
        system.start_service(
            "realtime", name=name, env={"MINITALK_JWT_PUBLIC_KEY": key_pair.public_pem, **env}
        )
        return system.http(name)

    return start


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    """Clients a test opens; every one is disconnected at the end."""
    opened: list[Client] = []
    yield opened
    for client in opened:
        await client.close()


@pytest.fixture
def open_client(
    clients: list[Client], make_token: Callable[..., str]
) -> Callable[..., Awaitable[Client]]:
    """``await open_client(url, "alice")``: alice connected with a valid token."""

    async def open_(url: str, username: str, reconnection: bool = False) -> Client:
        client = Client(username, reconnection=reconnection)
        clients.append(client)
        return await client.connect(url, make_token(username))

    return open_


async def create_room(
    js: JetStreamContext, room_id: str, participants: tuple[str, ...], name: str = "room"
) -> int:
    event = events.RoomCreated(
        actor=participants[0], room_id=room_id, name=name, participants=participants
    )
    return (await bus.publish_event(js, subjects.room_subject(room_id), event)).seq


async def invite(js: JetStreamContext, room_id: str, *usernames: str) -> int:
    event = events.MembersInvited(actor="alice", room_id=room_id, participants=usernames)
    return (await bus.publish_event(js, subjects.room_subject(room_id), event)).seq


async def leave(js: JetStreamContext, room_id: str, username: str) -> int:
    event = events.MemberLeft(actor=username, room_id=room_id, username=username)
    return (await bus.publish_event(js, subjects.room_subject(room_id), event)).seq
