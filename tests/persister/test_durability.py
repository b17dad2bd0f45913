"""The persister process under crashes, shutdowns and bursts: nothing acked is lost or doubled."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from minitalk_common import subjects
from minitalk_local.system import LocalSystem
from minitalk_persister.roomfile import MESSAGES, ROOMS, make_entry
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from .support import (
    acked_floor,
    assert_files_hold,
    by_room,
    create_rooms,
    history,
    room_lines,
    send_messages,
    start_persister,
    stats,
    wait_acked,
    wait_written,
)

#: A short ack wait, so what a killed process was delivered comes back quickly.
FAST_REDELIVERY = {"ack_wait_s": "3"}


async def test_sigkill_twice_under_load_loses_and_doubles_nothing(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    rooms = [f"room-{i}" for i in range(50)]
    created = await create_rooms(js, rooms)
    await start_persister(system, **FAST_REDELIVERY)
    sending = asyncio.create_task(send_messages(js, rooms, 20_000))
    for _ in range(2):
        await wait_written(system, 1_000)  # killed in the middle of its work
        system.procs["persister"].kill()
        await start_persister(system, **FAST_REDELIVERY)
    sent = await sending
    await wait_acked(js)

    assert_files_hold(system.data_dir, by_room(sent), by_room(created))
    last = by_room(sent)["room-7"][-100:]
    page = await history(nc, {"roomId": "room-7", "limit": 100})
    assert [(m["seq"], m["id"]) for m in page["messages"]] == [(s.seq, s.id) for s in last]


async def test_a_burst_is_written_in_few_large_batches(
    system: LocalSystem, js: JetStreamContext
) -> None:
    rooms = [f"room-{i}" for i in range(10)]
    await create_rooms(js, rooms)
    await send_messages(js, rooms, 10_000, concurrency=256)
    await start_persister(system)
    await wait_written(system, 10_000)

    messages = (await stats(system))["streams"][MESSAGES]
    assert messages["written"] == 10_000
    assert messages["flushes"] <= 120
    assert messages["fsyncs"] <= 120 * len(rooms) * 2


async def test_sigterm_under_load_exits_cleanly_and_keeps_everything_acked(
    system: LocalSystem, js: JetStreamContext
) -> None:
    rooms = [f"room-{i}" for i in range(10)]
    created = await create_rooms(js, rooms)
    await start_persister(system)
    sending = asyncio.create_task(send_messages(js, rooms, 5_000))
    await wait_written(system, 1_000)
    assert await asyncio.to_thread(system.procs["persister"].stop) == 0

    # Everything the persister acknowledged before it exited is in the files already.
    floor = await acked_floor(js, MESSAGES)
    sent = await sending
    assert floor >= 1_000
    assert_files_hold(system.data_dir, by_room(sent, up_to=floor), by_room(created))

    await start_persister(system)
    await wait_acked(js)
    assert_files_hold(system.data_dir, by_room(sent), by_room(created))


async def test_a_torn_last_line_is_repaired_and_nothing_valid_is_lost(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    created = await create_rooms(js, ["lobby"])
    first = await send_messages(js, ["lobby"], 30)
    await start_persister(system)
    await wait_acked(js)
    assert await asyncio.to_thread(system.procs["persister"].stop) == 0

    # Stored while the persister was down, then a crash in the middle of writing the first:
    later = await send_messages(js, ["lobby"], 5, concurrency=1)
    raw = await js.get_msg(subjects.MESSAGES_STREAM, later[0].seq)
    line = make_entry(MESSAGES, raw.subject or "", later[0].seq, raw.data or b"", raw.headers)
    path = system.data_dir / "rooms" / "lobby.jsonl"
    with path.open("ab") as f:
        f.write(line.line[: len(line.line) // 2])

    await start_persister(system)
    await wait_acked(js)
    assert path.read_bytes().endswith(b"}\n")
    stored = by_room(first + later)["lobby"]
    assert [x.seq for x in room_lines(system.data_dir, "lobby")] == [s.seq for s in stored]
    assert [x.seq for x in room_lines(system.data_dir, "lobby", ROOMS)] == [created[0].seq]
    page = await history(nc, {"roomId": "lobby", "limit": 10})
    assert [m["id"] for m in page["messages"]] == [s.id for s in stored[-10:]]


async def test_a_failing_write_is_retried_until_it_succeeds(
    system: LocalSystem, js: JetStreamContext
) -> None:
    created = await create_rooms(js, ["blocked", "fine"])
    rooms_dir = system.data_dir / "rooms"
    blocked = [rooms_dir / "blocked.jsonl", rooms_dir / "blocked.events.jsonl"]
    for path in blocked:
        path.mkdir(parents=True)  # the room's files cannot be opened
    # Not ready while it cannot write (/readyz 503 "disk error: ..."): do not wait for that.
    env = {"MINITALK_RETRY_MIN_S": "0.1", "MINITALK_DISK_RETRY_MAX_S": "0.5"}
    await asyncio.to_thread(system.start_service, "persister", env=env, wait=False)
    sent = await send_messages(js, ["blocked", "fine"], 20)
    deadline = asyncio.get_running_loop().time() + 60
    for stream in (ROOMS, MESSAGES):
        while (await _stats_when_up(system))["streams"][stream]["write_errors"] < 3:
            assert asyncio.get_running_loop().time() < deadline, f"{stream} write never failed"
            await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=system.http("persister")) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert "disk error: cannot write the room files" in ready.json()["error"]

    for path in blocked:
        path.rmdir()
    await wait_acked(js)
    assert_files_hold(system.data_dir, by_room(sent), by_room(created))
    await asyncio.to_thread(system.wait_ready, "persister", 30)


async def _stats_when_up(system: LocalSystem) -> dict[str, Any]:
    """``/stats`` once the persister answers HTTP (it is started without waiting for it)."""
    while True:
        try:
            return await stats(system)
        except httpx.TransportError:
            await asyncio.sleep(0.1)
