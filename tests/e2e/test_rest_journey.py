"""Issue 2, tried as a new user would: every REST route through the edge, and its errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ..chat_clients import PASSWORD, bearer, signup_login


async def test_sign_up_create_invite_list_leave(
    client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob, carol = unique("alice"), unique("bob"), unique("carol")
    ta, tb, tc = [await signup_login(client, u) for u in (alice, bob, carol)]

    made = await client.post(
        "/api/chatrooms", json={"name": "general", "participants": [bob]}, headers=bearer(ta)
    )
    assert made.status_code == 201, made.text
    room = made.json()
    assert room["name"] == "general"
    assert set(room["participants"]) == {alice, bob}

    bobs = (await client.get("/api/chatrooms", headers=bearer(tb))).json()
    assert [r["roomId"] for r in bobs] == [room["roomId"]]
    assert bobs[0]["createdBy"] == alice

    invited = await client.post(
        f"/api/chatrooms/{room['roomId']}/invite",
        json={"participants": [carol]},
        headers=bearer(tb),
    )
    assert invited.status_code == 200, invited.text
    assert set(invited.json()["participants"]) == {alice, bob, carol}
    carols = (await client.get("/api/chatrooms", headers=bearer(tc))).json()
    assert [r["roomId"] for r in carols] == [room["roomId"]]

    left = await client.post(f"/api/chatrooms/{room['roomId']}/leave", headers=bearer(tc))
    assert left.status_code == 200, left.text
    assert (await client.get("/api/chatrooms", headers=bearer(tc))).json() == []
    again = await client.post(
        f"/api/chatrooms/{room['roomId']}/invite",
        json={"participants": [alice]},
        headers=bearer(tc),
    )
    assert again.status_code == 403


async def test_batches_of_200(client: httpx.AsyncClient, unique: Callable[[str], str]) -> None:
    users = [{"username": unique(f"u{i}"), "password": PASSWORD} for i in range(200)]
    signed = await client.post("/api/auth/signup-batch", json={"users": users})
    assert signed.status_code == 201, signed.text
    assert len(signed.json()["created"]) == 200
    assert signed.json()["errors"] == []

    logged = await client.post("/api/auth/login-batch", json={"users": users})
    assert logged.status_code == 200, logged.text
    tokens = {r["username"]: r["token"] for r in logged.json()["results"]}
    assert len(tokens) == 200

    owner = users[0]["username"]
    rooms = [
        {"name": f"room {i}", "participants": [users[i]["username"], users[i + 1]["username"]]}
        for i in range(1, 41, 2)
    ]
    made = await client.post(
        "/api/chatrooms-batch", json={"rooms": rooms}, headers=bearer(tokens[owner])
    )
    assert made.status_code == 201, made.text
    assert len(made.json()["created"]) == 20
    listed = (await client.get("/api/chatrooms", headers=bearer(tokens[owner]))).json()
    assert len(listed) == 20


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/auth/signup", {"username": "ab", "password": PASSWORD}, 400),
        ("/api/auth/signup", {"username": "bad name!", "password": PASSWORD}, 400),
        ("/api/auth/signup", {"username": "fine_name", "password": "short"}, 400),
        ("/api/auth/signup", {"username": "fine_name", "password": "x" * 73}, 400),
        ("/api/auth/signup", {"username": "fine_name"}, 400),
        ("/api/auth/login", {"username": "nobody_here", "password": PASSWORD}, 401),
        ("/api/auth/signup-batch", {"users": [{"username": "a", "password": "b"}] * 1001}, 413),
        ("/api/nope", {}, 404),
    ],
)
async def test_auth_errors(client: httpx.AsyncClient, path: str, body: object, status: int) -> None:
    answer = await client.post(path, json=body)
    assert answer.status_code == status, answer.text
    assert isinstance(answer.json()["error"], str)


async def test_room_errors(client: httpx.AsyncClient, unique: Callable[[str], str]) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    cases: list[tuple[str, str, object, dict[str, str], int]] = [
        ("GET", "/api/chatrooms", None, {}, 401),
        ("GET", "/api/chatrooms", None, bearer("not-a-token"), 401),
        ("POST", "/api/chatrooms", {"name": "", "participants": []}, bearer(ta), 400),
        ("POST", "/api/chatrooms", {"name": "x" * 101, "participants": []}, bearer(ta), 400),
        ("POST", "/api/chatrooms", {"name": "r", "participants": ["ghost_user"]}, bearer(ta), 404),
        ("POST", "/api/chatrooms/unknownroom/invite", {"participants": [bob]}, bearer(ta), 404),
    ]
    for method, path, body, headers, status in cases:
        answer = await client.request(method, path, json=body, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        assert isinstance(answer.json()["error"], str)

    room = (
        await client.post(
            "/api/chatrooms", json={"name": "r", "participants": []}, headers=bearer(ta)
        )
    ).json()
    outsider = await client.get(f"/api/chatrooms/{room['roomId']}/messages", headers=bearer(tb))
    assert outsider.status_code == 403
    dup = await client.post("/api/auth/signup", json={"username": alice, "password": PASSWORD})
    assert dup.status_code == 409
    big = await client.post(
        "/api/chatrooms", content=b"{" + b" " * (2 << 20) + b"}", headers=bearer(ta)
    )
    assert big.status_code == 413
