"""Helpers of the edge tests: more nginx edges (own limits) over running services, the faulty
service, raw HTTP/1.1 on one connection, and client addresses other than 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from minitalk_local.edge import ROOT, render_server, write_main_config
from minitalk_local.processes import Proc, free_port, wait_http, wait_port
from minitalk_local.system import nginx_binary


@dataclass
class Edge:
    """An nginx edge from the real template, over the given upstream ports."""

    prefix: Path
    auth: int
    rooms: int
    realtime: int
    env: Mapping[str, str] = field(default_factory=dict)
    port: int = 0
    proc: Proc | None = None
    #: What it serves at / (default: the built web app, frontend/dist).
    webroot: Path = ROOT / "frontend" / "dist"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Edge:
        conf = self.prefix / "nginx.conf"
        if self.port:  # started before: the same config again
            return self._run(conf)
        self.port = free_port()
        server = render_server(
            f"127.0.0.1:{self.port}",
            self.webroot,
            [self.auth],
            [self.rooms],
            [self.realtime],
            self.env,
        )
        return self._run(write_main_config(self.prefix, server))

    def _run(self, conf: Path) -> Edge:
        argv = [nginx_binary(), "-p", str(self.prefix), "-c", str(conf)]
        self.proc = Proc("edge-" + self.prefix.name, argv, sink=sys.stderr).start()
        assert self.proc.popen is not None
        wait_port(self.port, 30, self.proc.popen)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


def start_faulty_service() -> tuple[Proc, int]:
    """``tests/e2e/faulty_service.py`` under uvicorn, as the services run (libs/common serve)."""
    port = free_port()
    env = {"MINITALK_PORT": str(port), "MINITALK_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "tests.e2e.faulty_service"]
    proc = Proc("faulty", argv, env=env, cwd=ROOT, sink=sys.stderr).start()
    wait_http(f"http://127.0.0.1:{port}/readyz", 60, proc.popen)
    return proc, port


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One HTTP/1.1 connection, requests written byte for byte, answers read one by one."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, source: str = "127.0.0.1") -> Connection:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=(source, 0), limit=1 << 22
        )
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, timeout: float = 30) -> Answer | None:
        """The next answer, or None when the other side closed the connection first."""
        try:
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        except asyncio.IncompleteReadError:
            return None
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.read()
        return Answer(int(status_line.split(" ")[1]), headers, body)

    async def closed(self, timeout: float = 5) -> bool:
        """True when the other side has closed (EOF), False if it is still open after timeout."""
        try:
            return await asyncio.wait_for(self.reader.read(1), timeout) == b""
        except TimeoutError:
            return False

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


def request(method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
    if body or method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body
