"""Issue 14, Must show 1 for the store: the persister SIGKILLed, nats-server (one node)
SIGKILLed and restarted by the runner, the persister's disk full then freed - each under chat
load through the edge: nothing acked lost or duplicated, every member socket gets every
message, REST works again. Their room files live on a small tmpfs so the disk can be filled."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..runner.support import Runner
from .conftest import started
from .faults import (
    USERS,
    back_after,
    chaos_run,
    fill,
    history_catches_up,
    kill,
    mount_tmpfs,
    not_in_history,
    umount,
)
from .load import ChatLoad, sign_up

pytestmark = pytest.mark.chaos

#: Every member socket has every acked message within this long of its ack (live or repaired).
BOUND_S = 30.0
#: How long the persister's disk stays full under load.
FULL_S = 10.0


@pytest.fixture(scope="module")
def rooms_dir(tmp_module: Path) -> Iterator[Path]:
    path = tmp_module / "data" / "rooms"  # where the persister writes (MINITALK_DATA_DIR/rooms)
    mount_tmpfs(path, "32m")
    try:
        yield path
    finally:
        umount(path)


@pytest.fixture(scope="module")
def runner(tmp_module: Path, rooms_dir: Path) -> Iterator[Runner]:
    yield from started(tmp_module)


@pytest.fixture(scope="module")
async def tokens(runner: Runner) -> dict[str, str]:
    return await sign_up(runner.url, f"s{os.getpid()}_", USERS)


async def test_persister_sigkilled_under_chat_load(runner: Runner, tokens: dict[str, str]) -> None:
    async def fault(load: ChatLoad) -> str:
        mark = kill(runner, "persister")
        back = await back_after(runner, "persister", mark)
        caught_up = await history_catches_up(load)
        return (
            f", runner: persister back after {back:.1f} s, history caught up "
            f"{caught_up:.1f} s later"
        )

    verdict = await chaos_run(runner, tokens, "persister SIGKILL", fault, 150, 20)
    verdict.check(BOUND_S)


async def test_nats_server_sigkilled_and_restarted_under_chat_load(
    runner: Runner, tokens: dict[str, str]
) -> None:
    async def fault(load: ChatLoad) -> str:
        mark = kill(runner, "nats")
        return f", runner: nats back after {await back_after(runner, 'nats', mark):.1f} s"

    verdict = await chaos_run(runner, tokens, "nats-server SIGKILL + restart", fault, 150, 35)
    verdict.check(BOUND_S)


async def test_persister_disk_full_then_freed_under_chat_load(
    runner: Runner, tokens: dict[str, str], rooms_dir: Path
) -> None:
    async def fault(load: ChatLoad) -> str:
        filler = rooms_dir / "filler"
        size = await asyncio.to_thread(fill, filler)
        await asyncio.sleep(FULL_S)
        behind = await not_in_history(load)
        filler.unlink()
        caught_up = await history_catches_up(load)
        return (
            f", disk full for {FULL_S:.0f} s ({size >> 20} MiB of filler), {behind} acked "
            f"messages not in history when freed, history caught up {caught_up:.1f} s after"
        )

    verdict = await chaos_run(runner, tokens, "persister disk full", fault, 150, 25)
    verdict.check(BOUND_S)
    assert "MiniTalk stops" not in runner.text()
