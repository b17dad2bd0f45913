"""What one connected socket costs realtime in memory, and where (issue 18).

Starts its own ``nats-server -js`` and one realtime process (free ports, temporary store) with
``memsnap/`` on its ``PYTHONPATH``, takes a tracemalloc snapshot, connects ``--sockets`` raw
Engine.IO WebSockets (Socket.IO CONNECT answered, one user each), takes another, and prints
realtime's RSS growth per socket (tracemalloc's own bookkeeping included, so above a plain
run's) and the traced growth per socket by allocating line.

    .venv/bin/python services/realtime/bench/socket_memory.py [--sockets 500] [--top 30] [--src DIR]

``--src`` puts another ``minitalk_realtime`` first on realtime's ``PYTHONPATH`` (the folder that
holds the package, e.g. an older commit's ``services/realtime/src`` from ``git archive``), to
measure a before and an after with the same bench.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from minitalk_auth.keys import KeyPair, TokenMinter
from minitalk_local.system import LocalSystem, NatsServer
from websockets.asyncio.client import ClientConnection, connect

HERE = Path(__file__).resolve().parent


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def snapshot(pid: int, folder: Path, count: int) -> tracemalloc.Snapshot:
    os.kill(pid, signal.SIGUSR1)
    done = folder / "done"
    while not done.exists() or len(done.read_text()) < count:
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(str(folder / f"snap-{count - 1}"))


async def logged_in_socket(url: str, minter: TokenMinter, i: int) -> ClientConnection:
    """A raw Engine.IO WebSocket of user ``u<i>``, its Socket.IO CONNECT answered."""
    token = minter.mint(f"u{i}")
    ws = await connect(f"{url}/socket.io/?EIO=4&transport=websocket&token={token}")
    await ws.recv()
    await ws.send("40")
    while not str(await ws.recv()).startswith("40"):
        pass
    return ws


async def open_sockets(url: str, minter: TokenMinter, count: int) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []

    async def one(i: int) -> None:
        sockets.append(await logged_in_socket(url, minter, i))

    for start in range(0, count, 100):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 100))))
    return sockets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--src", type=Path, default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="socket-memory-"))
    snaps = tmp / "snaps"
    snaps.mkdir()
    keys = KeyPair.generate()
    nats = NatsServer(store=tmp / "nats", sink=sys.stderr).start()
    env = {
        "MINITALK_ENV": "test",
        "MINITALK_JWT_PRIVATE_KEY": keys.private_pem,
        "MINITALK_MEMSNAP_DIR": str(snaps),
        "PYTHONPATH": os.pathsep.join(
            ([str(args.src.resolve())] if args.src is not None else []) + [str(HERE / "memsnap")]
        ),
    }
    system = LocalSystem(data_dir=tmp / "data", nats_url=nats.url, env=env, sink=sys.stderr)
    try:
        proc = system.start_service("realtime", env={"MINITALK_JWT_PUBLIC_KEY": keys.public_pem})
        url = system.http("realtime").replace("http://", "ws://")
        minter = TokenMinter(keys.private_pem, timedelta(hours=1))
        before = snapshot(proc.pid, snaps, 1)
        rss_before = rss_kb(proc.pid)

        async def run() -> None:
            sockets = await open_sockets(url, minter, args.sockets)
            await asyncio.sleep(3)
            rss_after = rss_kb(proc.pid)
            after = await asyncio.to_thread(snapshot, proc.pid, snaps, 2)
            n = len(sockets)
            stats = after.compare_to(before, "lineno")
            traced = sum(stat.size_diff for stat in stats)
            print(f"{n} sockets: RSS {(rss_after - rss_before) / n:.1f} KB per socket")
            print(f"traced: {traced / 1024 / n:.1f} KB per socket")
            for stat in stats[: args.top]:
                frame = stat.traceback[0]
                print(f"{stat.size_diff / n:8.0f} B {stat.count_diff / n:6.2f} objects  {frame}")
            for ws in sockets:
                await ws.close()

        asyncio.run(run())
    finally:
        system.stop_all()
        nats.stop()


if __name__ == "__main__":
    main()
