"""Issue 3, tried as a new user would: the original client protocol through the edge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from minitalk_local.system import LocalSystem

from ..chat_clients import ChatClient, bearer, signup_login


async def test_two_clients_chat_and_history(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    room = (
        await client.post(
            "/api/chatrooms", json={"name": "live", "participants": [bob]}, headers=bearer(ta)
        )
    ).json()
    rid = room["roomId"]
    a = await ChatClient(alice, ta).connect(stack.url)
    b = await ChatClient(bob, tb).connect(stack.url)
    try:
        ack = await a.send(rid, "hello bob", client_msg_id="m1")
        assert ack["ok"] is True
        assert isinstance(ack["id"], str)
        assert isinstance(ack["seq"], int)
        await b.wait_for_count(rid, 1)
        got = b.messages(rid)[0]
        assert got["type"] == "message"
        assert (got["id"], got["seq"], got["sender"], got["content"]) == (
            ack["id"],
            ack["seq"],
            alice,
            "hello bob",
        )
        await a.wait_for_count(rid, 1)  # the sender sees its own message too

        history = await client.get(f"/api/chatrooms/{rid}/messages", headers=bearer(tb))
        assert history.status_code == 200, history.text
        assert [(m["id"], m["seq"], m["content"]) for m in history.json()] == [
            (ack["id"], ack["seq"], "hello bob")
        ]
        again = await a.send(rid, "hello bob", client_msg_id="m1")
        assert (again["id"], again["seq"]) == (ack["id"], ack["seq"])
        await asyncio.sleep(0.5)
        assert b.seqs(rid) == [ack["seq"]]
    finally:
        await a.close()
        await b.close()


async def test_read_your_writes(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice = unique("alice")
    ta = await signup_login(client, alice)
    rid = (
        await client.post(
            "/api/chatrooms", json={"name": "ryw", "participants": []}, headers=bearer(ta)
        )
    ).json()["roomId"]
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        for i in range(20):
            ack = await a.send(rid, f"m{i}")
            page = await client.get(
                f"/api/chatrooms/{rid}/messages?after={ack['seq'] - 1}", headers=bearer(ta)
            )
            assert [m["seq"] for m in page.json()] == [ack["seq"]]
    finally:
        await a.close()
