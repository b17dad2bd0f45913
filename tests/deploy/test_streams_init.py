"""The streams-init Job's program, taken from the rendered manifest and run as the Job runs it
(`python -c`, settings from the environment) against a real nats-server: it creates the streams
and KV buckets, says so, and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from minitalk_common import subjects
from minitalk_local.processes import free_port
from minitalk_local.system import NatsServer
from nats.aio.client import Client as NATS

from .conftest import K8S, find, render


def job_container() -> dict[str, Any]:
    job = find(render(K8S / "overlays" / "local"), "Job", "streams-init")
    containers: list[dict[str, Any]] = job["spec"]["template"]["spec"]["containers"]
    (container,) = containers
    return container


def run_job(url: str) -> subprocess.CompletedProcess[str]:
    container = job_container()
    assert container["command"] == ["python", "-c"]
    (program,) = container["args"]
    env = {**os.environ, "MINITALK_NATS_URL": url, "MINITALK_STREAM_REPLICAS": "1"}
    return subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120
    )


def test_job_reads_the_shared_settings() -> None:
    assert {"configMapRef": {"name": "minitalk-config"}} in job_container()["envFrom"]
    assert job_container()["image"].startswith("minitalk/persister")


async def test_job_creates_streams_and_buckets_idempotently(
    nats_server: NatsServer, nc: NATS
) -> None:
    for _ in range(2):
        done = run_job(nats_server.url)
        assert done.returncode == 0, done.stderr
        for stream in (subjects.USERS_STREAM, subjects.ROOMS_STREAM, subjects.MESSAGES_STREAM):
            assert f"stream {stream}: replicas=1" in done.stdout
    js = nc.jetstream()
    names = {info.config.name for info in await js.streams_info()}
    assert {"USERS", "ROOMS", "MESSAGES", f"KV_{subjects.KEYS_BUCKET}"} <= names
    assert f"KV_{subjects.CREDENTIALS_BUCKET}" in names


def test_job_waits_for_nats_to_come_up(tmp_path: Path) -> None:
    """Started before NATS (as under `kubectl apply -k`), it keeps trying, then does its work."""
    port = free_port()
    container = job_container()
    env = {**os.environ, "MINITALK_NATS_URL": f"nats://127.0.0.1:{port}"}
    job = subprocess.Popen(
        [sys.executable, "-c", container["args"][0]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server = NatsServer(store=tmp_path / "nats", port=port)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            job.wait(timeout=2)  # no NATS yet: still trying, not done
        server.start()
        stdout, _ = job.communicate(timeout=60)
        assert job.returncode == 0
        assert "stream MESSAGES: replicas=1" in stdout
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
        server.stop()
