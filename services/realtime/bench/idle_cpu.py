"""realtime's CPU while connected sockets sit idle and answer their pings (issue 18).

Starts its own ``nats-server -js`` and one realtime process (free ports, temporary store),
connects ``--sockets`` raw Engine.IO WebSockets (Socket.IO CONNECT answered, one user each,
every PING answered with a PONG), waits 3 s, and prints realtime's utime + stime over
``--seconds``: the cost of holding sockets (pings, Engine.IO's service task, timers), nothing
else. A short ``--interval`` (the ping interval, s) makes the pings dominate. ``--src`` puts
another ``minitalk_realtime`` first on realtime's ``PYTHONPATH`` (as in ``socket_memory.py``).
Under the shared lock: it is a benchmark.

    .venv/bin/python services/realtime/bench/idle_cpu.py [--sockets 2000] [--seconds 20]
        [--interval 2] [--src DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from minitalk_auth.keys import KeyPair, TokenMinter
from minitalk_local.system import LocalSystem, NatsServer
from socket_memory import logged_in_socket  # this folder (run as a script)
from websockets.asyncio.client import ClientConnection


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def measure(url: str, minter: TokenMinter, count: int, seconds: float, pid: int) -> None:
    pongs = 0

    async def answer(ws: ClientConnection) -> None:
        nonlocal pongs
        async for frame in ws:
            if frame == "2":
                await ws.send("3")
                pongs += 1

    async def one(i: int) -> tuple[ClientConnection, asyncio.Task[Any]]:
        ws = await logged_in_socket(url, minter, i)
        return ws, asyncio.create_task(answer(ws))

    sockets: list[tuple[ClientConnection, asyncio.Task[Any]]] = []
    for start in range(0, count, 100):
        sockets += await asyncio.gather(*(one(i) for i in range(start, min(count, start + 100))))
    await asyncio.sleep(3)
    cpu0, pongs0, t0 = cpu_s(pid), pongs, time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, pongs1, t1 = cpu_s(pid), pongs, time.monotonic()
    used = cpu1 - cpu0
    print(
        f"{count} sockets, {seconds:.0f} s: realtime CPU {used:.2f} s "
        f"({100 * used / (t1 - t0):.1f} % of a core), pongs {pongs1 - pongs0}, "
        f"RSS {rss_mb(pid):.0f} MB",
        flush=True,
    )
    for ws, task in sockets:
        task.cancel()
        await ws.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--src", type=Path, default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="idle-cpu-"))
    keys = KeyPair.generate()
    with open(os.devnull, "w") as quiet:
        nats = NatsServer(store=tmp / "nats", sink=quiet).start()
        env = {
            "MINITALK_ENV": "test",
            "MINITALK_JWT_PRIVATE_KEY": keys.private_pem,
            "MINITALK_PING_INTERVAL_S": str(args.interval),
            "MINITALK_PING_TIMEOUT_S": "5",
        }
        if args.src is not None:
            env["PYTHONPATH"] = str(args.src.resolve())
        system = LocalSystem(data_dir=tmp / "data", nats_url=nats.url, env=env, sink=quiet)
        try:
            proc = system.start_service(
                "realtime", env={"MINITALK_JWT_PUBLIC_KEY": keys.public_pem}
            )
            url = system.http("realtime").replace("http://", "ws://")
            minter = TokenMinter(keys.private_pem, timedelta(hours=1))
            asyncio.run(measure(url, minter, args.sockets, args.seconds, proc.pid))
        finally:
            system.stop_all()
            nats.stop()


if __name__ == "__main__":
    main()
