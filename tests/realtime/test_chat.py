"""Live chat between members: stored before acknowledged, delivered once, pushed on membership."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from minitalk_common import bus, events, subjects
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room, invite, leave

OpenClient = Callable[..., Awaitable[Client]]


async def test_members_chat_and_a_resend_is_delivered_once(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    ack = await alice.send("r1", "hello bob", client_msg_id="m1")

    assert ack["ok"] is True
    assert isinstance(ack["id"], str)
    assert isinstance(ack["seq"], int)
    assert datetime.fromisoformat(ack["timestamp"]).tzinfo is not None
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)
    await alice.wait_until(lambda: len(alice.messages("r1")) == 1)  # the sender's own copy
    expected = {
        "type": "message",
        "id": ack["id"],
        "seq": ack["seq"],
        "roomId": "r1",
        "sender": "alice",
        "content": "hello bob",
        "timestamp": ack["timestamp"],
        "clientMsgId": "m1",
    }
    assert bob.messages("r1") == [expected]
    assert alice.messages("r1") == [expected]

    again = await alice.send("r1", "hello bob", client_msg_id="m1")
    assert again == ack
    after = await alice.send("r1", "anyone?")
    await bob.wait_until(lambda: len(bob.messages("r1")) == 2)
    await alice.wait_until(
        lambda: len(alice.messages("r1")) >= 2
    )  # the sender's copy follows its ack
    assert [m["id"] for m in bob.messages("r1")] == [ack["id"], after["id"]]
    assert [m["id"] for m in alice.messages("r1")] == [ack["id"], after["id"]]
    assert "clientMsgId" not in bob.messages("r1")[1]
    assert after["seq"] > ack["seq"]


async def test_invite_pushes_the_room_and_leaving_stops_it(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice",), name="general")
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    await invite(js, "r1", "bob")
    [joined] = await bob.wait_for("room_joined")
    assert joined == {"roomId": "r1", "name": "general", "participants": ["alice", "bob"]}
    assert alice.of("room_joined") == []  # already a member: nothing new for alice
    ack = await alice.send("r1", "welcome")
    await bob.wait_until(lambda: [m["id"] for m in bob.messages("r1")] == [ack["id"]])
    assert (await bob.send("r1", "thanks"))["ok"] is True

    await leave(js, "r1", "bob")
    assert await bob.wait_for("room_left") == [{"roomId": "r1"}]
    last = await alice.send("r1", "bye bob")
    await alice.wait_until(lambda: alice.messages("r1")[-1]["id"] == last["id"])
    refused = await bob.send("r1", "wait")
    assert refused == {"ok": False, "error": "you are not a member of this room"}
    assert [m["content"] for m in bob.messages("r1")] == ["welcome", "thanks"]


async def test_a_room_created_while_connected_is_pushed(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    await create_room(js, "r2", ("alice", "bob"), name="fresh")
    for client in (alice, bob):
        [joined] = await client.wait_for("room_joined")
        assert joined == {"roomId": "r2", "name": "fresh", "participants": ["alice", "bob"]}
    ack = await bob.send("r2", "first!")
    await alice.wait_until(lambda: [m["id"] for m in alice.messages("r2")] == [ack["id"]])


async def test_a_room_created_just_before_sending_is_known(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    """Read-your-writes: a room made a moment ago (e.g. over REST) is usable at once."""
    url = start_realtime()
    alice = await open_client(url, "alice")
    for i in range(10):
        await create_room(js, f"quick{i}", ("alice",))
        assert (await alice.send(f"quick{i}", "hi"))["ok"] is True
        assert (await alice.call("join_room", {"roomId": f"quick{i}"}))["ok"] is True


async def test_leave_room_and_join_room_switch_one_socket(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    assert await bob.call("leave_room", {"roomId": "r1"}) == {"ok": True, "roomId": "r1"}
    assert bob.of("left_room") == [{"roomId": "r1"}]
    unseen = await alice.send("r1", "bob is not listening")
    await alice.wait_until(lambda: len(alice.messages("r1")) == 1)

    assert await bob.call("join_room", {"roomId": "r1"}) == {"ok": True, "roomId": "r1"}
    assert bob.of("joined_room") == [{"roomId": "r1"}]
    seen = await alice.send("r1", "welcome back")
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)
    assert [m["id"] for m in bob.messages("r1")] == [seen["id"]]
    assert unseen["seq"] < seen["seq"]
    assert bob.of("room_left") == []  # still a member throughout


async def test_a_deleted_room_is_left_by_its_sockets(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    deleted = events.RoomDeleted(actor="alice", room_id="r1")
    await bus.publish_event(js, subjects.room_subject("r1"), deleted)
    for client in (alice, bob):
        assert await client.wait_for("room_left") == [{"roomId": "r1"}]
    assert await alice.send("r1", "hello?") == {"ok": False, "error": "unknown room"}


async def test_a_client_that_starts_with_long_polling_chats_too(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Callable[..., str],
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    bob = await open_client(url, "bob")
    browser = Client("alice")
    await browser.connect(url, make_token("alice"), transports=["polling", "websocket"])
    try:
        ack = await browser.send("r1", "from a browser")
        await bob.wait_until(lambda: [m["id"] for m in bob.messages("r1")] == [ack["id"]])
        reply = await bob.send("r1", "hello browser")
        await browser.wait_until(lambda: len(browser.messages("r1")) == 2)
        assert [m["id"] for m in browser.messages("r1")] == [ack["id"], reply["id"]]
    finally:
        await browser.close()
