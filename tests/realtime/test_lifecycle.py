"""Health, readiness, the public key from auth's bucket, restarts, and tokens kept out of logs."""

from __future__ import annotations

import asyncio
import io
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from minitalk_auth.keys import KeyPair
from minitalk_common import subjects
from minitalk_local.system import LocalSystem, NatsServer
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]


async def test_health_and_readiness(start_realtime: StartRealtime) -> None:
    async with httpx.AsyncClient(base_url=start_realtime()) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        assert (await http.get("/nothing")).status_code == 404


def test_a_malformed_public_key_refuses_to_start(system: LocalSystem) -> None:
    with pytest.raises(RuntimeError, match="exited"):
        system.start_service("realtime", env={"MINITALK_JWT_PUBLIC_KEY": "not a key"})


async def test_waits_for_the_public_key_that_auth_publishes(
    js: JetStreamContext,
    system: LocalSystem,
    key_pair: KeyPair,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice",))
    system.start_service("realtime", wait=False)  # no MINITALK_JWT_PUBLIC_KEY, auth not running
    url = system.http("realtime")
    async with httpx.AsyncClient(base_url=url) as http:
        async with asyncio.timeout(30):
            while True:
                try:
                    ready = await http.get("/readyz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        assert ready.status_code == 503
        assert ready.json() == {"error": "not ready: waiting for the JWT public key"}

        kv = await js.key_value(subjects.KEYS_BUCKET)
        await kv.put(subjects.JWT_PUBLIC_KEY, key_pair.public_pem.encode())
        system.wait_ready("realtime")
    alice = await open_client(url, "alice")
    assert (await alice.send("r1", "keyed"))["ok"] is True


async def test_clients_reconnect_after_a_restart_and_keep_chatting(
    js: JetStreamContext,
    system: LocalSystem,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice", "bob", "carol"))
    url, url2 = start_realtime("realtime"), start_realtime("realtime2")
    alice = await open_client(url2, "alice")
    bob = await open_client(url, "bob", reconnection=True)
    carol = await open_client(url, "carol", reconnection=True)
    first = await alice.send("r1", "before")
    await bob.wait_until(lambda: len(bob.messages("r1")) == 1)

    # SIGTERM: uvicorn closes the sockets, NATS drains, and the process ends by itself (uvicorn
    # re-raises the signal after its clean shutdown), not by the SIGKILL that follows a hang
    assert system.procs["realtime"].stop() in (0, -signal.SIGTERM)
    await bob.wait_until(lambda: not bob.sio.connected)
    during = await alice.send("r1", "while you were away")  # stored; history has it
    assert during["ok"] is True
    start_realtime("realtime")
    for client in (bob, carol):
        await client.wait_until(lambda c=client: c.sio.connected and c.connects == 2, 30)

    after = await alice.send("r1", "after")
    reply = await bob.send("r1", "back")
    for client in (alice, bob, carol):
        await client.wait_until(lambda c=client: len(c.messages("r1")) >= 3)
    await alice.wait_until(lambda: len(alice.messages("r1")) >= 4)  # she missed nothing
    assert [m["id"] for m in bob.messages("r1")] == [first["id"], after["id"], reply["id"]]
    assert [m["id"] for m in alice.messages("r1")] == [
        first["id"],
        during["id"],
        after["id"],
        reply["id"],
    ]


async def test_tokens_in_the_url_stay_out_of_the_logs(
    tmp_path: Path, nats_server: NatsServer, key_pair: KeyPair, make_token: Callable[..., str]
) -> None:
    logs = io.StringIO()
    env = {"MINITALK_ENV": "test", "MINITALK_JWT_PUBLIC_KEY": key_pair.public_pem}
    own = LocalSystem(tmp_path / "own", nats_server.url, env=env, sink=logs)
    token = make_token("alice")
    try:
        own.start_service("realtime")
        client = await Client("alice").connect(own.http("realtime"), token)
        await client.close()
    finally:
        own.stop_all()
    assert "?token=<redacted>&" in logs.getvalue()
    assert token not in logs.getvalue()
