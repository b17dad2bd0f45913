"""Issue 18: one system configuration. What the load generator's ``--start-system`` runs is
what ``./taskw up`` runs: the same processes with the same command lines, the same MiniTalk
settings in their environment, the same open-files limits and the same nginx config - the
ports, the data dir and the bcrypt cost (4 in both here) aside. Both are started for real and
read from /proc and from the config nginx was given."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

import pytest
from minitalk_loadtest.system import local_system
from minitalk_local.edge import EdgeLayout
from minitalk_local.system import SERVICES, LocalSystem

from .support import UV_RUN, Runner

pytestmark = pytest.mark.runner

PROCESSES = (*SERVICES, "edge", "nats")
#: Settings of the runner itself (where to put NATS and the services), in the environment the
#: test gives ``./taskw up``; the services inherit but never read them. nats-server and nginx
#: read no MINITALK_* setting (the edge's are rendered into its config): their command lines,
#: limits and the config are compared.
RUNNER_ONLY = {"MINITALK_NATS_PORT", "MINITALK_BASE_PORT"}


def _normal(text: str, data_dir: Path) -> str:
    """Ports and the data dir replaced by placeholders."""
    text = text.replace(str(data_dir.resolve()), "<data>")
    return re.sub(r"((?<=[:=])|^)\d{4,5}\b", "<port>", text)


def _describe(pids: dict[str, int], data_dir: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    for name in PROCESSES:
        proc = Path(f"/proc/{pids[name]}")
        argv = proc.joinpath("cmdline").read_bytes().decode().split("\0")
        environ = proc.joinpath("environ").read_bytes().decode().split("\0")
        settings = sorted(
            _normal(line, data_dir)
            for line in environ
            if line.startswith("MINITALK_") and line.split("=", 1)[0] not in RUNNER_ONLY
        )
        if name not in SERVICES:
            settings = []
        files = next(
            line.split()[3:5]
            for line in proc.joinpath("limits").read_text().splitlines()
            if line.startswith("Max open files")
        )
        found[name] = {
            "argv": [_normal(a, data_dir) for a in argv if a],
            "settings": settings,
            "open files": files,
        }
    conf = (data_dir / "edge" / "nginx.conf").read_text()
    found["nginx.conf"] = _normal(conf, data_dir).splitlines()
    return found


def test_start_system_runs_what_taskw_up_runs(tmp_path: Path) -> None:
    (tmp_path / "up").mkdir()
    runner = Runner(tmp_path / "up", UV_RUN, MINITALK_BCRYPT_COST="4").start()
    try:
        runner.wait_up()
        up = _describe({n: runner.pid_of(n) for n in PROCESSES}, tmp_path / "up" / "data")
    finally:
        runner.cleanup()
    with local_system(tmp_path / "loadtest", bcrypt_cost=4) as started:
        loadtest = _describe(started.pids, started.data_dir)

    for name in PROCESSES:
        assert loadtest[name] == up[name], name
    assert loadtest["nginx.conf"] == up["nginx.conf"]
    # and that configuration is sized for 10,000+ sockets within this machine's limits
    layout = EdgeLayout.detect()
    assert layout.workers * layout.connections >= 2 * 10_000
    conf = "\n".join(map(str, up["nginx.conf"]))
    assert f"worker_processes {layout.workers};" in conf
    assert f"worker_connections {layout.connections};" in conf
    assert sys.executable  # the services run on this interpreter in both


@pytest.mark.parametrize(
    ("hard", "cpus", "expected"),
    [
        (20_000, 2, EdgeLayout(2, 19_900, 20_000)),  # this machine
        (20_000, 1, EdgeLayout(2, 19_900, 20_000)),  # one CPU: a second worker for the files
        (1 << 20, 16, EdgeLayout(4, 30_000, 30_100)),  # at most 4 workers, no more than needed
        (1 << 20, 1, EdgeLayout(1, 30_000, 30_100)),
    ],
)
def test_the_edge_is_sized_from_the_cpus_and_the_open_files_limit(
    hard: int, cpus: int, expected: EdgeLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINITALK_EDGE_WORKERS", raising=False)
    assert EdgeLayout.detect(hard, cpus) == expected


def test_the_edge_does_not_share_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        system = LocalSystem(data_dir=tmp_path, nats_url="nats://127.0.0.1:1")
        with pytest.raises(RuntimeError, match=f"port {port} is in use"):
            system.start_edge(port)
        assert "edge" not in system.procs


def test_edge_workers_can_be_set_and_bad_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINITALK_EDGE_WORKERS", "3")
    assert EdgeLayout.detect(20_000, 2).workers == 3
    for bad in ("0", "two", "65"):
        monkeypatch.setenv("MINITALK_EDGE_WORKERS", bad)
        with pytest.raises(ValueError, match="MINITALK_EDGE_WORKERS"):
            EdgeLayout.detect(20_000, 2)
