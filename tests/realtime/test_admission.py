"""Issue 18, target 4: admission control. While realtime is behind, a write is refused at once
with ``server busy, try again`` and a ``retryAfterMs``; the socket stays; nothing refused is
stored; sent again after the wait (same clientMsgId) it is acked and stored once.

"Behind" is made the way it happens, for real: the realtime process (or nats-server) is stopped
with SIGSTOP while the client sends, as a process starved of CPU is, and continued after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from minitalk_common import events, subjects
from minitalk_local.system import LocalSystem, NatsServer
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]
BUSY = "server busy, try again"


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    """The process ``pid`` stopped (it runs nothing, reads nothing) until the block ends."""
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


async def test_sends_read_by_a_process_that_fell_behind_are_refused_busy_then_go_through(
    js: JetStreamContext,
    system: LocalSystem,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    # one stop is one late tick: counted as overload here (by default it takes two in a row,
    # which the next test shows)
    url = start_realtime(MINITALK_BUSY_LATE_TICKS="1")
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    first = await alice.send("r1", "before", client_msg_id="c-before")
    assert first["ok"] is True

    with stopped(system.procs["realtime"].pid):  # 0.8 s behind: more than busy_lag_ms (200)
        sends = [
            asyncio.create_task(alice.send("r1", f"m{n}", client_msg_id=f"c{n}")) for n in range(5)
        ]
        await asyncio.sleep(0.8)
    refused: list[dict[str, Any]] = await asyncio.wait_for(asyncio.gather(*sends), 10)

    assert [ack["error"] for ack in refused] == [BUSY] * 5
    assert all(ack["ok"] is False and 0 < ack["retryAfterMs"] <= 2000 for ack in refused)
    assert alice.sio.connected
    assert bob.sio.connected
    assert alice.of("error") == []  # a busy refusal is told in its ack only

    await asyncio.sleep(max(ack["retryAfterMs"] for ack in refused) / 1000 + 0.05)
    again = [await alice.send("r1", f"m{n}", client_msg_id=f"c{n}") for n in range(5)]
    assert all(ack["ok"] for ack in again)
    acked = [first["id"], *(ack["id"] for ack in again)]
    assert await stored_ids(js, "r1") == acked  # each once, nothing refused stored
    await bob.wait_until(lambda: len(bob.messages("r1")) == 6)
    assert [m["id"] for m in bob.messages("r1")] == acked


async def test_one_long_pause_is_not_overload_with_the_defaults(
    js: JetStreamContext,
    system: LocalSystem,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    """A single long loop turn (a garbage collection, a start-up step) makes one late tick and
    the loop is on time again: nothing is refused for it."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    with stopped(system.procs["realtime"].pid):
        sends = [
            asyncio.create_task(alice.send("r1", f"m{n}", client_msg_id=f"c{n}")) for n in range(5)
        ]
        await asyncio.sleep(0.8)
    acks = await asyncio.wait_for(asyncio.gather(*sends), 10)

    assert [ack["ok"] for ack in acks] == [True] * 5, acks
    await bob.wait_until(lambda: len(bob.messages("r1")) == 5)


async def test_reads_stay_answered_while_writes_are_refused(
    js: JetStreamContext,
    system: LocalSystem,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    """Busy refuses what stores something (send, edit, delete, react, mark read); joining a
    room and typing are answered as usual."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(MINITALK_BUSY_HOLD_MS="3000", MINITALK_BUSY_LATE_TICKS="1")
    alice = await open_client(url, "alice")
    sent = await alice.send("r1", "to react to", client_msg_id="c0")

    with stopped(system.procs["realtime"].pid):
        react = asyncio.create_task(
            alice.call("react", {"roomId": "r1", "messageId": sent["id"], "emoji": "👍"})
        )
        join = asyncio.create_task(alice.call("join_room", {"roomId": "r1"}))
        typing = asyncio.create_task(alice.call("typing", {"roomId": "r1", "isTyping": True}))
        await asyncio.sleep(0.6)
    acks = await asyncio.wait_for(asyncio.gather(react, join, typing), 10)

    assert acks[0]["ok"] is False
    assert acks[0]["error"] == BUSY
    assert acks[1] == {"ok": True, "roomId": "r1"}
    assert acks[2] == {"ok": True}
    assert alice.sio.connected


async def test_sends_past_the_pending_bound_are_refused_while_nats_is_stalled(
    js: JetStreamContext,
    nats_server: NatsServer,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(MINITALK_BUSY_MAX_PENDING="2", MINITALK_PUBLISH_TIMEOUT_S="30")
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    assert nats_server.proc is not None

    with stopped(nats_server.proc.pid):
        waiting = []
        for n in range(3):  # 3 publishes wait for a PubAck: past the bound of 2
            waiting.append(asyncio.create_task(alice.send("r1", f"w{n}", client_msg_id=f"w{n}")))
            await asyncio.sleep(0.1)
        refused = [await bob.send("r1", f"b{n}", client_msg_id=f"b{n}") for n in range(3)]
        assert [ack["error"] for ack in refused] == [BUSY] * 3
        assert not any(task.done() for task in waiting)
    acks = await asyncio.wait_for(asyncio.gather(*waiting), 30)

    assert all(ack["ok"] for ack in acks)
    again = await bob.send("r1", "b0", client_msg_id="b0")  # the refused one, sent again
    assert again["ok"] is True
    assert await stored_ids(js, "r1") == [*(ack["id"] for ack in acks), again["id"]]
    assert alice.sio.connected
    assert bob.sio.connected


async def test_a_sockets_next_event_is_read_while_its_sends_wait_for_jetstream(
    js: JetStreamContext,
    nats_server: NatsServer,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    """Pipelined sends: while two sends of alice's socket wait for their PubAck, her typing
    event is answered; past MINITALK_MAX_IN_FLIGHT_PER_SOCKET (here 3) the next event waits
    until one of them is answered (her socket queues, not realtime's memory)."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(MINITALK_MAX_IN_FLIGHT_PER_SOCKET="3", MINITALK_PUBLISH_TIMEOUT_S="30")
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    typing = {"roomId": "r1", "isTyping": True}
    assert nats_server.proc is not None

    with stopped(nats_server.proc.pid):
        sends = [
            asyncio.create_task(alice.send("r1", f"m{n}", client_msg_id=f"c{n}")) for n in range(2)
        ]
        assert await asyncio.wait_for(alice.call("typing", typing), 5) == {"ok": True}
        sends += [
            asyncio.create_task(alice.send("r1", f"m{n}", client_msg_id=f"c{n}"))
            for n in range(2, 4)
        ]  # the 4th is past the bound: handled whole, so what follows it waits
        late = asyncio.create_task(alice.call("typing", typing))
        await asyncio.sleep(1.0)
        assert not late.done()
        assert not any(task.done() for task in sends)
    assert await asyncio.wait_for(late, 30) == {"ok": True}
    acks = await asyncio.wait_for(asyncio.gather(*sends), 30)

    assert all(ack["ok"] for ack in acks)
    assert [ack["seq"] for ack in acks] == sorted(ack["seq"] for ack in acks)
    await bob.wait_until(lambda: len(bob.messages("r1")) == 4)
    assert [m["content"] for m in bob.messages("r1")] == ["m0", "m1", "m2", "m3"]


async def test_pipelined_sends_of_one_socket_are_stored_in_the_order_sent(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    acks = await asyncio.gather(*(alice.send("r1", f"m{n}") for n in range(150)))

    assert all(ack["ok"] for ack in acks)
    seqs = [ack["seq"] for ack in acks]
    assert seqs == sorted(seqs)
    await bob.wait_until(lambda: len(bob.messages("r1")) == 150)
    assert [m["content"] for m in bob.messages("r1")] == [f"m{n}" for n in range(150)]
