"""What a history page through the edge costs rooms (and the persister) in CPU.

Starts its own system on free ports (nats-server, the four services, the nginx edge), creates a
room, stores ``--messages`` messages in it (published straight to JetStream, as realtime does),
then asks ``GET /api/chatrooms/<id>/messages?limit=<limit>&before=<random seq>`` ``--pages``
times through the edge, ``--concurrency`` at a time, and reads each process's CPU time
(``utime + stime`` in ``/proc/<pid>/stat``) before and after:

    .venv/bin/python services/rooms/bench/history_edge_bench.py [--pages 2000] [--limit 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_local.system import LocalSystem, NatsServer

PASSWORD = "correct horse battery"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def seed(system: LocalSystem, http: httpx.AsyncClient, count: int) -> tuple[str, str]:
    body = {"username": "bench", "password": PASSWORD}
    await http.post("/api/auth/signup", json=body)
    token = (await http.post("/api/auth/login", json=body)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    room = (await http.post("/api/chatrooms", json={"name": "bench"}, headers=headers)).json()
    rid = room["roomId"]
    async with bus.connect(NatsSettings(nats_url=system.nats_url), "bench") as nc:
        js = nc.jetstream()
        for i in range(count):
            event = events.MessageSent(
                actor="bench", room_id=rid, sender="bench", content=f"message {i} of the bench"
            )
            await bus.publish_event(js, subjects.message_subject(rid), event)
    async with asyncio.timeout(60):  # until the persister holds them all
        while True:
            page = await http.get(f"/api/chatrooms/{rid}/messages?limit=1", headers=headers)
            if page.status_code == 200 and page.json() and page.json()[-1]["seq"] >= count:
                return rid, token
            await asyncio.sleep(0.2)


async def pages(
    http: httpx.AsyncClient, rid: str, token: str, args: argparse.Namespace
) -> list[float]:
    rng = random.Random(7)
    todo = [rng.randint(2, args.messages) for _ in range(args.pages)]
    headers = {"Authorization": f"Bearer {token}"}
    timings: list[float] = []

    async def worker() -> None:
        while todo:
            before = todo.pop()
            started = time.perf_counter()
            url = f"/api/chatrooms/{rid}/messages?limit={args.limit}&before={before}"
            answer = await http.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    return timings


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="history-edge-bench-") as tmp:
        nats = NatsServer(store=Path(tmp) / "nats", sink=sys.stderr if args.verbose else None)
        nats.start()
        system = LocalSystem(
            data_dir=Path(tmp) / "data",
            nats_url=nats.url,
            env={"MINITALK_ENV": "test", "MINITALK_BCRYPT_COST": "4"},
            sink=sys.stderr if args.verbose else None,
        )
        try:
            system.start_all()
            system.start_edge()
            limits = httpx.Limits(max_connections=args.concurrency)
            async with httpx.AsyncClient(base_url=system.url, timeout=30, limits=limits) as http:
                rid, token = await seed(system, http, args.messages)
                await pages(http, rid, token, argparse.Namespace(**{**vars(args), "pages": 50}))
                pids = {name: system.procs[name].pid for name in ("rooms", "persister")}
                before = {name: cpu_s(pid) for name, pid in pids.items()}
                started = time.perf_counter()
                timings = await pages(http, rid, token, args)
                wall = time.perf_counter() - started
                used = {name: cpu_s(pid) - before[name] for name, pid in pids.items()}
        finally:
            system.stop_all()
            nats.stop()
    print(f"{args.pages} pages of {args.limit} through the edge, {args.concurrency} at a time")
    print(f"  {args.pages / wall:.0f} pages/s, latency p50 {statistics.median(timings):.2f} ms")
    for name, seconds in used.items():
        per_page = seconds / args.pages * 1000
        print(f"  {name:>9}: {seconds:6.2f} s CPU = {per_page:.3f} ms per page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2_000, help="messages in the room")
    parser.add_argument("--pages", type=int, default=2_000, help="pages asked")
    parser.add_argument("--limit", type=int, default=50, help="messages per page")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--verbose", action="store_true", help="the processes' logs on stderr")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
