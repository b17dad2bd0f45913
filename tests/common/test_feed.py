"""Projections and KV followers come back by themselves after nats-server is SIGKILLed and
started again on the same port and store (ephemeral consumers are gone then), or after their
consumer disappears under them: nothing skipped, nothing applied twice (issue 14)."""

from __future__ import annotations

import asyncio
import sys
import time

from minitalk_common import bus, events, revocation, subjects
from minitalk_common.feed import Feed
from minitalk_common.kvfollow import live_keys
from minitalk_common.projection import Projection
from minitalk_local.system import NatsServer
from nats.aio.msg import Msg
from nats.js import JetStreamContext

#: Generous for a loaded 2-core CI machine; the feed resumes within ~1 s of NATS being back.
RESUMED_WITHIN_S = 10.0


def room_created(room_id: str) -> events.RoomCreated:
    return events.RoomCreated(actor="alice", room_id=room_id, name=room_id, participants=("a",))


async def publish_when_back(js: JetStreamContext, room_id: str) -> int:
    """Publish a room creation, retrying while the server is away; its stream seq."""
    deadline = time.monotonic() + RESUMED_WITHIN_S
    while True:
        try:
            ack = await bus.publish_event(
                js, subjects.room_subject(room_id), room_created(room_id), timeout=1.0
            )
            return ack.seq
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def restart(server: NatsServer) -> None:
    await asyncio.to_thread(server.kill)  # SIGKILL, and waits for it
    await asyncio.to_thread(server.start)  # same port, same store


async def test_a_projection_resumes_after_a_restart(
    js: JetStreamContext, nats_server: NatsServer
) -> None:
    applied: list[int] = []

    async def apply(event: events.Event, seq: int) -> None:
        applied.append(seq)

    for i in range(3):
        await publish_when_back(js, f"before{i}")
    projection = Projection(js, subjects.ROOMS_STREAM, apply)
    await projection.start()
    await asyncio.wait_for(projection.current.wait(), 5)

    await restart(nats_server)
    began = time.monotonic()
    seq = await publish_when_back(js, "after")
    await projection.wait_for(seq, timeout=RESUMED_WITHIN_S)
    await asyncio.wait_for(projection.current.wait(), RESUMED_WITHIN_S)
    print(
        f"\nprojection applied a new event {time.monotonic() - began:.2f} s after the restart",
        file=sys.stderr,
    )
    for i in range(3):
        await publish_when_back(js, f"later{i}")
    await projection.wait_for(seq + 3)
    assert applied == list(range(1, seq + 4))  # every event once, in order
    assert projection.resets >= 2
    await projection.close()


async def test_a_projection_resumes_when_its_consumer_is_deleted(js: JetStreamContext) -> None:
    """What a cluster node's death does to a consumer it held while this connection stayed."""
    applied: list[int] = []

    async def apply(event: events.Event, seq: int) -> None:
        applied.append(seq)

    projection = Projection(js, subjects.ROOMS_STREAM, apply)
    await projection.start()
    first = await publish_when_back(js, "r1")
    await projection.wait_for(first)
    async for name in _consumers(js, subjects.ROOMS_STREAM):
        await js.delete_consumer(subjects.ROOMS_STREAM, name)
    second = await publish_when_back(js, "r2")
    await projection.wait_for(second, timeout=RESUMED_WITHIN_S)
    assert applied == [first, second]
    await projection.close()


async def test_revocations_resume_after_a_restart(
    js: JetStreamContext, nats_server: NatsServer
) -> None:
    far = time.time() + 3600
    async with revocation.following(js) as revoked:
        await revocation.revoke(js, "before", far)
        await asyncio.wait_for(revoked.ready.wait(), 5)
        deadline = time.monotonic() + 5
        while not revoked.is_revoked("before"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)

        await restart(nats_server)
        began = time.monotonic()
        while True:
            try:
                await revocation.revoke(js, "after", far)
                break
            except Exception:
                assert time.monotonic() - began < RESUMED_WITHIN_S
                await asyncio.sleep(0.1)
        while not revoked.is_revoked("after"):
            assert time.monotonic() - began < RESUMED_WITHIN_S, "the revocation never arrived"
            await asyncio.sleep(0.05)
        await asyncio.wait_for(revoked.current.wait(), RESUMED_WITHIN_S)
        assert revoked.is_revoked("before")


async def _consumers(js: JetStreamContext, stream: str):  # type: ignore[no-untyped-def]
    for info in await js.consumers_info(stream):
        yield info.name


async def test_a_feed_waits_for_its_stream_then_follows_it(js: JetStreamContext) -> None:
    """A consumer that cannot be made yet (no stream) is tried again, under a new name."""
    seen: list[int] = []

    async def handle(msg: Msg, seq: int) -> None:
        assert seq == msg.metadata.sequence.stream
        seen.append(seq)

    feed = Feed(js, "LATER", "later.>", handle)
    await feed.start()
    await asyncio.sleep(1.5)  # a few failed attempts
    assert not feed.ready.is_set()
    await js.add_stream(name="LATER", subjects=["later.>"])
    await js.publish("later.x", b"1")
    async with asyncio.timeout(RESUMED_WITHIN_S):
        while seen != [1]:
            await asyncio.sleep(0.05)
    assert feed.current.is_set()
    await js.publish("later.x", b"2")
    async with asyncio.timeout(5):
        while seen != [1, 2]:
            await asyncio.sleep(0.05)
    await feed.close()


async def wait_seen(seen: list[int], expected: list[int], within: float) -> None:
    async with asyncio.timeout(within):
        while seen != expected:
            await asyncio.sleep(0.05)


async def test_a_new_feed_starts_at_the_end_and_follows_a_recreated_stream_from_its_end(
    js: JetStreamContext,
) -> None:
    """``start="new"`` hands over only what is stored after ``start()``, with its seq; a stream
    deleted and made again (fewer messages than were handled) is followed from its new end."""
    seen: list[int] = []

    async def handle(msg: Msg, seq: int) -> None:
        assert seq == msg.metadata.sequence.stream
        seen.append(seq)

    await js.add_stream(name="NEWS", subjects=["news.>"])
    for i in range(3):
        await js.publish("news.x", f"old {i}".encode())
    feed = Feed(js, "NEWS", "news.>", handle, start="new", heartbeat_s=0.2)
    await feed.start()
    try:
        assert feed.current.is_set()
        await js.publish("news.x", b"new")
        await wait_seen(seen, [4], 5)
        await js.delete_stream("NEWS")  # its consumer goes with it: missed heartbeats tell
        resets = feed.resets
        await js.add_stream(name="NEWS", subjects=["news.>"])
        async with asyncio.timeout(RESUMED_WITHIN_S):
            while feed.resets == resets or not feed.current.is_set():
                await asyncio.sleep(0.05)
        await js.publish("news.x", b"again 1")  # seq 1 again: not taken for handled already
        await js.publish("news.x", b"again 2")
        await wait_seen(seen, [4, 1, 2], RESUMED_WITHIN_S)
        assert feed.last == 2
    finally:
        await feed.close()


async def test_live_keys_lists_the_keys_that_hold_a_value(js: JetStreamContext) -> None:
    """Every stored key, none deleted or purged, and an empty bucket is an empty set (not
    nats-py's ``keys()``, which can answer "no keys" for a full bucket on a busy machine)."""
    kv = await js.create_key_value(bucket="livekeys")
    assert await live_keys(js, "livekeys") == set()
    for i in range(300):
        await kv.put(f"k{i}", b"v")
    await kv.delete("k1")
    await kv.purge("k2")
    await kv.put("k2", b"again")
    await kv.purge("k3")
    expected = {f"k{i}" for i in range(300)} - {"k1", "k3"}
    assert await live_keys(js, "livekeys") == expected
