"""No live gap (issue 14): what the MESSAGES stream stores reaches every member socket once, in
seq order, on every replica, whoever stored it and whatever process died when."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from minitalk_common import bus, events, subjects
from minitalk_common.chat.messages import timestamp
from minitalk_local.system import LocalSystem, NatsServer
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]


async def stored(js: JetStreamContext, room_id: str) -> list[tuple[int, str]]:
    """(seq, id) of every MessageSent the stream holds for ``room_id``, in seq order."""
    info = await js.stream_info(subjects.MESSAGES_STREAM)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        raw = await js.get_msg(subjects.MESSAGES_STREAM, seq)
        if raw.subject == subjects.message_subject(room_id):
            event = events.decode(raw.data or b"")
            assert isinstance(event, events.MessageSent)
            found.append((seq, event.id))
    return found


def received(client: Client, room_id: str) -> list[tuple[int, str]]:
    return [(m["seq"], m["id"]) for m in client.messages(room_id)]


async def receives_exactly(client: Client, room_id: str, expected: list[tuple[int, str]]) -> None:
    """``client`` got ``expected`` (the stored messages) once each, in seq order, nothing else."""
    await client.wait_until(lambda: len(client.messages(room_id)) >= len(expected), timeout=30)
    await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
    assert received(client, room_id) == expected, client.username


async def test_a_message_stored_without_any_deliver_reaches_every_replica(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    """What a process that died right after its PubAck leaves behind: a stored MessageSent that
    nobody published anywhere else."""
    users = ("alice", "bob", "carol", "dave")
    await create_room(js, "gap", users)
    await create_room(js, "elsewhere", ("erin",))
    urls = [start_realtime("realtime"), start_realtime("realtime2")]
    sockets = [await open_client(urls[i % 2], user) for i, user in enumerate(users)]
    erin = await open_client(urls[0], "erin")

    orphan = events.MessageSent(actor="alice", room_id="gap", sender="alice", content="orphan")
    ack = await bus.publish_event(js, subjects.message_subject("gap"), orphan)
    # other event types on a room's messages subject (a newer service's) are skipped
    stranger = b'{"type":"ReadUpTo","id":"x1","v":1,"actor":"bob","room_id":"gap","seq":1}'
    await js.publish(subjects.message_subject("gap"), stranger)
    await js.publish(subjects.message_subject("gap"), b"not even json")
    after = await sockets[1].send("gap", "still live after the strangers")
    assert after["ok"] is True

    for client in sockets:
        await receives_exactly(client, "gap", [(ack.seq, orphan.id), (after["seq"], after["id"])])
    first = sockets[2].messages("gap")[0]
    assert first["content"] == "orphan"
    assert first["timestamp"] == timestamp(orphan.at)
    assert erin.of("message") == []


async def test_the_survivor_of_a_sigkill_gets_every_stored_message_once_in_order(
    js: JetStreamContext,
    system: LocalSystem,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    users = ("alice", "bob", "carol", "dave")
    await create_room(js, "busy", users)
    doomed, survivor = start_realtime("realtime"), start_realtime("realtime2")
    alice = await open_client(doomed, "alice")
    await open_client(doomed, "dave")  # a receiver on the doomed process too
    bob, carol = await open_client(survivor, "bob"), await open_client(survivor, "carol")

    async def send_until_refused(client: Client, count: int) -> None:
        async def one(i: int) -> None:
            with contextlib.suppress(Exception):  # the doomed process may never answer
                await client.send("busy", f"{client.username} {i}", client_msg_id=f"m{i}")

        await asyncio.gather(*(one(i) for i in range(count)))

    async def kill_when_busy() -> None:
        await bob.wait_until(lambda: len(bob.messages("busy")) >= 40, timeout=30)
        system.procs["realtime"].kill()

    await asyncio.gather(
        send_until_refused(alice, 150), send_until_refused(bob, 150), kill_when_busy()
    )
    last = await carol.send("busy", "after the kill")
    assert last["ok"] is True

    history = await stored(js, "busy")
    assert history[-1] == (last["seq"], last["id"])
    assert len(history) > 150  # bob's and carol's, and what alice's process stored
    for client in (bob, carol):
        await receives_exactly(client, "busy", history)


async def send_when_stored(client: Client, room_id: str, content: str) -> dict[str, Any]:
    """Send, resending with the same clientMsgId until realtime can store it again."""
    async with asyncio.timeout(60):
        while True:
            with contextlib.suppress(Exception):  # no answer while realtime reconnects
                ack = await client.send(room_id, content, client_msg_id=content)
                if ack["ok"]:
                    return dict(ack)
            await asyncio.sleep(0.5)


async def test_messages_stored_after_a_nats_server_restart_reach_the_sockets(
    js: JetStreamContext,
    nats_server: NatsServer,
    start_realtime: StartRealtime,
    open_client: OpenClient,
) -> None:
    await create_room(js, "calm", ("alice", "bob", "carol"))
    one, two = start_realtime("realtime"), start_realtime("realtime2")
    alice, bob, carol = (
        await open_client(one, "alice"),
        await open_client(one, "bob"),
        await open_client(two, "carol"),
    )
    before = await alice.send("calm", "before", client_msg_id="before")
    assert before["ok"] is True
    await carol.wait_until(lambda: len(carol.messages("calm")) == 1)

    nats_server.kill()
    await asyncio.sleep(1)
    nats_server.start()  # same port, same store; the realtime sockets stayed connected
    assert alice.sio.connected
    assert carol.sio.connected

    senders = [alice] + [carol] * 5 + [bob] * 5  # through both processes
    acks = [await send_when_stored(c, "calm", f"after {i}") for i, c in enumerate(senders)]

    history = await stored(js, "calm")
    assert [m[1] for m in history] == [before["id"], *(a["id"] for a in acks)]
    for client in (alice, bob, carol):
        await receives_exactly(client, "calm", history)


async def test_a_consumer_deleted_under_a_replica_is_made_again_from_where_it_was(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    """No reconnect, no gap: only the missed heartbeats say the consumer is gone."""
    await create_room(js, "quiet", ("alice", "bob"))
    url = start_realtime(MINITALK_LIVE_HEARTBEAT_S="0.5")
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    first = await alice.send("quiet", "first")
    assert first["ok"] is True
    await bob.wait_until(lambda: len(bob.messages("quiet")) == 1)

    consumers = await js.consumers_info(subjects.MESSAGES_STREAM)
    assert len(consumers) == 1  # one per realtime process
    await js.delete_consumer(subjects.MESSAGES_STREAM, consumers[0].name)
    for i in range(3):  # stored while no consumer follows the stream
        assert (await alice.send("quiet", f"then {i}"))["ok"] is True

    history = await stored(js, "quiet")
    assert len(history) == 4
    for client in (alice, bob):
        await receives_exactly(client, "quiet", history)
    assert len(await js.consumers_info(subjects.MESSAGES_STREAM)) == 1
