"""``--start-system``: MiniTalk on free ports for one run, with every process's pid for the
sampler. It is the system ``./taskw up`` runs - the same ``minitalk_local.system.Stack``: the
same nginx edge, service settings, replicas (``MINITALK_<S>_REPLICAS``...) and NATS - and only
the ports, the data dir and the bcrypt cost (``--bcrypt-cost``, default 4) differ
(``tests/runner/test_one_system.py`` compares the two)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import limits


@dataclass
class Started:
    url: str
    pids: dict[str, int]
    data_dir: Path


@contextlib.contextmanager
def local_system(
    workdir: Path,
    bcrypt_cost: int = 4,
    log: IO[str] | None = None,
    profile: Sequence[str] = (),
) -> Iterator[Started]:
    """Start everything under ``workdir``; stop it all on exit. Service logs go to ``log``.

    Services named in ``profile`` run under pyinstrument; each process writes
    ``workdir/profile-<process>.pyisession`` when it stops (at the end of the run), rendered
    as a call tree (``profile-<process>.txt``) and by self time (``...-flat.txt``).
    """
    from minitalk_local.system import Stack

    def wrap(name: str) -> list[str]:
        if name.partition("-")[0] not in profile:
            return []
        out = workdir / f"profile-{name}.pyisession"
        return [sys.executable, "-m", "pyinstrument", "-r", "session", "-o", str(out)]

    limits.raise_fd_limit()  # the generator's own; the system's are the runner's (Stack)
    workdir.mkdir(parents=True, exist_ok=True)
    sink = log or (workdir / "system.log").open("a", encoding="utf-8")
    stack = Stack.create(
        (workdir / "data").resolve(),
        env={"MINITALK_BCRYPT_COST": str(bcrypt_cost)},
        sink=sink,
        wrap=wrap,
    )
    system = stack.system
    try:
        stack.start()
        pids = {proc.name: proc.pid for proc in stack.procs}
        yield Started(stack.url, pids, system.data_dir)
    finally:
        for name, proc in system.procs.items():  # writing a long profile takes longer
            if wrap(name):
                proc.stop(timeout=300)
        stack.stop()
        if log is None:
            sink.close()
        for session in workdir.glob("profile-*.pyisession"):
            render_profile(session)


def render_profile(session: Path) -> None:
    """The call tree and the functions by self time of a pyinstrument session, as text."""
    base = [sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", "text"]
    tree = session.with_suffix(".txt")
    flat = session.with_name(session.stem + "-flat.txt")
    subprocess.run([*base, "-o", str(tree)], check=False)
    subprocess.run([*base, "-p", "flat=true", "-o", str(flat)], check=False)
