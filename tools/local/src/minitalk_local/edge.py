"""The nginx edge for one machine: the shared server config, wrapped in a main config."""

from __future__ import annotations

import math
import os
import re
import resource
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
TEMPLATE = ROOT / "edge" / "minitalk.conf.template"

#: The edge's per-client-IP limits (docs/security.md), read from the environment under these
#: names; the web image has the same defaults (frontend/Dockerfile). Set for abuse, not for use:
#: the load tests (10,000 sockets from one address, back within ~46 s after a reconnect storm;
#: batch sign-ups) pass with them.
EDGE_DEFAULTS: dict[str, str] = {
    #: New Socket.IO connections (Engine.IO handshakes) per IP: rate, and how many over it at once.
    "MINITALK_EDGE_CONNECT_RATE": "200r/s",
    "MINITALK_EDGE_CONNECT_BURST": "20000",
    #: Requests to /api/auth/* (sign-up, login, their batches) per IP.
    "MINITALK_EDGE_AUTH_RATE": "10r/s",
    "MINITALK_EDGE_AUTH_BURST": "100",
    #: Every other REST request per IP.
    "MINITALK_EDGE_API_RATE": "1000r/s",
    "MINITALK_EDGE_API_BURST": "10000",
    #: Connections per IP being served at once (every open socket is one).
    "MINITALK_EDGE_CONNECTIONS_PER_IP": "20000",
    #: Longest wait for a client's request headers, or between two reads of its body.
    "MINITALK_EDGE_CLIENT_TIMEOUT": "30s",
}
_EDGE_FORMATS = {
    "RATE": re.compile(r"[1-9][0-9]*r/[sm]"),
    "BURST": re.compile(r"[0-9]+"),
    "IP": re.compile(r"[1-9][0-9]*"),
    "TIMEOUT": re.compile(r"[1-9][0-9]*(ms|s|m)?"),
}


def edge_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The edge's limits from ``env`` (``MINITALK_EDGE_*``), defaults for what is unset."""
    found = {}
    for name, default in EDGE_DEFAULTS.items():
        value = env.get(name, "").strip() or default
        if not _EDGE_FORMATS[name.rsplit("_", 1)[1]].fullmatch(value):
            raise ValueError(f"{name}={value!r} is not like {default!r}")
        found[name] = value
    return found


def render_server(
    listen: str,
    webroot: Path,
    auth: Sequence[int],
    rooms: Sequence[int],
    realtime: Sequence[int],
    env: Mapping[str, str] | None = None,
) -> str:
    """The server config; the limits come from ``env`` (default: this process's environment)."""

    def servers(ports: Sequence[int]) -> str:
        # max_fails=0: a replica that refused a connection is not set aside for nginx's 10 s
        # fail_timeout (nginx tries the next one at once, proxy_next_upstream error). With the
        # default, a replica killed and restarted within 10 s of the other's death left the edge
        # with "no live upstreams" (502) though one was back (tests/chaos, issue 14).
        return "\n    ".join(f"server 127.0.0.1:{p} max_fails=0;" for p in ports)

    values = {
        "LISTEN": listen,
        "WEBROOT": str(webroot),
        "AUTH_SERVERS": servers(auth),
        "ROOMS_SERVERS": servers(rooms),
        "REALTIME_SERVERS": servers(realtime),
        **edge_settings(os.environ if env is None else env),
    }
    lines = []
    for line in TEMPLATE.read_text().splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # comments name the placeholders; several
            for key, value in values.items():  # servers there would end the comment
                line = line.replace("${" + key + "}", value)
        lines.append(line)
    return "".join(lines)


#: Sockets the edge is sized for: 10,000 users and half as many again for reconnect churn.
#: nginx holds two connections per socket (the client's and the one to realtime).
EDGE_SOCKETS = 15_000
#: Files a worker keeps besides its connections (listening sockets, logs, static files).
EDGE_SPARE_FILES = 100
#: More workers than this is memory for nothing (nginx allocates every worker's connections
#: up front, ~0.5 KB each): the edge costs a small share of a message's CPU.
EDGE_MAX_WORKERS = 4


@dataclass(frozen=True)
class EdgeLayout:
    """nginx's workers and their connections, from the machine: one worker per CPU (nginx's
    ``auto``, at most EDGE_MAX_WORKERS), more when the open-files hard limit of a process
    (read at start: a worker cannot go beyond it) is too low for EDGE_SOCKETS in fewer.
    ``MINITALK_EDGE_WORKERS`` (environment) sets the workers instead."""

    workers: int
    connections: int
    files: int

    @classmethod
    def detect(cls, hard: int | None = None, cpus: int | None = None) -> EdgeLayout:
        if hard is None:
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            if hard == resource.RLIM_INFINITY:
                hard = 1 << 20
        if cpus is None:
            cpus = len(os.sched_getaffinity(0))
        wanted = 2 * EDGE_SOCKETS
        connections = max(min(hard - EDGE_SPARE_FILES, wanted), 512)
        workers = max(min(cpus, EDGE_MAX_WORKERS), math.ceil(wanted / connections))
        if setting := os.environ.get("MINITALK_EDGE_WORKERS", "").strip():
            if not setting.isdigit() or not 1 <= int(setting) <= 64:
                raise ValueError(f"MINITALK_EDGE_WORKERS={setting!r}: a number from 1 to 64")
            workers = int(setting)
        return cls(workers, connections, connections + EDGE_SPARE_FILES)


def write_main_config(prefix: Path, server_conf: str, layout: EdgeLayout | None = None) -> Path:
    """A complete nginx.conf under ``prefix`` (pid, logs, temp files all inside it)."""
    layout = layout or EdgeLayout.detect()
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    tmp = prefix / "tmp"
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes {layout.workers};
daemon off;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections {layout.connections}; }}
worker_rlimit_nofile {layout.files};
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{server_conf}
}}
"""
    )
    return conf
