"""``--start-system``: MiniTalk on free ports for one run (own nats-server, the four services,
an nginx edge sized for 10,000+ sockets), with every process's pid for the sampler."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import limits

#: nginx holds two connections per socket (client and upstream), and a worker cannot hold more
#: than the hard RLIMIT_NOFILE (20,000 here, and not ours to raise): so several workers share
#: the listening port (``reuseport``), each with up to this many connections.
EDGE_CONNECTIONS = 65536
EDGE_WORKERS = 2


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

    Services named in ``profile`` run under pyinstrument; each writes
    ``workdir/profile-<service>.pyisession`` when it stops (at the end of the run), rendered
    as a call tree (``profile-<service>.txt``) and by self time (``...-flat.txt``).
    """
    from minitalk_local.edge import ROOT, render_server, write_main_config
    from minitalk_local.processes import Proc, free_port, wait_port
    from minitalk_local.system import SERVICES, LocalSystem, NatsServer, nginx_binary

    def start(service: str) -> None:
        if service not in profile:
            system.start_service(service, wait=False)
            return
        port = system.ports[service] = free_port()
        out = workdir / f"profile-{service}.pyisession"
        argv = [sys.executable, "-m", "pyinstrument", "-r", "session", "-o", str(out)]
        system.procs[service] = Proc(
            service,
            [*argv, "-m", f"minitalk_{service}"],
            env=system.service_env(service, port),
            cwd=ROOT,
            sink=sink,
        ).start()

    limits.raise_fd_limit()  # the services inherit it
    workdir.mkdir(parents=True, exist_ok=True)
    sink = log or (workdir / "system.log").open("a", encoding="utf-8")
    nats = NatsServer(store=workdir / "nats", sink=sink).start()
    system = LocalSystem(
        data_dir=workdir / "data",
        nats_url=nats.url,
        env={"MINITALK_ENV": "test", "MINITALK_BCRYPT_COST": str(bcrypt_cost)},
        sink=sink,
    )
    try:
        for service in SERVICES:
            start(service)
            if service == "auth":  # the others wait for its signing key
                system.wait_ready(service)
        for service in SERVICES[1:]:
            system.wait_ready(service)
        system.edge_port = free_port()
        prefix = (system.data_dir / "edge").resolve()  # nginx reads -c under -p: absolute
        server = render_server(
            f"127.0.0.1:{system.edge_port} reuseport",
            ROOT / "frontend" / "dist",
            [system.ports["auth"]],
            [system.ports["rooms"]],
            [system.ports["realtime"]],
        )
        conf = write_main_config(prefix, server)
        text = conf.read_text().replace("worker_processes 1;", f"worker_processes {EDGE_WORKERS};")
        text = text.replace("worker_connections 16384", f"worker_connections {EDGE_CONNECTIONS}")
        text = text.replace(
            "worker_rlimit_nofile 40000", f"worker_rlimit_nofile {2 * EDGE_CONNECTIONS}"
        )
        conf.write_text(text)
        edge = Proc("edge", [nginx_binary(), "-p", str(prefix), "-c", str(conf)], sink=sink)
        system.procs["edge"] = edge.start()
        assert edge.popen is not None
        wait_port(system.edge_port, 30, edge.popen)
        pids = {name: proc.pid for name, proc in system.procs.items()}
        assert nats.proc is not None
        pids["nats"] = nats.proc.pid
        yield Started(system.url, pids, system.data_dir)
    finally:
        for service in profile:  # writing a long profile takes longer than a plain stop
            if service in system.procs:
                system.procs[service].stop(timeout=300)
        system.stop_all()
        nats.stop()
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
