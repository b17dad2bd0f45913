"""Issue 12: however `./taskw up` is told to stop - the ways a terminal, `task`, systemd and
`docker stop` do it, once or repeated - every process it started (nats-server, the services,
nginx and its workers) is gone within the grace time (MINITALK_STOP_GRACE_S, 10 s).

Each case starts the real chain (./taskw -> task -> uv -> minitalk-local) on free ports with a
temporary data dir, waits until it serves, signals it, and watches the process tree it had."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .support import GRACE_S, Runner

pytestmark = pytest.mark.runner


def terminal_ctrl_c(r: Runner) -> None:
    """Ctrl-C: SIGINT to the foreground process group (task, uv and the runner all get it)."""
    os.killpg(r.leader, signal.SIGINT)


def terminal_ctrl_c_twice(r: Runner) -> None:
    """An impatient second Ctrl-C 1.5 s later: kill what is still running at once."""
    os.killpg(r.leader, signal.SIGINT)
    time.sleep(1.5)
    os.killpg(r.leader, signal.SIGINT)


def group_then_runner(r: Runner) -> None:
    """Issue 12's report: SIGTERM to the process group, then again to the runner itself (it
    used to hang in a futex wait: a second handler's Event.set under the first one's lock)."""
    runner = r.runner_pid
    os.killpg(r.leader, signal.SIGTERM)
    for _ in range(50):
        os.kill(runner, signal.SIGTERM)


def main_process_only(r: Runner) -> None:
    """`docker stop` (SIGTERM to PID 1), systemd's default stop of the main process, or a
    `task` parent forwarding it: SIGTERM to the chain's first process only."""
    os.kill(r.leader, signal.SIGTERM)


def systemd_control_group(r: Runner) -> None:
    """systemd KillMode=control-group: SIGTERM to every process of the unit at the same time,
    the services included - the runner must not restart them."""
    for pid in r.snapshot():
        with contextlib.suppress(ProcessLookupError):  # gone since the snapshot (nginx worker)
            os.kill(pid, signal.SIGTERM)


def runner_sigkilled(r: Runner) -> None:
    """systemd's SIGKILL after TimeoutStopSec with KillMode=mixed/process, or `kill -9`: the
    runner cannot clean up, so its children die with it (PR_SET_PDEATHSIG)."""
    os.kill(r.runner_pid, signal.SIGKILL)


WAYS = [
    terminal_ctrl_c,
    terminal_ctrl_c_twice,
    group_then_runner,
    main_process_only,
    systemd_control_group,
    runner_sigkilled,
]


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Runner]:
    runner = Runner(tmp_path).start()
    try:
        yield runner.wait_up()
    finally:
        runner.cleanup()


@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__)
def test_every_process_stops_within_the_grace_time(
    started: Runner, way: Callable[[Runner], None]
) -> None:
    assert httpx.get(f"{started.url}/api/auth/login").status_code in (404, 405)
    procs = started.snapshot()
    names = " ".join(procs.values())
    for part in ("nats-server", "minitalk_auth", "minitalk_rooms", "minitalk_realtime"):
        assert part in names
    for part in ("minitalk_persister", "nginx: master", "nginx: worker"):
        assert part in names
    began = time.monotonic()
    way(started)
    left = started.survivors(GRACE_S + 2)
    took = time.monotonic() - began
    assert left == {}, f"still running {took:.1f} s after {way.__name__}: {left}"
    if way is not runner_sigkilled:
        assert "stopping MiniTalk" in started.text()
        assert "restarted" not in started.text()
