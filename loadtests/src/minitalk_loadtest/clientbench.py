"""Is python-socketio's client light enough for the generator? ``clients --count N`` connects N
sockets to the ceiling server with each client in its own process, has every socket echo
``--messages`` messages through its own room, and reports connect time, RSS per socket and
client CPU per 1,000 messages received."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from typing import Any

import aiohttp

from . import limits
from .eio import SioConnection, socket_url
from .procstat import rss_kb


async def _raw(url: str, count: int, messages: int) -> int:
    received = 0

    def on_event(name: str, data: Any, now_ns: int) -> None:
        nonlocal received
        received += name == "message"

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        conns = [
            SioConnection(session, socket_url(url, {"token": "x"}), on_event) for _ in range(count)
        ]
        gate = asyncio.Semaphore(200)

        async def connect(i: int, conn: SioConnection) -> None:
            async with gate:
                await conn.connect()
                await conn.call("join_room", {"roomId": f"r{i}"})

        await asyncio.gather(*(connect(i, c) for i, c in enumerate(conns)))
        started = _measure_start()
        for _ in range(messages):
            await asyncio.gather(
                *(
                    c.call("send_message", {"roomId": f"r{i}", "content": "x"})
                    for i, c in enumerate(conns)
                )
            )
        await _wait(lambda: received >= count * messages)
        _measure_end(started)
        await asyncio.gather(*(c.close() for c in conns))
    return received


async def _python_socketio(url: str, count: int, messages: int) -> int:
    import socketio

    received = 0

    async def on_message(data: Any) -> None:
        nonlocal received
        received += 1

    clients = [socketio.AsyncClient(reconnection=False) for _ in range(count)]
    for client in clients:
        client.on("message", on_message)
    gate = asyncio.Semaphore(200)

    async def connect(i: int, client: Any) -> None:
        async with gate:
            await client.connect(f"{url}?token=x", transports=["websocket"], wait_timeout=30)
            await client.call("join_room", {"roomId": f"r{i}"})

    await asyncio.gather(*(connect(i, c) for i, c in enumerate(clients)))
    start = _measure_start()
    for _ in range(messages):
        await asyncio.gather(
            *(
                c.call("send_message", {"roomId": f"r{i}", "content": "x"})
                for i, c in enumerate(clients)
            )
        )
    await _wait(lambda: received >= count * messages)
    _measure_end(start)
    await asyncio.gather(*(c.disconnect() for c in clients))
    return received


_MARKS: dict[str, float] = {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure_start() -> float:
    _MARKS.update(connected=time.perf_counter(), cpu0=_cpu(), rss=rss_kb_self())
    return _MARKS["connected"]


def _measure_end(start: float) -> None:
    _MARKS.update(seconds=time.perf_counter() - start, cpu=_cpu() - _MARKS["cpu0"])


def rss_kb_self() -> int:
    import os

    return rss_kb(os.getpid())


async def _wait(done: Any, timeout: float = 60) -> None:
    """Poll ``done()`` (a counter reached its target) for at most ``timeout`` seconds."""
    for _ in range(int(timeout / 0.05)):
        if done():
            return
        await asyncio.sleep(0.05)


def _child(kind: str, url: str, count: int, messages: int, out: Any) -> None:
    limits.raise_fd_limit()
    base = rss_kb_self()
    started = time.perf_counter()
    runner = _raw if kind == "raw" else _python_socketio
    _MARKS["t0"] = started
    received = asyncio.run(runner(url, count, messages))
    out.put(
        {
            "client": kind,
            "sockets": count,
            "connect_s": round(_MARKS["connected"] - started, 2),
            "rss_kb_per_socket": round((_MARKS["rss"] - base) / count, 1),
            "messages_received": received,
            "echo_s": round(_MARKS["seconds"], 2),
            "client_cpu_ms_per_1000_messages": round(_MARKS["cpu"] * 1e6 / max(received, 1), 1),
        }
    )


def compare(count: int, messages: int) -> list[dict[str, Any]]:
    from .ceiling import ceiling_server

    found = []
    ctx = multiprocessing.get_context("spawn")
    for kind in ("raw", "python-socketio"):
        with ceiling_server() as (url, _pid):
            out: Any = ctx.Queue()
            proc = ctx.Process(target=_child, args=(kind, url, count, messages, out))
            proc.start()
            found.append(out.get(timeout=600))
            proc.join(30)
    return found
