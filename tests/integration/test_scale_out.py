"""Issue 8: scale-out on one machine — 2 realtime, 2 rooms and 2 persisters (2 partitions)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
from minitalk_common import subjects
from minitalk_local.system import LocalSystem

from ..chat_clients import ChatClient, bearer, signup_login

USERS = [f"user{i:02d}" for i in range(12)]
ROOMS = 10
PER_ROOM = 20


async def test_many_rooms_across_replicas_exactly_once(system: LocalSystem) -> None:
    partitions = {"MINITALK_PERSISTER_PARTITIONS": "2"}
    system.start_service("auth")
    for name in ("rooms-a", "rooms-b"):
        system.start_service("rooms", name=name, env=partitions)
    for name in ("realtime-a", "realtime-b"):
        system.start_service("realtime", name=name)
    for p in (0, 1):
        system.start_service(
            "persister",
            name=f"persister-{p}",
            env={
                **partitions,
                "MINITALK_PERSISTER_PARTITION": str(p),
                "MINITALK_DATA_DIR": str(system.data_dir / f"p{p}"),
            },
        )
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as auth:
        tokens = {u: await signup_login(auth, u) for u in USERS}
    rooms_http = [
        httpx.AsyncClient(base_url=system.http(n), timeout=30) for n in ("rooms-a", "rooms-b")
    ]
    members: dict[str, list[str]] = {}
    for i in range(ROOMS):
        owner, *others = rng.sample(USERS, 4)
        made = await rooms_http[i % 2].post(
            "/api/chatrooms",
            json={"name": f"r{i}", "participants": others},
            headers=bearer(tokens[owner]),
        )
        assert made.status_code == 201, made.text
        members[made.json()["roomId"]] = made.json()["participants"]

    clients = {
        u: await ChatClient(u, tokens[u]).connect(system.http(f"realtime-{'ab'[i % 2]}"))
        for i, u in enumerate(USERS)
    }
    try:

        async def room_traffic(room_id: str) -> list[int]:
            acks = [
                await clients[rng.choice(members[room_id])].send(room_id, f"{room_id}:{n}")
                for n in range(PER_ROOM)
            ]
            assert all(a["ok"] for a in acks)
            return [a["seq"] for a in acks]

        sent = dict(zip(members, await asyncio.gather(*map(room_traffic, members)), strict=True))
        for room_id, users in members.items():
            for user in users:
                await clients[user].wait_for_count(room_id, PER_ROOM)
        await asyncio.sleep(0.5)  # anything extra would arrive now
        for room_id, users in members.items():
            for user in users:
                assert sorted(clients[user].seqs(room_id)) == sorted(sent[room_id]), user

        for i, (room_id, users) in enumerate(members.items()):
            page = await rooms_http[i % 2].get(
                f"/api/chatrooms/{room_id}/messages", headers=bearer(tokens[users[0]])
            )
            assert page.status_code == 200, page.text
            assert [m["seq"] for m in page.json()] == sorted(sent[room_id])
            owner = subjects.partition_of(room_id, 2)
            written = [p for p in (0, 1) if room_file(system.data_dir / f"p{p}", room_id).exists()]
            assert written == [owner]
    finally:
        for client in clients.values():
            await client.close()
        for http in rooms_http:
            await http.aclose()


def room_file(data_dir: Path, room_id: str) -> Path:
    return data_dir / "rooms" / f"{room_id}.jsonl"
