"""``python -m minitalk_loadtest.pinmem``: sockets that try to pin realtime's memory (issue 12).

Starts MiniTalk on free ports (``system.local_system``, 127.0.0.1 only), signs up one user per
attacking socket, and for ``--seconds`` has each socket, through the edge, do over and over:

- ``binary``: a Socket.IO BINARY_EVENT header announcing attachments, then 0.9 MB binary
  frames that never complete it (what grew realtime by 46 MB in 50 frames);
- ``big``: text frames just under the frame limit (Engine.IO's ``maxPayload``), 20 a second;
- ``silent``: Engine.IO sessions that answer pings but never send the Socket.IO CONNECT.

Each socket reconnects when it is closed. Realtime's RSS (VmRSS) is sampled every 0.5 s and
printed before, at its peak during, and 10 s after the attack, with a chat between two other
users checked at the end. Bounded: ``--sockets`` x ``--seconds``, and ``--max-frames`` frames
per socket at most.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from .api import Api
from .eio import socket_url
from .procstat import PROC
from .system import local_system

PASSWORD = "pinmem-password"
FRAME = 900_000
HEADER = '4599999999-["send_message",{"_placeholder":true,"num":0}]'


def rss_mb(pid: int) -> float:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Attack:
    def __init__(self, url: str, deadline: float, max_frames: int) -> None:
        self.url, self.deadline, self.max_frames = url, deadline, max_frames
        self.frames = 0
        self.closed = 0

    async def run(self, session: aiohttp.ClientSession, token: str | None, mode: str) -> None:
        sent = 0
        while time.monotonic() < self.deadline and sent < self.max_frames:
            url = socket_url(self.url, {"token": token} if token else None)
            try:
                async with session.ws_connect(url, max_msg_size=0) as ws:
                    opened = json.loads((await ws.receive()).data[1:])  # OPEN
                    limit = int(opened["maxPayload"]) - 200
                    sent += await self._one(ws, mode, self.max_frames - sent, limit)
            except (aiohttp.ClientError, OSError, TimeoutError):
                await asyncio.sleep(0.2)
            self.closed += 1

    async def _one(
        self, ws: aiohttp.ClientWebSocketResponse, mode: str, budget: int, limit: int
    ) -> int:
        if mode == "silent":  # answer pings until closed or the end
            while time.monotonic() < self.deadline and not ws.closed:
                msg = await ws.receive(timeout=max(0.1, self.deadline - time.monotonic()))
                if msg.type == aiohttp.WSMsgType.TEXT and msg.data == "2":
                    await ws.send_str("3")
                elif msg.type != aiohttp.WSMsgType.TEXT:
                    break
            return 0
        await ws.send_str("40")
        sent = 0
        if mode == "binary":
            await ws.send_str(HEADER)
        while time.monotonic() < self.deadline and sent < budget and not ws.closed:
            # (a refused socket is closed by the server; aiohttp notices on the next receive)
            if mode == "binary":
                await ws.send_bytes(b"\x04" + b"\0" * FRAME)
            else:
                payload = json.dumps(["send_message", {"roomId": "x", "content": "y" * limit}])
                await ws.send_str("42" + payload)
            sent += 1
            self.frames += 1
            await asyncio.sleep(0.05)
        return sent


async def chat_works(api: Api, url: str, tokens: dict[str, str], names: list[str]) -> bool:
    import socketio

    room = (
        await api.create_rooms(tokens[names[0]], [{"name": "after", "participants": [names[1]]}])
    )[0]
    got: list[Any] = []
    a, b = socketio.AsyncClient(), socketio.AsyncClient()
    b.on("message", got.append)
    await a.connect(f"{url}?token={tokens[names[0]]}", transports=["websocket"])
    await b.connect(f"{url}?token={tokens[names[1]]}", transports=["websocket"])
    try:
        ack = await a.call("send_message", {"roomId": room, "content": "still here"}, timeout=15)
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        return bool(ack.get("ok")) and bool(got)
    finally:
        await a.disconnect()
        await b.disconnect()


async def attack(args: argparse.Namespace, url: str, pid: int) -> dict[str, Any]:
    names = [f"pin{n}" for n in range(args.sockets + 2)]
    async with aiohttp.ClientSession() as session:
        api = Api(session, url, 300)
        await api.signup(names, PASSWORD)
        tokens = await api.login(names, PASSWORD)
        await asyncio.sleep(2)
        before = rss_mb(pid)
        attack = Attack(url, time.monotonic() + args.seconds, args.max_frames)
        modes = args.modes.split(",")
        runs = [
            attack.run(session, None if mode == "silent" else tokens[name], mode)
            for i, name in enumerate(names[: args.sockets])
            for mode in [modes[i % len(modes)]]
        ]
        peak = before
        task = asyncio.gather(*runs)
        while not task.done():
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.5)
        await task
        await asyncio.sleep(10)
        after = rss_mb(pid)
        works = await chat_works(api, url, tokens, names[-2:])
    return {
        "sockets": args.sockets,
        "seconds": args.seconds,
        "frames_sent": attack.frames,
        "connections_closed_by_server_or_reopened": attack.closed,
        "rss_mb": {"before": round(before, 1), "peak": round(peak, 1), "after": round(after, 1)},
        "chat_works_after": works,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-frames", type=int, default=400, help="per socket")
    parser.add_argument("--modes", default="binary,big,silent", help="taken in turn")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="pinmem-") as tmp,
        local_system(Path(tmp)) as started,
    ):
        result = asyncio.run(attack(args, started.url, started.pids["realtime"]))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
