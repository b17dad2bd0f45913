"""Issue 12, per-IP limits at the edge: new Socket.IO connections, /api/auth/*, other REST,
connections at once. Over the limit: 429, ``Retry-After`` and ``{"error": "rate limited"}``; the
same address again later, and every other address, unaffected. Extra edges with tight limits
over the real services show each limit; the system's own edge shows that the defaults let a
burst like the load tests' reconnect storm through. Client addresses are loopback aliases
(127.0.0.x): the edge limits by the connecting address, as it would real clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from minitalk_local.system import LocalSystem

from .edge_support import Answer, Connection, Edge, request

pytestmark = pytest.mark.e2e

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def assert_limited(answer: Answer) -> None:
    assert answer.status == 429, answer.body[:200]
    assert answer.headers["content-type"].startswith("application/json")
    assert json.loads(answer.body) == {"error": "rate limited"}
    assert int(answer.headers["retry-after"]) >= 1


async def statuses(port: int, source: str, raw: bytes, count: int) -> list[Answer]:
    """``count`` requests one after the other on one keep-alive connection from ``source``."""
    answers = []
    conn = await Connection.open(port, source)
    for _ in range(count):
        await conn.send(raw)
        answer = await conn.answer()
        if answer is None:  # the edge closed after an error answer: go on on a new one
            await conn.close()
            conn = await Connection.open(port, source)
            await conn.send(raw)
            answer = await conn.answer()
        assert answer is not None
        answers.append(answer)
    await conn.close()
    return answers


@pytest.fixture(scope="module")
def tight(stack: LocalSystem, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """An edge over the system's services whose rate limits are 3 at once, then 1 a minute."""
    env = {
        f"MINITALK_EDGE_{name}_{part}": value
        for name in ("CONNECT", "AUTH", "API")
        for part, value in (("RATE", "1r/m"), ("BURST", "3"))
    }
    ports = stack.ports
    edge = Edge(
        tmp_path_factory.mktemp("tight"), ports["auth"], ports["rooms"], ports["realtime"], env
    )
    yield edge.start()
    edge.stop()


async def test_new_socketio_connections_per_ip(tight: Edge) -> None:
    answers = await statuses(tight.port, "127.0.0.21", request("GET", HANDSHAKE), 6)
    assert [a.status for a in answers[:4]] == [200] * 4  # 3 over the rate, and the rate's one
    for answer in answers[4:]:
        assert_limited(answer)
    # The session's own requests (they carry its sid) are not new connections.
    sid = json.loads(answers[0].body[1:])["sid"]
    polls = await statuses(tight.port, "127.0.0.21", request("GET", f"{HANDSHAKE}&sid={sid}"), 1)
    assert polls[0].status == 200
    # Another address is not limited by this one's connections.
    other = await statuses(tight.port, "127.0.0.22", request("GET", HANDSHAKE), 1)
    assert other[0].status == 200


async def test_auth_requests_per_ip(tight: Edge) -> None:
    signup = request("POST", "/api/auth/signup", b'{"username": ""}')
    answers = await statuses(tight.port, "127.0.0.23", signup, 6)
    assert [a.status for a in answers[:4]] == [400] * 4  # the service's own answer
    for answer in answers[4:]:
        assert_limited(answer)
    login = request("POST", "/api/auth/login", b"{}")
    assert_limited((await statuses(tight.port, "127.0.0.23", login, 1))[0])
    # The REST limit is apart from the auth one, and other addresses are apart too.
    rooms = await statuses(tight.port, "127.0.0.23", request("GET", "/api/chatrooms"), 1)
    assert rooms[0].status == 401
    other = await statuses(tight.port, "127.0.0.24", signup, 1)
    assert other[0].status == 400


async def test_rest_requests_per_ip(tight: Edge) -> None:
    answers = await statuses(tight.port, "127.0.0.25", request("GET", "/api/chatrooms"), 6)
    assert [a.status for a in answers[:4]] == [401] * 4
    for answer in answers[4:]:
        assert_limited(answer)
    web = await statuses(tight.port, "127.0.0.25", request("GET", "/"), 1)
    assert web[0].status == 200  # the web app itself is not limited


async def test_connections_at_once_per_ip(
    stack: LocalSystem, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ports = stack.ports
    env = {"MINITALK_EDGE_CONNECTIONS_PER_IP": "3"}
    edge = Edge(
        tmp_path_factory.mktemp("conns"), ports["auth"], ports["rooms"], ports["realtime"], env
    ).start()
    held = []
    try:
        # Requests whose body is still coming hold their connection, like open sockets do.
        slow = request("POST", "/api/chatrooms", b"").replace(b"Length: 0", b"Length: 50")
        for _ in range(3):
            conn = await Connection.open(edge.port, "127.0.0.26")
            await conn.send(slow + b"{")
            held.append(conn)
        await asyncio.sleep(0.3)
        (refused,) = await statuses(edge.port, "127.0.0.26", request("GET", "/api/chatrooms"), 1)
        assert_limited(refused)
        (other,) = await statuses(edge.port, "127.0.0.27", request("GET", "/api/chatrooms"), 1)
        assert other.status == 401
        for conn in held:
            await conn.close()
        held.clear()
        await asyncio.sleep(0.3)
        (again,) = await statuses(edge.port, "127.0.0.26", request("GET", "/api/chatrooms"), 1)
        assert again.status == 401
    finally:
        for conn in held:
            await conn.close()
        edge.stop()


async def test_the_defaults_let_a_reconnect_storm_through(stack: LocalSystem) -> None:
    """1,000 new Socket.IO connections from one address as fast as they come, and 100
    login-batch calls: none refused by the default limits (docs/security.md)."""
    assert stack.edge_port is not None

    async def handshakes(n: int) -> list[int]:
        found = await statuses(stack.edge_port or 0, "127.0.0.31", request("GET", HANDSHAKE), n)
        return [a.status for a in found]

    codes = [
        c for batch in await asyncio.gather(*(handshakes(100) for _ in range(10))) for c in batch
    ]
    assert codes.count(200) == 1000, {c: codes.count(c) for c in set(codes)}
    async with httpx.AsyncClient(base_url=stack.url) as http:
        logins = [await http.post("/api/auth/login-batch", json={}) for _ in range(100)]
    assert 429 not in [r.status_code for r in logins]
