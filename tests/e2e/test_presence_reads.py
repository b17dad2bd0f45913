"""Issue 15, Must show 1 and 2: presence and read positions through the edge with real clients,
two realtime replicas, restarts of every service and a replay rebuild."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from minitalk_local.system import LocalSystem, NatsServer

from ..chat_clients import ChatClient, bearer, signup_login
from ..realtime.clients import Client

GRACE_S = 2.0
#: What the stack's realtime processes are told: a short grace and a small mark_read budget.
ENV = {
    "MINITALK_ENV": "test",
    "MINITALK_BCRYPT_COST": "4",
    "MINITALK_PRESENCE_GRACE_S": str(GRACE_S),
    "MINITALK_READ_BURST": "8",
    "MINITALK_READ_RATE_PER_S": "1",
}


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(store=tmp_path_factory.mktemp("nats"), sink=sys.stderr).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(nats: NatsServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    root: Path = tmp_path_factory.mktemp("stack")
    system = LocalSystem(data_dir=root / "data", nats_url=nats.url, env=ENV, sink=sys.stderr)
    try:
        system.start_all(replicas={"realtime": 2})
        system.start_edge()
        yield system
    finally:
        system.stop_all()


@pytest.fixture
async def client(stack: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        yield http


@pytest.fixture
def unique() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}_{uuid.uuid4().hex[:8]}"


async def room_with(http: httpx.AsyncClient, token: str, *members: str) -> str:
    body = {"name": "reads", "participants": list(members)}
    created = await http.post("/api/chatrooms", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    room_id: str = created.json()["roomId"]
    return room_id


async def listed(http: httpx.AsyncClient, token: str, room_id: str) -> dict[str, Any]:
    answer = await http.get("/api/chatrooms", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    item: dict[str, Any] = next(r for r in answer.json() if r["roomId"] == room_id)
    return item


def changes(client: Client, room_id: str, username: str) -> list[bool]:
    return [
        c["online"]
        for c in client.of("presence_changed")
        if c["roomId"] == room_id and c["username"] == username
    ]


async def test_must_show_1_through_the_edge(
    stack: LocalSystem, nats: NatsServer, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await room_with(client, ta, bob)
    a = await ChatClient(alice, ta).connect(stack.url)
    b1: ChatClient | None = None
    b2: ChatClient | None = None
    try:
        acks = [await a.send(rid, f"m{i}") for i in (1, 2, 3)]
        last = acks[-1]["seq"]
        item = await listed(client, tb, rid)
        assert (item["unread"], item["lastReadSeq"]) == (3, 0)
        assert item["lastMessage"]["seq"] == last
        assert (item["lastMessage"]["sender"], item["lastMessage"]["content"]) == (alice, "m3")
        assert item["lastActivityAt"] == item["lastMessage"]["timestamp"]
        assert (await listed(client, ta, rid))["unread"] == 0  # one's own messages are read

        b1 = one = await ChatClient(bob, tb).connect(stack.url)
        await a.wait_until(lambda: changes(a, rid, bob) == [True])
        told = await one.wait_for("presence")
        assert {"roomId": rid, "online": [alice, bob]} in told
        online = await client.get(f"/api/chatrooms/{rid}/presence", headers=bearer(ta))
        assert online.json() == {"roomId": rid, "online": [alice, bob]}

        b2 = two = await ChatClient(bob, tb).connect(stack.url)
        ack = await one.call("mark_read", {"roomId": rid, "seq": last})
        assert ack == {"ok": True, "roomId": rid, "lastReadSeq": last}
        receipt = {"roomId": rid, "username": bob, "lastReadSeq": last}
        await a.wait_until(lambda: receipt in a.of("receipt"))
        await two.wait_until(lambda: {"roomId": rid, "lastReadSeq": last} in two.of("read"))
        assert one.of("read") == []  # the socket that marked has its ack
        item = await listed(client, tb, rid)
        assert (item["unread"], item["lastReadSeq"]) == (0, last)
        receipts = await client.get(f"/api/chatrooms/{rid}/receipts", headers=bearer(ta))
        assert receipts.json() == [
            {"username": alice, "lastReadSeq": 0},
            {"username": bob, "lastReadSeq": last},
        ]

        await one.close()
        await two.close()
        b1 = b2 = None
        await asyncio.sleep(GRACE_S / 4)
        assert changes(a, rid, bob) == [True]  # not yet: the grace
        await a.wait_until(lambda: changes(a, rid, bob) == [True, False], timeout=30)
    finally:
        for c in (a, b1, b2):
            if c is not None:
                await c.close()

    stack.stop_all()  # every service and the edge
    stack.start_all(replicas={"realtime": 2})
    stack.start_edge(stack.edge_port or 0)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        item = await listed(http, tb, rid)
        assert (item["unread"], item["lastReadSeq"]) == (0, last)
        receipts = await http.get(f"/api/chatrooms/{rid}/receipts", headers=bearer(tb))
        assert {"username": bob, "lastReadSeq": last} in receipts.json()

    rebuilt = stack.data_dir / f"rebuilt-{uuid.uuid4().hex[:6]}"
    replay("rebuild", "--out", str(rebuilt), "--room", rid, nats_url=nats.url)
    name = f"{rid}.reads.jsonl"
    assert (rebuilt / name).read_bytes() == (stack.data_dir / "rooms" / name).read_bytes()
    assert f'"seq":{last}'.encode() in (rebuilt / name).read_bytes()
    replay("verify", "--data", str(stack.data_dir), nats_url=nats.url)
    now = replay("room", rid, "--files", "--data", str(stack.data_dir), nats_url=nats.url)
    assert f"{bob} {last}" in now
    before = replay("room", rid, "--at", f"messages:{last}", nats_url=nats.url)
    assert "(nobody)" in before  # time travel: when m3 was sent, nobody had read it


def replay(*args: str, nats_url: str) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "minitalk-replay"), *args],
        env={**os.environ, "MINITALK_NATS_URL": nats_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_read_positions_only_move_forward_and_refuse_bad_input(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, eve = unique("alice"), unique("eve")
    ta, te = await signup_login(client, alice), await signup_login(client, eve)
    rid = await room_with(client, ta)
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        seqs = [(await a.send(rid, f"m{i}"))["seq"] for i in range(3)]

        async def read(seq: Any, token: str = ta) -> httpx.Response:
            return await client.post(
                f"/api/chatrooms/{rid}/read", json={"seq": seq}, headers=bearer(token)
            )

        assert (await read(seqs[1])).json() == {"roomId": rid, "lastReadSeq": seqs[1]}
        assert (await read(seqs[0])).json()["lastReadSeq"] == seqs[1]  # only forward
        assert (await read(seqs[2] + 1000)).json()["lastReadSeq"] == seqs[2]  # clamped
        for bad in (-1, "7", 1.5, True, None, 2**63):
            answer = await read(bad)
            assert answer.status_code == 400, (bad, answer.text)
            assert "error" in answer.json()
        assert (await read(seqs[2], te)).status_code == 403
        for path in ("receipts", "presence"):
            got = await client.get(f"/api/chatrooms/{rid}/{path}", headers=bearer(te))
            assert got.status_code == 403, got.text
        bad = await a.call("mark_read", {"roomId": rid, "seq": "x"})
        assert bad["ok"] is False
        assert "seq" in bad["error"]
        outsider = await ChatClient(eve, te).connect(stack.url)
        try:
            refused = await outsider.call("mark_read", {"roomId": rid, "seq": seqs[2]})
            assert refused == {"ok": False, "error": "you are not a member of this room"}
        finally:
            await outsider.close()
        answers = [await a.call("mark_read", {"roomId": rid, "seq": seqs[2]}) for _ in range(20)]
        limited = [x for x in answers if not x["ok"]]
        assert limited  # burst 8, 1/s
        assert limited[0]["error"] == "rate limited, try again"
        assert all(x["lastReadSeq"] == seqs[2] for x in answers if x["ok"])
    finally:
        await a.close()


async def test_must_show_2_two_replicas_and_a_sigkill(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await room_with(client, ta, bob)
    one, two = stack.http("realtime-1"), stack.http("realtime-2")
    a = await Client(alice).connect(one, ta)
    b = await Client(bob).connect(two, tb)  # no reconnection: its replica dies below
    try:
        await a.wait_until(lambda: changes(a, rid, bob) == [True])
        await b.wait_until(lambda: {"roomId": rid, "online": [alice, bob]} in b.of("presence"))
        online = await client.get(f"/api/chatrooms/{rid}/presence", headers=bearer(ta))
        assert online.json()["online"] == [alice, bob]

        stack.procs["realtime-2"].kill()
        await a.wait_until(lambda: changes(a, rid, bob) == [True, False], timeout=45)
        online = await client.get(f"/api/chatrooms/{rid}/presence", headers=bearer(ta))
        assert online.json()["online"] == [alice]
    finally:
        await a.close()
        await b.close()
        stack.start_service("realtime", name="realtime-2")


async def test_a_reconnect_within_the_grace_is_not_told(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await room_with(client, ta, bob)
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        b = await ChatClient(bob, tb).connect(stack.url)
        await a.wait_until(lambda: changes(a, rid, bob) == [True])
        for _ in range(3):  # page reloads: the socket goes, a new one comes at once
            await b.close()
            b = await ChatClient(bob, tb).connect(stack.url)
        await asyncio.sleep(GRACE_S * 2)
        assert changes(a, rid, bob) == [True]
        await b.close()
        await a.wait_until(lambda: changes(a, rid, bob) == [True, False], timeout=30)
    finally:
        await a.close()
