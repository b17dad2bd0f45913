"""The runner's readiness probes (``minitalk_local.processes``): whatever a port answers while a
service starts, a probe says "not yet" and never raises. A CI run's runner died of a probe that
raised ``BadStatusLine: GET /readyz HTTP/1.1``: its connect to a service port nobody listened on
yet had connected the socket to itself (the port is from the ephemeral range), so the request
came back as the answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from minitalk_local.processes import http_ok, port_open


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A port that answers every connection with what it was sent, as a self-connected socket
    does."""
    server = socket.create_server(("127.0.0.1", 0))
    port: int = server.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(conn.recv(4096))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    server.close()
    thread.join(5)


def test_a_port_that_echoes_is_not_ready(echo_port: int) -> None:
    ok, reason = http_ok(f"http://127.0.0.1:{echo_port}/readyz")
    assert not ok
    assert "BadStatusLine" in reason


def test_a_socket_connected_to_itself_is_not_a_listener() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with socket.socket() as s:  # what a probe's connect can meet: source port == target port
        s.bind(("127.0.0.1", port))
        assert s.connect_ex(("127.0.0.1", port)) == 0
        assert s.getsockname() == s.getpeername()
    assert not port_open(port)
