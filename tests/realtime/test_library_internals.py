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
- ``pings.spread_first_pings`` replaces ``engineio.async_socket.AsyncSocket._send_ping`` with a
  copy of it that waits a random share of the interval first: its body must stay what the copy
  reproduces.

The versions are pinned to the tested minors in services/realtime/pyproject.toml; raising the
pins means reading the new sources of these functions, then updating this file.
"""

from __future__ import annotations

import hashlib
import inspect
from importlib.metadata import version

import socketio
from engineio import async_socket, packet
from engineio.async_drivers import asgi as eio_asgi
from minitalk_realtime import environ, frames, pings
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

#: sha256 (first 16 hex) of the sources this code was written against.
REVIEWED = {
    "engineio.async_socket.AsyncSocket._send_ping": "67db82a704ea49d0",
    "socketio.AsyncServer._send_eio_packet": "64cf72a2ab7d75b1",
    "engineio.async_socket.AsyncSocket._websocket_handler": "27f120df4d717a24",
    "engineio.async_drivers.asgi.translate_request": "39e74733f1fe46aa",
}


def digest(function: object) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]  # type: ignore[arg-type]


def test_the_tested_versions_are_installed() -> None:
    assert version("python-socketio").startswith("5.18."), version("python-socketio")
    assert version("python-engineio").startswith("4.15."), version("python-engineio")


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


def test_send_ping_is_as_reviewed() -> None:
    """``pings.send_ping`` reproduces the library's body after its own first wait: the same
    attributes (``server.ping_interval``, ``closing``, ``closed``, ``last_ping``, ``send``)."""
    pings.spread_first_pings()  # idempotent; keeps the library's function for later pings
    socket_class = async_socket.AsyncSocket
    assert getattr(socket_class, "_minitalk_spread_pings", False)
    library = inspect.getclosurevars(socket_class._send_ping).nonlocals["library_send_ping"]
    assert inspect.iscoroutinefunction(library)
    assert list(inspect.signature(library).parameters) == ["self"]
    assert digest(library) == REVIEWED["engineio.async_socket.AsyncSocket._send_ping"], (
        "AsyncSocket._send_ping changed: re-read it and update pings.spread_first_pings"
    )
    assert packet.PING == 2


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
