"""Bad input gets a clear error; the connection stays up and no one else notices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
import socketio
from minitalk_common import bus, subjects
from minitalk_common.config import NatsSettings
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]

NOT_A_MEMBER = "you are not a member of this room"
BAD_SENDS: list[tuple[Any, str]] = [
    ({"roomId": "r2", "content": "hi"}, NOT_A_MEMBER),
    ({"roomId": "nowhere", "content": "hi"}, "unknown room"),
    ({"roomId": "r.1", "content": "hi"}, "roomId is not a valid room id"),
    ({"content": "hi"}, "roomId must be a non-empty string"),
    ({"roomId": 7, "content": "hi"}, "roomId must be a non-empty string"),
    ({"roomId": "r1"}, "content must be a non-empty string"),
    ({"roomId": "r1", "content": ""}, "content must be a non-empty string"),
    ({"roomId": "r1", "content": " \n\t "}, "content must be a non-empty string"),
    ({"roomId": "r1", "content": ["hi"]}, "content must be a non-empty string"),
    ({"roomId": "r1", "content": "x" * 4001}, "content is longer than 4000 characters"),
    ({"roomId": "r1", "content": "hi", "clientMsgId": 5}, "clientMsgId must be a string"),
    ({"roomId": "r1", "content": "hi", "clientMsgId": "c" * 129}, "clientMsgId must be a string"),
    ("hello", "payload must be an object"),
    (["r1", "hi"], "payload must be an object"),
    (None, "payload must be an object"),
]


async def test_every_bad_send_is_refused_and_the_socket_still_works(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    await create_room(js, "r2", ("carol",))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    carol = await open_client(url, "carol")

    for count, (payload, error) in enumerate(BAD_SENDS, start=1):
        ack = await alice.call("send_message", payload)
        assert ack["ok"] is False, payload
        assert ack["error"].startswith(error), (payload, ack)
        assert alice.of("error")[-1] == {"message": ack["error"]}
        assert len(alice.of("error")) == count
    assert await alice.call("join_room", {"roomId": "r2"}) == {"ok": False, "error": NOT_A_MEMBER}
    assert (await alice.call("join_room", "r1"))["error"] == "payload must be an object"
    assert (await alice.call("leave_room", {}))["ok"] is False
    assert (await alice.call("typing", {"roomId": "r1"}))[
        "error"
    ] == "isTyping must be true or false"
    await alice.sio.emit("send_message")  # no payload and no ack: an error event only
    await alice.wait_for("error", len(BAD_SENDS) + 5)
    assert alice.of("joined_room") == []

    exact = "x" * 4000  # the longest allowed
    ack = await alice.send("r1", exact)
    assert ack["ok"] is True
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)
    assert [m["content"] for m in bob.messages("r1")] == [exact]
    assert bob.of("error") == []
    # nobody else hears of it (carol gets only presence news of her own rooms: her own
    # `presence` at connect, and a `presence_changed` when her status ticks after it)
    assert [e for e, _ in carol.events if e not in ("presence", "presence_changed")] == []
    assert alice.sio.connected


async def test_an_oversized_frame_closes_only_that_connection(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    """Engine.IO refuses frames over 64 KiB by closing the connection (not with an error)."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    await alice.sio.emit("send_message", {"roomId": "r1", "content": "x" * 1_100_000})
    await alice.wait_until(lambda: not alice.sio.connected)

    again = await open_client(url, "alice")
    ack = await again.send("r1", "still here")
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)
    assert bob.messages("r1")[0]["id"] == ack["id"]
    assert bob.of("error") == []


async def test_a_message_that_cannot_be_stored_is_not_acknowledged(
    js: JetStreamContext,
    nats_settings: NatsSettings,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    await js.delete_stream(subjects.MESSAGES_STREAM)  # JetStream cannot store messages now
    failed = await alice.send("r1", "lost?", client_msg_id="c1")
    assert failed == {"ok": False, "error": "message not stored, try again"}
    assert alice.of("error") == [{"message": "message not stored, try again"}]

    await bus.ensure_streams(js, nats_settings)
    retried = await alice.send("r1", "lost?", client_msg_id="c1")
    assert retried["ok"] is True
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)
    assert [m["id"] for m in bob.messages("r1")] == [retried["id"]]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "missing token"),
        ("", "missing token"),
        ("not-a-jwt", "invalid token"),
        ("expired", "token expired"),
        ("forged", "invalid token"),
    ],
)
async def test_a_bad_token_is_refused_at_the_handshake(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Callable[..., str],
    token: str | None,
    reason: str,
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    bob = await open_client(url, "bob")
    if token == "expired":
        token = make_token("alice", ttl=timedelta(seconds=-60))
    elif token == "forged":
        head, claims, _ = make_token("bob").split(".")
        token = f"{head}.{claims}.{make_token('alice').split('.')[2]}"

    intruder = Client("alice")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await intruder.connect(url, token)
    assert intruder.refusals == [{"message": reason}]
    assert not intruder.sio.connected
    ack = await bob.send("r1", "nobody else came in")
    assert ack["ok"] is True
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)


async def test_the_token_may_come_in_auth_or_the_authorization_header(
    js: JetStreamContext, start_realtime: StartRealtime, make_token: Callable[..., str]
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    by_auth, by_header = Client("alice"), Client("bob")
    await by_auth.connect(url, None, auth={"token": make_token("alice")})
    try:
        await by_header.connect(url, None, headers={"Authorization": f"Bearer {make_token('bob')}"})
        try:
            ack = await by_auth.send("r1", "hi")
            await by_header.wait_until(lambda: len(by_header.messages("r1")) == 1)
            assert by_header.messages("r1")[0]["id"] == ack["id"]
            assert by_header.messages("r1")[0]["sender"] == "alice"
        finally:
            await by_header.close()
    finally:
        await by_auth.close()
