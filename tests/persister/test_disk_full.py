"""The persister on a full disk: it acknowledges nothing it has not written, leaves no torn line,
says so (``/readyz``, metrics), and catches up by itself once space returns.

The rooms folder is a 2 MB tmpfs (the tests run as root); a filler file takes its space and
deleting it gives the space back.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from minitalk_local.system import LocalSystem
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import MESSAGES, RECORD, ROOMS, decode_line, index_path_of
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from ..chat_clients import ChatClient, bearer, signup_login
from ..telemetry.receivers import OtlpCollector, ThreadedServer
from .support import (
    Stored,
    acked_floor,
    as_stored,
    assert_files_hold,
    by_room,
    create_rooms,
    history,
    room_lines,
    send_messages,
    stats,
    wait_acked,
)
from .test_roomfile import lines, message, page
from .tmpfs import fill, tmpfs

pytestmark = pytest.mark.timeout(300)

CHAT_ROOMS = [f"room-{i}" for i in range(6)]
#: Quick retries, so the catch-up after the space returns comes within about a second.
RETRY = {"MINITALK_RETRY_MIN_S": "0.2", "MINITALK_DISK_RETRY_MAX_S": "1"}
#: Free bytes the filler leaves: a few room-file lines' worth.
LEFT = 16 * 1024


def test_a_write_the_full_disk_refuses_is_cut_back_and_done_once_space_returns(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "rooms", size="256k") as rooms:
        room = RoomFile.open(rooms, "general")
        room.append([message("general", 1)])
        filler = fill(rooms, leave=8 * 1024)
        seq, refused = 1, None
        while refused is None:
            batch = [message("general", s) for s in range(seq + 1, seq + 8)]
            try:
                assert room.append(batch).written == len(batch)
                seq += len(batch)
            except OSError as exc:
                refused = exc
            assert seq < 10_000, "the disk never filled up"
        assert refused.errno == errno.ENOSPC
        assert not room.damaged

        # The files hold exactly the whole lines (and records) the room's position counts.
        assert lines(room.path) == [(MESSAGES, s) for s in range(1, seq + 1)]
        assert room.path.stat().st_size == room.size
        assert index_path_of(rooms, "general").stat().st_size == seq * RECORD.size
        assert RoomFile.open(rooms, "general").position == room.position
        assert page(room, limit=3) == [seq - 2, seq - 1, seq]

        filler.unlink()
        assert room.append(batch).written == len(batch)
        assert lines(room.path) == [(MESSAGES, s) for s in range(1, seq + len(batch) + 1)]
        assert RoomFile.open(rooms, "general").position == room.position


@pytest.fixture
def collector() -> Iterator[tuple[OtlpCollector, str]]:
    received = OtlpCollector()
    server = ThreadedServer(received.routes())
    server.start()
    yield received, server.url
    server.stop()


@pytest.fixture
def rooms_dir(system: LocalSystem) -> Iterator[Path]:
    """The persister's rooms folder on a 2 MB tmpfs (the persister is killed before umount)."""
    with tmpfs(system.data_dir / "rooms") as path:
        try:
            yield path
        finally:
            if "persister" in system.procs:
                system.procs["persister"].kill()


async def test_a_full_disk_acks_nothing_unwritten_and_the_files_catch_up_once_freed(
    system: LocalSystem,
    js: JetStreamContext,
    nc: NATS,
    rooms_dir: Path,
    collector: tuple[OtlpCollector, str],
) -> None:
    received, url = collector
    created = await create_rooms(js, CHAT_ROOMS)
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_METRIC_EXPORT_INTERVAL": "300"}
    await asyncio.to_thread(system.start_service, "persister", env={**RETRY, **otel})
    sent = await send_messages(js, CHAT_ROOMS, 60)
    await wait_acked(js)
    filler, reason = await _fill_until_refused(system, js, rooms_dir, sent)
    assert reason.startswith("not ready: disk full: "), reason
    assert str(rooms_dir) in reason, reason
    async with httpx.AsyncClient(base_url=system.http("persister")) as client:
        assert (await client.get("/healthz")).status_code == 200  # alive: do not restart it

    # JetStream still stores what is sent; the persister writes none of it, acks none of it.
    sent += await send_messages(js, CHAT_ROOMS, 120)
    await asyncio.sleep(3)  # a few more attempts
    floor = await acked_floor(js, MESSAGES)
    on_disk = await _whole_prefixes(rooms_dir, by_room(sent), floor)
    assert floor < max(s.seq for s in sent)
    assert (await stats(system))["streams"][MESSAGES]["write_errors"] >= 2
    assert await _not_ready(system) == reason

    # History answers at once with what is written (at least what was there a moment ago).
    started = time.monotonic()
    page_ = await history(nc, {"roomId": "room-0", "limit": 100})
    assert time.monotonic() - started < 3
    seqs = [m["seq"] for m in page_["messages"]]
    room_0 = [s.seq for s in by_room(sent)["room-0"]]
    end = room_0.index(seqs[-1]) + 1
    assert end >= len(on_disk["room-0"])
    assert seqs == room_0[max(0, end - 100) : end]

    await _eventually(lambda: _last(received, "minitalk.persister.disk_full") == 1)
    await _eventually(lambda: _total(received, "minitalk.persister.write_errors") >= 2)

    freed = time.monotonic()
    filler.unlink()
    await wait_acked(js, timeout=120)
    recovered = time.monotonic() - freed
    assert_files_hold(system.data_dir, by_room(sent), by_room(created))
    assert await _not_ready(system) is None
    totals = (await stats(system))["streams"][MESSAGES]
    assert totals["written"] == len(sent)
    await _eventually(lambda: _last(received, "minitalk.persister.disk_full") == 0)
    print(f"disk full: {len(sent)} messages, all in their files {recovered:.1f}s after freeing")


async def test_sigterm_on_a_full_disk_exits_at_once_and_the_next_run_catches_up(
    system: LocalSystem, js: JetStreamContext, rooms_dir: Path
) -> None:
    created = await create_rooms(js, CHAT_ROOMS)
    await asyncio.to_thread(system.start_service, "persister", env=RETRY)
    sent = await send_messages(js, CHAT_ROOMS, 60)
    await wait_acked(js)
    filler, _ = await _fill_until_refused(system, js, rooms_dir, sent)

    assert await asyncio.to_thread(system.procs["persister"].stop) == 0
    await _whole_prefixes(rooms_dir, by_room(sent), await acked_floor(js, MESSAGES))

    filler.unlink()
    await asyncio.to_thread(system.start_service, "persister", env=RETRY)
    await wait_acked(js, timeout=120)
    assert_files_hold(system.data_dir, by_room(sent), by_room(created))


async def test_users_chat_on_while_the_disk_is_full_and_history_catches_up_once_freed(
    system: LocalSystem, rooms_dir: Path
) -> None:
    """Through realtime and rooms, with the default retry settings: sends are acked and
    delivered live (JetStream stores them), history answers with what is written."""
    await asyncio.to_thread(system.start_all)
    async with (
        httpx.AsyncClient(base_url=system.http("auth")) as auth,
        httpx.AsyncClient(base_url=system.http("rooms")) as rooms,
    ):
        alice, bob = await signup_login(auth, "alice"), await signup_login(auth, "bob")
        made = await rooms.post(
            "/api/chatrooms", json={"name": "r", "participants": ["bob"]}, headers=bearer(alice)
        )
        room = made.json()["roomId"]
        sender = await ChatClient("alice", alice).connect(system.http("realtime"))
        reader = await ChatClient("bob", bob).connect(system.http("realtime"))
        try:
            acked = [await _send(sender, room, 0)]
            await _eventually(lambda: len(_files_seqs(rooms_dir, room)) == 1)
            filler = fill(rooms_dir, leave=LEFT)
            while await _not_ready(system) is None:
                assert len(acked) < 5_000, "the persister never reported the full disk"
                acked += [await _send(sender, room, len(acked)) for _ in range(20)]
            acked += [await _send(sender, room, len(acked)) for _ in range(20)]
            await reader.wait_for_count(room, len(acked))
            assert reader.seqs(room) == acked

            started = time.monotonic()
            written = await _history(rooms, room, bob)
            assert time.monotonic() - started < 3
            assert written == acked[: len(written)]
            assert len(written) < len(acked)

            await asyncio.sleep(8)  # full long enough for the retry delay to reach its cap
            freed = time.monotonic()
            filler.unlink()
            while await _history(rooms, room, bob) != acked:
                assert time.monotonic() - freed < 60, "history did not catch up"
                await asyncio.sleep(0.2)
            recovered = time.monotonic() - freed
            assert await _not_ready(system) is None
        finally:
            await sender.close()
            await reader.close()
    print(f"disk full under chat: {len(acked)} acked, all in history {recovered:.1f}s after")


async def _send(client: ChatClient, room: str, i: int) -> int:
    ack = await client.send(room, f"message {i}")
    assert ack["ok"], ack
    seq: int = ack["seq"]
    return seq


async def _history(rooms: httpx.AsyncClient, room: str, token: str) -> list[int]:
    """Every message of ``room`` in history, page by page (``after=``)."""
    seqs: list[int] = []
    while True:
        url = f"/api/chatrooms/{room}/messages?limit=100&after={seqs[-1] if seqs else 0}"
        page = await rooms.get(url, headers=bearer(token))
        assert page.status_code == 200, page.text
        seqs += [m["seq"] for m in page.json()]
        if len(page.json()) < 100:
            return seqs


def _files_seqs(rooms_dir: Path, room: str) -> list[int]:
    return [line.seq for line in room_lines(rooms_dir.parent, room)]


async def _fill_until_refused(
    system: LocalSystem, js: JetStreamContext, rooms_dir: Path, sent: list[Stored]
) -> tuple[Path, str]:
    """Fill the rooms folder but ``LEFT`` bytes, then send (adding to ``sent``) until the
    persister says it cannot write; the filler file and its /readyz error."""
    filler = fill(rooms_dir, leave=LEFT)
    while (reason := await _not_ready(system)) is None:
        assert len(sent) < 20_000, "the persister never reported the full disk"
        sent += await send_messages(js, CHAT_ROOMS, 60)
        await asyncio.sleep(0.2)
    return filler, reason


async def _not_ready(system: LocalSystem) -> str | None:
    """The persister's /readyz error, or None while it is ready."""
    async with httpx.AsyncClient(base_url=system.http("persister")) as client:
        response = await client.get("/readyz")
    if response.status_code == 200:
        return None
    assert response.status_code == 503, response.text
    error: str = response.json()["error"]
    return error


async def _whole_prefixes(
    rooms_dir: Path, expected: Mapping[str, list[Stored]], floor: int
) -> dict[str, list[Stored]]:
    """Each room's files: whole lines with matching index records, a prefix of what was sent
    that holds every event up to the ack floor. A failing check is looked at again a moment
    later: a write the disk refuses is cut back right after it fails, and must not stay."""
    for attempt in range(5):
        try:
            return _check_files(rooms_dir, expected, floor)
        except AssertionError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.3)
    raise AssertionError("unreachable")


def _check_files(
    rooms_dir: Path, expected: Mapping[str, list[Stored]], floor: int
) -> dict[str, list[Stored]]:
    found = {}
    for room, events in expected.items():
        data = (rooms_dir / f"{room}.jsonl").read_bytes()
        assert not data or data.endswith(b"\n"), f"{room}: a torn last line"
        on_disk = as_stored(room, room_lines(rooms_dir.parent, room), MESSAGES)
        assert on_disk == events[: len(on_disk)], f"{room}: not what was sent, in order"
        assert all(s.seq > floor for s in events[len(on_disk) :]), f"{room}: acked, not written"
        _check_index(rooms_dir, room, data)
        assert (rooms_dir / f"{room}.events.jsonl").read_bytes().endswith(b"\n")
        assert len(room_lines(rooms_dir.parent, room, ROOMS)) == 1
        found[room] = on_disk
    return found


def _check_index(rooms_dir: Path, room: str, data: bytes) -> None:
    index = index_path_of(rooms_dir, room).read_bytes()
    assert len(index) % RECORD.size == 0, f"{room}: a torn index record"
    offset = 0
    for i, line in enumerate(data.splitlines(keepends=True)):
        seq, _, start, length = RECORD.unpack_from(index, i * RECORD.size)
        assert (seq, start, length) == (decode_line(line).seq, offset, len(line)), room
        offset += len(line)
    assert len(index) == RECORD.size * len(data.splitlines()), f"{room}: index length"


def _last(received: OtlpCollector, name: str) -> float | None:
    points = received.metric("minitalk-persister", name)
    return points[-1].value if points else None


def _total(received: OtlpCollector, name: str) -> float:
    return sum(p.value for p in _latest_by_attributes(received.metric("minitalk-persister", name)))


def _latest_by_attributes(points: list[Any]) -> list[Any]:
    latest: dict[tuple[tuple[str, Any], ...], Any] = {}
    for point in points:
        latest[tuple(sorted(point.attributes.items()))] = point
    return list(latest.values())


async def _eventually(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout}s: {check}"
        await asyncio.sleep(0.1)
