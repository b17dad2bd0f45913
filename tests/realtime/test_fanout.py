"""Issue 18: a room's message is framed once and written to every member socket (``frames.py``).

Every member socket gets each message once and in order, whatever its transport (a WebSocket
from the start, long-polling, or long-polling upgraded to a WebSocket); a non-member never does;
a socket that vanishes in the middle of a fan-out costs the others nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext
from websockets.exceptions import ConnectionClosed

from .clients import Client
from .conftest import StartRealtime, create_room
from .rawsocket import RawSocket

OpenClient = Callable[..., Awaitable[Client]]
Token = Callable[..., str]


async def test_every_member_socket_gets_each_message_once_whatever_its_transport(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    clients: list[Client],
    make_token: Token,
) -> None:
    await create_room(js, "r1", ("alice", "bob", "carol"))
    await create_room(js, "r2", ("dave", "alice"))
    # short pings: a polling client's own close leaves its pending long-poll to the ping
    # timeout (python-engineio), which would make this test's teardown wait 45 s per client
    url = start_realtime(MINITALK_PING_INTERVAL_S="2", MINITALK_PING_TIMEOUT_S="2")

    async def connect(username: str, transports: list[str]) -> Client:
        client = Client(username)
        clients.append(client)
        return await client.connect(url, make_token(username), transports=transports)

    members = [
        await connect("alice", ["websocket"]),
        await connect("alice", ["polling"]),  # the same user's second socket
        await connect("bob", ["polling", "websocket"]),  # upgrades, as browsers do
        await connect("carol", ["polling"]),
    ]
    dave = await connect("dave", ["websocket"])
    assert members[2].sio.transport() == "websocket"
    assert members[3].sio.transport() == "polling"

    acks = [await members[0].send("r1", f"hello {n}") for n in range(20)]
    acks += [await members[3].send("r1", f"from carol {n}") for n in range(5)]

    ids = [ack["id"] for ack in acks]
    for member in members:
        await member.wait_until(lambda m=member: len(m.messages("r1")) >= len(ids))  # type: ignore[misc]
    await asyncio.sleep(0.5)  # room for a duplicate to show up
    for member in members:
        received = member.messages("r1")
        assert [m["id"] for m in received] == ids
        assert [m["seq"] for m in received] == sorted(m["seq"] for m in received)
    assert dave.messages("r1") == []

    other = await dave.send("r2", "only r2")
    await members[0].wait_until(lambda: len(members[0].messages("r2")) == 1)
    assert [m["id"] for m in members[0].messages("r2")] == [other["id"]]
    for member in members[2:]:
        assert member.messages("r2") == []


async def test_a_socket_gone_mid_fanout_costs_the_others_nothing(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Token,
) -> None:
    await create_room(js, "r1", ("alice", "bob", "carol"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    carol = await RawSocket.connect(url, make_token("carol"))
    await carol.login()

    async def send(n: int) -> str:
        for _ in range(3):  # a refused send is sent again with its clientMsgId, as apps do
            ack = await alice.send("r1", f"message {n}", client_msg_id=f"m{n}")
            if ack["ok"]:
                return str(ack["id"])
        raise AssertionError(f"message {n} refused: {ack}")

    sending = [asyncio.create_task(send(n)) for n in range(60)]
    await carol.next_frame(lambda f: f.startswith('42["message"'))
    carol.ws.transport.abort()  # carol's connection drops while the room's messages go out
    ids = await asyncio.gather(*sending)

    for member in (alice, bob):
        await member.wait_until(lambda m=member: len(m.messages("r1")) >= len(ids))  # type: ignore[misc]
    await asyncio.sleep(0.5)
    for member in (alice, bob):
        assert sorted(m["id"] for m in member.messages("r1")) == sorted(ids)
        assert len(member.messages("r1")) == len(ids)

    back = await open_client(url, "carol")  # realtime still serves carol, and everyone else
    ack = await back.send("r1", "back again")
    await bob.wait_until(lambda: ack["id"] in [m["id"] for m in bob.messages("r1")])
    await back.wait_until(lambda: [m["id"] for m in back.messages("r1")] == [ack["id"]])


async def test_a_websocket_that_stops_answering_pings_is_closed(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Token,
) -> None:
    """No timer per received frame: Engine.IO's ping timeout closes the socket, and with it the
    WebSocket; the room goes on for the others."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(MINITALK_PING_INTERVAL_S="1", MINITALK_PING_TIMEOUT_S="1")
    silent = await RawSocket.connect(url, make_token("bob"))
    await silent.login()
    alice = await open_client(url, "alice")

    async def closed() -> bool:  # reads, never answers a ping
        try:
            while True:
                await silent.ws.recv()
        except ConnectionClosed:
            return True

    assert await asyncio.wait_for(closed(), 15)
    ack = await alice.send("r1", "still here")
    await alice.wait_until(lambda: [m["id"] for m in alice.messages("r1")] == [ack["id"]])
