"""MiniTalk on one machine: nats-server (one, or a three-node JetStream cluster), the services
(with replicas) and the edge as child processes.

Used by ``./taskw up`` and by the integration and end-to-end tests, so both run the same system;
``Stack`` is the whole of it as ``./taskw up`` starts it, and the load generator's
``--start-system`` starts that very ``Stack`` (only ports, data dir and bcrypt cost differ).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .edge import ROOT, EdgeLayout, render_server, write_main_config
from .processes import Interrupted, Proc, free_port, never, port_free, stop_together

SERVICES = ("auth", "rooms", "realtime", "persister")
#: Services that run as several identical processes behind the edge (``MINITALK_<S>_REPLICAS``).
#: The persister runs one process per partition instead (``MINITALK_PERSISTER_PARTITIONS``).
REPLICATED = ("auth", "rooms", "realtime")
#: ``./taskw up``'s ports: service ``i`` of SERVICES, process ``k`` of it, on base + i + 10 k.
REPLICA_PORT_STEP = 10


def int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Layout:
    """How many processes of each service and how many NATS servers (the environment's
    ``MINITALK_<S>_REPLICAS``, ``MINITALK_PERSISTER_PARTITIONS``, ``MINITALK_NATS_CLUSTER``)."""

    replicas: dict[str, int]
    nats_nodes: int

    @classmethod
    def from_env(cls) -> Layout:
        replicas = {s: int_env(f"MINITALK_{s.upper()}_REPLICAS", 1) for s in REPLICATED}
        replicas["persister"] = int_env("MINITALK_PERSISTER_PARTITIONS", 1)
        for name, count in replicas.items():
            if not 1 <= count <= 32:
                raise SystemExit(f"minitalk-local: {name}: between 1 and 32 processes, not {count}")
        nodes = int_env("MINITALK_NATS_CLUSTER", 1)
        if nodes != 1 and (nodes < 3 or nodes % 2 == 0):
            raise SystemExit(f"minitalk-local: MINITALK_NATS_CLUSTER is 1, 3 or 5, not {nodes}")
        return cls(replicas, nodes)


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


def process_names(service: str, count: int) -> list[str]:
    """``auth`` for one process; ``realtime-1``, ``realtime-2`` for replicas; ``persister-0``,
    ``persister-1`` for partitions (named by their partition number)."""
    if count == 1:
        return [service]
    first = 0 if service == "persister" else 1
    return [f"{service}-{first + k}" for k in range(count)]


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
    die_with_parent: bool = False

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def launch(self) -> Proc:
        """Start the process without waiting for it (again, after it exited: same port, same
        store, same routes)."""
        if self.proc is None:
            self.port = self.port or free_port()
            argv = [nats_binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port)]
            argv += ["-sd", str(self.store), "-n", self.name, *self.extra]
            self.proc = Proc(
                self.name,
                argv,
                sink=self.sink,
                ready_port=self.port,
                die_with_parent=self.die_with_parent,
            )
        self.store.mkdir(parents=True, exist_ok=True)
        return self.proc.start()

    def start(self, cancelled: Callable[[], bool] = never) -> NatsServer:
        self.launch().wait_ready(30, cancelled)
        return self

    @property
    def procs(self) -> list[Proc]:
        return [self.proc] if self.proc is not None else []

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()


@dataclass
class NatsCluster:
    """``size`` nats-servers in one JetStream cluster (``minitalk``), each with its own store
    under ``store``, routes between all of them: the shape of k8s/nats on one machine.

    Client ports ``port`` .. ``port + size - 1`` and route ports ``route_port`` .. (free ports
    when 0). Services get every client URL (``url``) and ``MINITALK_STREAM_REPLICAS=size``.
    """

    store: Path
    size: int = 3
    port: int = 0
    route_port: int = 0
    sink: IO[str] | None = None
    die_with_parent: bool = False
    servers: list[NatsServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        clients = [self.port + k if self.port else free_port() for k in range(self.size)]
        routes = [self.route_port + k if self.route_port else free_port() for k in range(self.size)]
        for k in range(self.size):
            others = ",".join(f"nats://127.0.0.1:{p}" for i, p in enumerate(routes) if i != k)
            extra = (
                "--cluster_name", "minitalk",
                "--cluster", f"nats://127.0.0.1:{routes[k]}",
                "--routes", others,
            )  # fmt: skip
            self.servers.append(
                NatsServer(
                    store=self.store / f"nats-{k + 1}",
                    port=clients[k],
                    name=f"nats-{k + 1}",
                    extra=extra,
                    sink=self.sink,
                    die_with_parent=self.die_with_parent,
                )
            )

    @property
    def url(self) -> str:
        return ",".join(s.url for s in self.servers)

    @property
    def procs(self) -> list[Proc]:
        return [s.proc for s in self.servers if s.proc is not None]

    def start(self, cancelled: Callable[[], bool] = never, timeout: float = 60.0) -> NatsCluster:
        """Start every server, then wait until JetStream answers (a meta leader is elected),
        so the services can create their R3 streams straight away."""
        for server in self.servers:
            server.launch()
        for server in self.servers:
            assert server.proc is not None
            server.proc.wait_ready(30, cancelled)
        wait_jetstream(self.url, timeout, cancelled)
        return self

    def stop(self) -> None:
        stop_together(self.procs, 15.0)


def wait_jetstream(url: str, timeout: float = 60.0, cancelled: Callable[[], bool] = never) -> None:
    """Wait until JetStream at ``url`` (comma separated) answers an account-info request."""
    import nats
    from nats.errors import Error as NatsError

    async def answers() -> str | None:
        try:
            nc = await nats.connect(
                servers=url.split(","), connect_timeout=2, allow_reconnect=False
            )
        except (NatsError, OSError) as exc:
            return repr(exc)
        try:
            await nc.jetstream().account_info()
            return None
        except NatsError as exc:
            return repr(exc)
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    last: str | None = "no answer"
    while time.monotonic() < deadline:
        if cancelled():
            raise Interrupted("stopped while waiting for JetStream")
        last = asyncio.run(answers())
        if last is None:
            return
        time.sleep(0.25)
    raise TimeoutError(f"JetStream at {url} not ready after {timeout}s ({last})")


@dataclass
class LocalSystem:
    """The services (and optionally the edge) against one NATS URL, rooted at ``data_dir``.

    ``cancelled``: a check the start-up waits make, so a stop request interrupts them.
    ``die_with_parent``: children die with the thread that started them (``./taskw up``).
    """

    data_dir: Path
    nats_url: str
    env: Mapping[str, str] = field(default_factory=dict)
    sink: IO[str] | None = None
    procs: dict[str, Proc] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    edge_port: int | None = None
    cancelled: Callable[[], bool] = never
    die_with_parent: bool = False
    #: argv put before ``python -m minitalk_<service>`` of the process named so, e.g. a profiler
    #: (``--profile`` of the load generator); nothing by default.
    wrap: Callable[[str], Sequence[str]] | None = None

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
        wrapper = list(self.wrap(name)) if self.wrap is not None else []
        proc = Proc(
            name,
            [*wrapper, sys.executable, "-m", f"minitalk_{service}"],
            env={**self.service_env(name, port), **(env or {})},
            cwd=ROOT,
            sink=self.sink,
            ready_url=f"http://127.0.0.1:{port}/readyz",
            alive_url=f"http://127.0.0.1:{port}/healthz",
            die_with_parent=self.die_with_parent,
        ).start()
        self.procs[name] = proc
        if wait:
            self.wait_ready(name)
        return proc

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        self.procs[name].wait_ready(timeout, self.cancelled)

    def start_all(
        self,
        edge_port: int | None = None,
        replicas: Mapping[str, int] | None = None,
        base_port: int | None = None,
    ) -> None:
        """Every service (``replicas``: processes per service, 1 unless said; for the
        persister its partitions), auth's first process first (the others wait for its signing
        key), then the edge if ``edge_port`` is given. ``base_port``: fixed ports (see
        REPLICA_PORT_STEP) instead of free ones."""
        counts = {s: (replicas or {}).get(s, 1) for s in SERVICES}
        if edge_port is not None:  # the services' default origins are the edge's own
            edge_port = edge_port or free_port()
            self.env = {**self.env, "MINITALK_HTTP_PORT": str(edge_port)}
        plan: list[tuple[str, str, int, dict[str, str]]] = []
        for i, service in enumerate(SERVICES):
            for k, name in enumerate(process_names(service, counts[service])):
                port = base_port + i + REPLICA_PORT_STEP * k if base_port is not None else 0
                env = {}
                if service == "persister" and counts[service] > 1:
                    env = {"MINITALK_PERSISTER_PARTITION": str(k)}
                plan.append((service, name, port, env))
        if counts["persister"] > 1:  # rooms routes history requests by it too
            self.env = {**self.env, "MINITALK_PERSISTER_PARTITIONS": str(counts["persister"])}
        first, *rest = plan
        self.start_service(first[0], name=first[1], port=first[2], env=first[3])
        for service, name, port, env in rest:
            self.start_service(service, name=name, port=port, env=env, wait=False)
        for _, name, _, _ in rest:
            self.wait_ready(name)
        if edge_port is not None:
            self.start_edge(edge_port)

    def replica_ports(self, service: str) -> list[int]:
        """The ports of every process of ``service`` (``realtime``, ``realtime-2``, ...)."""
        return [p for n, p in self.ports.items() if n == service or n.startswith(service + "-")]

    def start_edge(self, port: int = 0, webroot: Path | None = None) -> Proc:
        """nginx on ``port`` (a free one if 0), sized by ``edge.EdgeLayout``; with several
        workers each has its own listening socket (``reuseport``: the kernel spreads the
        connections evenly), so the port is checked to be free first (``reuseport`` would
        otherwise share it with another edge already there)."""
        self.edge_port = port or free_port()
        if not port_free(self.edge_port):
            raise RuntimeError(f"port {self.edge_port} is in use: the edge cannot listen there")
        layout = EdgeLayout.detect()
        prefix = (self.data_dir / "edge").resolve()  # nginx reads -c under -p: absolute
        reuse = " reuseport" if layout.workers > 1 else ""
        server = render_server(
            f"127.0.0.1:{self.edge_port}{reuse}",
            webroot or ROOT / "frontend" / "dist",
            self.replica_ports("auth"),
            self.replica_ports("rooms"),
            self.replica_ports("realtime"),
            {**os.environ, **self.env},
        )
        conf = write_main_config(prefix, server, layout)
        proc = Proc(
            "edge",
            [nginx_binary(), "-p", str(prefix), "-c", str(conf)],
            sink=self.sink,
            ready_port=self.edge_port,
            die_with_parent=self.die_with_parent,
        )
        self.procs["edge"] = proc.start()
        proc.wait_ready(30, self.cancelled)
        return proc

    @property
    def url(self) -> str:
        assert self.edge_port is not None
        return f"http://127.0.0.1:{self.edge_port}"

    def http(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self, name: str) -> None:
        self.procs[name].stop()

    def stop_all(self, grace: float = 15.0, forced: Callable[[], bool] = never) -> None:
        """SIGTERM the edge and every service at once; SIGKILL what still runs after
        ``grace`` seconds."""
        stop_together(list(reversed(self.procs.values())), grace, forced)


def all_procs(nats: NatsServer | NatsCluster, system: LocalSystem) -> Sequence[Proc]:
    """Every process of a running system: the NATS node(s) first, then services and edge."""
    return [*nats.procs, *system.procs.values()]


@dataclass
class Stack:
    """The whole system as ``./taskw up`` runs it: NATS (one server or a cluster, per
    ``layout``), every service process and the edge, under ``data_dir``. ``./taskw up`` and
    the load generator's ``--start-system`` both start one, so what is benchmarked is what
    users run: only the ports, the data dir and what ``env`` adds (the load generator's bcrypt
    cost) differ."""

    nats: NatsServer | NatsCluster
    system: LocalSystem
    layout: Layout

    @classmethod
    def create(
        cls,
        data_dir: Path,
        layout: Layout | None = None,
        nats_port: int = 0,
        env: Mapping[str, str] | None = None,
        sink: IO[str] | None = None,
        cancelled: Callable[[], bool] = never,
        die_with_parent: bool = False,
        wrap: Callable[[str], Sequence[str]] | None = None,
    ) -> Stack:
        """Nothing runs yet (``start``). ``nats_port`` 0: free ports."""
        layout = layout or Layout.from_env()
        nats: NatsServer | NatsCluster
        stack_env: dict[str, str] = {}
        if layout.nats_nodes == 1:
            nats = NatsServer(
                store=data_dir / "nats", port=nats_port, sink=sink, die_with_parent=die_with_parent
            )
        else:
            nats = NatsCluster(
                store=data_dir / "nats-cluster",
                size=layout.nats_nodes,
                port=nats_port,
                route_port=nats_port + 10 if nats_port else 0,
                sink=sink,
                die_with_parent=die_with_parent,
            )
            stack_env["MINITALK_STREAM_REPLICAS"] = "3"
        system = LocalSystem(
            data_dir=data_dir,
            nats_url=nats.url,
            env={**stack_env, **(env or {})},
            sink=sink,
            cancelled=cancelled,
            die_with_parent=die_with_parent,
            wrap=wrap,
        )
        return cls(nats, system, layout)

    def start(self, http_port: int = 0, base_port: int | None = None) -> None:
        """NATS, then every service (``base_port``: fixed ports, else free ones), then the edge
        on ``http_port`` (0: a free one). On an error what started is left for ``stop``."""
        self.nats.start(cancelled=self.system.cancelled)
        self.system.nats_url = self.nats.url  # a free NATS port is known once it started
        self.system.start_all(
            edge_port=http_port, replicas=self.layout.replicas, base_port=base_port
        )

    @property
    def procs(self) -> Sequence[Proc]:
        return all_procs(self.nats, self.system)

    @property
    def url(self) -> str:
        return self.system.url

    def stop(self, grace: float = 15.0) -> None:
        """The edge and the services first (they drain into NATS), then NATS."""
        self.system.stop_all(grace)
        self.nats.stop()
