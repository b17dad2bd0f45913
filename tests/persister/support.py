"""Helpers of the persister tests: publish events, start the persister, read its room files."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from minitalk_common import bus, events, subjects
from minitalk_common.chat import history as chat_history
from minitalk_local.system import LocalSystem
from minitalk_persister.roomfile import MESSAGES, ROOMS, Line, decode_line, path_of
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext


@dataclass(frozen=True)
class Stored:
    """An event JetStream acknowledged: its room, stream sequence and id."""

    room_id: str
    seq: int
    id: str


async def publish(js: JetStreamContext, subject: str, event: events.Event) -> Stored:
    """Publish until acked; a resend keeps the event id, so it is stored at most once."""
    for attempt in range(5):
        try:
            ack = await bus.publish_event(js, subject, event)
        except (TimeoutError, OSError):
            if attempt == 4:
                raise
            continue
        return Stored(subjects.room_of(subject), ack.seq, event.id)
    raise AssertionError("unreachable")


async def create_rooms(js: JetStreamContext, rooms: Sequence[str]) -> list[Stored]:
    created = []
    for room in rooms:
        event = events.RoomCreated(actor="alice", room_id=room, name=room, participants=("alice",))
        created.append(await publish(js, subjects.room_subject(room), event))
    return created


async def send_messages(
    js: JetStreamContext, rooms: Sequence[str], count: int, concurrency: int = 64
) -> list[Stored]:
    """``count`` messages spread over ``rooms``, published ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> Stored:
        room = rooms[i % len(rooms)]
        event = events.MessageSent(actor="alice", room_id=room, sender="alice", content=f"m{i}")
        async with gate:
            return await publish(js, subjects.message_subject(room), event)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def start_persister(system: LocalSystem, **env: str) -> None:
    settings = {f"MINITALK_{key.upper()}": value for key, value in env.items()}
    await asyncio.to_thread(system.start_service, "persister", env=settings)


async def stats(system: LocalSystem) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.http("persister")) as client:
        response = await client.get("/stats")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


async def wait_written(system: LocalSystem, lines: int, timeout: float = 60) -> None:
    """Wait until the running persister has written ``lines`` MESSAGES lines."""
    deadline = time.monotonic() + timeout
    while (await stats(system))["streams"][MESSAGES]["written"] < lines:
        assert time.monotonic() < deadline, "the persister wrote too little"
        await asyncio.sleep(0.05)


async def wait_acked(js: JetStreamContext, timeout: float = 90) -> None:
    """Wait until both consumers acknowledged everything their streams hold."""
    deadline = time.monotonic() + timeout
    for stream in (MESSAGES, ROOMS):
        last = (await js.stream_info(stream)).state.last_seq
        while True:
            info = await js.consumer_info(stream, f"persister-{stream.lower()}-0")
            if info.ack_floor and info.ack_floor.stream_seq >= last and not info.num_ack_pending:
                break
            assert time.monotonic() < deadline, f"{stream} not acknowledged up to {last}: {info}"
            await asyncio.sleep(0.1)


async def acked_floor(js: JetStreamContext, stream: str) -> int:
    info = await js.consumer_info(stream, f"persister-{stream.lower()}-0")
    return info.ack_floor.stream_seq if info.ack_floor else 0


def room_lines(data_dir: Path, room: str, stream: str = MESSAGES) -> list[Line]:
    """The lines of ``room``'s file of ``stream`` (``<room>.jsonl`` or ``<room>.events.jsonl``)."""
    path = path_of(data_dir / "rooms", room, stream)
    return [decode_line(raw) for raw in path.read_bytes().splitlines()] if path.exists() else []


def as_stored(room: str, lines: Sequence[Line], stream: str) -> list[Stored]:
    found = []
    for line in lines:
        assert line.stream == stream
        event = events.decode(bytes(line.event))
        found.append(Stored(room, line.seq, event.id))
    return found


def by_room(stored: Sequence[Stored], up_to: int | None = None) -> dict[str, list[Stored]]:
    rooms: dict[str, list[Stored]] = defaultdict(list)
    for item in sorted(stored, key=lambda s: s.seq):
        if up_to is None or item.seq <= up_to:
            rooms[item.room_id].append(item)
    return rooms


def assert_files_hold(
    data_dir: Path, messages: Mapping[str, list[Stored]], rooms: Mapping[str, list[Stored]]
) -> None:
    """Every room file holds exactly these events, each once, in sequence order."""
    files = {p.name for p in (data_dir / "rooms").iterdir()}
    expected = {f"{r}.jsonl" for r in messages} | {f"{r}.idx" for r in messages}
    assert files == expected | {f"{r}.events.jsonl" for r in rooms}
    for room in {*messages, *rooms}:
        assert as_stored(room, room_lines(data_dir, room), MESSAGES) == messages.get(room, [])
        lines = room_lines(data_dir, room, ROOMS)
        assert as_stored(room, lines, ROOMS) == rooms.get(room, [])


async def history(nc: NATS, request: object, partition: int = 0) -> dict[str, Any]:
    body = request if isinstance(request, bytes) else json.dumps(request).encode()
    """``{"messages": [...]}`` for a page, ``{"error": ..., "code": ...}`` for a refusal."""
    reply = await nc.request(subjects.history_subject(partition), body, timeout=10)
    code = (reply.headers or {}).get(chat_history.ERROR_HEADER)
    if code is None:
        return {"messages": json.loads(reply.data)}
    return {**json.loads(reply.data), "code": code}
