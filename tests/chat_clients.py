"""Chat clients as users run them: httpx for REST, python-socketio with ``?token=``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signup_login(http: httpx.AsyncClient, username: str) -> str:
    body = {"username": username, "password": PASSWORD}
    created = await http.post("/api/auth/signup", json=body)
    assert created.status_code == 201, created.text
    login = await http.post("/api/auth/login", json=body)
    assert login.status_code == 200, login.text
    token: str = login.json()["token"]
    return token


@dataclass
class ChatClient:
    """One user's Socket.IO connection that records every ``message`` it receives."""

    username: str
    token: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    sio: socketio.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2)
        self.sio.on("message", self._on_message)
        self.sio.on("error", self._on_error)

    async def _on_message(self, data: dict[str, Any]) -> None:
        self.messages.append(data)

    async def _on_error(self, data: dict[str, Any]) -> None:
        self.errors.append(data)

    async def connect(self, base_url: str) -> ChatClient:
        await self.sio.connect(
            f"{base_url}?token={self.token}", transports=["websocket"], wait_timeout=10
        )
        return self

    async def send(self, room_id: str, content: str, client_msg_id: str | None = None) -> Any:
        payload: dict[str, Any] = {"roomId": room_id, "content": content}
        if client_msg_id is not None:
            payload["clientMsgId"] = client_msg_id
        return await self.sio.call("send_message", payload, timeout=15)

    def seqs(self, room_id: str) -> list[int]:
        return [m["seq"] for m in self.messages if m["roomId"] == room_id]

    async def wait_for_count(self, room_id: str, count: int, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while len(self.seqs(room_id)) < count:
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.sio.disconnect()
