"""Helpers of the replay tests: run the CLI, fill a running system through its API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import Result
from minitalk_local.system import LocalSystem
from minitalk_replay.cli import app
from nats.js import JetStreamContext
from typer.testing import CliRunner

from ..chat_clients import PASSWORD, ChatClient, bearer, signup_login
from ..persister.support import Stored, create_rooms, send_messages, start_persister, wait_acked


async def replay(*args: str | Path, url: str | None = None, **env: str) -> Result:
    """Run ``minitalk-replay ARGS`` (its typer app, in a thread: it runs its own event loop);
    ``env`` sets ``MINITALK_<NAME>`` variables."""
    argv = [str(a) for a in args]
    if url is not None:
        argv += ["--nats-url", url]
    runner = CliRunner()
    env = {
        "COLUMNS": "220",
        "MINITALK_NATS_URL": url or "nats://127.0.0.1:1",
        **{f"MINITALK_{name.upper()}": value for name, value in env.items()},
    }
    result = await asyncio.to_thread(runner.invoke, app, argv, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative name, with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@dataclass
class Chat:
    """What a test did through the API: users with tokens, rooms by name, messages by room."""

    tokens: dict[str, str] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=dict)
    sent: dict[str, list[str]] = field(default_factory=dict)


async def fill(system: LocalSystem, messages_per_room: int = 12) -> Chat:
    """Sign up alice, bob and carol, make two rooms, invite, leave, and chat over Socket.IO."""
    chat = Chat()
    async with (
        httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as auth,
        httpx.AsyncClient(base_url=system.http("rooms"), timeout=30) as rooms,
    ):
        for user in ("alice", "bob", "carol"):
            chat.tokens[user] = await signup_login(auth, user)
        chat.rooms["general"] = await _create(rooms, chat.tokens["alice"], "general", ["bob"])
        chat.rooms["side"] = await _create(rooms, chat.tokens["bob"], "side", ["carol"])
        general = chat.rooms["general"]
        await _post(rooms, f"/api/chatrooms/{general}/invite", chat.tokens["bob"], ["carol"])
        await _post(rooms, f"/api/chatrooms/{general}/leave", chat.tokens["carol"])
    url = system.http("realtime")
    clients = [await ChatClient(u, chat.tokens[u]).connect(url) for u in ("alice", "bob")]
    try:
        for i in range(messages_per_room):
            for name, sender in (("general", clients[i % 2]), ("side", clients[1])):
                content = f"{name} {i} from {sender.username}"
                await _send(sender, chat.rooms[name], content)
                chat.sent.setdefault(name, []).append(content)
    finally:
        for client in clients:
            await client.close()
    return chat


async def _create(rooms: httpx.AsyncClient, token: str, name: str, others: list[str]) -> str:
    made = await rooms.post(
        "/api/chatrooms", json={"name": name, "participants": others}, headers=bearer(token)
    )
    assert made.status_code == 201, made.text
    room_id: str = made.json()["roomId"]
    return room_id


async def _post(
    rooms: httpx.AsyncClient, path: str, token: str, users: list[str] | None = None
) -> None:
    body = {"participants": users} if users is not None else None
    done = await rooms.post(path, json=body, headers=bearer(token))
    assert done.status_code == 200, done.text


async def _send(client: ChatClient, room_id: str, content: str) -> None:
    """Send until acked: realtime may not know a room made a moment ago yet."""
    for _ in range(50):
        ack: Any = await client.send(room_id, content, client_msg_id=content)
        if ack.get("ok"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{content!r} was never acked: {ack}")


async def history(system: LocalSystem, token: str, room_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=system.http("rooms"), timeout=30) as rooms:
        got = await rooms.get(
            f"/api/chatrooms/{room_id}/messages", params={"limit": 100}, headers=bearer(token)
        )
        assert got.status_code == 200, got.text
        messages: list[dict[str, Any]] = got.json()
        return messages


async def my_rooms(system: LocalSystem, token: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=system.http("rooms"), timeout=30) as rooms:
        got = await rooms.get("/api/chatrooms", headers=bearer(token))
        assert got.status_code == 200, got.text
        listed: list[dict[str, Any]] = got.json()
        return listed


async def login(system: LocalSystem, username: str) -> str:
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as auth:
        done = await auth.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert done.status_code == 200, done.text
        token: str = done.json()["token"]
        return token


async def backed_up(system: LocalSystem, js: JetStreamContext, out: Path) -> list[Stored]:
    """lobby and attic with 20 messages, written by a persister, backed up to ``out``; the
    messages as published."""
    await create_rooms(js, ["lobby", "attic"])
    sent = await send_messages(js, ["lobby", "attic"], 20, concurrency=1)
    await start_persister(system)
    await wait_acked(js)
    saved = await replay("backup", "--out", out, "--data", system.data_dir, url=system.nats_url)
    assert saved.exit_code == 0, saved.output
    return sent
