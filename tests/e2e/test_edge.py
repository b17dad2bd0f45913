"""Issue 12, the edge: every error nginx makes itself is ``{"error"}`` JSON with its own status,
a 500 never breaks the next request of another user, per-IP limits answer 429 + Retry-After.

Through the edge of the system as ``./taskw up`` runs it (the ``stack``), and through extra edges
from the same template over the ``faulty`` service (tests/e2e/faulty_service.py: the libs/common
app and uvicorn of every service, with routes that fail on demand)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from minitalk_local.processes import free_port
from minitalk_local.system import LocalSystem

from .edge_support import Answer, Connection, Edge, request, start_faulty_service

pytestmark = pytest.mark.e2e


def assert_json_error(answer: Answer | httpx.Response, status: int) -> str:
    if isinstance(answer, httpx.Response):
        code, headers, body = answer.status_code, answer.headers, answer.content
    else:
        code, headers, body = answer.status, answer.headers, answer.body
    assert code == status, body[:300]
    assert headers["content-type"].startswith("application/json"), headers
    message = json.loads(body)["error"]
    assert isinstance(message, str)
    assert message
    return message


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    proc, port = start_faulty_service()
    yield port
    proc.stop()


@pytest.fixture(scope="module")
def faulty_edge(tmp_path_factory: pytest.TempPathFactory, faulty: int) -> Iterator[Edge]:
    """An edge whose services are all the faulty one, with a short client timeout."""
    env = {"MINITALK_EDGE_CLIENT_TIMEOUT": "2s"}
    edge = Edge(tmp_path_factory.mktemp("faulty-edge"), faulty, faulty, faulty, env).start()
    yield edge
    edge.stop()


# -- errors nginx makes itself ------------------------------------------------------------


async def test_a_uri_over_8_kb_is_a_json_414(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/chatrooms?before=" + "9" * 9000)
    assert_json_error(resp, 414)


async def test_a_header_over_8_kb_is_a_json_431(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/chatrooms", headers={"x-big": "a" * 16_000})
    assert_json_error(resp, 431)


async def test_too_many_header_bytes_is_a_json_431(client: httpx.AsyncClient) -> None:
    headers = {f"x-h{i}": "a" * 7000 for i in range(6)}
    resp = await client.get("/", headers=headers)
    assert_json_error(resp, 431)


async def test_a_broken_request_is_a_json_400(stack: LocalSystem) -> None:
    assert stack.edge_port is not None
    for broken in (
        b"GET /api/chatrooms HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /api/chatrooms HTTP/1.1\r\n\r\n",  # HTTP/1.1 without a Host
        b"GET /api/chatrooms HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    ):
        conn = await Connection.open(stack.edge_port)
        await conn.send(broken)
        answer = await conn.answer()
        assert answer is not None
        assert_json_error(answer, 400)
        await conn.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_1_mb_is_a_json_413(client: httpx.AsyncClient, chunked: bool) -> None:
    big = b'{"name": "' + b"a" * (2 << 20) + b'"}'

    async def stream() -> object:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    resp = await client.post(
        "/api/chatrooms",
        content=stream() if chunked else big,  # type: ignore[arg-type]
        headers={"content-type": "application/json"},
    )
    assert_json_error(resp, 413)


async def test_a_client_that_stops_sending_is_disconnected(faulty_edge: Edge) -> None:
    """Slow headers or a body that stops coming: dropped after the client timeout (2 s here),
    with nothing sent (nginx answers a timed-out client with no page, HTML or otherwise)."""
    body = request("POST", "/api/chatrooms", b"").replace(b"Length: 0", b"Length: 100")
    for partial in (b"GET /api/chatrooms HTTP/1.1\r\nHost: x\r\n", body + b'{"name"'):
        conn = await Connection.open(faulty_edge.port)
        await conn.send(partial)
        assert await conn.answer(timeout=20) is None
        await conn.close()


async def test_a_stopped_service_is_a_json_502(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens there
    edge = Edge(tmp_path / "edge", dead, dead, dead).start()
    try:
        async with httpx.AsyncClient(base_url=edge.url) as http:
            assert_json_error(await http.get("/api/chatrooms"), 502)
            assert_json_error(await http.post("/api/auth/login", json={}), 502)
    finally:
        edge.stop()


async def test_a_service_that_does_not_answer_is_a_json_504(tmp_path: Path, faulty: int) -> None:
    """The rendered config, with /api/chatrooms' read timeout shortened from 60 s to 1 s (the
    first location that passes to rooms; /api/messages/ sets its own)."""
    edge = Edge(tmp_path / "edge", faulty, faulty, faulty)
    edge.start().stop()
    conf = edge.prefix / "nginx.conf"
    pass_rooms = "proxy_pass http://minitalk_rooms;"
    conf.write_text(conf.read_text().replace(pass_rooms, pass_rooms + " proxy_read_timeout 1s;", 1))
    edge.start()
    try:
        async with httpx.AsyncClient(base_url=edge.url, timeout=30) as http:
            assert_json_error(await http.get("/api/chatrooms/slow"), 504)
    finally:
        edge.stop()


async def test_the_edge_failing_itself_is_a_json_500(tmp_path: Path, faulty: int) -> None:
    """nginx cannot buffer a body to disk (its temp folder is a file): its own 500."""
    edge = Edge(tmp_path / "edge", faulty, faulty, faulty).start()
    try:
        body_dir = edge.prefix / "tmp" / "body"
        if body_dir.exists():
            body_dir.rmdir()
        body_dir.write_text("not a folder")
        async with httpx.AsyncClient(base_url=edge.url) as http:
            resp = await http.post("/api/chatrooms", content=b"x" * 100_000)
            assert_json_error(resp, 500)
    finally:
        edge.stop()


async def test_the_services_see_the_real_client_not_what_it_claims(faulty_edge: Edge) -> None:
    claims = "X-Forwarded-For: 10.9.8.7\r\nX-Forwarded-Host: evil.example\r\n"
    for path in ("/api/chatrooms/whoami", "/api/auth/whoami", "/socket.io/whoami"):
        conn = await Connection.open(faulty_edge.port, "127.0.0.41")
        await conn.send(request("GET", path, headers=claims))
        answer = await conn.answer()
        await conn.close()
        assert answer is not None
        assert answer.status == 200, (path, answer.body)
        seen = json.loads(answer.body)
        assert seen["client"] == "127.0.0.41"
        assert seen["headers"]["x-forwarded-host"] == "127.0.0.1"  # the Host it was sent
        if path.startswith("/api/"):  # pooled: kept open for the next request
            assert seen["headers"].get("connection", "") != "close"


# -- a 500 and the next request ------------------------------------------------------------


async def test_a_service_keeps_the_connection_after_a_500(faulty: int) -> None:
    conn = await Connection.open(faulty)
    await conn.send(request("POST", "/api/chatrooms/fail", b"{}"))
    answer = await conn.answer()
    assert answer is not None
    assert_json_error(answer, 500)
    assert "connection" not in answer.headers or answer.headers["connection"] != "close"
    await conn.send(request("POST", "/api/chatrooms", b"{}"))
    after = await conn.answer()
    assert after is not None, "the service closed the connection after its 500"
    assert after.status == 201
    await conn.close()


async def test_a_500_never_breaks_another_users_request(faulty_edge: Edge) -> None:
    """One client's requests keep failing; another's, on the edge's pooled connections to the
    same service, all succeed (it was a 502 for about one in four)."""
    async with (
        httpx.AsyncClient(base_url=faulty_edge.url) as bad,
        httpx.AsyncClient(base_url=faulty_edge.url) as good,
    ):

        async def failing() -> None:
            for _ in range(60):
                await bad.post("/api/chatrooms/fail", json={})

        async def other() -> list[int]:
            codes = []
            for _ in range(60):
                codes.append((await good.post("/api/chatrooms", json={})).status_code)
            return codes

        results = await asyncio.gather(failing(), other(), other())
    codes = [c for r in results[1:] if r for c in r]
    assert codes.count(201) == len(codes), {c: codes.count(c) for c in set(codes)}


async def test_a_500_is_json_with_no_detail(faulty_edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=faulty_edge.url) as http:
        resp = await http.get("/api/chatrooms/fail")
    assert assert_json_error(resp, 500) == "internal error"


async def test_a_chunked_body_over_the_limit_straight_to_a_service_is_413(
    stack: LocalSystem,
) -> None:
    async def stream() -> object:
        for _ in range(32):
            yield b"a" * 65536

    async with httpx.AsyncClient(base_url=stack.http("rooms")) as http:
        resp = await http.post(
            "/api/chatrooms",
            content=stream(),  # type: ignore[arg-type]
            headers={"content-type": "application/json", "authorization": "Bearer x"},
        )
    assert_json_error(resp, 413)
