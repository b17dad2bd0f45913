"""A lean Socket.IO v5 client (Engine.IO 4, websocket transport only) over aiohttp.

python-socketio's ``AsyncClient`` keeps an Engine.IO client, a task set and a ping loop per
connection; the load generator holds thousands of sockets per process, so it speaks the frames
itself: ``0{open}``, ``40`` connect / ``44`` refused, ``2``/``3`` ping-pong, ``42[event,data]``
events and ``42<id>[...]`` / ``43<id>[...]`` calls with acknowledgements.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec

#: (event name, first argument, receive time ns) for every server event.
EventHandler = Callable[[str, Any, int], None]

_decode = msgspec.json.decode
_encode = msgspec.json.encode


class Refused(Exception):
    """The server refused the Socket.IO connection (``44{message}``) or closed the handshake."""


def socket_url(base_url: str, query: dict[str, str] | None = None) -> str:
    """``ws(s)://host/socket.io/?EIO=4&transport=websocket&...`` for an ``http(s)://`` origin."""
    origin = base_url.rstrip("/")
    if origin.startswith("http"):
        origin = "ws" + origin[4:]
    params = {"EIO": "4", "transport": "websocket", **(query or {})}
    return f"{origin}/socket.io/?{urlencode(params)}"


class SioConnection:
    """One Socket.IO connection: ``connect``, ``call`` (event with ack), ``close``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        on_event: EventHandler,
        on_close: Callable[[SioConnection], None] | None = None,
    ) -> None:
        self._session = session
        self._url = url
        self._on_event = on_event
        self._on_close = on_close
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self.connected = False

    async def connect(self, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            self._ws = await self._session.ws_connect(self._url, max_msg_size=0, compress=0)
            opened = await self._ws.receive_str()
            if not opened.startswith("0"):
                raise Refused(f"expected an Engine.IO open packet, got {opened[:80]!r}")
            await self._ws.send_str("40")
            while True:
                frame = await self._ws.receive()
                if frame.type != aiohttp.WSMsgType.TEXT:
                    raise Refused(f"connection closed during the handshake ({frame.type.name})")
                if frame.data == "2":
                    await self._ws.send_str("3")
                elif frame.data.startswith("40"):
                    break
                elif frame.data.startswith("44"):
                    raise Refused(str(_decode(frame.data[2:]).get("message", frame.data)))
        self.connected = True
        self._reader = asyncio.create_task(self._read())

    def call(self, event: str, data: Any) -> asyncio.Future[Any]:
        """Emit ``event`` asking for an acknowledgement; the future gets its first argument."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._ws is None or not self.connected:
            future.set_exception(ConnectionError("not connected"))
            return future
        self._next_id += 1
        ack_id = self._next_id
        self._acks[ack_id] = future
        frame = f"42{ack_id}" + _encode([event, data]).decode()
        task = asyncio.ensure_future(self._ws.send_str(frame))
        task.add_done_callback(lambda t: self._send_failed(ack_id, t))
        return future

    def emit(self, event: str, data: Any) -> asyncio.Future[None]:
        """Emit ``event`` without asking for an acknowledgement; done once written."""
        if self._ws is None or not self.connected:
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            failed.set_exception(ConnectionError("not connected"))
            return failed
        return asyncio.ensure_future(self._ws.send_str("42" + _encode([event, data]).decode()))

    def _send_failed(self, ack_id: int, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            future = self._acks.pop(ack_id, None)
            if future is not None and not future.done():
                future.set_exception(ConnectionError(str(task.exception())))

    async def _read(self) -> None:
        assert self._ws is not None
        ws = self._ws
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                data: str = frame.data
                if data.startswith("42"):
                    now = time.time_ns()
                    body = data[2:]
                    if not body.startswith("["):
                        body = body[body.index("[") :]
                    event = _decode(body)
                    self._on_event(event[0], event[1] if len(event) > 1 else None, now)
                elif data.startswith("43"):
                    split = data.index("[")
                    future = self._acks.pop(int(data[2:split]), None)
                    if future is not None and not future.done():
                        args = _decode(data[split:])
                        future.set_result(args[0] if args else None)
                elif data == "2":
                    await ws.send_str("3")
                elif data.startswith("41") or data == "1":
                    break
        except (aiohttp.ClientError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            await self._closed()

    async def _closed(self) -> None:
        was_connected, self.connected = self.connected, False
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("connection closed"))
        self._acks.clear()
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if was_connected and self._on_close is not None:
            self._on_close(self)

    async def close(self) -> None:
        """Close from this side (the server sees the socket go away)."""
        self.connected = False
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
