"""What following the MESSAGES stream costs a realtime replica for messages of rooms where it
holds no socket (issue 14: every replica reads every message of the stream).

Starts its own ``nats-server -js`` and one realtime process (free ports, temporary store, no
socket connected), publishes ``--messages`` MessageSent events into ``--rooms`` rooms at about
``--rate`` per second, waits until realtime's live feed has read them all (its CPU stops
moving), and prints realtime's CPU seconds (``/proc/<pid>/stat``) per message, with the idle
CPU of the same span subtracted.

    .venv/bin/python services/realtime/bench/livefeed_bench.py [--messages 30000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from minitalk_auth.keys import KeyPair
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_local.system import LocalSystem, NatsServer

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def publish(url: str, messages: int, rooms: int, rate: float) -> float:
    """Publish at about ``rate``/s in batches of 50; the seconds it took."""
    async with bus.connect(NatsSettings(nats_url=url), "livefeed-bench") as nc:
        js = nc.jetstream()
        started = time.monotonic()
        for first in range(0, messages, 50):
            batch = [
                events.MessageSent(
                    actor="bench", room_id=f"r{i % rooms}", sender="bench", content=f"m {i}"
                )
                for i in range(first, min(first + 50, messages))
            ]
            acks = [
                js.publish(
                    subjects.message_subject(e.room_id),
                    events.encode(e),
                    headers={"Nats-Msg-Id": e.id},
                )
                for e in batch
            ]
            await asyncio.gather(*acks)
            ahead = (first + 50) / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        return time.monotonic() - started


async def settle(pid: int, quiet_s: float = 2.0) -> None:
    """Wait until the process's CPU stops growing (it has read everything)."""
    last = cpu_s(pid)
    while True:
        await asyncio.sleep(quiet_s)
        now = cpu_s(pid)
        if now - last < 0.02 * quiet_s:
            return
        last = now


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--rooms", type=int, default=15)
    parser.add_argument("--rate", type=float, default=1000.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nats = NatsServer(store=Path(tmp) / "nats", sink=sys.stderr).start()
        system = LocalSystem(
            data_dir=Path(tmp) / "data",
            nats_url=nats.url,
            env={"MINITALK_JWT_PUBLIC_KEY": KeyPair.generate().public_pem},
            sink=sys.stderr,
        )
        try:
            pid = system.start_service("realtime").pid
            await settle(pid)
            idle_before = time.monotonic()
            before = cpu_s(pid)
            await asyncio.sleep(5)
            idle_per_s = (cpu_s(pid) - before) / (time.monotonic() - idle_before)
            before, started = cpu_s(pid), time.monotonic()
            took = await publish(nats.url, args.messages, args.rooms, args.rate)
            await settle(pid)
            span = time.monotonic() - started
            used = cpu_s(pid) - before - idle_per_s * span
        finally:
            system.stop_all()
            nats.stop()
    result = {
        "messages": args.messages,
        "published_per_s": round(args.messages / took, 1),
        "realtime_cpu_s": round(used, 3),
        "realtime_ms_per_message": round(used / args.messages * 1000, 4),
        "idle_cpu_percent": round(idle_per_s * 100, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
