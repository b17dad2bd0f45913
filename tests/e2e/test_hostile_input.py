"""Issue 12, tried as an attacker would through the edge: bad input is a 400 naming the field
(never a 5xx, never half a batch), and an acked message is never lost."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from minitalk_local.system import LocalSystem

from ..chat_clients import PASSWORD, ChatClient, bearer, signup_login

LONE = "\ud800"  # a lone surrogate: valid in a JSON "\ud800" escape, not encodable as UTF-8


async def post_raw(
    client: httpx.AsyncClient, path: str, body: Any, token: str | None = None
) -> httpx.Response:
    """POST ``body`` as ASCII JSON (``\\ud800`` escapes), as a script would send it."""
    headers = {"Content-Type": "application/json", **(bearer(token) if token else {})}
    return await client.post(path, content=json.dumps(body), headers=headers)


async def test_an_acked_message_is_stored_whatever_room_reuses_its_client_msg_id(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rooms = []
    for name in ("one", "two"):
        answer = await client.post(
            "/api/chatrooms", json={"name": name, "participants": [bob]}, headers=bearer(ta)
        )
        rooms.append(answer.json()["roomId"])
    a = await ChatClient(alice, ta).connect(stack.url)
    b = await ChatClient(bob, tb).connect(stack.url)
    try:
        first = await a.send(rooms[0], "in room one", client_msg_id="1")
        second = await a.send(rooms[1], "in room two", client_msg_id="1")  # a per-room counter
        resent = await a.send(rooms[1], "in room two", client_msg_id="1")
        assert first["ok"]
        assert second["ok"]
        assert second["id"] != first["id"]
        assert (resent["id"], resent["seq"]) == (second["id"], second["seq"])
        await b.wait_for_count(rooms[1], 1)
        for room_id, ack, content in (
            (rooms[0], first, "in room one"),
            (rooms[1], second, "in room two"),
        ):
            history = await client.get(f"/api/chatrooms/{room_id}/messages", headers=bearer(tb))
            assert [(m["id"], m["content"]) for m in history.json()] == [(ack["id"], content)]
    finally:
        await a.close()
        await b.close()


async def test_unencodable_text_is_a_400_naming_the_field(
    client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    token = await signup_login(client, alice)
    await signup_login(client, bob)
    refusals = {
        "/api/chatrooms": ({"name": f"x{LONE}", "participants": []}, "name"),
        "/api/auth/signup": ({"username": f"ab{LONE}", "password": PASSWORD}, "username"),
        "/api/auth/login": ({"username": alice, "password": f"{PASSWORD}{LONE}"}, None),
    }
    for path, (body, field) in refusals.items():
        answer = await post_raw(client, path, body, token)
        assert answer.status_code in (400, 401), (path, answer.text)
        if field is not None:
            assert field in answer.json()["error"], answer.text
    answer = await post_raw(client, "/api/chatrooms", {"name": "x", "participants": [LONE]}, token)
    assert answer.status_code == 400
    assert "participants" in answer.json()["error"]
    room = (await client.post("/api/chatrooms", json={"name": "r"}, headers=bearer(token))).json()
    invite = await post_raw(
        client, f"/api/chatrooms/{room['roomId']}/invite", {"participants": [bob, LONE]}, token
    )
    assert invite.status_code == 400
    assert "participants" in invite.json()["error"]
    assert (await client.get("/api/chatrooms", headers=bearer(token))).json()[0][
        "participants"
    ] == [alice]


async def test_a_batch_answers_per_entry_and_creates_only_the_good_ones(
    client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    token = await signup_login(client, alice)
    await signup_login(client, bob)
    entries = [
        {"name": "good one", "participants": [bob]},
        {"name": f"bad{LONE}"},
        {"name": "good two"},
        {"name": "bad participant", "participants": [LONE]},
        {"name": "nul\x00name"},
    ]
    answer = await post_raw(client, "/api/chatrooms-batch", {"rooms": entries}, token)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [r["name"] for r in body["created"]] == ["good one", "good two"]
    assert [(e["index"], e["name"]) for e in body["errors"]] == [
        (1, None),
        (3, "bad participant"),
        (4, None),
    ]
    assert all(e["error"] for e in body["errors"])
    mine = (await client.get("/api/chatrooms", headers=bearer(token))).json()
    assert sorted(r["name"] for r in mine) == ["good one", "good two"]

    users = [
        {"username": unique("carol"), "password": PASSWORD},
        {"username": f"dave{LONE}", "password": PASSWORD},
        {"username": unique("erin"), "password": f"{PASSWORD}{LONE}"},
    ]
    signed = await post_raw(client, "/api/auth/signup-batch", {"users": users})
    assert signed.status_code == 201, signed.text
    assert signed.json()["created"] == [{"username": users[0]["username"]}]
    assert [e["username"] for e in signed.json()["errors"]] == [None, users[2]["username"]]
    logged = await post_raw(client, "/api/auth/login-batch", {"users": users})
    assert logged.status_code == 200, logged.text
    assert [r["username"] for r in logged.json()["results"]] == [users[0]["username"]]
    assert len(logged.json()["errors"]) == 2


@pytest.mark.parametrize(
    "query",
    [
        "since=9999-12-31T23:59:59-01:00",
        "since=0001-01-01T00:00:00%2B01:00",
        "since=%00",
        f"before={10**30}",
        f"after={10**30}",
        f"before={2**63}",
        f"limit={10**30}",
        "limit=-1",
        "before=abc",
    ],
)
async def test_out_of_range_history_cursors_are_a_400(
    client: httpx.AsyncClient, unique: Callable[[str], str], query: str
) -> None:
    token = await signup_login(client, unique("alice"))
    room = (await client.post("/api/chatrooms", json={"name": "r"}, headers=bearer(token))).json()
    answer = await client.get(
        f"/api/chatrooms/{room['roomId']}/messages?{query}", headers=bearer(token)
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


async def test_unencodable_message_content_is_refused_on_the_socket(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice = unique("alice")
    token = await signup_login(client, alice)
    room = (await client.post("/api/chatrooms", json={"name": "r"}, headers=bearer(token))).json()
    a = await ChatClient(alice, token).connect(stack.url)
    try:
        for payload, field in (
            ({"roomId": room["roomId"], "content": f"hi {LONE}"}, "content"),
            ({"roomId": room["roomId"], "content": "hi", "clientMsgId": LONE}, "clientMsgId"),
            ({"roomId": room["roomId"], "content": "nul\x00"}, "content"),
        ):
            ack = await a.call("send_message", payload)
            assert ack["ok"] is False
            assert ack["error"].startswith(field), ack
        ok = await a.send(room["roomId"], "still fine 🙂")
        assert ok["ok"] is True
        history = await client.get(
            f"/api/chatrooms/{room['roomId']}/messages", headers=bearer(token)
        )
        assert [m["content"] for m in history.json()] == ["still fine 🙂"]
    finally:
        await a.close()


@pytest.mark.parametrize(
    "query",
    ["since=9999-12-31T23:59:59%2B00:00", "since=0001-01-01T00:00:00Z", f"before={2**63 - 1}"],
)
async def test_history_cursors_at_the_ends_of_the_range_are_answered(
    client: httpx.AsyncClient, unique: Callable[[str], str], query: str
) -> None:
    token = await signup_login(client, unique("alice"))
    room = (await client.post("/api/chatrooms", json={"name": "r"}, headers=bearer(token))).json()
    answer = await client.get(
        f"/api/chatrooms/{room['roomId']}/messages?{query}", headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("path", ["/api/chatrooms", "/api/auth/signup", "/api/auth/login-batch"])
async def test_a_deeply_nested_body_is_a_400(
    client: httpx.AsyncClient, unique: Callable[[str], str], path: str
) -> None:
    token = await signup_login(client, unique("alice"))
    body = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    answer = await client.post(
        path, content=body, headers={"Content-Type": "application/json", **bearer(token)}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
