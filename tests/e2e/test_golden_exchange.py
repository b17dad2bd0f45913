"""The REST and Socket.IO answers, byte for byte, against a recorded exchange (issue 13).

One user journey through the edge (sign-up, login, rooms, invitations, history pages, live
chat, and the error answers of each), recorded as raw bytes: HTTP status, content type and body
text, and every Socket.IO frame as the server wrote it on the WebSocket. Only the values that
legitimately differ from run to run are replaced by placeholders, consistently (the same token,
id, time or seq gets the same placeholder everywhere): so a refactoring that changes a key's
order, a number's spelling, a status or an error text fails here.

``MINITALK_GOLDEN_RECORD=1`` rewrites the golden file (only when the change is intended).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from minitalk_local.system import LocalSystem

GOLDEN = Path(__file__).parent / "golden" / "exchange.json"
PASSWORD = "correct horse battery"
#: Text whose JSON spelling differs between encoders if any does (escapes, non-ASCII).
ODD_TEXT = 'héllo 🌍 "q" \\ </script> \u2028 \t\n\x01\x7f\x1f end'

#: (kind, pattern) in the order they are tried; the whole match becomes ``<kind:N>``.
_VARYING = [
    ("token", r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    ("time", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"),
    ("id", r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"),
]
#: Issue 15's presence events: sent at connect, join and on presence ticks, so their number and
#: order depend on timing; left out here (tests/e2e/test_presence_reads.py checks them). The
#: REST answers that gained fields (the room list) are in the recording.
_TIMED_EVENTS = tuple(f'42["{name}",' for name in ("presence", "presence_changed"))
_SEQ = re.compile(r'("seq":\s*)(\d+)')
_SID = re.compile(r'("sid":\s*")([^"]+)(")')


class Normaliser:
    """Replaces varying values by ``<kind:N>``, N in order of first appearance."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], str] = {}

    def name(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self.seen:
            count = sum(1 for k, _ in self.seen if k == kind)
            self.seen[key] = f"<{kind}:{count + 1}>"
        return self.seen[key]

    def __call__(self, text: str) -> str:
        text = _SID.sub(lambda m: m[1] + self.name("sid", m[2]) + m[3], text)
        for kind, pattern in _VARYING:
            text = re.sub(pattern, lambda m, k=kind: self.name(k, m[0]), text)
        return _SEQ.sub(lambda m: m[1] + self.name("seq", m[2]), text)

    def seq(self, value: int) -> str:
        return self.name("seq", str(value))


class Transcript:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.norm = Normaliser()
        self.lines: list[dict[str, Any]] = []

    async def rest(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        raw: str | None = None,
        shown: str | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            headers["content-type"] = "application/json"
            answer = await self.http.request(method, path, content=raw, headers=headers)
        else:
            answer = await self.http.request(method, path, json=body, headers=headers)
        self.lines.append(
            {
                "request": self.norm(f"{method} {shown or path}"),
                "auth": self.norm(token) if token else None,
                "body": self.norm(raw if raw is not None else json.dumps(body)),
                "status": answer.status_code,
                "type": answer.headers.get("content-type"),
                "answer": self.norm(answer.text),
            }
        )
        return answer

    def frames(self, who: str, step: str, frames: list[str]) -> None:
        self.lines.append(
            {"socket": who, "step": self.norm(step), "frames": [self.norm(f) for f in frames]}
        )


class RawSocket:
    """A Socket.IO v5 client over a bare WebSocket: what it sends and receives are the frames
    themselves (Engine.IO pings answered and left out)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inbox: asyncio.Queue[str] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())
        self.acks = 0

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            if frame.data == "2":
                await self.ws.send_str("3")
                continue
            if frame.data.startswith(_TIMED_EVENTS):
                continue
            await self.inbox.put(frame.data)

    async def take(self, count: int) -> list[str]:
        """The next ``count`` frames, sorted (frames of one step may interleave)."""
        async with asyncio.timeout(20):
            got = [await self.inbox.get() for _ in range(count)]
        return sorted(got)

    async def emit(self, event: str, data: Any = None, ack: bool = True) -> str:
        args = [event] if data is None else [event, data]
        text = json.dumps(args, separators=(",", ":"))
        if ack:
            self.acks += 1
            text = f"{self.acks}{text}"
        frame = f"42{text}"
        await self.ws.send_str(frame)
        return frame

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def open_socket(
    session: aiohttp.ClientSession, base: str, token: str, t: Transcript, who: str
) -> RawSocket:
    url = base.replace("http", "ws", 1) + f"/socket.io/?EIO=4&transport=websocket&token={token}"
    sock = RawSocket(await session.ws_connect(url))
    opened = await sock.take(1)
    await sock.ws.send_str("40")
    t.frames(who, "open, then send 40", opened + await sock.take(1))
    return sock


async def test_recorded_exchange(stack: LocalSystem, session: aiohttp.ClientSession) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        t = Transcript(http)
        lines = await journey(t, session, stack.url)
    text = json.dumps(lines, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("MINITALK_GOLDEN_RECORD") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


async def journey(t: Transcript, session: aiohttp.ClientSession, base: str) -> list[Any]:
    tokens = {}
    for user in ("alice", "bob", "carol", "dave"):
        await t.rest("POST", "/api/auth/signup", {"username": user, "password": PASSWORD})
        login = await t.rest("POST", "/api/auth/login", {"username": user, "password": PASSWORD})
        tokens[user] = login.json()["token"]
    ta, tb, tc, td = (tokens[u] for u in ("alice", "bob", "carol", "dave"))
    await t.rest("POST", "/api/auth/signup", {"username": "alice", "password": PASSWORD})
    await t.rest("POST", "/api/auth/signup", {"username": "a", "password": PASSWORD})
    await t.rest("POST", "/api/auth/signup", raw="{not json")
    await t.rest("POST", "/api/auth/login", {"username": "alice", "password": "wrong password"})
    await t.rest("POST", "/api/auth/login", {"username": "nobody", "password": PASSWORD})
    await t.rest("POST", "/api/auth/login", {"username": "alice"})

    made = await t.rest("POST", "/api/chatrooms", {"name": "general", "participants": ["bob"]}, ta)
    rid = made.json()["roomId"]
    await t.rest("POST", "/api/chatrooms", {"name": "nobody's", "participants": []})
    await t.rest("POST", "/api/chatrooms", {"name": "x", "participants": []}, "not-a-token")
    await t.rest("POST", "/api/chatrooms", {"participants": []}, ta)
    await t.rest("POST", "/api/chatrooms", {"name": "x", "participants": ["ghost"]}, ta)
    await t.rest("POST", "/api/chatrooms", raw="[1,2", token=ta)
    await t.rest("GET", "/api/chatrooms", token=ta)
    await t.rest("GET", "/api/chatrooms", token=tc)
    await t.rest("GET", "/api/chatrooms")

    a = await open_socket(session, base, ta, t, "alice")
    b = await open_socket(session, base, tb, t, "bob")
    c = await open_socket(session, base, tc, t, "carol")
    d = await open_socket(session, base, td, t, "dave")
    try:
        await t.rest("POST", f"/api/chatrooms/{rid}/invite", {"participants": ["carol"]}, tb)
        t.frames("carol", "invited by bob", await c.take(1))
        await t.rest("POST", f"/api/chatrooms/{rid}/invite", {"participants": ["bob"]}, td)
        await t.rest("POST", "/api/chatrooms/no-such-room/invite", {"participants": ["bob"]}, ta)
        await t.rest("POST", f"/api/chatrooms/{rid}/invite", {"participants": []}, ta)
        await t.rest("POST", f"/api/chatrooms/{rid}/invite", {"participants": ["ghost"]}, ta)
        await t.rest("GET", "/api/chatrooms", token=tb)

        for sock, who in ((a, "alice"), (b, "bob")):
            sent = await sock.emit("join_room", {"roomId": rid})
            t.frames(who, sent, await sock.take(2))
        seqs = []
        for i, content in enumerate([*(f"hello {i}" for i in range(5)), ODD_TEXT]):
            sent = await a.emit(
                "send_message", {"roomId": rid, "content": content, "clientMsgId": f"m{i}"}
            )
            got = await a.take(2)
            t.frames("alice", sent, got)
            t.frames("bob", "receives", await b.take(1))
            t.frames("carol", "receives", await c.take(1))
            seqs.append(ack_of(got)["seq"])
        sent = await a.emit(
            "send_message", {"roomId": rid, "content": "hello 0", "clientMsgId": "m0"}
        )
        t.frames("alice", f"resend: {sent}", await a.take(1))
        for payload in (
            {"content": "no room"},
            {"roomId": rid, "content": ""},
            {"roomId": rid, "content": "x", "clientMsgId": 7},
            {"roomId": "no-such-room", "content": "hi"},
            "not an object",
        ):
            sent = await a.emit("send_message", payload)
            t.frames("alice", sent, await a.take(2))
        sent = await d.emit("send_message", {"roomId": rid, "content": "let me in"})
        t.frames("dave", sent, await d.take(2))
        sent = await d.emit("join_room", {"roomId": rid})
        t.frames("dave", sent, await d.take(2))
        sent = await a.emit("typing", {"roomId": rid, "isTyping": True})
        t.frames("alice", sent, await a.take(1))
        t.frames("bob", "typing", await b.take(1))
        t.frames("carol", "typing", await c.take(1))
        sent = await a.emit("typing", {"roomId": rid, "isTyping": "yes"})
        t.frames("alice", sent, await a.take(2))
        sent = await b.emit("leave_room", {"roomId": rid})
        t.frames("bob", sent, await b.take(2))
        sent = await a.emit("send_message", {"roomId": rid, "content": "after bob left"}, ack=False)
        t.frames("alice", sent, await a.take(1))
        t.frames("carol", "receives", await c.take(1))

        await history(t, rid, seqs, ta, tb, td)

        await t.rest("POST", f"/api/chatrooms/{rid}/leave", token=tc)
        t.frames("carol", "left by REST", await c.take(1))
        await t.rest("POST", f"/api/chatrooms/{rid}/leave", token=tc)
        await t.rest("POST", "/api/chatrooms/no-such-room/leave", token=tc)
        await t.rest("GET", "/api/chatrooms", token=tc)
    finally:
        for sock in (a, b, c, d):
            await sock.close()
    refused = await session.ws_connect(
        base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket&token=bad"
    )
    raw = RawSocket(refused)
    opened = await raw.take(1)
    await refused.send_str("40")
    t.frames("bad token", "open, then send 40", opened + await raw.take(1))
    await raw.close()
    return t.lines


def ack_of(frames: list[str]) -> Any:
    """The acknowledgement's data in ``43<id>[data]``."""
    found = next(m for f in frames if (m := re.fullmatch(r"43\d+(.*)", f, re.S)))
    return json.loads(found[1])[0]


async def history(t: Transcript, rid: str, seqs: list[int], ta: str, tb: str, td: str) -> None:
    path = f"/api/chatrooms/{rid}/messages"
    await t.rest("GET", path, token=tb)
    await t.rest("GET", f"{path}?limit=2", token=tb)
    for name, value in (("before", seqs[3]), ("after", seqs[1])):
        shown = f"{path}?limit=2&{name}={t.norm.seq(value)}"
        await t.rest("GET", f"{path}?limit=2&{name}={value}", token=tb, shown=shown)
    await t.rest("GET", f"{path}?after=0&limit=1", token=tb)
    await t.rest("GET", f"{path}?since=2000-01-01T00:00:00", token=tb)
    await t.rest("GET", f"{path}?since=2999-01-01T00:00:00%2B02:00", token=tb)
    for bad in ("limit=0", "limit=101", "limit=x", "before=0", "after=-1", "since=yesterday"):
        await t.rest("GET", f"{path}?{bad}", token=tb)
    await t.rest("GET", path, token=td)
    await t.rest("GET", "/api/chatrooms/no-such-room/messages", token=tb)
    await t.rest("GET", path)
    await t.rest("GET", path, token=ta)
