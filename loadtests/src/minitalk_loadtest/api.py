"""The REST calls the load test makes through the edge: batch sign-up/login, rooms, history."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp

#: The most users one sign-up or login batch may hold (auth answers 413 above it).
AUTH_BATCH = 1000
#: The most rooms one chatrooms-batch request may hold (rooms' default limit).
ROOMS_BATCH = 1000
HISTORY_PAGE = 100


class ApiError(Exception):
    pass


class Api:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout_s: float) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def _call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self._session.request(
            method, self._base + path, headers=headers, timeout=self._timeout, **kwargs
        ) as resp:
            body = await resp.json(content_type=None)
            return resp.status, body

    async def _auth_batch(self, path: str, usernames: Sequence[str], password: str) -> Any:
        users = [{"username": name, "password": password} for name in usernames]
        status, body = await self._call("POST", path, json={"users": users})
        if status not in (200, 201):
            raise ApiError(f"{path}: HTTP {status} {body}")
        if body.get("errors"):
            raise ApiError(f"{path}: {len(body['errors'])} failed, e.g. {body['errors'][0]}")
        return body

    async def signup(self, usernames: Sequence[str], password: str) -> None:
        for start in range(0, len(usernames), AUTH_BATCH):
            chunk = usernames[start : start + AUTH_BATCH]
            await self._auth_batch("/api/auth/signup-batch", chunk, password)

    async def login(self, usernames: Sequence[str], password: str) -> dict[str, str]:
        tokens: dict[str, str] = {}
        for start in range(0, len(usernames), AUTH_BATCH):
            chunk = usernames[start : start + AUTH_BATCH]
            body = await self._auth_batch("/api/auth/login-batch", chunk, password)
            tokens.update({r["username"]: r["token"] for r in body["results"]})
        return tokens

    async def create_rooms(self, token: str, rooms: Sequence[dict[str, Any]]) -> list[str]:
        """Create ``rooms`` ({name, participants}) as the token's user; their ids in order."""
        ids: list[str] = []
        for start in range(0, len(rooms), ROOMS_BATCH):
            chunk = list(rooms[start : start + ROOMS_BATCH])
            status, body = await self._call(
                "POST", "/api/chatrooms-batch", token, json={"rooms": chunk}
            )
            if status != 201 or body.get("errors"):
                raise ApiError(f"chatrooms-batch: HTTP {status} {body}")
            ids += [room["roomId"] for room in body["created"]]
        return ids

    async def history(
        self, token: str, room_id: str, after: int = 0, since: str | None = None
    ) -> list[dict[str, Any]]:
        """Every message of the room after stream sequence ``after`` (and at or after the ISO
        time ``since``), oldest first."""
        found: list[dict[str, Any]] = []
        while True:
            params = {"after": str(after), "limit": str(HISTORY_PAGE)}
            if since is not None:
                params["since"] = since
            for attempt in range(5):
                try:
                    status, page = await self._call(
                        "GET", f"/api/chatrooms/{room_id}/messages", token, params=params
                    )
                except (aiohttp.ClientError, TimeoutError) as exc:  # a reset keep-alive
                    status, page = 0, repr(exc)
                if status == 200:
                    break
                await asyncio.sleep(0.2 * (attempt + 1))
            else:
                raise ApiError(f"history of {room_id}: HTTP {status} {page}")
            found += page
            if len(page) < HISTORY_PAGE:
                return found
            after = page[-1]["seq"]
