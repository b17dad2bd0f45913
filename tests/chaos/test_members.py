"""The chaos tests' client (``members.py``) against a scripted Engine.IO server: a message that
python-engineio's client hands to its handler after that connection's ``disconnect`` belongs to
the connection that ended, not to the next one (no chaos marker: no system, ~1 s).

How the client meets it (python-engineio 4.x, ``AsyncClient._read_loop_websocket``): each
received packet goes to a task of its own, and the read loop runs ``disconnect`` itself, at
once, when it finds the write loop gone - which it is after a send to a dead server failed (its
loop breaks and sets ``write_loop_task = None``). The packet read just before is then handled
after ``disconnect``. In the chaos run a realtime replica is SIGKILLed while the client sends
~300 messages/s, so this happens at most kills (the run prints how often)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from .members import Member

ROOM = "room-1"
OPEN = json.dumps(
    {"sid": "e", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 10**6}
)


def live(seq: int) -> str:
    """A ``message`` event of ``ROOM`` as realtime sends it (one Engine.IO MESSAGE packet)."""
    data = {"id": f"m{seq}", "roomId": ROOM, "seq": seq, "sender": "u", "content": "x"}
    return "42" + json.dumps(["message", data])


class Script:
    """An Engine.IO + Socket.IO server whose n-th connection sends what the test says."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[web.WebSocketResponse] = asyncio.Queue()
        self.opened: list[web.WebSocketResponse] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        self.opened.append(ws)
        await ws.prepare(request)
        await ws.send_str("0" + OPEN)
        first = await ws.receive()
        assert str(first.data).startswith("40"), first
        await ws.send_str('40{"sid":"s"}')
        await self.connections.put(ws)
        async for _ in ws:  # until the client goes
            pass
        return ws


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Script]]:
    script = Script()
    app = web.Application()
    app.router.add_get("/socket.io/", script.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", script
    finally:
        for ws in script.opened:
            await ws.close()
        await runner.cleanup()


def history(stored: list[int]) -> httpx.MockTransport:
    """``GET /api/chatrooms/ROOM/messages?after=&limit=`` over the seqs in ``stored``."""

    def answer(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params["after"])
        limit = int(request.url.params["limit"])
        page = [s for s in stored if s > after][:limit]
        return httpx.Response(
            200, json=[{"id": f"m{s}", "roomId": ROOM, "seq": s, "content": "x"} for s in page]
        )

    return httpx.MockTransport(answer)


async def until(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


# python-engineio's client may leave the aiohttp session of a connection it dropped to the
# garbage collector when a reconnect races the final disconnect (the chaos runs show it too)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_message_handled_after_its_connections_disconnect_stays_with_it(
    server: tuple[str, Script],
) -> None:
    url, script = server
    t0 = time.monotonic()
    async with httpx.AsyncClient(base_url="http://api", transport=history([5, 6, 7, 8, 9])) as http:
        member = Member("u", "token", [ROOM], lambda: time.monotonic() - t0, http)
        try:
            await member.connect(url)
            await scenario(member, script)
        finally:
            await member.close()


async def scenario(member: Member, script: Script) -> None:
    first = await script.connections.get()
    await first.send_str(live(4))
    await until(lambda: "m4" in member.got)

    # the write loop stops as after a failed send (it breaks the same way), then one more
    # packet arrives: the read loop hands it to a task and runs ``disconnect`` before it
    order: list[str] = []
    handle_message = member._message

    async def gone(*reason: Any) -> None:
        order.append("disconnect")
        await member._gone(*reason)

    async def message(data: dict[str, Any]) -> None:
        order.append(f"message {data['seq']}")
        await handle_message(data)

    member.sio.on("disconnect", gone)
    member.sio.on("message", message)
    await member.sio.eio.queue.put(None)
    await until(lambda: member.sio.eio.write_loop_task is None)
    await first.send_str(live(5))
    await until(lambda: "m5" in member.got)
    assert order == ["disconnect", "message 5"]  # the library's order, the cause

    # it came on the first connection (the reconnect may already be under way: python-socketio
    # waits 0.2 s +- 0.5 s, so often not at all)
    assert member.epochs[0].end is not None
    assert member.epochs[0].late == {ROOM: 5}
    assert member.got["m5"].epoch == 0

    # the reconnect: stored meanwhile were 6-8, the new connection's first live one is 9
    second = await script.connections.get()
    await second.send_str(live(9))
    await until(lambda: len(member.catch_ups) == 1)
    assert len(member.epochs) == 2, "the late message opened a connection"
    assert member.epochs[1].resume == {ROOM: 5}
    assert member.epochs[1].first_live == {ROOM: 9}
    assert member.epochs[1].connected_at is not None
    assert [member.got[f"m{s}"].epoch for s in (6, 7, 8)] == [None] * 3  # repaired
    assert member.late_messages() == (1, 3)
