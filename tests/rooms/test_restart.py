"""Rooms keeps no state of its own: a restarted process rebuilds every room from the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from minitalk_local.system import LocalSystem

from .conftest import Register, StartRooms

Auth = Callable[[str], dict[str, str]]
USERS = ("alice", "bob", "carol", "dave")


async def lists(base: str, auth: Auth) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as client:
        return {u: (await client.get("/api/chatrooms", headers=auth(u))).json() for u in USERS}


async def test_restart_keeps_every_room_list(
    start_rooms: StartRooms, system: LocalSystem, register: Register, auth: Auth
) -> None:
    await register(*USERS)
    base = start_rooms()
    async with httpx.AsyncClient(base_url=base) as rooms:
        made = []
        for i, others in enumerate((["bob"], ["carol", "dave"], ["bob", "carol"], [])):
            resp = await rooms.post(
                "/api/chatrooms",
                json={"name": f"room {i}", "participants": others},
                headers=auth("alice"),
            )
            made.append(resp.json()["roomId"])
        await rooms.post(
            f"/api/chatrooms/{made[0]}/invite", json={"participants": ["dave"]}, headers=auth("bob")
        )
        await rooms.post(f"/api/chatrooms/{made[1]}/leave", headers=auth("carol"))
        await rooms.post(f"/api/chatrooms/{made[3]}/leave", headers=auth("alice"))
    before = await lists(base, auth)
    assert [r["name"] for r in before["alice"]] == ["room 2", "room 1", "room 0"]

    system.stop("rooms")
    base = start_rooms()
    assert await lists(base, auth) == before

    async with httpx.AsyncClient(base_url=base) as rooms:
        resp = await rooms.post(
            f"/api/chatrooms/{made[1]}/invite",
            json={"participants": ["carol"]},
            headers=auth("dave"),
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["participants"] == ["alice", "dave", "carol"]
