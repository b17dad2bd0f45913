"""The repartition Job of "Changing P" (deploy/repartition/): its manifests render into valid
Kubernetes, and its program - run here as the Job runs it, against a real nats-server holding
rooms and messages - rebuilds one partition's room files from the streams, keeps the old folder
aside and verifies the result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_local.system import NatsServer
from nats.js import JetStreamContext

from .conftest import K8S_VERSIONS, ROOT, run, tool

TEMPLATES = ROOT / "deploy" / "repartition"
ROOMS = [f"room-{i}" for i in range(12)]


def render(name: str, **values: str) -> str:
    names = " ".join(f"${{{key}}}" for key in values)
    done = subprocess.run(
        ["envsubst", names],
        input=(TEMPLATES / name).read_text(),
        env={"PATH": os.environ["PATH"], **values},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def job(partition: int, partitions: int) -> dict[str, Any]:
    text = render(
        "job.yaml", PARTITION=str(partition), PARTITIONS=str(partitions), IMAGE="minitalk/p:1"
    )
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def test_manifests_render_to_valid_kubernetes(tmp_path: Path) -> None:
    claim = render("claim.yaml", PARTITION="3", STORAGE_CLASS="gp3", SIZE="50Gi")
    manifest = tmp_path / "repartition.yaml"
    manifest.write_text(yaml.safe_dump(job(3, 4)) + "---\n" + claim)
    validator = tool("kubernetes-validate")
    for version in K8S_VERSIONS:
        result = run(validator, "--strict", "--quiet", "-k", version, str(manifest))
        assert result.returncode == 0, result.stdout + result.stderr
    spec = job(3, 4)["spec"]["template"]["spec"]
    assert spec["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-persister-3"
    assert yaml.safe_load(claim)["metadata"]["name"] == "data-persister-3"
    assert "${" not in yaml.safe_dump(job(3, 4))  # the script's own $variables are kept...
    assert "$MINITALK_PERSISTER_PARTITION" in spec["containers"][0]["args"][0]


async def publish_rooms(js: JetStreamContext) -> None:
    for i, room in enumerate(ROOMS):
        created = events.RoomCreated(actor="ann", room_id=room, name=room, participants=("ann",))
        await bus.publish_event(js, subjects.room_subject(room), created)
        for n in range(i % 3 + 1):
            sent = events.MessageSent(actor="ann", room_id=room, sender="ann", content=f"m{n}")
            await bus.publish_event(js, subjects.message_subject(room), sent)


def run_job_program(partition: int, partitions: int, url: str, data: Path) -> str:
    (container,) = job(partition, partitions)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    env["MINITALK_DATA_DIR"] = str(data)
    done = subprocess.run(
        [*container["command"], *container["args"]],
        env={
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "MINITALK_NATS_URL": url,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_rebuilds_a_partition_keeps_the_old_files_and_verifies(
    nats_server: NatsServer, js: JetStreamContext, nats_settings: NatsSettings, tmp_path: Path
) -> None:
    await publish_rooms(js)
    data = tmp_path / "data"
    (data / "rooms").mkdir(parents=True)
    (data / "rooms" / "left-behind.jsonl").write_text("{}\n")  # from the old partitioning

    run_job_program(1, 3, nats_server.url, data)

    mine = {r for r in ROOMS if subjects.partition_of(r, 3) == 1}
    assert mine
    assert mine != set(ROOMS)
    written = {p.name.split(".")[0] for p in (data / "rooms").iterdir()}
    assert written == mine
    for room in mine:
        lines = (data / "rooms" / f"{room}.jsonl").read_text().count("\n")
        assert lines == ROOMS.index(room) % 3 + 1  # every message of the room
    (old,) = data.glob("rooms.before-*")
    assert (old / "left-behind.jsonl").exists()
