"""Issue 3: a realtime process restarts; its clients reconnect and catch up with ``after=``."""

from __future__ import annotations

import asyncio

import httpx
from minitalk_local.system import LocalSystem

from ..chat_clients import ChatClient, bearer, signup_login


async def test_reconnect_then_after_returns_exactly_the_missed(system: LocalSystem) -> None:
    system.start_all()
    system.start_service("realtime", name="realtime2")
    async with (
        httpx.AsyncClient(base_url=system.http("auth")) as auth,
        httpx.AsyncClient(base_url=system.http("rooms")) as rooms,
    ):
        ta, tb = await signup_login(auth, "alice"), await signup_login(auth, "bob")
        made = await rooms.post(
            "/api/chatrooms", json={"name": "r", "participants": ["bob"]}, headers=bearer(ta)
        )
        rid = made.json()["roomId"]
        alice = await ChatClient("alice", ta).connect(system.http("realtime2"))
        bob = await ChatClient("bob", tb).connect(system.http("realtime"))
        try:
            for i in range(3):
                assert (await alice.send(rid, f"before {i}"))["ok"]
            await bob.wait_for_count(rid, 3)
            last_seen = max(bob.seqs(rid))

            system.stop("realtime")
            async with asyncio.timeout(10):
                while bob.sio.connected:
                    await asyncio.sleep(0.05)
            missed = [(await alice.send(rid, f"missed {i}"))["seq"] for i in range(5)]
            system.start_service("realtime")
            async with asyncio.timeout(30):
                while not bob.sio.connected:
                    await asyncio.sleep(0.1)

            page = await rooms.get(
                f"/api/chatrooms/{rid}/messages?after={last_seen}", headers=bearer(tb)
            )
            assert page.status_code == 200, page.text
            assert [m["seq"] for m in page.json()] == missed
            assert [m["content"] for m in page.json()] == [f"missed {i}" for i in range(5)]

            after = await alice.send(rid, "live again")
            await bob.wait_for_count(rid, 4)
            assert bob.seqs(rid)[-1] == after["seq"]
        finally:
            await alice.close()
            await bob.close()
