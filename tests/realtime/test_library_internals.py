"""The python-socketio / python-engineio internals realtime builds on (issue 13), checked so an
upgrade that changes them fails here, loudly, instead of in production.

- ``RoomEmitter`` (sockets.py) encodes a packet once and queues it on each recipient with
  ``AsyncServer._send_eio_packet(eio_sid, packet)``, finding them with
  ``manager.get_participants(namespace, room)``;
- ``frames.install`` replaces ``engineio.async_socket.AsyncSocket._websocket_handler`` with a
  copy that writes through a ``FrameSink``, and the sink writes to uvicorn's
  ``WebSocketsSansIOProtocol`` transport, reading its ``transport``, ``close_sent``,
  ``disconnected`` and ``conn.extensions`` (a connection without them keeps the library's
  writer: ``frames.sink_for``);
- ``environ.translate_request`` is the library's ASGI ``translate_request`` with its
  ``wsgi.input`` class defined once (``GuardedServer`` installs it);
- ``pings.share_pinger`` replaces ``engineio.async_socket.AsyncSocket.schedule_ping`` (which
  started ``_send_ping`` as a task per socket) with one heap and one timer for every socket:
  both library functions must stay what ``pings.Pinger`` reproduces;
- ``slim.after_handshake`` swaps uvicorn's receive ``asyncio.Queue`` and ``writable``
  ``asyncio.Event`` for smaller stand-ins and empties the handshake's request, response and
  scope headers: uvicorn must use no more of them than the stand-ins provide, and read the
  request, response and scope headers only during the handshake;
- ``environ.keep_read_after_connect`` empties a socket's environ after its Socket.IO CONNECT
  but for the token's places: python-socketio must read it only to call ``connect``;
- ``jspublish.Publisher`` subscribes its reply inbox with nats-py's ``future=`` and puts an
  object of its own in that slot: nats-py's ``Client._process_msg`` calls its ``cancelled()``
  and ``set_result(msg)`` for each reply, in the read loop, and ``Subscription._start`` starts
  no task for such a subscription;
- ``guards.GuardedServer._handle_plain_event`` handles an EVENT of the default namespace the
  way python-socketio's ``_handle_eio_message`` -> ``_handle_event`` ->
  ``_handle_event_internal`` -> ``_trigger_event`` (with ``_get_event_handler``) does, decoding
  and encoding as ``Packet.decode``/``encode`` do (tests/realtime/test_plain_events.py compares
  the answers).

The versions are pinned to the tested minors in services/realtime/pyproject.toml; raising the
pins means reading the new sources of these functions, then updating this file.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from importlib.metadata import version

import socketio
from engineio import async_socket, packet
from engineio.async_drivers import asgi as eio_asgi
from minitalk_realtime import environ, frames, pings, slim
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from socketio import base_server
from socketio import packet as sio_packet
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

#: sha256 (first 16 hex) of the sources this code was written against.
REVIEWED = {
    "engineio.async_socket.AsyncSocket._send_ping": "67db82a704ea49d0",
    "engineio.async_socket.AsyncSocket.schedule_ping": "fe316639159cd70d",
    "socketio.AsyncServer._send_eio_packet": "64cf72a2ab7d75b1",
    "engineio.async_socket.AsyncSocket._websocket_handler": "27f120df4d717a24",
    "engineio.async_drivers.asgi.translate_request": "39e74733f1fe46aa",
    "nats.aio.client.Client._process_msg": "6cff75947e97717a",
    "nats.aio.subscription.Subscription._start": "ba636472c5d54b17",
    "socketio.AsyncServer._handle_eio_message": "bef50fc0e1635921",
    "socketio.AsyncServer._handle_event": "65178105ef8b593d",
    "socketio.AsyncServer._handle_event_internal": "472e8b723a12d507",
    "socketio.AsyncServer._trigger_event": "01ba90cfa09ba43e",
    "socketio.base_server.BaseServer._get_event_handler": "e18d9a6570aaaaf4",
    "socketio.packet.Packet.decode": "61ad7904b539f472",
    "socketio.packet.Packet.encode": "513c45be75181da2",
}


def digest(function: object) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]  # type: ignore[arg-type]


def test_the_tested_versions_are_installed() -> None:
    assert version("python-socketio").startswith("5.18."), version("python-socketio")
    assert version("python-engineio").startswith("4.15."), version("python-engineio")


def test_nats_hands_a_future_subscription_its_messages_in_place() -> None:
    """``jspublish._Handover`` in a subscription's ``future`` slot gets every message."""
    assert version("nats-py").startswith("2.16."), version("nats-py")
    process = Client._process_msg
    assert digest(process) == REVIEWED["nats.aio.client.Client._process_msg"], (
        "Client._process_msg changed: re-read it before trusting jspublish.Publisher"
    )
    source = inspect.getsource(process)
    assert "sub._future.cancelled()" in source
    assert "sub._future.set_result(msg)" in source
    assert digest(Subscription._start) == REVIEWED["nats.aio.subscription.Subscription._start"], (
        "Subscription._start changed: re-read it before trusting jspublish.Publisher"
    )
    assert "future" in inspect.signature(Client.subscribe).parameters


def test_the_event_path_is_as_reviewed() -> None:
    """What ``GuardedServer._handle_plain_event`` reproduces for the commonest packet."""
    for name, function in (
        ("socketio.AsyncServer._handle_eio_message", socketio.AsyncServer._handle_eio_message),
        ("socketio.AsyncServer._handle_event", socketio.AsyncServer._handle_event),
        (
            "socketio.AsyncServer._handle_event_internal",
            socketio.AsyncServer._handle_event_internal,
        ),
        ("socketio.AsyncServer._trigger_event", socketio.AsyncServer._trigger_event),
        (
            "socketio.base_server.BaseServer._get_event_handler",
            base_server.BaseServer._get_event_handler,
        ),
        ("socketio.packet.Packet.decode", sio_packet.Packet.decode),
        ("socketio.packet.Packet.encode", sio_packet.Packet.encode),
    ):
        assert digest(function) == REVIEWED[name], (
            f"{name} changed: re-read it and update guards.GuardedServer._handle_plain_event"
        )


def test_send_eio_packet_is_as_reviewed() -> None:
    send = socketio.AsyncServer._send_eio_packet
    assert inspect.iscoroutinefunction(send)
    assert list(inspect.signature(send).parameters) == ["self", "eio_sid", "eio_pkt"]
    assert digest(send) == REVIEWED["socketio.AsyncServer._send_eio_packet"], (
        "AsyncServer._send_eio_packet changed: re-read it before trusting RoomEmitter"
    )
    server = socketio.AsyncServer(async_mode="asgi")
    assert list(inspect.signature(server.manager.get_participants).parameters) == [
        "namespace",
        "room",
    ]
    assert server.packet_class is not None


def test_send_ping_and_schedule_ping_are_as_reviewed() -> None:
    """``pings.Pinger`` reproduces the library's ``schedule_ping`` (a new wait only once the
    previous ping was answered: ``last_ping`` truthy, then set to None) and ``_send_ping``'s
    body after its sleep (``closing``, ``closed``, ``last_ping``, ``send(PING)``)."""
    pings.share_pinger()  # idempotent
    socket_class = async_socket.AsyncSocket
    assert getattr(socket_class, "_minitalk_shared_pings", False)
    library = socket_class._minitalk_library_schedule_ping
    assert list(inspect.signature(library).parameters) == ["self"]
    assert digest(library) == REVIEWED["engineio.async_socket.AsyncSocket.schedule_ping"], (
        "AsyncSocket.schedule_ping changed: re-read it and update pings.share_pinger"
    )
    send_ping = socket_class._send_ping
    assert inspect.iscoroutinefunction(send_ping)
    assert digest(send_ping) == REVIEWED["engineio.async_socket.AsyncSocket._send_ping"], (
        "AsyncSocket._send_ping changed: re-read it and update pings.Pinger._ping"
    )
    assert "schedule_ping" in inspect.getsource(socket_class.receive)  # a PONG schedules
    assert packet.PING == 2


def test_uvicorn_uses_no_more_of_its_queue_and_event_than_the_stand_ins_have() -> None:
    source = inspect.getsource(WebSocketsSansIOProtocol)
    used = set(re.findall(r"self\.queue\.(\w+)", source))
    assert used <= {"put_nowait", "get", "empty"}, used
    assert all(hasattr(slim.Inbox, name) for name in used)
    used = set(re.findall(r"self\.writable\.(\w+)", source))
    assert used <= {"set", "clear", "wait"}, used
    assert all(hasattr(slim.Writable, name) for name in used)
    assert "self.queue: asyncio.Queue" in source
    assert "self.writable = asyncio.Event()" in source


def test_uvicorn_reads_the_handshake_only_during_the_handshake() -> None:
    """``request`` and ``response`` only in ``handle_connect`` and the accept branch of ``send``
    (before ``handshake_complete``); the scope's headers and query string only through the log
    lines of the handshake answers (``get_path_with_query_string``) and the ASGI app."""
    for name, member in inspect.getmembers(WebSocketsSansIOProtocol, inspect.isfunction):
        source = inspect.getsource(member)
        if "self.request" in source:
            assert name == "handle_connect", name
        if "self.response" in source:
            assert name in ("handle_connect", "send"), name
        if name == "send":  # in the branch that answers ``websocket.accept`` only
            accept = source.index('if message["type"] == "websocket.accept"')
            after = source.index('elif message["type"] == "websocket.close"')
            reads = [m.start() for m in re.finditer(r"self\.response", source)]
            assert reads
            assert all(accept < at < after for at in reads), "response read after the accept"
        for key in ("headers", "query_string"):
            assert f'scope["{key}"]' not in source or name == "handle_connect", (name, key)


def test_socketio_reads_a_sockets_environ_only_to_call_connect() -> None:
    """Besides storing and deleting it, python-socketio reads a socket's environ only in
    ``_handle_connect`` (the three ``connect`` handler signatures), and in ``get_environ``, a
    public helper MiniTalk never calls."""
    lines = [
        line.strip()
        for line in inspect.getsource(socketio.AsyncServer).splitlines()
        if "self.environ" in line
    ]
    reads = [
        line
        for line in lines
        if "self.environ[eio_sid]," in line or line.endswith("self.environ[eio_sid])")
    ]
    assert len(reads) == 3, lines
    others = set(lines) - set(reads)
    assert others == {
        "self.environ[eio_sid] = environ",
        "if eio_sid in self.environ:",
        "del self.environ[eio_sid]",
    }, others
    connect = inspect.getsource(socketio.AsyncServer._handle_connect)
    assert connect.count("self.environ[eio_sid]") == 3
    assert environ.READ_AFTER_CONNECT == ("QUERY_STRING", "HTTP_AUTHORIZATION")


def test_handle_event_takes_the_event_as_guards_expects() -> None:
    """guards.GuardedServer renames reserved event names before ``_handle_event`` dispatches."""
    params = list(inspect.signature(socketio.AsyncServer._handle_event).parameters)
    assert params == ["self", "eio_sid", "namespace", "id", "data"], (
        "AsyncServer._handle_event changed: re-read it before trusting GuardedServer"
    )


def test_websocket_handler_is_as_reviewed() -> None:
    """``frames.handle`` is the library's handler with a sink in place of its writer task."""
    frames.install()  # idempotent; keeps the library's handler
    socket_class = async_socket.AsyncSocket
    assert socket_class._websocket_handler is frames.handle
    library = socket_class._minitalk_library_websocket_handler
    assert list(inspect.signature(library).parameters) == ["self", "ws"]
    assert digest(library) == REVIEWED["engineio.async_socket.AsyncSocket._websocket_handler"], (
        "AsyncSocket._websocket_handler changed: re-read it and update frames.handle"
    )


def test_uvicorn_websocket_protocol_has_what_sinks_read() -> None:
    source = inspect.getsource(WebSocketsSansIOProtocol)
    for attribute in ("self.transport", "self.close_sent", "self.disconnected", "self.conn"):
        assert attribute in source, f"uvicorn's protocol has no {attribute}: re-read frames.py"
    assert "ServerProtocol(" in source  # websockets' sans-I/O protocol: ``conn.extensions``


def test_a_text_frame_is_an_unmasked_final_text_frame() -> None:
    """RFC 6455 5.2: FIN + opcode 1, then the length (7 bits, or 126 + 16 bits, or 127 + 64
    bits), no mask from a server, then the UTF-8 payload."""
    for text, head in (
        ('42["message",{}]', bytes([0x81, 16])),
        ("é" * 100, bytes([0x81, 126, 0, 200])),
        ("y" * 70_000, bytes([0x81, 127]) + (70_000).to_bytes(8, "big")),
    ):
        assert frames.text_frame(text) == head + text.encode()


async def test_translate_request_is_as_reviewed_and_gives_the_same_environ() -> None:
    library = eio_asgi.translate_request
    assert digest(library) == REVIEWED["engineio.async_drivers.asgi.translate_request"], (
        "engineio's ASGI translate_request changed: re-read it and update environ.py"
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/socket.io/",
        "query_string": b"EIO=4&transport=polling&token=t",
        "headers": [(b"content-type", b"text/plain"), (b"x-a", b"1"), (b"x-a", b"2")],
    }
    events = [
        {"type": "http.request", "body": b"40", "more_body": True},
        {"type": "http.request", "body": b"{}"},
    ]

    async def send(message: object) -> None:
        return None

    environs = []
    for translate in (library, environ.translate_request):
        feed = iter(list(events))

        async def receive(feed: object = feed) -> object:
            return next(feed)  # type: ignore[call-overload]

        got = await translate(scope, receive, send)
        body = await got.pop("wsgi.input").read()
        environs.append(({k: v for k, v in got.items() if k != "asgi.receive"}, body))
    assert environs[0] == environs[1]
    assert environs[1][1] == b"40{}"
