"""Issue 12: one socket cannot pin realtime's memory, and its mistakes are one log line each.

Raw Engine.IO frames over a real WebSocket, against realtime as a process; after each attack a
well-behaved user in the same process still chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable
from typing import IO

import pytest
import websockets
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room
from .rawsocket import RawSocket, StalledReader

SENT = 1500
OpenClient = Callable[..., Awaitable[Client]]
Token = Callable[..., str]


class ServiceLog:
    """What the services print, kept as well as passed on to the test's stderr."""

    def __init__(self, sink: IO[str]) -> None:
        self._sink = sink
        self.text = ""

    def write(self, line: str) -> int:
        self.text += line
        return self._sink.write(line)

    def flush(self) -> None:
        self._sink.flush()

    async def wait_for(self, part: str, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while part not in self.text:
                await asyncio.sleep(0.05)


@pytest.fixture
def service_log(system: LocalSystem) -> ServiceLog:
    """The log of the services this test starts from now on."""
    log = ServiceLog(system.sink or sys.stderr)
    system.sink = log  # type: ignore[assignment]
    return log


async def still_chatting(alice: Client, bob: Client, content: str) -> None:
    ack = await alice.send("r1", content)
    assert ack["ok"] is True
    await bob.wait_until(lambda: any(m["id"] == ack["id"] for m in bob.messages("r1")))


@pytest.mark.parametrize(
    "attachments",
    [
        ['451-["send_message",{"roomId":"r1","content":{"_placeholder":true,"num":0}}]'],
        ['4599999999-["send_message",{"_placeholder":true,"num":0}]'],
        ['461-0[{"_placeholder":true,"num":0}]'],
    ],
)
async def test_a_binary_packet_is_refused_and_its_socket_closed(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Token,
    attachments: list[str],
) -> None:
    await create_room(js, "r1", ("alice", "bob", "mallory"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    mallory = await RawSocket.connect(url, make_token("mallory"))
    await mallory.login()

    await mallory.ws.send(attachments[0])
    error = await mallory.next_frame(lambda f: f.startswith('42["error"'))
    assert json.loads(error[2:]) == ["error", {"message": "binary packets are not accepted"}]
    assert await mallory.closed_within(10)
    await still_chatting(alice, bob, "after the binary header")


async def test_an_engine_io_binary_frame_closes_the_socket(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient, make_token: Token
) -> None:
    await create_room(js, "r1", ("alice", "bob", "mallory"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    mallory = await RawSocket.connect(url, make_token("mallory"))
    await mallory.login()
    # the server may close while the frame is still being written (1009: too big)
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        await mallory.ws.send(b"\x04" + b"x" * 900_000)
    assert await mallory.closed_within(10)
    await still_chatting(alice, bob, "after the binary frame")


@pytest.mark.parametrize(
    ("frame", "logged"),
    [
        ("", True),
        ("x", True),
        ("9", True),
        ("42[", True),
        ('42{"a":1}', True),
        ("4x", True),
        ("40/nowhere,", False),  # an unknown namespace: CONNECT_ERROR, the library's answer
        ("42[1]", False),  # an event named 1: an unknown event, answered as such
    ],
)
async def test_a_malformed_frame_is_one_log_line_and_never_a_traceback(
    service_log: ServiceLog,
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Token,
    frame: str,
    logged: bool,
) -> None:
    await create_room(js, "r1", ("alice", "bob", "mallory"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    mallory = await RawSocket.connect(url, make_token("mallory"))
    await mallory.login()
    for _ in range(20):
        await mallory.ws.send(frame)
    assert await mallory.closed_within(3) is logged  # refused frames close their socket
    await still_chatting(alice, bob, f"after {frame!r}")
    if logged:
        await service_log.wait_for("minitalk.realtime.mistakes")
    assert "Traceback" not in service_log.text
    assert service_log.text.count("minitalk.realtime.mistakes") <= 5


@pytest.mark.parametrize(
    "refused",
    ["42[", '451-["send_message",{"_placeholder":true,"num":0}]'],
    ids=["malformed", "binary"],
)
async def test_nothing_a_refused_socket_sent_after_the_refused_frame_acts(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Token,
    refused: str,
) -> None:
    """A send right behind a refused frame (the same TCP read) is not stored: its socket is
    closing, so no ack could reach its sender, and a stored send nobody acked is a message its
    sender believes lost (and resends)."""
    await create_room(js, "r1", ("alice", "bob", "mallory"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    send = json.dumps(["send_message", {"roomId": "r1", "content": "behind", "clientMsgId": "b"}])
    for _ in range(10):
        mallory = await RawSocket.connect(url, make_token("mallory"))
        await mallory.login()
        mallory.ws.protocol.send_text(refused.encode())  # both frames in one write
        mallory.ws.protocol.send_text(f"421{send}".encode())
        await mallory.ws.send("3")
        assert await mallory.closed_within(10)
    await still_chatting(alice, bob, "after the refused sockets")
    assert [m["sender"] for m in bob.messages("r1")] == ["alice"]


async def test_a_session_that_never_logs_in_is_closed(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient, make_token: Token
) -> None:
    """It answers every ping, but never sends the Socket.IO CONNECT with its token."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(
        MINITALK_CONNECT_DEADLINE_S="2", MINITALK_PING_INTERVAL_S="1", MINITALK_PING_TIMEOUT_S="5"
    )
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    idle = await RawSocket.connect(url, None)
    refused = await RawSocket.connect(url, "not-a-token")
    await refused.ws.send("40")  # refused: CONNECT_ERROR, and the session stays open
    assert (await refused.next_frame(lambda f: f.startswith("44"))).startswith("44")
    logged_in = await RawSocket.connect(url, make_token("bob"))
    await logged_in.login()

    closed = await asyncio.gather(idle.closed_within(15), refused.closed_within(15))
    assert closed == [True, True]
    assert not await logged_in.closed_within(3)  # pinged and answering: kept
    await still_chatting(alice, bob, "after the idle sessions")


async def test_a_client_that_stops_reading_is_dropped_without_delaying_the_room(
    service_log: ServiceLog,
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Token,
) -> None:
    await create_room(js, "r1", ("alice", "bob", "mallory"))
    url = start_realtime(MINITALK_MAX_OUTGOING_BYTES="65536", MINITALK_SEND_BURST="5000")
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    mallory = await StalledReader.login(url, make_token("mallory"))  # and never reads again

    # ~6 MB: more than the kernel buffers on both ends hold (Linux autotunes a send buffer
    # up to 4 MB), so the rest queues in realtime until the bound drops the socket
    content = "x" * 3990
    acks = [await alice.send("r1", f"{n} {content}") for n in range(SENT)]
    assert all(ack["ok"] for ack in acks)
    await bob.wait_until(lambda: len(bob.messages("r1")) == SENT, timeout=60)
    try:
        assert await mallory.dropped_within(15)
    finally:
        mallory.close()
    await service_log.wait_for("bytes queued, dropped")
    await still_chatting(alice, bob, "after the drop")


async def test_engine_io_announces_the_frame_limit(
    start_realtime: StartRealtime, make_token: Token
) -> None:
    url = start_realtime()
    raw = await RawSocket.connect(url, make_token("alice"))
    assert raw.opened["maxPayload"] == 65_536
    await raw.close()
