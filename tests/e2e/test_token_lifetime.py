"""Issue 12, tokens: logout revokes a token everywhere, and a socket lives no longer than its
token. Through the edge, with real HTTP and Socket.IO clients; the expiry test runs its own
system with a 3-second token lifetime (real time, no fake clock)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping

import httpx
import socketio
from minitalk_local.system import LocalSystem

from ..chat_clients import PASSWORD, bearer, signup_login
from ..realtime.clients import Client


async def eventually_status(
    http: httpx.AsyncClient, path: str, token: str, status: int, within_s: float = 2.0
) -> httpx.Response:
    """GET ``path`` until it answers ``status`` (a revocation travels one NATS message)."""
    deadline = time.monotonic() + within_s
    while True:
        answer = await http.get(path, headers=bearer(token))
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.05)


async def closed_with(client: Client, reason: str, within_s: float) -> None:
    await client.wait_until(lambda: {"message": reason} in client.of("error"), within_s)
    await client.wait_until(lambda: not client.sio.connected, 5)


async def test_logout_revokes_the_token_on_rest_and_closes_its_sockets(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice = unique("alice")
    token = await signup_login(client, alice)
    body = {"username": alice, "password": PASSWORD}
    other = (await client.post("/api/auth/login", json=body)).json()["token"]
    assert (await client.get("/api/chatrooms", headers=bearer(token))).status_code == 200
    socket = await Client(alice).connect(stack.url, token)
    elsewhere = await Client(alice).connect(stack.url, other)  # another login of alice
    try:
        answer = await client.post("/api/auth/logout", headers=bearer(token))
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"message": "Logged out", "username": alice}

        after = await eventually_status(client, "/api/chatrooms", token, 401)
        assert (after.status_code, after.json()) == (401, {"error": "token revoked"})
        await closed_with(socket, "token revoked", 5)
        again = Client(alice)
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            await again.connect(stack.url, token)
        assert not again.sio.connected
        assert again.refusals == [{"message": "token revoked"}]

        # only that token: alice's other login keeps its socket and its REST access
        assert elsewhere.sio.connected
        assert (await client.get("/api/chatrooms", headers=bearer(other))).status_code == 200
    finally:
        await socket.close()
        await elsewhere.close()


async def test_logout_needs_a_good_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not.a.token"}):
        answer = await client.post("/api/auth/logout", headers=headers)
        assert answer.status_code == 401
        assert isinstance(answer.json()["error"], str)


async def test_a_socket_is_closed_when_its_token_expires(
    system: LocalSystem, unique: Callable[[str], str]
) -> None:
    short: Mapping[str, str] = {"MINITALK_TOKEN_TTL_S": "3"}
    system.start_service("auth", env=short)
    for service in ("rooms", "realtime"):
        system.start_service(service)
    system.start_edge()
    async with httpx.AsyncClient(base_url=system.url, timeout=30) as http:
        bob = unique("bob")
        token = await signup_login(http, bob)
        socket = await Client(bob).connect(system.url, token)
        try:
            connected_at = time.monotonic()
            await closed_with(socket, "token expired", 8)
            assert time.monotonic() - connected_at >= 1  # not at once: at the token's expiry
            expired = await http.get("/api/chatrooms", headers=bearer(token))
            assert (expired.status_code, expired.json()) == (401, {"error": "token expired"})
        finally:
            await socket.close()
