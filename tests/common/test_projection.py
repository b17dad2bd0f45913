"""The projection helper against a real nats-server: replay, follow live, caught-up signal."""

from __future__ import annotations

import asyncio

import pytest
from minitalk_common import bus, events, subjects
from minitalk_common.projection import CatchUpFailed, Projection
from nats.js import JetStreamContext


async def test_replays_history_then_follows_live(js: JetStreamContext) -> None:
    for i in range(5):
        event = events.RoomCreated(
            actor="alice", room_id=f"r{i}", name=f"room {i}", participants=("alice",)
        )
        await bus.publish_event(js, subjects.room_subject(f"r{i}"), event)
    seen: list[tuple[str, int]] = []

    async def apply(event: events.Event, seq: int) -> None:
        assert isinstance(event, events.RoomCreated)
        seen.append((event.room_id, seq))

    projection = Projection(js, subjects.ROOMS_STREAM, apply)
    await projection.start()
    await asyncio.wait_for(projection.ready.wait(), 5)
    assert seen == [(f"r{i}", i + 1) for i in range(5)]

    ack = await bus.publish_event(
        js, subjects.room_subject("r0"), events.RoomDeleted(actor="alice", room_id="r0")
    )
    await projection.wait_for(ack.seq)
    assert projection.seq == 6


async def test_empty_stream_is_ready_at_once(js: JetStreamContext) -> None:
    async def apply(event: events.Event, seq: int) -> None:
        raise AssertionError("no events expected")

    projection = Projection(js, subjects.USERS_STREAM, apply)
    await projection.start()
    assert projection.ready.is_set()


async def test_resend_with_same_id_is_stored_once(js: JetStreamContext) -> None:
    event = events.MessageSent(actor="bob", room_id="r1", sender="bob", content="hi")
    first = await bus.publish_event(js, subjects.message_subject("r1"), event)
    again = await bus.publish_event(js, subjects.message_subject("r1"), event)
    assert again.duplicate
    assert again.seq == first.seq


async def test_ensure_streams_is_idempotent(
    js: JetStreamContext, nats_settings: bus.NatsSettings
) -> None:
    await bus.ensure_streams(js, nats_settings)
    info = await js.stream_info(subjects.MESSAGES_STREAM)
    assert info.config.subjects == ["messages.>"]


async def test_ensure_streams_twice_keeps_the_buckets(
    js: JetStreamContext, nats_settings: bus.NatsSettings
) -> None:
    kv = await js.key_value(subjects.CREDENTIALS_BUCKET)
    await kv.put("alice", b"kept")
    await bus.ensure_streams(js, nats_settings)  # the bucket exists: checked, not recreated
    assert (await kv.get("alice")).value == b"kept"
    info = await js.stream_info(f"KV_{subjects.CREDENTIALS_BUCKET}")
    assert info.config.num_replicas == nats_settings.stream_replicas


async def test_catch_up_waits_for_the_subjects_last_event(js: JetStreamContext) -> None:
    applied: list[int] = []

    async def apply(event: events.Event, seq: int) -> None:
        applied.append(seq)

    projection = Projection(js, subjects.ROOMS_STREAM, apply)
    await projection.catch_up(subjects.room_subject("none-yet"))  # nothing stored: at once
    await projection.start()
    event = events.RoomCreated(actor="alice", room_id="r1", name="r1", participants=("alice",))
    ack = await bus.publish_event(js, subjects.room_subject("r1"), event)
    await projection.catch_up(subjects.room_subject("r1"))
    assert ack.seq in applied


async def test_catch_up_fails_loudly_when_the_lookup_fails(js: JetStreamContext) -> None:
    """A lookup that cannot be made is not "no such room": the caller must not refuse on it."""

    async def apply(event: events.Event, seq: int) -> None:
        return None

    projection = Projection(js, "NO_SUCH_STREAM", apply)
    with pytest.raises(CatchUpFailed):
        await projection.catch_up("rooms.r1", timeout=1.0)
