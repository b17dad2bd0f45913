"""``GET /api/chatrooms`` through the edge for a user in 500 rooms, each with messages.

Starts its own system on free ports (nats-server, the four services with ``--partitions``
persister partitions, the nginx edge), creates ``--rooms`` rooms for one user
(``/api/chatrooms-batch``), stores ``--messages`` messages in each (published straight to
JetStream, every other one by another member, as realtime does), marks some rooms read, then
asks for the list ``--lists`` times, one at a time, and reads the rooms and persister CPU:

    .venv/bin/python services/rooms/bench/room_list_bench.py [--rooms 500] [--lists 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def login(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    body = {"username": name, "password": PASSWORD}
    await http.post("/api/auth/signup", json=body)
    token = (await http.post("/api/auth/login", json=body)).json()["token"]
    return {"Authorization": f"Bearer {token}"}


async def seed(
    system: LocalSystem, http: httpx.AsyncClient, args: argparse.Namespace
) -> dict[str, str]:
    me, _ = await login(http, "reader"), await login(http, "writer")
    rooms = [{"name": f"room {i}", "participants": ["writer"]} for i in range(args.rooms)]
    created = await http.post("/api/chatrooms-batch", json={"rooms": rooms}, headers=me)
    ids = [r["roomId"] for r in created.json()["created"]]
    async with bus.connect(NatsSettings(nats_url=system.nats_url), "bench") as nc:
        js = nc.jetstream()
        for i in range(args.messages):
            for rid in ids:
                who = "writer" if i % 2 else "reader"
                event = events.MessageSent(actor=who, room_id=rid, sender=who, content=f"m{i}")
                ack = await bus.publish_event(js, subjects.message_subject(rid), event)
    for rid in ids[::3]:  # a third of the rooms read up to their last message
        answer = await http.post(f"/api/chatrooms/{rid}/read", json={"seq": ack.seq}, headers=me)
        assert answer.status_code == 200, answer.text
    return me


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="room-list-bench-") as tmp:
        nats = NatsServer(store=Path(tmp) / "nats", sink=sys.stderr if args.verbose else None)
        nats.start()
        system = LocalSystem(
            data_dir=Path(tmp) / "data",
            nats_url=nats.url,
            env={"MINITALK_ENV": "test", "MINITALK_BCRYPT_COST": "4"},
            sink=sys.stderr if args.verbose else None,
        )
        try:
            system.start_all(replicas={"persister": args.partitions})
            system.start_edge()
            async with httpx.AsyncClient(base_url=system.url, timeout=30) as http:
                me = await seed(system, http, args)
                first = await http.get("/api/chatrooms", headers=me)
                listed = first.json()
                assert len(listed) == args.rooms, first.text[:200]
                names = [n for n in system.procs if n.startswith(("rooms", "persister"))]
                before = {n: cpu_s(system.procs[n].pid) for n in names}
                timings = []
                for _ in range(args.lists):
                    started = time.perf_counter()
                    answer = await http.get("/api/chatrooms", headers=me)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200
                used = {n: cpu_s(system.procs[n].pid) - before[n] for n in names}
                load = os.getloadavg()
        finally:
            system.stop_all()
            nats.stop()
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
    unread = sorted({r["unread"] for r in listed})
    print(
        f"GET /api/chatrooms, {args.rooms} rooms x {args.messages} messages, "
        f"{args.partitions} persister partition(s), {args.lists} lists one at a time"
    )
    print(f"  body {len(first.content):,} bytes; unread values {unread}")
    print(f"  latency p50 {statistics.median(timings):.1f} ms  p99 {p99:.1f} ms")
    for name, seconds in used.items():
        print(f"  {name:>12}: {seconds / args.lists * 1000:.2f} ms CPU per list")
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--messages", type=int, default=4, help="messages per room")
    parser.add_argument("--lists", type=int, default=200)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--verbose", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
