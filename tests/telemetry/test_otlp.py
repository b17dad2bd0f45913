"""The running system exports its traces and metrics over OTLP/HTTP: a message sent leads from
the socket event through NATS to the persister's batch, and the room file points at its trace."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from minitalk_local.system import LocalSystem, NatsServer

from ..chat_clients import ChatClient, bearer, signup_login
from .conftest import eventually
from .receivers import CONSUMER, PRODUCER, SERVER, OtlpCollector, Span

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory, collector: tuple[OtlpCollector, str]
) -> Iterator[LocalSystem]:
    """The four services exporting to the test's collector (spans every 100 ms)."""
    root: Path = tmp_path_factory.mktemp("traced")
    nats = NatsServer(store=root / "nats", sink=sys.stderr).start()
    system = LocalSystem(
        data_dir=root / "data",
        nats_url=nats.url,
        env={
            "MINITALK_ENV": "test",
            "MINITALK_BCRYPT_COST": "4",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector[1],
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
        },
        sink=sys.stderr,
    )
    try:
        system.start_all()
        yield system
    finally:
        system.stop_all()
        nats.stop()


@pytest.fixture(scope="module")
def received(collector: tuple[OtlpCollector, str]) -> OtlpCollector:
    return collector[0]


class Chat:
    """Two users with a room, alice connected over Socket.IO."""

    def __init__(self, system: LocalSystem) -> None:
        self.system = system
        self.alice = f"alice_{uuid.uuid4().hex[:8]}"
        self.bob = f"bob_{uuid.uuid4().hex[:8]}"
        self.tokens: dict[str, str] = {}
        self.room_id = ""
        self.client: ChatClient | None = None

    async def open(self) -> Chat:
        async with httpx.AsyncClient(base_url=self.system.http("auth"), timeout=30) as auth:
            for user in (self.alice, self.bob):
                self.tokens[user] = await signup_login(auth, user)
        created = await self.rooms(
            "POST", "/api/chatrooms", json={"name": "traced", "participants": []}
        )
        self.room_id = created["roomId"]
        client = ChatClient(self.alice, self.tokens[self.alice])
        self.client = await client.connect(self.system.http("realtime"))
        return self

    async def rooms(self, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.system.http("rooms"), timeout=30) as rooms:
            answer = await rooms.request(
                method, path, headers=bearer(self.tokens[self.alice]), **kwargs
            )
            assert answer.status_code < 300, answer.text
            return answer.json()


@pytest.fixture(scope="module")
async def chat(traced: LocalSystem) -> AsyncIterator[Chat]:
    opened = await Chat(traced).open()
    yield opened
    assert opened.client is not None
    await opened.client.close()


def only(spans: list[Span], what: str) -> Span:
    assert len(spans) == 1, f"{what}: {spans}"
    return spans[0]


def room_file_line(system: LocalSystem, room_id: str, message_id: str) -> dict[str, Any] | None:
    path = system.data_dir / "rooms" / f"{room_id}.jsonl"
    if not path.exists():
        return None
    for raw in path.read_text().splitlines():
        line: dict[str, Any] = json.loads(raw)
        if line["event"].get("id") == message_id:
            return line
    return None


async def test_a_message_is_one_trace_from_the_socket_to_the_room_file(
    chat: Chat, received: OtlpCollector
) -> None:
    assert chat.client is not None
    ack = await chat.client.send(chat.room_id, "hello, traced")
    assert ack["ok"] is True
    await chat.client.wait_for_count(chat.room_id, 1)

    line = await eventually(
        lambda: room_file_line(chat.system, chat.room_id, ack["id"]), what="room file line"
    )
    trace_id = line["trace_id"]
    assert isinstance(trace_id, str)
    assert len(trace_id) == 32

    def event_span() -> list[Span]:
        return [s for s in received.trace(trace_id) if s.name == "send_message"]

    root = only(await eventually(event_span, what="send_message span"), "send_message")
    assert (root.service, root.kind, root.parent_span_id) == ("minitalk-realtime", SERVER, "")
    assert root.attributes["minitalk.room.id"] == chat.room_id

    def child(name: str, parent: Span) -> list[Span]:
        return [
            s
            for s in received.trace(trace_id)
            if s.name == name and s.parent_span_id == parent.span_id
        ]

    publish = only(await eventually(lambda: child("publish messages", root)), "publish")
    assert publish.kind == PRODUCER
    assert publish.attributes["messaging.system"] == "nats"
    assert publish.attributes["messaging.destination.name"] == f"messages.{chat.room_id}"
    assert publish.attributes["messaging.message.id"] == ack["id"]

    # the fan-out follows the stream: its CONSUMER span continues the JetStream publish
    fan_out = only(await eventually(lambda: child("process messages", publish)), "fan-out")
    assert (fan_out.kind, fan_out.service) == (CONSUMER, "minitalk-realtime")
    assert fan_out.attributes["messaging.message.id"] == ack["id"]
    assert not [s for s in received.trace(trace_id) if "deliver" in s.name]

    def batches() -> list[Span]:
        return [
            s
            for s in received.named("MESSAGES persist", "minitalk-persister")
            if (trace_id, publish.span_id) in s.links
        ]

    batch = only(await eventually(batches, what="persister batch span"), "batch")
    assert batch.kind == CONSUMER
    assert batch.attributes["messaging.batch.message_count"] >= 1
    assert batch.attributes["minitalk.batch.rooms"] >= 1
    assert batch.attributes["minitalk.batch.flush_ms"] > 0


async def test_http_requests_are_server_spans_named_by_route(
    chat: Chat, received: OtlpCollector
) -> None:
    await chat.rooms(
        "POST", f"/api/chatrooms/{chat.room_id}/invite", json={"participants": [chat.bob]}
    )
    await chat.rooms("GET", f"/api/chatrooms/{chat.room_id}/messages")

    invite = await eventually(
        lambda: received.named("POST /api/chatrooms/{room_id}/invite", "minitalk-rooms"),
        what="invite span",
    )
    assert invite[0].kind == SERVER
    assert invite[0].attributes["http.route"] == "/api/chatrooms/{room_id}/invite"
    await eventually(lambda: received.named("POST /api/auth/signup", "minitalk-auth"))
    await eventually(lambda: received.named("POST /api/chatrooms", "minitalk-rooms"))

    history = only(
        await eventually(
            lambda: received.named("GET /api/chatrooms/{room_id}/messages", "minitalk-rooms")
        ),
        "history",
    )
    request = only(
        await eventually(
            lambda: [
                s
                for s in received.trace(history.trace_id)
                if s.name == "publish minitalk.history" and s.kind == PRODUCER
            ]
        ),
        "history request",
    )
    assert request.attributes["messaging.destination.name"].startswith("minitalk.history.")
    assert not [s for s in received.spans if "readyz" in s.name or "healthz" in s.name]


async def test_typing_crosses_nats_in_one_trace(chat: Chat, received: OtlpCollector) -> None:
    assert chat.client is not None
    await chat.client.sio.call("typing", {"roomId": chat.room_id, "isTyping": True}, timeout=10)
    typing = await eventually(lambda: received.named("typing", "minitalk-realtime"))
    publish = only(
        await eventually(
            lambda: [
                s
                for s in received.trace(typing[-1].trace_id)
                if s.name == "publish typing" and s.parent_span_id == typing[-1].span_id
            ]
        ),
        "publish typing",
    )
    await eventually(
        lambda: [
            s
            for s in received.trace(publish.trace_id)
            if s.name == "process typing" and s.parent_span_id == publish.span_id
        ],
        what="typing consumer span",
    )


async def test_metrics_are_exported(chat: Chat, received: OtlpCollector) -> None:
    assert chat.client is not None
    await chat.client.send(chat.room_id, "counted")

    def total(service: str, name: str) -> float:
        return max((p.value for p in received.metric(service, name)), default=0)

    await eventually(lambda: total("minitalk-realtime", "minitalk.messages.published") >= 1)
    await eventually(lambda: total("minitalk-realtime", "minitalk.messages.delivered") >= 1)
    await eventually(lambda: total("minitalk-realtime", "minitalk.realtime.sockets") >= 1)
    await eventually(lambda: total("minitalk-persister", "minitalk.persister.batch.size") >= 1)
    await eventually(
        lambda: received.metric("minitalk-persister", "minitalk.persister.flush.duration")
    )

    def lags() -> set[str]:
        return {
            p.attributes["minitalk.projection"]
            for p in list(received.points)
            if p.name == "minitalk.projection.lag"
        }

    expected = {
        "rooms-users",
        "rooms-rooms",
        "realtime-rooms",
        "persister-messages",
        "persister-rooms",
    }
    await eventually(lambda: expected <= lags(), what=f"lag of {expected}")
