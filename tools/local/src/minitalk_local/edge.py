"""The nginx edge for one machine: the shared server config, wrapped in a main config."""

from __future__ import annotations

import os
import resource
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
TEMPLATE = ROOT / "edge" / "minitalk.conf.template"


def render_server(
    listen: str,
    webroot: Path,
    auth: Sequence[int],
    rooms: Sequence[int],
    realtime: Sequence[int],
) -> str:
    def servers(ports: Sequence[int]) -> str:
        return "\n    ".join(f"server 127.0.0.1:{p};" for p in ports)

    values = {
        "LISTEN": listen,
        "WEBROOT": str(webroot),
        "AUTH_SERVERS": servers(auth),
        "ROOMS_SERVERS": servers(rooms),
        "REALTIME_SERVERS": servers(realtime),
    }
    lines = []
    for line in TEMPLATE.read_text().splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # comments name the placeholders; several
            for key, value in values.items():  # servers there would end the comment
                line = line.replace("${" + key + "}", value)
        lines.append(line)
    return "".join(lines)


def write_main_config(prefix: Path, server_conf: str) -> Path:
    """A complete nginx.conf under ``prefix`` (pid, logs, temp files all inside it)."""
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    nofile = min(40000, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    tmp = prefix / "tmp"
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections {nofile - 100}; }}
worker_rlimit_nofile {nofile};
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
