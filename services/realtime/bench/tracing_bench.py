"""What tracing costs: delivered messages/s and delivery latency with tracing off, at 10 %
sampling and at 100 %, in one run.

For each mode the whole system is started afresh (own ``nats-server -js`` and the four services
on free ports, like the tests), with an OTLP/HTTP sink on this machine that accepts and discards
what it is sent. ``--users`` python-socketio clients in ``--rooms`` rooms (each user in one room)
then send at a fixed offered rate (``--rate`` messages/s in all) for ``--seconds``; every client
records when each message reaches it. Measured: messages delivered to sockets per second, the
p50/p99 of send-to-delivery latency, and the CPU seconds realtime and the persister used.

    .venv/bin/python services/realtime/bench/tracing_bench.py [--rate 200] [--seconds 20]

Tracing on means ``OTEL_EXPORTER_OTLP_ENDPOINT`` set (traces and metrics exported, metrics every
5 s), with ``OTEL_TRACES_SAMPLER=parentbased_traceidratio`` and ``OTEL_TRACES_SAMPLER_ARG``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio
from aiohttp import web
from minitalk_local.processes import free_port
from minitalk_local.system import LocalSystem, NatsServer

PASSWORD = "bench password 1"
#: The content tag of the messages that count (those of the warm-up do not).
MEASURED = "measured"
MODES: dict[str, dict[str, str] | None] = {
    "off": None,
    "10%": {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
    "100%": {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.0"},
}


class Sink:
    """An OTLP/HTTP endpoint that answers 200 to everything, on its own thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests = 0
        self.bytes = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _accept(self, request: web.Request) -> web.Response:
        self.bytes += len(await request.read())
        self.requests += 1
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 << 20)
        app.add_routes([web.post("/{path:.*}", self._accept)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __enter__(self) -> Sink:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@dataclass
class Result:
    mode: str
    offered_per_s: float
    sent: int = 0
    acked: int = 0
    delivered: int = 0
    expected: int = 0
    delivered_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    realtime_cpu_s: float = 0.0
    persister_cpu_s: float = 0.0
    sink_requests: int = 0
    sink_kib: float = 0.0


@dataclass
class User:
    name: str
    token: str
    room_id: str = ""
    sio: socketio.AsyncClient = field(init=False)
    latencies: list[float] = field(default_factory=list)
    acked: int = 0

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("message", self._on_message)

    async def _on_message(self, data: dict[str, Any]) -> None:
        sent_at, _, phase = str(data.get("content", "")).partition(" ")
        if phase == MEASURED:  # a late warm-up message is not counted
            self.latencies.append(time.perf_counter() - float(sent_at))

    def on_ack(self, phase: str) -> Callable[..., None]:
        def acked(answer: Any = None) -> None:
            if phase == MEASURED and isinstance(answer, dict) and answer.get("ok"):
                self.acked += 1

        return acked


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def setup_users(system: LocalSystem, users: int, rooms: int) -> list[User]:
    tag = uuid.uuid4().hex[:6]
    names = [f"u{i}_{tag}" for i in range(users)]
    body = {"users": [{"username": n, "password": PASSWORD} for n in names]}
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=60) as auth:
        (await auth.post("/api/auth/signup-batch", json=body)).raise_for_status()
        login = (await auth.post("/api/auth/login-batch", json=body)).json()
    tokens = {r["username"]: r["token"] for r in login["results"]}
    people = [User(n, tokens[n]) for n in names]
    async with httpx.AsyncClient(base_url=system.http("rooms"), timeout=60) as api:
        for r in range(rooms):
            members = people[r::rooms]
            answer = await api.post(
                "/api/chatrooms",
                json={"name": f"bench {r}", "participants": [m.name for m in members[1:]]},
                headers={"Authorization": f"Bearer {members[0].token}"},
            )
            answer.raise_for_status()
            for member in members:
                member.room_id = answer.json()["roomId"]
    url = system.http("realtime")
    for user in people:
        await user.sio.connect(f"{url}?token={user.token}", transports=["websocket"])
    return people


async def drive(people: list[User], rate: float, seconds: float, phase: str) -> int:
    """Each user sends at ``rate / len(people)`` per second, on a fixed schedule (open loop)."""
    interval = len(people) / rate

    async def sender(user: User, offset: float) -> int:
        start = time.perf_counter() + offset
        count = 0
        while (due := start + count * interval) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            payload = {"roomId": user.room_id, "content": f"{time.perf_counter()!r} {phase}"}
            await user.sio.emit("send_message", payload, callback=user.on_ack(phase))
            count += 1
        return count

    tasks = [sender(u, i * interval / len(people)) for i, u in enumerate(people)]
    return sum(await asyncio.gather(*tasks))


async def measure(system: LocalSystem, args: argparse.Namespace, mode: str) -> Result:
    people = await setup_users(system, args.users, args.rooms)
    result = Result(mode, args.rate)
    await drive(people, args.rate, args.warmup, "warm-up")  # lazy imports, first exports
    await asyncio.sleep(1.0)
    pids = {name: system.procs[name].pid for name in ("realtime", "persister")}
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    result.sent = await drive(people, args.rate, args.seconds, MEASURED)
    await asyncio.sleep(2.0)  # let the last messages arrive
    elapsed = time.perf_counter() - started - 2.0
    result.realtime_cpu_s = round(cpu_seconds(pids["realtime"]) - cpu["realtime"], 2)
    result.persister_cpu_s = round(cpu_seconds(pids["persister"]) - cpu["persister"], 2)
    latencies = sorted(x for u in people for x in u.latencies)
    per_room = args.users // args.rooms
    result.acked = sum(u.acked for u in people)
    result.expected = result.sent * per_room
    result.delivered = len(latencies)
    result.delivered_per_s = round(result.delivered / elapsed, 1)
    if latencies:
        result.p50_ms = round(statistics.median(latencies) * 1000, 2)
        result.p99_ms = round(latencies[math.ceil(len(latencies) * 0.99) - 1] * 1000, 2)
        result.max_ms = round(latencies[-1] * 1000, 2)
    for user in people:
        await user.sio.disconnect()
    return result


def run_mode(mode: str, args: argparse.Namespace, store: Path) -> Result:
    sampler = MODES[mode]
    env = {"MINITALK_ENV": "test", "MINITALK_BCRYPT_COST": "4", "MINITALK_LOG_LEVEL": "WARNING"}
    with Sink() as sink, open(os.devnull, "w") as quiet:
        if sampler is not None:
            env |= {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.port}", **sampler}
            env["OTEL_METRIC_EXPORT_INTERVAL"] = "5000"
        nats = NatsServer(store=store / "nats", sink=quiet).start()
        system = LocalSystem(store / "data", nats.url, env=env, sink=quiet)
        try:
            system.start_all()
            result = asyncio.run(measure(system, args, mode))
        finally:
            system.stop_all()
            nats.stop()
        result.sink_requests, result.sink_kib = sink.requests, round(sink.bytes / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0, help="messages/s offered in all")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--modes", default=",".join(MODES), help="e.g. off,10%%,100%%,off")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="tracing-bench-") as tmp:
        for i, mode in enumerate(args.modes.split(",")):
            print(f"-- tracing {mode}: starting the system", file=sys.stderr, flush=True)
            results.append(run_mode(mode, args, Path(tmp) / str(i)))
            print(json.dumps(asdict(results[-1])), file=sys.stderr, flush=True)
    per_room = args.users // args.rooms
    print(
        f"\n{args.users} users in {args.rooms} rooms ({per_room} sockets per room), "
        f"{args.rate:g} msg/s offered for {args.seconds:g} s, on {os.cpu_count()} cores\n"
    )
    print(
        "| tracing | sent | acked | delivered/expected | delivered/s | p50 ms | p99 ms | max ms "
        "| realtime CPU s | persister CPU s | OTLP requests (KiB) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r.mode} | {r.sent} | {r.acked} | {r.delivered}/{r.expected} | "
            f"{r.delivered_per_s} | {r.p50_ms} | {r.p99_ms} | {r.max_ms} | {r.realtime_cpu_s} | "
            f"{r.persister_cpu_s} | {r.sink_requests} ({r.sink_kib}) |"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
