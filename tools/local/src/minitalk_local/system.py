"""MiniTalk on one machine: nats-server, the services and the edge as child processes.

Used by ``./taskw up`` and by the integration and end-to-end tests, so both run the same system.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .edge import ROOT, render_server, write_main_config
from .processes import Proc, free_port, wait_http, wait_port

SERVICES = ("auth", "rooms", "realtime", "persister")


def nats_binary() -> str:
    found = shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )
    if found is None:
        raise RuntimeError("nats-server not found: apt-get install nats-server")
    return found


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise RuntimeError("nginx not found: apt-get install nginx-light")
    return found


@dataclass
class NatsServer:
    """A real ``nats-server -js`` on a local port with its store in ``store``."""

    store: Path
    port: int = 0
    sink: IO[str] | None = None
    name: str = "nats"
    cluster: str | None = None
    extra: tuple[str, ...] = ()
    proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        self.port = self.port or free_port()
        self.store.mkdir(parents=True, exist_ok=True)
        argv = [nats_binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port)]
        argv += ["-sd", str(self.store), "-n", self.name, *self.extra]
        self.proc = Proc(self.name, argv, sink=self.sink).start()
        assert self.proc.popen is not None
        wait_port(self.port, 30, self.proc.popen)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()


@dataclass
class LocalSystem:
    """The services (and optionally the edge) against one NATS URL, rooted at ``data_dir``."""

    data_dir: Path
    nats_url: str
    env: Mapping[str, str] = field(default_factory=dict)
    sink: IO[str] | None = None
    procs: dict[str, Proc] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    edge_port: int | None = None

    def service_env(self, name: str, port: int) -> dict[str, str]:
        return {
            "MINITALK_NATS_URL": self.nats_url,
            "MINITALK_DATA_DIR": str(self.data_dir),
            "MINITALK_PORT": str(port),
            "MINITALK_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }

    def start_service(
        self,
        service: str,
        name: str | None = None,
        port: int = 0,
        env: Mapping[str, str] | None = None,
        wait: bool = True,
    ) -> Proc:
        """Start ``python -m minitalk_<service>``; wait for its /readyz unless told not to."""
        name = name or service
        port = port or self.ports.get(name) or free_port()
        self.ports[name] = port
        proc = Proc(
            name,
            [sys.executable, "-m", f"minitalk_{service}"],
            env={**self.service_env(name, port), **(env or {})},
            cwd=ROOT,
            sink=self.sink,
        ).start()
        self.procs[name] = proc
        if wait:
            self.wait_ready(name)
        return proc

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        proc = self.procs[name]
        wait_http(f"http://127.0.0.1:{self.ports[name]}/readyz", timeout, proc.popen)

    def start_all(self, edge_port: int | None = None) -> None:
        self.start_service("auth")
        for service in SERVICES[1:]:
            self.start_service(service, wait=False)
        for service in SERVICES[1:]:
            self.wait_ready(service)
        if edge_port is not None:
            self.start_edge(edge_port)

    def start_edge(self, port: int = 0, webroot: Path | None = None) -> Proc:
        self.edge_port = port or free_port()
        prefix = self.data_dir / "edge"
        server = render_server(
            f"127.0.0.1:{self.edge_port}",
            webroot or ROOT / "frontend" / "dist",
            [p for n, p in self.ports.items() if n.startswith("auth")],
            [p for n, p in self.ports.items() if n.startswith("rooms")],
            [p for n, p in self.ports.items() if n.startswith("realtime")],
            {**os.environ, **self.env},
        )
        conf = write_main_config(prefix, server)
        proc = Proc("edge", [nginx_binary(), "-p", str(prefix), "-c", str(conf)], sink=self.sink)
        self.procs["edge"] = proc.start()
        assert proc.popen is not None
        wait_port(self.edge_port, 30, proc.popen)
        return proc

    @property
    def url(self) -> str:
        assert self.edge_port is not None
        return f"http://127.0.0.1:{self.edge_port}"

    def http(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self, name: str) -> None:
        self.procs[name].stop()

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.procs[name].stop()
