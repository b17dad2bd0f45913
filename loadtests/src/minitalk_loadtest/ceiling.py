"""The ceiling: a bare python-socketio server that broadcasts the same traffic with no auth, no
bus and no storage. Same Socket.IO library, server settings and single process as realtime, so
MiniTalk's delivered msgs/s divided by this server's is what the event log, auth and the edge
cost. ``python -m minitalk_loadtest ceiling-server --port P`` runs it alone."""

from __future__ import annotations

import contextlib
import itertools
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import socketio
import uvicorn


def create_app() -> Any:
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", async_handlers=False)
    seq = itertools.count(1)

    async def join_room(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        await sio.enter_room(sid, data["roomId"])
        return {"ok": True, "roomId": data["roomId"]}

    async def send_message(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        message = {
            "type": "message",
            "id": uuid.uuid4().hex,
            "seq": next(seq),
            "roomId": data["roomId"],
            "sender": sid,
            "content": data["content"],
            "timestamp": datetime.now(UTC).isoformat(),
        }
        await sio.emit("message", message, room=data["roomId"])
        return {"ok": True, "id": message["id"], "seq": message["seq"]}

    sio.on("join_room", join_room)
    sio.on("send_message", send_message)
    return socketio.ASGIApp(sio)


def serve(port: int) -> None:
    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def ceiling_server(log: IO[str] | None = None) -> Iterator[tuple[str, int]]:
    """Run the ceiling server in a child process on a free port: (url, pid)."""
    from minitalk_local.processes import Proc, free_port, wait_port

    port = free_port()
    proc = Proc(
        "ceiling",
        [sys.executable, "-m", "minitalk_loadtest", "ceiling-server", "--port", str(port)],
        cwd=Path.cwd(),
        sink=log,
    ).start()
    try:
        assert proc.popen is not None
        wait_port(port, 30, proc.popen)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.stop()
