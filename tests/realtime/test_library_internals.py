"""The python-socketio / python-engineio internals realtime builds on (issue 13), checked so an
upgrade that changes them fails here, loudly, instead of in production.

- ``RoomEmitter`` (sockets.py) encodes a packet once and queues it on each recipient with
  ``AsyncServer._send_eio_packet(eio_sid, packet)``, finding them with
  ``manager.get_participants(namespace, room)``;
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
from minitalk_realtime import pings

#: sha256 (first 16 hex) of the sources this code was written against.
REVIEWED = {
    "engineio.async_socket.AsyncSocket._send_ping": "67db82a704ea49d0",
    "socketio.AsyncServer._send_eio_packet": "64cf72a2ab7d75b1",
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
