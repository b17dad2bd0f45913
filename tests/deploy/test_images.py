"""The Dockerfiles: hadolint finds nothing in any of them, each service image installs only its
own package closure and runs as a non-root user, and the HEALTHCHECK command each one carries
really tells a healthy service from a sick one. (No Docker engine here: nothing is built.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from minitalk_local.processes import free_port

from .conftest import ROOT, SERVICES, final_stage, instructions, rel, run, tool

DOCKERFILES = [
    *sorted(ROOT.glob("services/*/Dockerfile")),
    *sorted(ROOT.glob("tools/*/Dockerfile")),
    ROOT / "frontend" / "Dockerfile",
    ROOT / "loadtests" / "Dockerfile",
]
SERVICE_PORTS = {"auth": 8001, "rooms": 8002, "realtime": 8003, "persister": 8004}


def test_every_service_has_a_dockerfile() -> None:
    assert {p.parent.name for p in ROOT.glob("services/*/Dockerfile")} == set(SERVICES)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=rel)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    result = run(tool("hadolint"), "--no-color", str(dockerfile))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_installs_its_closure_and_runs_unprivileged(service: str) -> None:
    dockerfile = ROOT / "services" / service / "Dockerfile"
    steps = instructions(dockerfile)
    froms = [args for word, args in steps if word == "FROM"]
    assert froms == ["python:3.11-slim AS builder", "python:3.11-slim"]
    runs = " ".join(args for word, args in steps if word == "RUN")
    assert f"uv sync --frozen --no-dev --no-editable --package minitalk-{service}" in runs
    final = dict(final_stage(dockerfile))
    assert final["USER"] == "10001:10001"
    assert f"MINITALK_PORT={SERVICE_PORTS[service]}" in final["ENV"]
    assert "MINITALK_HOST=0.0.0.0" in final["ENV"]
    assert final["EXPOSE"] == str(SERVICE_PORTS[service])
    assert json.loads(final["CMD"]) == ["python", "-m", f"minitalk_{service}"]
    assert "/healthz" in final["HEALTHCHECK"]


@pytest.mark.parametrize("service", SERVICES)
def test_image_port_is_the_service_default(service: str) -> None:
    """The port in the image, compose and the manifests is the one the service defaults to."""
    module = __import__(f"minitalk_{service}.config", fromlist=["*"])
    settings = next(
        getattr(module, name)
        for name in dir(module)
        if name.endswith("Settings") and name != "ServiceSettings" and not name.startswith("_")
    )
    assert settings.model_fields["port"].default == SERVICE_PORTS[service]


def test_frontend_image_serves_the_build_and_renders_the_edge_template() -> None:
    dockerfile = ROOT / "frontend" / "Dockerfile"
    steps = instructions(dockerfile)
    froms = [args for word, args in steps if word == "FROM"]
    assert froms == ["node:20-slim AS build", "nginx:1.27-alpine"]
    runs = [args for word, args in steps if word == "RUN"]
    assert "npm ci --no-audit --no-fund" in runs
    assert "npm run build" in runs
    copies = [args for word, args in final_stage(dockerfile) if word == "COPY"]
    assert "edge/minitalk.conf.template /etc/nginx/templates/minitalk.conf.template" in copies
    assert "--from=build /web/dist /usr/share/nginx/html" in copies
    env = dict(final_stage(dockerfile))["ENV"]
    assert (
        'NGINX_ENVSUBST_FILTER="^(LISTEN|WEBROOT|AUTH_SERVERS|ROOMS_SERVERS|REALTIME_SERVERS|'
        "MINITALK_EDGE_[A-Z_]+)" in env
    )
    assert dict(final_stage(dockerfile))["USER"] == "101:101"


def test_dockerignore_keeps_the_context_to_the_workspace() -> None:
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"  # an allowlist
    for needed in ("!pyproject.toml", "!uv.lock", "!libs/", "!services/", "!frontend/"):
        assert needed in lines
    assert "!edge/minitalk.conf.template" in lines
    for unwanted in ("**/node_modules", "**/.venv", "frontend/dist", "**/__pycache__"):
        assert unwanted in lines


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def healthcheck_argv(service: str) -> list[str]:
    args = dict(final_stage(ROOT / "services" / service / "Dockerfile"))["HEALTHCHECK"]
    argv: list[str] = json.loads(args[args.index("CMD") + 3 :])
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


@pytest.mark.parametrize("service", SERVICES)
def test_healthcheck_tells_healthy_from_sick(
    service: str, health_server: ThreadingHTTPServer
) -> None:
    argv = healthcheck_argv(service)
    env = {**os.environ, "MINITALK_PORT": str(health_server.server_address[1])}

    def check(status: int) -> int:
        _Health.status = status
        return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode

    try:
        assert check(200) == 0
        assert check(503) != 0
    finally:
        _Health.status = 200
    env["MINITALK_PORT"] = str(free_port())  # nothing listens there
    assert subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode != 0
