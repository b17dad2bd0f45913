"""compose.yaml against the Compose Specification's JSON schema (the copy check-jsonschema
ships), and what it promises: NATS with JetStream on a volume, the services built from their
Dockerfiles, the frontend on :3000, and the otel, datadog and loadtest profiles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .conftest import ROOT, SERVICES, run, tool

COMPOSE = ROOT / "compose.yaml"


def load() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves the << merge keys
    return doc


def validate(path: Path) -> str:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))
    return "" if result.returncode == 0 else result.stdout + result.stderr


def services() -> dict[str, Any]:
    found: dict[str, Any] = load()["services"]
    return found


def test_compose_file_follows_the_compose_spec() -> None:
    assert validate(COMPOSE) == ""


def test_the_schema_check_catches_a_mistake(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("    image: nats:", "    imagee: nats:", 1))
    assert "imagee" in validate(broken)


def test_nats_runs_jetstream_on_a_volume() -> None:
    nats = services()["nats"]
    assert nats["image"] == "nats:2.10-alpine"
    command = nats["command"]
    assert "-js" in command
    assert command[command.index("-sd") + 1] == "/data"
    assert "nats-data:/data" in nats["volumes"]
    assert "nats-data" in load()["volumes"]
    assert "healthz" in " ".join(nats["healthcheck"]["test"])


def test_services_are_built_from_their_dockerfiles_and_wait_for_nats() -> None:
    for name in SERVICES:
        service = services()[name]
        dockerfile = service["build"]["dockerfile"]
        assert dockerfile == f"services/{name}/Dockerfile"
        assert (ROOT / service["build"]["context"] / dockerfile).is_file()
        assert service["depends_on"]["nats"]["condition"] == "service_healthy"
        env = service["environment"]
        assert env["MINITALK_NATS_URL"] == "nats://nats:4222"
        expose = re.search(r"^EXPOSE (\d+)$", (ROOT / dockerfile).read_text(), re.M)
        assert expose is not None
        assert env["MINITALK_PORT"] == expose.group(1)
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" in env
    assert "persister-data:/data" in services()["persister"]["volumes"]


def test_frontend_is_the_edge_on_port_3000() -> None:
    frontend = services()["frontend"]
    assert (ROOT / frontend["build"]["dockerfile"]).is_file()
    assert frontend["ports"] == ["${MINITALK_HTTP_PORT:-3000}:8080"]
    env = frontend["environment"]
    assert env["LISTEN"] == "8080"
    for name, port in (("AUTH", 8001), ("ROOMS", 8002), ("REALTIME", 8003)):
        assert env[f"{name}_SERVERS"] == f"server {name.lower()}:{port};"
        assert frontend["depends_on"][name.lower()]["condition"] == "service_healthy"


def test_profiles_keep_the_extras_off_by_default() -> None:
    profiles = {name: s.get("profiles", []) for name, s in services().items()}
    assert profiles["otel-collector"] == profiles["jaeger"] == ["otel"]
    assert profiles["datadog-agent"] == ["datadog"]
    assert profiles["loadtest"] == ["loadtest"]
    always = {name for name, p in profiles.items() if not p}
    assert always == {"nats", *SERVICES, "frontend"}


def test_otel_profile_wires_collector_to_jaeger() -> None:
    collector = services()["otel-collector"]
    (mount,) = collector["volumes"]
    source = mount.split(":")[0]
    config = yaml.safe_load((ROOT / source).read_text())
    assert config["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert "16686:16686" in services()["jaeger"]["ports"]


def test_datadog_profile_takes_apm_and_otlp() -> None:
    env = services()["datadog-agent"]["environment"]
    assert env["DD_APM_ENABLED"] == "true"
    assert env["DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT"] == "0.0.0.0:4318"
    assert env["DD_API_KEY"] == "${DD_API_KEY:-}"
    for name in SERVICES:
        service_env = services()[name]["environment"]
        assert service_env["DD_SERVICE"] == f"minitalk-{name}"
        assert service_env["DD_AGENT_HOST"] == "datadog-agent"
        assert service_env["DD_TRACE_ENABLED"] == "${DD_TRACE_ENABLED:-false}"


def test_loadtest_profile_runs_the_load_generator_against_the_frontend() -> None:
    loadtest = services()["loadtest"]
    assert loadtest["build"]["dockerfile"] == "loadtests/Dockerfile"
    assert (ROOT / "loadtests" / "Dockerfile").is_file()
    assert loadtest["entrypoint"] == ["python", "-m", "minitalk_loadtest"]
    assert loadtest["environment"]["MINITALK_LOADTEST_URL"] == "http://frontend:8080"
