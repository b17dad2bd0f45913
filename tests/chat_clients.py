"""Chat clients as users run them: httpx for REST, python-socketio with ``?token=``."""

from __future__ import annotations

from typing import Any

import httpx

from .realtime.clients import Client

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


class ChatClient(Client):
    """A user's Socket.IO connection that keeps its token and reconnects by itself, as the web
    app does; records every event it receives (``tests/realtime/clients.Client``)."""

    def __init__(self, username: str, token: str) -> None:
        super().__init__(username, reconnection=True)
        self.token = token

    async def connect(
        self,
        base_url: str,
        token: str | None = None,
        transports: list[str] | None = None,
        **kwargs: Any,
    ) -> ChatClient:
        await super().connect(base_url, token or self.token, transports, **kwargs)
        return self

    def seqs(self, room_id: str) -> list[int]:
        return [m["seq"] for m in self.messages(room_id)]

    async def wait_for_count(self, room_id: str, count: int, timeout: float = 20) -> None:
        await self.wait_until(lambda: len(self.seqs(room_id)) >= count, timeout)
