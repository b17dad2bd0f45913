"""A python-socketio client that records every event it receives, as a user's app would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio


class _Http:
    """The aiohttp sessions a client's Engine.IO makes, and every response they got.

    python-engineio reads no body of a POST's response nor of a refused long-poll, and closes
    its session at a disconnect; a response whose body had not all arrived by then keeps its
    connection, and its garbage collection, whenever that is, warns "Unclosed connection"
    (a ResourceWarning: an error in whichever test runs then). The client closes them all."""

    def __init__(self) -> None:
        self.sessions: list[aiohttp.ClientSession] = []
        self.responses: list[aiohttp.ClientResponse] = []
        responses = self.responses

        class Tracked(aiohttp.ClientResponse):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                responses.append(self)

        self._response_class = Tracked

    def session(self) -> aiohttp.ClientSession:
        """A new session (python-engineio calls this whenever it needs one)."""
        made = aiohttp.ClientSession(response_class=self._response_class)
        self.sessions.append(made)
        return made

    async def close(self) -> None:
        for response in self.responses:
            response.close()
        for session in self.sessions:
            if not session.closed:
                await session.close()


class Client:
    def __init__(self, username: str, reconnection: bool = False) -> None:
        self.username = username
        self.events: list[tuple[str, Any]] = []
        self.connects = 0
        self.refusals: list[Any] = []
        self._http = _Http()
        self.sio = socketio.AsyncClient(
            reconnection=reconnection,
            reconnection_delay=0.2,
            reconnection_delay_max=1,
            http_session=self._http.session,
        )
        self.sio.on("*", self._record)
        self.sio.on("connect", self._connected)
        self.sio.on("connect_error", self._refused)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    async def _connected(self) -> None:
        self.connects += 1

    async def _refused(self, data: Any) -> None:
        self.refusals.append(data)

    async def connect(
        self, base_url: str, token: str | None, transports: list[str] | None = None, **kwargs: Any
    ) -> Client:
        """Connect with ``?token=`` in the URL (as the original clients), over WebSocket unless
        told otherwise (browsers start with long-polling, then upgrade)."""
        url = f"{base_url}?token={token}" if token is not None else base_url
        await self.sio.connect(
            url, transports=transports or ["websocket"], wait_timeout=15, **kwargs
        )
        return self

    def of(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    def messages(self, room_id: str) -> list[dict[str, Any]]:
        return [m for m in self.of("message") if m["roomId"] == room_id]

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=15)

    async def send(self, room_id: str, content: str, client_msg_id: str | None = None) -> Any:
        payload: dict[str, Any] = {"roomId": room_id, "content": content}
        if client_msg_id is not None:
            payload["clientMsgId"] = client_msg_id
        return await self.call("send_message", payload)

    async def wait_until(self, check: Callable[[], bool], timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.02)

    async def wait_for(self, name: str, count: int = 1) -> list[Any]:
        await self.wait_until(lambda: len(self.of(name)) >= count)
        return self.of(name)

    async def close(self) -> None:
        await self.sio.disconnect()
        # python-engineio's long-polling client can start one more request while it
        # disconnects (on a new session, from ``_Http.session``)
        await asyncio.sleep(0.05)
        await self._http.close()
