"""Issue 12, origins: one allow-list (MINITALK_ALLOWED_ORIGINS) for REST and Socket.IO. The
original MiniTalk web client served from its own origin (http://localhost:3000, a default dev
origin) uses the API: preflight, then the real requests, then its socket. A foreign origin gets
no CORS grant and no socket; the edge's own page is always allowed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import socketio
from minitalk_local.system import LocalSystem

from ..chat_clients import ChatClient, bearer, signup_login

pytestmark = pytest.mark.e2e

ORIGINAL_CLIENT = "http://localhost:3000"
FOREIGN = "http://evil.example"


async def preflight(client: httpx.AsyncClient, path: str, origin: str) -> httpx.Response:
    return await client.options(
        path,
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )


async def test_the_original_client_from_its_own_origin_uses_the_api(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    for path in ("/api/auth/signup", "/api/auth/login", "/api/chatrooms"):
        resp = await preflight(client, path, ORIGINAL_CLIENT)
        assert resp.status_code == 204, resp.text
        assert resp.headers["access-control-allow-origin"] == ORIGINAL_CLIENT
        assert resp.headers["access-control-allow-credentials"] == "true"
        assert "POST" in resp.headers["access-control-allow-methods"]
        allowed = resp.headers["access-control-allow-headers"]
        assert "authorization" in allowed
        assert "content-type" in allowed
        assert "origin" in resp.headers["vary"].lower()
    alice = unique("alice")
    origin = {"origin": ORIGINAL_CLIENT}
    body = {"username": alice, "password": "correct horse battery"}
    created = await client.post("/api/auth/signup", json=body, headers=origin)
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == ORIGINAL_CLIENT
    login = await client.post("/api/auth/login", json=body, headers=origin)
    assert login.headers["access-control-allow-origin"] == ORIGINAL_CLIENT
    token = login.json()["token"]
    room = await client.post(
        "/api/chatrooms",
        json={"name": "cors", "participants": []},
        headers={**origin, **bearer(token)},
    )
    assert room.status_code == 201, room.text
    assert room.headers["access-control-allow-origin"] == ORIGINAL_CLIENT
    listed = await client.get("/api/chatrooms", headers={**origin, **bearer(token)})
    assert listed.headers["access-control-allow-origin"] == ORIGINAL_CLIENT
    assert "retry-after" in listed.headers["access-control-expose-headers"]
    for transports in (["polling"], ["websocket"]):
        chat = await ChatClient(alice, token).connect(
            stack.url, transports=transports, headers=origin
        )
        ack = await chat.call("join_room", {"roomId": room.json()["roomId"]})
        await chat.close()
        assert ack is None or ack.get("ok", True) is not False


async def test_a_foreign_origin_is_refused(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    resp = await preflight(client, "/api/chatrooms", FOREIGN)
    assert resp.status_code == 403
    assert resp.json() == {"error": "origin not allowed"}
    assert "access-control-allow-origin" not in resp.headers
    bob = unique("bob")
    body = {"username": bob, "password": "correct horse battery"}
    refused = await client.post("/api/auth/signup", json=body, headers={"origin": FOREIGN})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    token = await signup_login(client, bob)  # no Origin: not a browser, not concerned
    for transports in (["polling"], ["websocket"]):
        chat = ChatClient(bob, token)
        # The server refuses the handshake (it logs "not an accepted origin"); python-socketio's
        # client reports that as ConnectionError, or over a WebSocket the server closed before
        # the upgrade finished as aiohttp's RuntimeError("Connection closed."): refused either way.
        with pytest.raises((socketio.exceptions.ConnectionError, RuntimeError)):
            await chat.connect(stack.url, transports=transports, headers={"origin": FOREIGN})
        assert not chat.sio.connected
        await chat.close()


async def test_the_edges_own_page_is_always_allowed(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    """The web app the edge serves, on whatever address the edge listens (here a free port,
    which no setting names): same origin as the request."""
    own = {"origin": stack.url}
    carol = unique("carol")
    body = {"username": carol, "password": "correct horse battery"}
    assert (await client.post("/api/auth/signup", json=body, headers=own)).status_code == 201
    token = (await client.post("/api/auth/login", json=body, headers=own)).json()["token"]
    chat = await ChatClient(carol, token).connect(stack.url, headers=own)
    await chat.close()
    # Another port of the same host is another origin.
    other = {"origin": "http://127.0.0.1:1"}
    assert (
        await client.get("/api/chatrooms", headers={**other, **bearer(token)})
    ).status_code == 403
