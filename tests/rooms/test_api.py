"""The rooms REST API as a user sees it: create, list, invite, leave, batch, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from .conftest import Register

Auth = Callable[[str], dict[str, str]]


async def create(
    rooms: httpx.AsyncClient, auth: Auth, by: str, name: str, participants: list[str]
) -> dict[str, object]:
    resp = await rooms.post(
        "/api/chatrooms", json={"name": name, "participants": participants}, headers=auth(by)
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, object] = resp.json()
    return body


async def names_of_rooms(rooms: httpx.AsyncClient, auth: Auth, user: str) -> list[str]:
    resp = await rooms.get("/api/chatrooms", headers=auth(user))
    assert resp.status_code == 200, resp.text
    return [room["name"] for room in resp.json()]


async def test_create_puts_the_creator_first_and_drops_duplicates(
    rooms: httpx.AsyncClient, register: Register, auth: Auth
) -> None:
    await register("alice", "bob", "carol")
    room = await create(rooms, auth, "alice", "  general  ", ["bob", "carol", "bob"])
    assert room["name"] == "general"
    assert room["participants"] == ["alice", "bob", "carol"]
    assert room["createdBy"] == "alice"
    assert isinstance(room["roomId"], str)
    assert len(room["roomId"]) == 32
    assert isinstance(room["createdAt"], str)
    datetime.fromisoformat(room["createdAt"])

    named = await create(rooms, auth, "bob", "named", ["carol", "bob"])
    assert named["participants"] == ["carol", "bob"]


async def test_list_shows_only_my_rooms_newest_first(
    rooms: httpx.AsyncClient, register: Register, auth: Auth
) -> None:
    await register("alice", "bob", "carol")
    first = await create(rooms, auth, "alice", "first", ["bob"])
    await create(rooms, auth, "alice", "second", [])
    await create(rooms, auth, "carol", "third", ["bob"])

    resp = await rooms.get("/api/chatrooms", headers=auth("alice"))
    assert resp.status_code == 200
    listed = resp.json()
    assert [r["name"] for r in listed] == ["second", "first"]
    assert {k: v for k, v in listed[1].items() if k in first} == first  # + issue 15's fields
    assert (listed[1]["unread"], listed[1]["lastReadSeq"], listed[1]["lastMessage"]) == (0, 0, None)
    assert listed[1]["lastActivityAt"] == first["createdAt"]
    assert await names_of_rooms(rooms, auth, "bob") == ["third", "first"]
    assert await names_of_rooms(rooms, auth, "dave") == []


async def test_users_registered_after_start_are_known(
    rooms: httpx.AsyncClient, register: Register, auth: Auth
) -> None:
    await register("alice")
    await register("late")
    room = await create(rooms, auth, "alice", "latecomers", ["late"])
    assert room["participants"] == ["alice", "late"]


CREATE_REFUSALS = [
    ({"name": "x", "participants": ["bob", "zed", "yan"]}, 404, "unknown users: zed, yan"),
    ({"name": "   ", "participants": []}, 400, "name must be 1-100 characters"),
    ({"name": "n" * 101, "participants": []}, 400, "name must be 1-100 characters"),
    ({"name": "x", "participants": [f"u{i}" for i in range(101)]}, 400, "at most 100"),
    ({"name": 5, "participants": []}, 400, "name"),
    ({"participants": ["bob"]}, 400, "name"),
    ({"name": "x", "participants": "bob"}, 400, "participants"),
    ({"name": "x", "participants": [1]}, 400, "participants"),
    ([], 400, "valid dictionary"),
]


async def test_create_refusals(rooms: httpx.AsyncClient, register: Register, auth: Auth) -> None:
    await register("alice", "bob")
    for body, status, error in CREATE_REFUSALS:
        resp = await rooms.post("/api/chatrooms", json=body, headers=auth("alice"))
        assert resp.status_code == status, (body, resp.text)
        assert error in resp.json()["error"], (body, resp.text)
    headers = {**auth("alice"), "Content-Type": "application/json"}
    resp = await rooms.post("/api/chatrooms", content=b"{not json", headers=headers)
    assert resp.status_code == 400
    assert resp.json() == {"error": "request body is not valid JSON"}
    assert await names_of_rooms(rooms, auth, "alice") == []


async def test_invite_adds_only_new_members_and_they_see_the_room(
    rooms: httpx.AsyncClient, register: Register, auth: Auth
) -> None:
    await register("alice", "bob", "carol", "dave")
    room = await create(rooms, auth, "alice", "team", ["bob"])
    url = f"/api/chatrooms/{room['roomId']}/invite"

    resp = await rooms.post(
        url, json={"participants": ["carol", "bob", "carol"]}, headers=auth("bob")
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["participants"] == ["alice", "bob", "carol"]
    assert "message" in resp.json()

    resp = await rooms.post(url, json={"participants": ["alice"]}, headers=auth("carol"))
    assert resp.status_code == 200
    assert resp.json()["participants"] == ["alice", "bob", "carol"]
    assert await names_of_rooms(rooms, auth, "carol") == ["team"]
    assert await names_of_rooms(rooms, auth, "dave") == []


async def test_invite_refusals(rooms: httpx.AsyncClient, register: Register, auth: Auth) -> None:
    await register("alice", "bob", "carol")
    room = await create(rooms, auth, "alice", "team", ["bob"])
    url = f"/api/chatrooms/{room['roomId']}/invite"

    cases = [
        ("carol", url, {"participants": ["carol"]}, 403, "not a member"),
        ("alice", "/api/chatrooms/nosuchroom/invite", {"participants": ["carol"]}, 404, "room"),
        ("alice", url, {"participants": ["carol", "ghost"]}, 404, "unknown users: ghost"),
        ("alice", url, {"participants": [f"u{i}" for i in range(101)]}, 400, "at most 100"),
        ("alice", url, {"participants": []}, 400, "participants"),
        ("alice", url, {}, 400, "participants"),
    ]
    for user, target, body, status, error in cases:
        resp = await rooms.post(target, json=body, headers=auth(user))
        assert resp.status_code == status, (body, resp.text)
        assert error in resp.json()["error"], (body, resp.text)
    listed = (await rooms.get("/api/chatrooms", headers=auth("alice"))).json()
    assert listed[0]["participants"] == ["alice", "bob"]


async def test_room_size_cap(
    start_rooms: Callable[..., str], register: Register, auth: Auth
) -> None:
    await register("alice", "bob", "carol", "dave")
    base = start_rooms(env={"MINITALK_MAX_ROOM_MEMBERS": "3"})
    async with httpx.AsyncClient(base_url=base) as rooms:
        room = await create(rooms, auth, "alice", "small", ["bob"])
        url = f"/api/chatrooms/{room['roomId']}/invite"
        resp = await rooms.post(
            url, json={"participants": ["carol", "dave"]}, headers=auth("alice")
        )
        assert resp.status_code == 400
        assert resp.json() == {"error": "a room holds at most 3 members"}
        resp = await rooms.post(url, json={"participants": ["carol"]}, headers=auth("alice"))
        assert resp.json()["participants"] == ["alice", "bob", "carol"]
        resp = await rooms.post(
            "/api/chatrooms",
            json={"name": "big", "participants": ["bob", "carol", "dave"]},
            headers=auth("alice"),
        )
        assert resp.status_code == 400


async def test_leave_and_the_last_one_out_deletes_the_room(
    rooms: httpx.AsyncClient, register: Register, auth: Auth
) -> None:
    await register("alice", "bob")
    room = await create(rooms, auth, "alice", "pair", ["bob"])
    leave = f"/api/chatrooms/{room['roomId']}/leave"

    resp = await rooms.post(leave, headers=auth("alice"))
    assert resp.status_code == 200
    assert "message" in resp.json()
    assert await names_of_rooms(rooms, auth, "alice") == []
    assert (await rooms.get("/api/chatrooms", headers=auth("bob"))).json()[0]["participants"] == [
        "bob"
    ]

    resp = await rooms.post(leave, headers=auth("alice"))
    assert resp.status_code == 403
    assert "not a member" in resp.json()["error"]

    resp = await rooms.post(leave, headers=auth("bob"))
    assert resp.status_code == 200
    assert await names_of_rooms(rooms, auth, "bob") == []

    for path in (leave, f"/api/chatrooms/{room['roomId']}/invite"):
        resp = await rooms.post(path, json={"participants": ["alice"]}, headers=auth("bob"))
        assert resp.status_code == 404
        assert resp.json() == {"error": "room not found"}


async def test_batch_creates_what_it_can_and_reports_the_rest(
    rooms: httpx.AsyncClient, register: Register, auth: Auth
) -> None:
    await register("alice", "bob")
    entries = [
        {"name": "one", "participants": ["bob"]},
        {"name": "", "participants": []},
        {"name": "two", "participants": ["ghost"]},
        "not a room",
        {"name": "three", "participants": []},
    ]
    resp = await rooms.post("/api/chatrooms-batch", json={"rooms": entries}, headers=auth("alice"))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert isinstance(body["message"], str)
    assert [(r["name"], r["participants"]) for r in body["created"]] == [
        ("one", ["alice", "bob"]),
        ("three", ["alice"]),
    ]
    assert [(e["index"], e["name"]) for e in body["errors"]] == [(1, ""), (2, "two"), (3, None)]
    assert body["errors"][1]["error"] == "unknown users: ghost"
    assert sorted(await names_of_rooms(rooms, auth, "alice")) == ["one", "three"]


async def test_batch_size_limits(rooms: httpx.AsyncClient, register: Register, auth: Auth) -> None:
    await register("alice")
    resp = await rooms.post("/api/chatrooms-batch", json={"rooms": []}, headers=auth("alice"))
    assert resp.status_code == 400
    assert "at least one" in resp.json()["error"]
    many = [{"name": f"r{i}", "participants": []} for i in range(1001)]
    resp = await rooms.post("/api/chatrooms-batch", json={"rooms": many}, headers=auth("alice"))
    assert resp.status_code == 413
    assert "at most 1000" in resp.json()["error"]
    resp = await rooms.post(
        "/api/chatrooms-batch", json={"rooms": many[:1000]}, headers=auth("alice")
    )
    assert resp.status_code == 201
    assert len(resp.json()["created"]) == 1000
    assert len(await names_of_rooms(rooms, auth, "alice")) == 1000


async def test_per_user_write_budgets(
    start_rooms: Callable[..., str], register: Register, auth: Auth
) -> None:
    """A script's writes beyond its user's budget are 429s with ``Retry-After`` that change
    nothing; other users, and the reads, are not touched."""
    await register("alice", "bob")
    env = {
        "MINITALK_REST_ROOM_WRITES_RATE_PER_S": "0.01",
        "MINITALK_REST_ROOM_WRITES_BURST": "3",
        "MINITALK_REST_EDIT_RATE_PER_S": "0.01",
        "MINITALK_REST_EDIT_BURST": "2",
        "MINITALK_REST_REACT_RATE_PER_S": "0.01",
        "MINITALK_REST_REACT_BURST": "2",
        "MINITALK_REST_READ_RATE_PER_S": "0.01",
        "MINITALK_REST_READ_BURST": "2",
    }
    async with httpx.AsyncClient(base_url=start_rooms(env=env), timeout=30) as rooms:
        for i in range(3):
            await create(rooms, auth, "alice", f"r{i}", ["bob"])
        resp = await rooms.post(
            "/api/chatrooms", json={"name": "r3", "participants": []}, headers=auth("alice")
        )
        assert resp.status_code == 429
        assert resp.json()["error"].startswith("too many rooms requests; retry in ")
        assert int(resp.headers["Retry-After"]) >= 1
        assert sorted(await names_of_rooms(rooms, auth, "alice")) == ["r0", "r1", "r2"]
        # a batch costs a token per 100 rooms: 250 rooms are 3 tokens, more than bob's 2 left
        await create(rooms, auth, "bob", "b0", [])
        batch = [{"name": f"b{i}", "participants": []} for i in range(250)]
        resp = await rooms.post("/api/chatrooms-batch", json={"rooms": batch}, headers=auth("bob"))
        assert resp.status_code == 429
        assert await names_of_rooms(rooms, auth, "bob") == ["b0", "r2", "r1", "r0"]

        missing = "0" * 32
        message = f"/api/chatrooms/{missing}/messages/m1"
        for path, kind, send in [
            (message, "edit", lambda p, h: rooms.patch(p, json={"content": "x"}, headers=h)),
            (f"{message}/reactions/%F0%9F%91%8D", "react", lambda p, h: rooms.put(p, headers=h)),
            (
                f"/api/chatrooms/{missing}/read",
                "reads",
                lambda p, h: rooms.post(p, json={"seq": 1}, headers=h),
            ),
        ]:
            statuses = [(await send(path, auth("alice"))).status_code for _ in range(3)]
            assert 429 not in statuses[:2], (kind, statuses)
            assert statuses[2] == 429, (kind, statuses)
            refused = await send(path, auth("alice"))
            assert refused.json()["error"].startswith(f"too many {kind} requests"), refused.text
            assert (await send(path, auth("bob"))).status_code != 429
        assert (await rooms.get("/api/chatrooms", headers=auth("alice"))).status_code == 200
