"""The chaos tests' chat load: N users in M rooms (each user in two), one socket per user
through the edge (``members.Member``), sending at a bounded total rate with a clientMsgId and
resending until acked; some REST traffic beside it (logins, room lists, history). Afterwards
the history of each room, paged, for the checks in ``verdict.py``."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..chat_clients import PASSWORD, bearer, signup_login
from .members import Member

#: A send not acked within this long is resent (same clientMsgId).
ACK_TIMEOUT_S = 8.0
#: A message not acked this long after its first attempt is given up (counted as unacked).
SEND_DEADLINE_S = 60.0
#: Sends one user may have waiting for their ack; more are held back (a user whose socket is
#: down does not type on): counted, not sent.
IN_FLIGHT_PER_USER = 16
#: REST requests per second beside the chat (a login, a room list, a page of history in turn).
REST_RATE = 3.0


async def sign_up(url: str, tag: str, count: int) -> dict[str, str]:
    """``count`` new users and their tokens (once per system: sign-ups are limited per IP)."""
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        return {u: await signup_login(http, u) for u in (f"{tag}{i}" for i in range(count))}


@dataclass
class Sent:
    user: str
    room: str
    cmid: str
    first_at: float
    content: str = ""
    attempts: int = 0
    timeouts: int = 0
    waits: int = 0  # attempts put off while the socket was down
    drops: int = 0  # attempts whose connection dropped before the ack
    refusals: list[Any] = field(default_factory=list)
    trouble_at: float | None = None
    acked_at: float | None = None
    id: str | None = None
    seq: int | None = None

    def acked(self, at: float, id_: str, seq: int) -> None:
        self.acked_at, self.id, self.seq = at, id_, seq


class ChatLoad:
    def __init__(self, url: str, tokens: dict[str, str], room_count: int, seed: int) -> None:
        self.url = url
        self.tokens = tokens
        self.room_count = room_count
        self.rng = random.Random(seed)
        self.t0 = time.monotonic()
        self.http = httpx.AsyncClient(base_url=url, timeout=15)
        self.members: list[Member] = []
        self.rooms: dict[str, list[str]] = {}  # room id -> members
        self.sent: list[Sent] = []
        self.held_back = 0
        self.rest: list[tuple[float, str, bool]] = []  # (at, kind, ok)
        self.driving = False

    def now(self) -> float:
        return time.monotonic() - self.t0

    async def open(self, tag: str) -> ChatLoad:
        """M rooms, user i in rooms i and i + 1 (mod M); every socket connected; one message
        per room seen by all its members."""
        users = list(self.tokens)
        member_of = {
            u: [i % self.room_count, (i + 1) % self.room_count] for i, u in enumerate(users)
        }
        for k in range(self.room_count):
            names = [u for u in users if k in member_of[u]]
            made = await self.http.post(
                "/api/chatrooms",
                json={"name": f"{tag} {k}", "participants": names[1:]},
                headers=bearer(self.tokens[names[0]]),
            )
            assert made.status_code == 201, made.text
            self.rooms[made.json()["roomId"]] = names
        ids = list(self.rooms)
        for u in users:
            rooms = [ids[k] for k in member_of[u]]
            self.members.append(Member(u, self.tokens[u], rooms, self.now, self.http))
        await asyncio.gather(*(m.connect(self.url) for m in self.members))
        await self._warm_up()
        return self

    async def _warm_up(self) -> None:
        by_name = {m.username: m for m in self.members}
        warm = [self._new(by_name[names[0]], room) for room, names in self.rooms.items()]
        await asyncio.gather(*(self._send(by_name[s.user], s) for s in warm))
        assert all(s.seq is not None for s in warm), [s.refusals for s in warm]
        await self.wait_received(30)

    def _new(self, member: Member, room: str) -> Sent:
        cmid = uuid.uuid4().hex
        sent = Sent(member.username, room, cmid, self.now(), f"{len(self.sent)} {cmid[:8]}")
        self.sent.append(sent)
        return sent

    async def _send(self, member: Member, sent: Sent) -> None:
        await member.send(sent.room, sent, ACK_TIMEOUT_S, sent.first_at + SEND_DEADLINE_S)

    async def drive(self, rate: float, seconds: float) -> None:
        """Send ``rate`` messages a second for ``seconds``, spread over every (user, room);
        then wait for every send to be acked or given up."""
        pairs = [(m, room) for m in self.members for room in m.rooms]
        self.rng.shuffle(pairs)
        cycle = itertools.cycle(pairs)
        tasks: list[asyncio.Task[None]] = []
        rest = asyncio.create_task(self._rest_traffic())
        began, launched = time.monotonic(), 0
        self.driving = True
        for m in self.members:
            m.load_over = False
        try:
            while (elapsed := time.monotonic() - began) < seconds:
                for _ in range(int(elapsed * rate) - launched):
                    launched += 1
                    member, room = next(cycle)
                    if member.sends_open >= IN_FLIGHT_PER_USER:
                        self.held_back += 1
                        continue
                    tasks.append(asyncio.create_task(self._send(member, self._new(member, room))))
                await asyncio.sleep(0.01)
        finally:
            self.driving = False
            await asyncio.gather(*tasks)
            await rest

    async def _rest_traffic(self) -> None:
        """What users do beside chatting: log in, list their rooms, read history."""
        users = list(self.tokens)
        for n in itertools.count():
            if not self.driving:
                return
            user = users[n % len(users)]
            kind = ("login", "rooms", "history")[n % 3]
            try:
                if kind == "login":
                    body = {"username": user, "password": PASSWORD}
                    answer = await self.http.post("/api/auth/login", json=body)
                elif kind == "rooms":
                    answer = await self.http.get(
                        "/api/chatrooms", headers=bearer(self.tokens[user])
                    )
                else:
                    room = next(r for r, names in self.rooms.items() if user in names)
                    answer = await self.http.get(
                        f"/api/chatrooms/{room}/messages", headers=bearer(self.tokens[user])
                    )
                ok = answer.status_code == 200
            except httpx.HTTPError:
                ok = False
            self.rest.append((self.now(), kind, ok))
            await asyncio.sleep(1 / REST_RATE)

    def acked(self) -> list[Sent]:
        return [s for s in self.sent if s.id is not None]

    def missing(self, member: Member) -> list[Sent]:
        return [s for s in self.acked() if s.room in member.rooms and s.id not in member.got]

    async def wait_received(self, timeout: float) -> None:
        """Until every socket is connected and has every acked message of its rooms (or
        ``timeout``: the checks then count what is missing)."""
        for m in self.members:
            m.load_over = not self.driving
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(m.connected and not self.missing(m) for m in self.members):
                return
            await asyncio.sleep(0.25)

    async def history(self, room: str) -> list[dict[str, Any]]:
        """Every message of ``room``, oldest first, paged with ``after=``."""
        token = self.tokens[self.rooms[room][0]]
        found: list[dict[str, Any]] = []
        cursor = 0
        while True:
            page = await self.http.get(
                f"/api/chatrooms/{room}/messages",
                params={"after": cursor, "limit": 100},
                headers=bearer(token),
            )
            assert page.status_code == 200, page.text
            batch = page.json()
            if not batch:
                return found
            found += batch
            cursor = batch[-1]["seq"]

    async def histories(self, timeout: float = 60.0) -> dict[str, list[dict[str, Any]]]:
        """Every room's history, read again until it holds every acked message (the persister
        may be catching up) or ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = {room: await self.history(room) for room in self.rooms}
            except (AssertionError, httpx.HTTPError):
                found = {}
            if found:
                ids = {m["id"] for page in found.values() for m in page}
                if all(s.id in ids for s in self.acked()) or time.monotonic() > deadline:
                    return found
            assert time.monotonic() < deadline, "history did not answer"
            await asyncio.sleep(1.0)

    async def close(self) -> None:
        await asyncio.gather(*(m.close() for m in self.members), return_exceptions=True)
        await self.http.aclose()
