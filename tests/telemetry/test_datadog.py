"""With ``DD_TRACE_ENABLED=true`` the services send the same spans to the Datadog agent."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from minitalk_auth.keys import KeyPair
from minitalk_common import bus, events, subjects
from minitalk_local.system import LocalSystem, NatsServer
from nats.js import JetStreamContext

from ..chat_clients import ChatClient
from .conftest import eventually
from .receivers import DatadogAgent, ThreadedServer

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def agent() -> Iterator[tuple[DatadogAgent, str]]:
    received = DatadogAgent()
    server = ThreadedServer(received.routes())
    server.start()
    yield received, server.url
    server.stop()


@pytest.fixture
def datadog_system(
    tmp_path: Path, nats_server: NatsServer, key_pair: KeyPair, agent: tuple[DatadogAgent, str]
) -> Iterator[LocalSystem]:
    """realtime and persister under ddtrace, reporting to the test's agent."""
    system = LocalSystem(
        data_dir=tmp_path / "data",
        nats_url=nats_server.url,
        env={
            "MINITALK_ENV": "test",
            "MINITALK_JWT_PUBLIC_KEY": key_pair.public_pem,
            "DD_TRACE_ENABLED": "true",
            "DD_TRACE_AGENT_URL": agent[1],
            "DD_ENV": "ci",
            "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
            "DD_REMOTE_CONFIGURATION_ENABLED": "false",
            "DD_TRACE_WRITER_INTERVAL_SECONDS": "0.2",
        },
        sink=sys.stderr,
    )
    try:
        system.start_service("persister")
        system.start_service("realtime")
        yield system
    finally:
        system.stop_all()


async def test_spans_reach_the_datadog_agent(
    datadog_system: LocalSystem,
    agent: tuple[DatadogAgent, str],
    js: JetStreamContext,
    make_token: Callable[..., str],
) -> None:
    received = agent[0]
    room_id = f"dd_{uuid.uuid4().hex[:8]}"
    created = events.RoomCreated(actor="alice", room_id=room_id, name="dd", participants=("alice",))
    await bus.publish_event(js, subjects.room_subject(room_id), created)
    client = await ChatClient("alice", make_token("alice")).connect(datadog_system.http("realtime"))
    try:
        ack = await client.send(room_id, "hello, Datadog")
        assert ack["ok"] is True
        await client.wait_for_count(room_id, 1)
    finally:
        await client.close()

    def spans(resource: str, service: str) -> list[dict[str, Any]]:
        return [
            s for s in list(received.spans) if s["resource"] == resource and s["service"] == service
        ]

    root = (await eventually(lambda: spans("send_message", "minitalk-realtime")))[-1]
    assert root["meta"]["env"] == "ci"
    assert root["meta"]["span.kind"] == "server"
    publish = await eventually(
        lambda: [
            s
            for s in spans("publish messages", "minitalk-realtime")
            if s["trace_id"] == root["trace_id"] and s["parent_id"] == root["span_id"]
        ],
        what="the NATS publish in the same trace",
    )
    assert publish[0]["meta"]["messaging.message.id"] == ack["id"]
    batch = await eventually(
        lambda: [
            s
            for s in spans("MESSAGES persist", "minitalk-persister")
            if format(publish[0]["span_id"], "016x") in s["meta"].get("_dd.span_links", "")
        ],
        what="the persister batch linking to the publish",
    )
    assert batch[0]["meta"]["messaging.system"] == "nats"
