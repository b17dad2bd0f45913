"""Issue 14: `./taskw up` keeps serving after `kill -9` of any one of its processes - the
runner restarts it, says so with the exit code, and says when it is back - and stops, saying
which and why, only when one keeps crashing."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from .support import GRACE_S, Runner, chat_works

pytestmark = pytest.mark.runner

KILLED = ("auth", "rooms", "realtime", "persister", "nats", "edge")


async def kill_and_wait_back(r: Runner, name: str) -> float:
    """SIGKILL ``name`` by pid; wait for the runner's two lines; seconds until it served."""
    mark = len(r.text())
    os.kill(r.pid_of(name), signal.SIGKILL)
    exited = rf"\| {name} exited unexpectedly with exit code -9 \(SIGKILL\); restarting it in"
    await asyncio.to_thread(r.wait_log, exited, 30, mark)
    back = await asyncio.to_thread(
        r.wait_log, rf"\| {name} is back \(pid \d+\): serving again ([\d.]+) s", 60, mark
    )
    return float(back.group(1))


async def test_kill_9_of_each_process_in_turn_is_healed(tmp_path: Path) -> None:
    r = Runner(tmp_path).start()
    try:
        await asyncio.to_thread(r.wait_up)
        await chat_works(r.url, "before", timeout=30)
        healed: dict[str, tuple[float, float]] = {}
        for name in KILLED:
            began = time.monotonic()
            back_after = await kill_and_wait_back(r, name)
            await chat_works(r.url, f"after{name}", timeout=60)
            healed[name] = (back_after, time.monotonic() - began)
        assert "MiniTalk stops" not in r.text()
        print(  # the figures in docs/reliability.md
            "\nkilled: back (runner) / chat works again: "
            + ", ".join(f"{n} {b:.1f} s / {c:.1f} s" for n, (b, c) in healed.items()),
            file=sys.stderr,
        )
    finally:
        r.cleanup()


async def test_a_process_that_keeps_crashing_stops_the_runner(tmp_path: Path) -> None:
    r = Runner(tmp_path, MINITALK_RESTART_MAX="2").start()
    try:
        await asyncio.to_thread(r.wait_up)
        await kill_and_wait_back(r, "rooms")
        r.snapshot()
        os.kill(r.pid_of("rooms"), signal.SIGKILL)
        why = await asyncio.to_thread(r.wait_log, r"\| rooms exited 2 times within 60 s .*", 30)
        assert "exit code -9 (SIGKILL)" in why.group(0)
        assert "keeps crashing, so MiniTalk stops" in why.group(0)
        assert r.popen is not None
        assert await asyncio.to_thread(r.popen.wait, GRACE_S + 5) == 1
        assert r.survivors(2) == {}
        assert re.search(r"stopped in [\d.]+ s: edge exit code 0", r.text())
    finally:
        r.cleanup()
