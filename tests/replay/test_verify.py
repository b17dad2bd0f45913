"""Issue 7: ``verify`` finds every difference between the room files and the streams."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

from ..persister.support import create_rooms, send_messages, start_persister, wait_acked
from .support import replay

ROOMS = ["lobby", "attic", "cellar"]


@pytest.fixture
async def written(system: LocalSystem, js: JetStreamContext) -> Path:
    """The persister's files of 3 rooms with 60 messages, the persister stopped."""
    await create_rooms(js, ROOMS)
    await send_messages(js, ROOMS, 60, concurrency=1)
    await start_persister(system)
    await wait_acked(js)
    await asyncio.to_thread(system.stop, "persister")
    return system.data_dir


def tampered(data: Path, to: Path, name: str, change: Callable[[list[bytes]], None]) -> Path:
    """A copy of the data folder whose file ``name`` has its lines changed by ``change``."""
    shutil.copytree(data / "rooms", to / "rooms")
    path = to / "rooms" / name
    lines = path.read_bytes().splitlines(keepends=True)
    change(lines)
    path.write_bytes(b"".join(lines))
    return to


def seq_of(line: bytes) -> int:
    return int(line.split(b'"seq":')[1].split(b",")[0])


async def test_files_that_match_the_streams_pass(system: LocalSystem, written: Path) -> None:
    result = await replay("verify", "--data", written, url=system.nats_url)
    assert result.exit_code == 0, result.output
    assert "exactly what the streams hold" in result.output


async def test_a_deleted_line_is_reported_with_its_room_and_seq(
    system: LocalSystem, written: Path, tmp_path: Path
) -> None:
    lines = (written / "rooms" / "attic.jsonl").read_bytes().splitlines()
    gone = seq_of(lines[7])
    data = tampered(written, tmp_path, "attic.jsonl", lambda lines: lines.pop(7))

    result = await replay("verify", "--data", data, url=system.nats_url)
    assert result.exit_code == 1, result.output
    assert _row(result.output, "attic", "MESSAGES", "missing", str(gone))
    assert _row(result.output, "attic", "MESSAGES", "index differs")


async def test_a_duplicated_line_is_reported_with_its_room_and_seq(
    system: LocalSystem, written: Path, tmp_path: Path
) -> None:
    lines = (written / "rooms" / "lobby.jsonl").read_bytes().splitlines()
    twice = seq_of(lines[3])
    data = tampered(written, tmp_path, "lobby.jsonl", lambda lines: lines.insert(4, lines[3]))

    result = await replay("verify", "--data", data, url=system.nats_url)
    assert result.exit_code == 1, result.output
    assert _row(result.output, "lobby", "MESSAGES", "duplicate", str(twice))


async def test_two_swapped_lines_are_reported_with_their_room_and_seq(
    system: LocalSystem, written: Path, tmp_path: Path
) -> None:
    lines = (written / "rooms" / "cellar.jsonl").read_bytes().splitlines()
    earlier = seq_of(lines[10])

    def swap(lines: list[bytes]) -> None:
        lines[10], lines[11] = lines[11], lines[10]

    data = tampered(written, tmp_path, "cellar.jsonl", swap)
    result = await replay("verify", "--data", data, url=system.nats_url)
    assert result.exit_code == 1, result.output
    assert _row(result.output, "cellar", "MESSAGES", "out of order", str(earlier))


async def test_a_missing_room_event_and_a_changed_line_are_reported(
    system: LocalSystem, written: Path, tmp_path: Path
) -> None:
    shutil.copytree(written / "rooms", tmp_path / "rooms")
    (tmp_path / "rooms" / "lobby.events.jsonl").unlink()
    changed = tmp_path / "rooms" / "attic.jsonl"
    changed.write_bytes(changed.read_bytes().replace(b'"content":"m1"', b'"content":"m9"'))

    result = await replay("verify", "--data", tmp_path, url=system.nats_url)
    assert result.exit_code == 1, result.output
    assert _row(result.output, "lobby", "ROOMS", "missing", "1")
    assert _row(result.output, "attic", "MESSAGES", "line differs", "2")


async def test_what_the_age_limit_removed_is_reported_but_no_error(
    system: LocalSystem, js: JetStreamContext, written: Path
) -> None:
    await js.purge_stream("MESSAGES", seq=31)  # as the age limit would: seqs 1..30 gone

    result = await replay("verify", "--data", written, url=system.nats_url)
    assert result.exit_code == 0, result.output
    summary = _row(result.output, "MESSAGES", "31..60")
    assert summary.split()[-3:] == ["30", "0", "0"]  # aged out, pending, problems


def _row(output: str, *cells: str) -> str:
    """The first table row holding every one of ``cells`` (as whole cells)."""
    for line in output.splitlines():
        found = [c.strip() for c in line.split("│")]
        if all(cell in found for cell in cells):
            return " ".join(c for c in found if c)
    raise AssertionError(f"no row with {cells} in:\n{output}")
