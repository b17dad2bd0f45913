"""The NATS shape of the cluster deployment, on this machine: three nats-servers in one cluster
(JetStream on each, its own store), a stream with three replicas, and publishing under load while
one server - the stream's leader - is stopped (SIGTERM) and later started again. Every message
that got a PubAck is in the stream exactly once at the end, with every replica caught up."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import nats
import pytest
from minitalk_local.system import NatsCluster, NatsServer
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js import api

STREAM = "CLUSTERLOAD"
PHASE = 1000  # messages acked in each phase: all up, one down, back up
CONCURRENCY = 32
DEADLINE_S = 120.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NatsServer]]:
    nodes = NatsCluster(store=tmp_path, size=3, sink=sys.stderr)
    for each in nodes.servers:
        each.start()
    yield nodes.servers
    nodes.stop()


@pytest.fixture
async def nc(cluster: list[NatsServer]) -> AsyncIterator[NATS]:
    client = await nats.connect(
        servers=[s.url for s in cluster],
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
        connect_timeout=2,
    )
    yield client
    await client.close()


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0) -> None:
    """Await ``check()`` until it returns true (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            if await check():
                return
        except Exception as exc:  # the cluster is electing, catching up, ...
            last = exc
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what}: not after {timeout}s (last error: {last!r})")


class Load:
    """Publishers that send new messages until told to stop, each message retried with its own
    Nats-Msg-Id until acked (a resend the stream already holds is dropped as a duplicate)."""

    def __init__(self, nc: NATS) -> None:
        self.js = nc.jetstream()
        self.sent: set[str] = set()
        self.acked: set[str] = set()
        self.retries = 0
        self.stop = asyncio.Event()
        self._next = 0
        self._deadline = time.monotonic() + DEADLINE_S

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(CONCURRENCY)))

    async def _worker(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self._deadline:
            i, self._next = self._next, self._next + 1
            msg_id = f"m-{i}"
            self.sent.add(msg_id)
            while time.monotonic() < self._deadline:
                try:
                    await self.js.publish(
                        f"load.{i % 16}", b"x" * 64, timeout=2, headers={"Nats-Msg-Id": msg_id}
                    )
                except NatsError:  # a server is gone, a leader is being elected, ...
                    self.retries += 1
                    await asyncio.sleep(0.1)
                    continue
                self.acked.add(msg_id)
                break

    async def more(self, count: int, what: str) -> None:
        """Wait until ``count`` more messages are acked."""
        target = len(self.acked) + count

        async def reached() -> bool:
            return len(self.acked) >= target

        await until(reached, what, timeout=DEADLINE_S)


async def stored_ids(nc: NATS) -> Counter[str]:
    js = nc.jetstream()
    sub = await js.subscribe("load.>", stream=STREAM, ordered_consumer=True)
    info = await js.stream_info(STREAM)
    ids: Counter[str] = Counter()
    for _ in range(info.state.messages):
        msg = await sub.next_msg(timeout=10)
        ids[(msg.headers or {})["Nats-Msg-Id"]] += 1
    await sub.unsubscribe()
    return ids


async def test_acked_messages_survive_a_server_stop_exactly_once(
    cluster: list[NatsServer], nc: NATS, tmp_path: Path
) -> None:
    js = nc.jetstream()
    config = api.StreamConfig(
        name=STREAM,
        subjects=["load.>"],
        storage=api.StorageType.FILE,
        num_replicas=3,
        duplicate_window=120,
    )

    async def created() -> bool:
        await js.add_stream(config)
        return True

    await until(created, "the R3 stream is created (JetStream meta leader elected)")
    load = Load(nc)
    publishing = asyncio.create_task(load.run())
    try:
        await load.more(PHASE, "messages sent with three servers")
        leader_name = (await js.stream_info(STREAM)).cluster.leader  # type: ignore[union-attr]
        (leader,) = [s for s in cluster if s.name == leader_name]
        leader.stop()  # SIGTERM, while messages keep coming
        await load.more(PHASE, "messages sent with the leader's server down")
        leader.start()  # the same port, store and routes
        await load.more(PHASE, "messages sent after the restart")
    finally:
        load.stop.set()
        await publishing

    assert load.acked == load.sent  # every message was acked in the end, resends included

    async def replicas_current() -> bool:
        info = await js.stream_info(STREAM)
        assert info.cluster is not None
        replicas = info.cluster.replicas or []
        return len(replicas) == 2 and all(r.current and not r.lag for r in replicas)

    await until(replicas_current, "the restarted server caught up")
    ids = await stored_ids(nc)
    assert set(ids) == load.acked
    assert [i for i, n in ids.items() if n > 1] == []  # no resend stored twice
    info = await js.stream_info(STREAM)
    assert info.state.messages == len(load.acked)
