"""Typing notices reach the other members, never the sender or a non-member, across processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]


async def test_typing_is_relayed_to_the_other_members_only(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob", "carol"))
    await create_room(js, "r2", ("alice", "dave"))
    urls = [start_realtime("realtime"), start_realtime("realtime2")]
    alice = await open_client(urls[0], "alice")
    alice_tab = await open_client(urls[1], "alice")
    bob = await open_client(urls[0], "bob")
    carol = await open_client(urls[1], "carol")
    dave = await open_client(urls[0], "dave")

    assert await alice.call("typing", {"roomId": "r1", "isTyping": True}) == {"ok": True}
    notice = {"roomId": "r1", "username": "alice", "isTyping": True}
    assert await bob.wait_for("typing") == [notice]
    assert await carol.wait_for("typing") == [notice]

    await bob.call("typing", {"roomId": "r1", "isTyping": False})
    stopped = {"roomId": "r1", "username": "bob", "isTyping": False}
    await alice.wait_for("typing")
    await carol.wait_for("typing", 2)
    # once a later message has reached everyone, a stray typing notice would have too
    ack = await carol.send("r1", "flush")
    for client in (alice, alice_tab, bob, dave):
        if client is not dave:
            await client.wait_until(lambda c=client: len(c.messages("r1")) == 1)
    assert alice.of("typing") == [stopped]
    assert alice_tab.of("typing") == [stopped]  # the sender's other tab is not told either
    assert bob.of("typing") == [notice]
    assert dave.of("typing") == []
    assert ack["ok"] is True


async def test_typing_in_a_foreign_room_is_refused(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    bob = await open_client(url, "bob")
    mallory = await open_client(url, "mallory")
    refused = await mallory.call("typing", {"roomId": "r1", "isTyping": True})
    assert refused == {"ok": False, "error": "you are not a member of this room"}
    assert mallory.of("error") == [{"message": "you are not a member of this room"}]
    await (await open_client(url, "alice")).send("r1", "after")
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)
    assert bob.of("typing") == []
