"""Issue 18: admission control of send_message. Past a bound a send is refused at once with a
"retry" ack, the socket stays connected, nothing refused is stored, every acked message is stored
once and delivered once, and once the bound is free sends go through again.

NATS is made slow the way a saturated nats-server is: its process is stopped (SIGSTOP) while
the sends go out, so their PubAcks wait, and continued (SIGCONT) after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from minitalk_common import events, subjects
from minitalk_local.system import NatsServer
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]
BUSY = "server busy, retry in a moment"
#: Bounds that never trip in these tests, so that each test sees only the one it sets.
LOOSE = {
    "MINITALK_PUBLISH_TIMEOUT_S": "60",
    "MINITALK_MAX_IN_FLIGHT_PUBLISHES": "100000",
    "MINITALK_MAX_IN_FLIGHT_PER_SOCKET": "100000",
    "MINITALK_MAX_UNREAD_BYTES_PER_SOCKET": "100000000",
    "MINITALK_MAX_QUEUED_OUT_BYTES": "100000000",
    "MINITALK_MAX_PUBLISH_WAIT_MS": "600000",
    "MINITALK_MAX_LOOP_LAG_MS": "600000",
    "MINITALK_MAX_DELIVERY_LAG_MS": "600000",
}


@contextlib.contextmanager
def stalled(server: NatsServer) -> Iterator[None]:
    """nats-server stopped (it answers nothing) until the block ends."""
    assert server.proc is not None
    pid = server.proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def stored_ids(js: JetStreamContext, room_id: str) -> list[str]:
    """The ids of the messages the MESSAGES stream holds for ``room_id``, in stream order."""
    state = (await js.stream_info(subjects.MESSAGES_STREAM)).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1):
        raw = await js.get_msg(subjects.MESSAGES_STREAM, seq)
        event = events.decode(raw.data or b"")
        if isinstance(event, events.MessageSent) and event.room_id == room_id:
            found.append(event.id)
    return found


async def answered(sends: list[asyncio.Task[Any]], count: int) -> list[Any]:
    """The acks of the first ``count`` of ``sends`` to be answered (they answer at once)."""
    async with asyncio.timeout(15):
        while sum(task.done() for task in sends) < count:
            await asyncio.sleep(0.02)
    return [task.result() for task in sends if task.done()]


async def test_sends_past_the_in_flight_bound_are_refused_fast_and_the_socket_stays(
    js: JetStreamContext,
    nats_server: NatsServer,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(**{**LOOSE, "MINITALK_MAX_IN_FLIGHT_PUBLISHES": "3"})
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    first = await alice.send("r1", "before", client_msg_id="c-before")
    assert first["ok"] is True

    with stalled(nats_server):
        sends = [
            asyncio.create_task(alice.send("r1", f"m{n}", client_msg_id=f"c{n}")) for n in range(10)
        ]
        refused = await answered(sends, 7)  # 3 publishes wait for NATS, 7 are refused now
        assert [ack["error"] for ack in refused] == [BUSY] * 7
        assert all(ack["ok"] is False and ack["retryAfterMs"] > 0 for ack in refused)
        assert alice.sio.connected
    acks = await asyncio.gather(*sends)

    accepted = [ack for ack in acks if ack["ok"]]
    assert len(accepted) == 3
    assert alice.of("error") == []  # a busy refusal is told in its ack only
    after = await alice.send("r1", "after", client_msg_id="c-after")  # the bound is free again
    assert after["ok"] is True
    acked = [first["id"], *(a["id"] for a in accepted), after["id"]]
    assert await stored_ids(js, "r1") == acked  # each once, nothing refused stored
    await bob.wait_until(lambda: len(bob.messages("r1")) == 5)
    assert [m["id"] for m in bob.messages("r1")] == acked
    assert alice.sio.connected
    assert bob.sio.connected


async def test_sends_are_refused_while_the_oldest_publish_waits_too_long(
    js: JetStreamContext,
    nats_server: NatsServer,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(**{**LOOSE, "MINITALK_MAX_PUBLISH_WAIT_MS": "100"})
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    with stalled(nats_server):
        waiting = asyncio.create_task(alice.send("r1", "slow", client_msg_id="slow"))
        await asyncio.sleep(0.5)  # its PubAck has waited longer than the bound now
        refused = [await bob.send("r1", f"b{n}", client_msg_id=f"b{n}") for n in range(3)]
        assert [ack["error"] for ack in refused] == [BUSY] * 3
        assert not waiting.done()
    slow = await waiting
    assert slow["ok"] is True
    again = await bob.send("r1", "b0", client_msg_id="b0")  # the refused one, sent again
    assert again["ok"] is True
    assert await stored_ids(js, "r1") == [slow["id"], again["id"]]
    assert bob.sio.connected
    assert alice.sio.connected


async def test_pipelined_sends_of_one_socket_are_stored_in_the_order_sent(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    acks = await asyncio.gather(*(alice.send("r1", f"m{n}") for n in range(100)))

    assert all(ack["ok"] for ack in acks)
    seqs = [ack["seq"] for ack in acks]
    assert seqs == sorted(seqs)
    await bob.wait_until(lambda: len(bob.messages("r1")) == 100)
    assert [m["content"] for m in bob.messages("r1")] == [f"m{n}" for n in range(100)]
