"""Two rooms replicas changing the same room at once lose no update (optimistic concurrency)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from .conftest import Register, StartRooms

Auth = Callable[[str], dict[str, str]]
INVITED = [f"user{i:02d}" for i in range(20)]


async def members_seen_by(client: httpx.AsyncClient, auth: Auth, expected: int) -> list[str]:
    """The room's members as this replica lists them, once it shows ``expected`` of them."""
    for _ in range(200):
        listed = (await client.get("/api/chatrooms", headers=auth("alice"))).json()
        if listed and len(listed[0]["participants"]) >= expected:
            members: list[str] = listed[0]["participants"]
            return members
        await asyncio.sleep(0.05)
    raise AssertionError(f"the replica never showed {expected} members: {listed}")


async def test_concurrent_invites_on_two_replicas_all_survive(
    start_rooms: StartRooms, register: Register, auth: Auth
) -> None:
    await register("alice", *INVITED)
    a = httpx.AsyncClient(base_url=start_rooms("rooms-a"), timeout=30)
    b = httpx.AsyncClient(base_url=start_rooms("rooms-b"), timeout=30)
    async with a, b:
        created = await a.post("/api/chatrooms", json={"name": "busy"}, headers=auth("alice"))
        room_id = created.json()["roomId"]
        await members_seen_by(b, auth, 1)

        async def invite(client: httpx.AsyncClient, user: str) -> httpx.Response:
            body = {"participants": [user]}
            return await client.post(
                f"/api/chatrooms/{room_id}/invite", json=body, headers=auth("alice")
            )

        answers = await asyncio.gather(
            *(invite(a if i % 2 else b, user) for i, user in enumerate(INVITED))
        )
        assert [r.status_code for r in answers] == [200] * len(INVITED), [r.text for r in answers]
        for client in (a, b):
            members = await members_seen_by(client, auth, 1 + len(INVITED))
            assert members[0] == "alice"
            assert sorted(members[1:]) == INVITED


async def test_the_room_cap_holds_under_concurrent_invites(
    start_rooms: StartRooms, register: Register, auth: Auth
) -> None:
    await register("alice", *INVITED)
    cap = {"MINITALK_MAX_ROOM_MEMBERS": "5"}
    a = httpx.AsyncClient(base_url=start_rooms("rooms-a", cap), timeout=30)
    b = httpx.AsyncClient(base_url=start_rooms("rooms-b", cap), timeout=30)
    async with a, b:
        created = await a.post("/api/chatrooms", json={"name": "small"}, headers=auth("alice"))
        room_id = created.json()["roomId"]
        await members_seen_by(b, auth, 1)

        async def invite(client: httpx.AsyncClient, user: str) -> int:
            body = {"participants": [user]}
            url = f"/api/chatrooms/{room_id}/invite"
            return (await client.post(url, json=body, headers=auth("alice"))).status_code

        statuses = await asyncio.gather(
            *(invite(a if i % 2 else b, u) for i, u in enumerate(INVITED))
        )
        assert sorted(statuses) == [200] * 4 + [400] * 16
        for client in (a, b):
            assert len(await members_seen_by(client, auth, 5)) == 5


async def test_a_change_through_one_replica_is_seen_at_once_through_the_other(
    start_rooms: StartRooms, register: Register, auth: Auth
) -> None:
    await register("alice", "bob", "carol")
    a = httpx.AsyncClient(base_url=start_rooms("rooms-a"), timeout=30)
    b = httpx.AsyncClient(base_url=start_rooms("rooms-b"), timeout=30)
    async with a, b:
        for round_ in range(5):
            resp = await a.post(
                "/api/chatrooms", json={"name": f"r{round_}"}, headers=auth("alice")
            )
            invite = f"/api/chatrooms/{resp.json()['roomId']}/invite"
            resp = await b.post(invite, json={"participants": ["bob"]}, headers=auth("alice"))
            assert resp.status_code == 200, resp.text
            resp = await a.post(invite, json={"participants": ["carol"]}, headers=auth("bob"))
            assert resp.status_code == 200, resp.text
            assert resp.json()["participants"] == ["alice", "bob", "carol"]
