"""A raw Engine.IO v4 WebSocket, frame by frame, for what no well-behaved client library sends."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class RawSocket:
    def __init__(self, ws: ClientConnection, opened: dict[str, Any]) -> None:
        self.ws = ws
        #: The Engine.IO OPEN packet's data: sid, pingInterval, maxPayload, ...
        self.opened = opened

    @classmethod
    async def connect(cls, base_url: str, token: str | None) -> RawSocket:
        """The Engine.IO session, its OPEN packet received."""
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        if token is not None:
            url += f"&token={token}"
        ws = await connect(url, max_size=None)
        first = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(first, str)
        assert first.startswith("0"), first
        return cls(ws, json.loads(first[1:]))

    async def login(self) -> None:
        """The Socket.IO CONNECT (the token is in the URL); its answer ``40{sid}``."""
        await self.ws.send("40")
        answer = await self.next_frame(lambda f: f.startswith(("40", "44")))
        assert answer.startswith("40"), answer

    async def next_frame(self, wanted: Any = lambda f: True, timeout: float = 10) -> str:
        """The next text frame that ``wanted`` accepts; answers pings on the way."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.ws.recv()
                assert isinstance(frame, str)
                if frame == "2":
                    await self.ws.send("3")
                    continue
                if wanted(frame):
                    return frame

    async def closed_within(self, timeout: float) -> bool:
        """True once the server closed the connection (answering pings meanwhile)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frame = await self.ws.recv()
                    if frame == "2":
                        await self.ws.send("3")
        except ConnectionClosed:
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        await self.ws.close()


class StalledReader:
    """A WebSocket client that logs in, then never reads again: plain sockets, so nothing
    reads ahead, and a small receive buffer, so the server's writes back up at once."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def login(cls, base_url: str, token: str) -> StalledReader:
        host, port = base_url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /socket.io/?EIO=4&transport=websocket&token={token} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        client = cls(reader, writer)
        assert (await client._frame()).startswith("0")
        client._send("40")
        while not (answer := await client._frame()).startswith("4"):
            pass
        assert answer.startswith("40"), answer
        return client

    def _send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        assert len(payload) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    async def _frame(self) -> str:
        first, second = await self.reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(await self.reader.readexactly(2))
        elif size == 127:
            size = int.from_bytes(await self.reader.readexactly(8))
        data = await self.reader.readexactly(size)
        return data.decode() if first & 0x0F == 1 else ""

    async def dropped_within(self, timeout: float) -> bool:
        """True once the server has hung up (reading now, to see the end of the stream)."""
        try:
            async with asyncio.timeout(timeout):
                while await self.reader.read(1 << 16):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    def close(self) -> None:
        self.writer.close()
