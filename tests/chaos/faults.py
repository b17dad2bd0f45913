"""The faults, done to the system a ``support.Runner`` started, and one chaos run: chat load
through the edge, the fault at a set moment, the load on for a while, then the checks."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats

from ..runner.support import Runner
from .load import ChatLoad
from .verdict import Verdict, judge

#: Sockets and rooms of every chaos run: each user in two rooms.
USERS = 16
ROOMS = 5
#: How long each check waits for the system to catch up after the load stopped.
SETTLE_S = 45.0


def kill(r: Runner, name: str) -> int:
    """SIGKILL the process the runner calls ``name``; its log offset before the kill."""
    mark = len(r.text())
    os.kill(r.pid_of(name), signal.SIGKILL)
    return mark


async def back_after(r: Runner, name: str, mark: int, timeout: float = 90.0) -> float:
    """Seconds from ``name``'s exit until the runner saw it serving again (its log line)."""
    back = await asyncio.to_thread(
        r.wait_log,
        rf"\| {re.escape(name)} is back \(pid \d+\): serving again ([\d.]+) s",
        timeout,
        mark,
    )
    return float(back.group(1))


async def stream_leader(r: Runner, nodes: int, stream: str = "MESSAGES") -> str:
    """The node leading ``stream`` (``nats-2``), from the JetStream API's stream info."""
    urls = [f"nats://127.0.0.1:{r.nats_port + k}" for k in range(nodes)]
    nc = await nats.connect(servers=urls, connect_timeout=5, max_reconnect_attempts=3)
    try:
        info = await nc.jetstream().stream_info(stream)
        assert info.cluster is not None, info
        assert info.cluster.leader, info
        return info.cluster.leader
    finally:
        await nc.close()


def mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> int:
    """Write zeros into ``path`` until the file system under it is full; bytes written."""
    written, chunk = 0, b"\0" * (1 << 20)
    with path.open("wb", buffering=0) as out:
        while True:
            try:
                written += out.write(chunk)
            except OSError:
                break
        while True:  # the last partial megabyte too
            try:
                written += out.write(b"\0" * 4096)
            except OSError:
                return written


async def chaos_run(
    r: Runner,
    tokens: dict[str, str],
    name: str,
    fault: Callable[[ChatLoad], Awaitable[str]],
    rate: float,
    seconds: float,
    fault_after: float = 6.0,
    seed: int = 14,
) -> Verdict:
    """Open the chat (users, rooms, sockets), drive ``rate`` msgs/s for ``seconds``, run
    ``fault`` ``fault_after`` seconds in (it returns extra figures for the line), wait for the
    system to settle, judge and print the figures."""
    load = await ChatLoad(r.url, tokens, ROOMS, seed).open(name)
    try:
        driving = asyncio.create_task(load.drive(rate, seconds))
        await asyncio.sleep(fault_after)
        fault_at = load.now()
        extra = await fault(load)
        await driving
        await load.wait_received(SETTLE_S)
        history = await load.histories(SETTLE_S)
        verdict = judge(name, load, history, fault_at)
        verdict.extra = extra
        print("\n" + verdict.line(), file=sys.stderr)
        late = [m.late_messages() for m in load.members]
        print(
            f"connections with a message handled after their disconnect: "
            f"{sum(c for c, _ in late)}; repaired messages such a message would have made a "
            f"catch-up skip: {sum(k for _, k in late)}",
            file=sys.stderr,
        )
        if verdict.missing:
            _explain_missing(load)
        return verdict
    finally:
        await load.close()


async def history_catches_up(load: ChatLoad, timeout: float = 60.0) -> float:
    """Seconds until the history holds the last message acked so far (the persister's lag as a
    user reading history sees it)."""
    began = load.now()
    last = max(load.acked(), key=lambda s: s.acked_at or 0.0)
    token = load.tokens[load.rooms[last.room][0]]
    while load.now() - began < timeout:
        page = await load.http.get(
            f"/api/chatrooms/{last.room}/messages",
            params={"after": (last.seq or 1) - 1, "limit": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        if page.status_code == 200 and [m["id"] for m in page.json()] == [last.id]:
            return load.now() - began
        await asyncio.sleep(0.2)
    raise AssertionError(f"history did not reach seq {last.seq} within {timeout} s")


async def not_in_history(load: ChatLoad) -> int:
    """Acked messages the history does not hold yet (each room's last stored seq against its
    acks)."""
    behind = 0
    for room, names in load.rooms.items():
        page = await load.http.get(
            f"/api/chatrooms/{room}/messages",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {load.tokens[names[0]]}"},
        )
        assert page.status_code == 200, page.text
        last = max((m["seq"] for m in page.json()), default=0)
        behind += sum(1 for s in load.acked() if s.room == room and (s.seq or 0) > last)
    return behind


def _explain_missing(load: ChatLoad, limit: int = 4) -> None:
    """The first few missing (socket, message) pairs with the socket's connections around them:
    (start, end, resume cursor, first live seq, Socket.IO connect, first seq handled after the
    disconnect) of the message's room."""
    shown = 0
    for m in load.members:
        for s in load.missing(m)[:2]:
            got = sorted(
                (g.seq, round(g.at, 2), g.epoch)
                for g in m.got.values()
                if g.room == s.room and abs(g.seq - (s.seq or 0)) < 30
            )
            epochs = [
                (
                    round(e.start, 2),
                    e.end and round(e.end, 2),
                    e.resume.get(s.room),
                    e.first_live.get(s.room),
                    e.connected_at and round(e.connected_at, 2),
                    e.late.get(s.room),
                )
                for e in m.epochs
            ]
            print(
                f"missing {m.username} seq {s.seq} sent {s.first_at:.2f} acked {s.acked_at:.2f} "
                f"epochs {epochs} got near {got}",
                file=sys.stderr,
            )
            for k, e in enumerate(m.epochs):  # what came live around it, on which connection
                near = [
                    (seq, round(at, 2))
                    for seq, at in e.arrivals.get(s.room, [])
                    if abs(seq - (s.seq or 0)) < 150
                ]
                if near:
                    print(f"  live on connection {k}: {near}", file=sys.stderr)
            shown += 1
            if shown >= limit:
                return
