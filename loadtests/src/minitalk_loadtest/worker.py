"""One partition's virtual users in one process: sign up, log in, create rooms, connect one
socket per user, then send at the offered rate and record what arrives (see tracker.py)."""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp

from . import limits, overload
from .api import Api
from .config import RunConfig
from .eio import SioConnection, socket_url
from .plan import PASSWORD, Partition, plan_partition
from .tracker import Tracker

#: The longest wait for a backlog that keeps draining after the last send.
MAX_DRAIN_S = 300.0

#: ("ready" | "tick" | "done" | "error", payload) to the process that runs the workers.
Report = Callable[[str, Any], None]


class PartitionRun:
    def __init__(self, cfg: RunConfig, partition: Partition, report: Report) -> None:
        self.cfg = cfg
        self.partition = partition
        self.report = report
        self.plan = plan_partition(cfg.users, cfg.rooms, partition, cfg.run_id, cfg.seed)
        self.names = self.plan.usernames
        members = [room.members for room in self.plan.rooms]
        self.members = members
        self.tracker = Tracker(f"lt {cfg.run_id} {partition.index} ", [len(m) for m in members])
        #: per user: room index -> the user's bit in that room's delivery masks.
        self.bits: list[dict[int, int]] = [{} for _ in self.names]
        for r, room in enumerate(members):
            for position, user in enumerate(room):
                self.bits[user][r] = 1 << position
        self.tokens = list(self.names)
        self.room_ids = [f"ceiling-{partition.index}-{r}" for r in range(len(members))]
        self.room_index: dict[str, int] = {}
        self.conns: list[SioConnection | None] = [None] * len(self.names)
        self.setup: dict[str, Any] = {"connect_failures": 0}
        self.storm: dict[str, Any] | None = None
        #: During a reconnect storm: sends whose socket was dropped before their ack came, as
        #: (k, user, payload); each is sent again, same clientMsgId, once the user is back.
        self.unanswered: list[tuple[int, int, dict[str, Any]]] | None = None
        self.persisted: dict[str, int] | None = None
        self.rng = random.Random(f"send:{cfg.seed}:{partition.index}")
        share = partition.share(cfg.rooms)
        self.rate = cfg.rate * share / cfg.rooms if cfg.rooms else 0.0

    # -- set-up -------------------------------------------------------------------------------

    async def prepare(self, api: Api) -> None:
        if self.cfg.target in ("minitalk", "original"):
            started = time.perf_counter()
            await api.signup(self.names, PASSWORD)
            self.setup["signup_s"] = time.perf_counter() - started
            started = time.perf_counter()
            tokens = await api.login(self.names, PASSWORD)
            self.tokens = [tokens[name] for name in self.names]
            self.setup["login_s"] = time.perf_counter() - started
            started = time.perf_counter()
            await self.create_rooms(api)
            self.setup["rooms_s"] = time.perf_counter() - started
        self.room_index = {room_id: r for r, room_id in enumerate(self.room_ids)}

    async def create_rooms(self, api: Api) -> None:
        by_creator: dict[int, list[int]] = {}
        for r, room in enumerate(self.members):
            by_creator.setdefault(room[0], []).append(r)
        gate = asyncio.Semaphore(16)

        async def create(creator: int, rooms: list[int]) -> None:
            entries = [
                {
                    "name": self.plan.rooms[r].name,
                    "participants": [self.names[u] for u in self.members[r][1:]],
                }
                for r in rooms
            ]
            async with gate:
                ids = await api.create_rooms(self.tokens[creator], entries)
            for r, room_id in zip(rooms, ids, strict=True):
                self.room_ids[r] = room_id

        await asyncio.gather(*(create(c, rooms) for c, rooms in by_creator.items()))

    async def connect_all(self, session: aiohttp.ClientSession) -> float:
        gate = asyncio.Semaphore(self.cfg.connect_concurrency)
        started = time.perf_counter()

        async def one(user: int) -> None:
            async with gate:
                for attempt in range(4):
                    try:
                        self.conns[user] = await self.connect(session, user)
                        return
                    except Exception:  # refused, reset, timed out: retry, then count it
                        if attempt == 3:
                            self.setup["connect_failures"] += 1
                            return
                        await asyncio.sleep(0.5 * (attempt + 1))

        await asyncio.gather(*(one(u) for u in range(len(self.names))))
        return time.perf_counter() - started

    async def connect(self, session: aiohttp.ClientSession, user: int) -> SioConnection:
        url = socket_url(self.cfg.url, {"token": self.tokens[user]})
        on_event = partial(self.on_event, user)
        conn = SioConnection(session, url, on_event, self.on_close)
        await conn.connect()
        if self.cfg.target == "ceiling":  # a bare server has no membership: join explicitly
            for r in self.bits[user]:
                await conn.call("join_room", {"roomId": self.room_ids[r]})
        return conn

    # -- events -------------------------------------------------------------------------------

    def on_event(self, user: int, name: str, data: Any, now_ns: int) -> None:
        if name != "message" or not isinstance(data, dict):
            return
        room = self.room_index.get(data.get("roomId", ""))
        k = self.tracker.number_of(data.get("content"), room)
        bit = self.bits[user].get(room) if room is not None else None
        self.tracker.delivered(k, bit, now_ns)

    def on_close(self, conn: SioConnection) -> None:
        self.tracker.counters.disconnects += 1

    # -- the measured phase -------------------------------------------------------------------

    def send_one(self) -> None:
        r = self.rng.randrange(len(self.members))
        online = [u for u in self.members[r] if (c := self.conns[u]) is not None and c.connected]
        if not online:
            self.tracker.counters.skipped += 1
            return
        user = self.rng.choice(online)
        conn = self.conns[user]
        assert conn is not None
        now = time.time_ns()
        k = self.tracker.sent(r, now)
        payload = {
            "roomId": self.room_ids[r],
            "content": self.tracker.content(k, now),
            "clientMsgId": f"{self.tracker.prefix.strip()}-{k}",
        }
        if self.cfg.target == "original":  # no acks there: acked = written
            conn.emit("send_message", payload).add_done_callback(partial(self.on_written, k))
            return
        conn.call("send_message", payload).add_done_callback(partial(self.on_ack, k, user, payload))

    def on_written(self, k: int, future: asyncio.Future[None]) -> None:
        if future.cancelled():
            self.tracker.failed(k, asyncio.CancelledError())
        elif (error := future.exception()) is not None:
            self.tracker.failed(k, error)
        else:
            self.tracker.acked(k, {"ok": True}, time.time_ns())

    def on_ack(
        self, k: int, user: int, payload: dict[str, Any] | None, future: asyncio.Future[Any]
    ) -> None:
        """``payload`` None: a resend, which is not sent again."""
        if future.cancelled():
            self.tracker.failed(k, asyncio.CancelledError())
        elif (error := future.exception()) is not None:
            if (
                isinstance(error, ConnectionError)
                and payload is not None
                and self.unanswered is not None
            ):
                self.unanswered.append((k, user, payload))  # as a chat client would: resend
            else:
                self.tracker.failed(k, error)
        else:
            self.tracker.acked(k, future.result(), time.time_ns())

    def resend_unanswered(self) -> int:
        """Send again (same clientMsgId: stored once, acked with the first id) what the storm
        left without an ack; how many."""
        pending, self.unanswered = self.unanswered or [], None
        for k, user, payload in pending:
            conn = self.conns[user]
            if conn is None or not conn.connected:
                self.tracker.failed(k, ConnectionError("not reconnected"))
                continue
            conn.call("send_message", payload).add_done_callback(
                partial(self.on_ack, k, user, None)
            )
        return len(pending)

    async def send_loop(self, started: float) -> None:
        if self.rate <= 0 or not self.members:
            await asyncio.sleep(max(0.0, self.cfg.duration_s - (time.monotonic() - started)))
            return
        if self.cfg.phases:
            await self.send_phases(started)
            return
        slot = 0
        while (elapsed := time.monotonic() - started) < self.cfg.duration_s:
            due = int(elapsed * self.rate) + 1
            while slot < due:
                self.send_one()
                slot += 1
            await asyncio.sleep(max(0.0, slot / self.rate - (time.monotonic() - started)))

    async def send_phases(self, started: float) -> None:
        """The offered rate of ``cfg.phases``, this partition's share of it."""
        share = self.partition.share(self.cfg.rooms) / self.cfg.rooms if self.cfg.rooms else 0.0
        phases = self.cfg.phases
        slot = 0
        while (elapsed := time.monotonic() - started) < self.cfg.duration_s:
            due = int(overload.due_by(phases, elapsed) * share)
            while slot < due:
                self.send_one()
                slot += 1
            await asyncio.sleep(0.002)

    async def drain(self) -> None:
        """Wait for the last acks and deliveries: until nothing is missing, or nothing new has
        arrived for ``drain_s`` (a backlog that is still moving is waited for, up to
        ``MAX_DRAIN_S``)."""
        started = last_progress = time.monotonic()
        seen = None
        while time.monotonic() - last_progress < self.cfg.drain_s:
            totals = self.tracker.totals()
            if not totals["unacked"] and not totals["lost"]:
                return
            now = (totals["unacked"], totals["received"])
            if now != seen:
                seen, last_progress = now, time.monotonic()
            if time.monotonic() - started > MAX_DRAIN_S:
                return
            await asyncio.sleep(0.25)

    async def tick(self) -> None:
        previous = 0
        while True:
            await asyncio.sleep(1.0)
            c = self.tracker.counters
            series = self.tracker.series
            last = series.latency[previous] if previous < len(series.latency) else None
            self.report(
                "tick",
                {
                    "sent": c.sent,
                    "acked": c.acked,
                    "delivered": c.delivered,
                    "connected": sum(1 for x in self.conns if x is not None and x.connected),
                    "p99_ms": last.percentile(99) / 1000 if last else 0.0,
                    "errors": c.refused + c.failed + c.duplicated + c.unexpected,
                },
            )
            previous = max(0, len(series.sent) - 1)

    # -- reconnect storm ----------------------------------------------------------------------

    async def reconnect_storm(self, session: aiohttp.ClientSession, api: Api, at: float) -> None:
        await asyncio.sleep(at)
        since = datetime.now(UTC).timestamp() - 5.0  # catch up a little before the drop
        started = time.perf_counter()
        dropped = [c for c in self.conns if c is not None]
        self.conns = [None] * len(self.names)
        self.unanswered = []
        await asyncio.gather(*(c.close() for c in dropped))
        reconnect_s = await self.connect_all(session)
        resent = self.resend_unanswered()
        await self.catch_up(api, datetime.fromtimestamp(since, UTC).isoformat())
        self.storm = {
            "at_s": at,
            "dropped": len(dropped),
            "reconnected": sum(1 for c in self.conns if c is not None and c.connected),
            "reconnect_s": round(reconnect_s, 3),
            "resent": resent,
            "recovery_s": round(time.perf_counter() - started, 3),
        }

    async def catch_up(self, api: Api, since: str) -> None:
        gate = asyncio.Semaphore(32)

        async def room_of_user(user: int, r: int) -> None:
            async with gate:
                found = await api.history(self.tokens[user], self.room_ids[r], since=since)
            for message in found:
                k = self.tracker.number_of(message.get("content"), r)
                self.tracker.recovered(k, self.bits[user][r])

        await asyncio.gather(
            *(room_of_user(u, r) for u, rooms in enumerate(self.bits) for r in rooms)
        )

    # -- persisted ----------------------------------------------------------------------------

    async def verify_persisted(self, api: Api) -> None:
        found: set[int] = set()
        gate = asyncio.Semaphore(8)

        async def room(r: int) -> None:
            async with gate:
                messages = await api.history(self.tokens[self.members[r][0]], self.room_ids[r])
            for message in messages:
                k = self.tracker.number_of(message.get("content"), r)
                if k is not None:
                    found.add(k)

        await asyncio.gather(*(room(r) for r in range(len(self.members))))
        acked = self.tracker.acked_numbers()  # after drain() nothing is pending any more
        self.persisted = {
            "persisted": len(found & acked),
            "persisted_unacked": len(found - acked),
            "acked_missing": len(acked - found),
        }

    # -- the whole partition ------------------------------------------------------------------

    async def run(self, wait_go: Callable[[], Awaitable[float]]) -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
        async with aiohttp.ClientSession(connector=connector) as session:
            api = Api(session, self.cfg.url, self.cfg.http_timeout_s)
            await self.prepare(api)
            self.setup["connect_s"] = await self.connect_all(session)
            self.setup["connected"] = sum(1 for c in self.conns if c is not None)
            self.report("ready", self.setup)
            start_at = await wait_go()
            await asyncio.sleep(max(0.0, start_at - time.time()))
            self.tracker.t0_ns = time.time_ns()
            started = time.monotonic()
            ticker = asyncio.create_task(self.tick())
            storm = None
            if self.cfg.storm_at_s is not None:
                storm = asyncio.create_task(self.reconnect_storm(session, api, self.cfg.storm_at_s))
            await self.send_loop(started)
            if storm is not None:
                await storm
            await self.drain()
            measured_s = time.monotonic() - started
            ticker.cancel()
            if self.cfg.verify_persisted and self.cfg.target == "minitalk":
                await self.verify_persisted(api)
            await asyncio.gather(*(c.close() for c in self.conns if c is not None))
        return self.result(measured_s)

    def result(self, measured_s: float) -> dict[str, Any]:
        t = self.tracker
        return {
            "partition": self.partition.index,
            "partitions": self.partition.count,
            "users": len(self.names),
            "rooms": len(self.members),
            "memberships": self.plan.memberships,
            "offered_rate": self.rate,
            "start_ns": t.t0_ns,
            "measured_s": measured_s,
            "setup": self.setup,
            "counters": vars(t.counters),
            "totals": t.totals(),
            "persisted": self.persisted,
            "storm": self.storm,
            "first_error": t.first_error,
            "latency": t.latency.to_json(),
            "ack_latency": t.ack_latency.to_json(),
            "refused_latency": t.refused_latency.to_json(),
            "refusals": t.refusals,
            "series": t.series.to_json(),
        }


def process_main(cfg: RunConfig, partition: Partition, queue: Any, go: Any, start_at: Any) -> None:
    """Entry of a worker process: run the partition, post its result (or the error)."""
    limits.raise_fd_limit()
    limits.use_uvloop()

    def report(kind: str, data: Any) -> None:
        queue.put((kind, partition.index, data))

    async def wait_go() -> float:
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        return float(start_at.value)

    try:
        result = asyncio.run(PartitionRun(cfg, partition, report).run(wait_go))
        report("done", result)
    except BaseException:
        report("error", traceback.format_exc())
