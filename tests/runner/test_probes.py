"""The runner's readiness probes (``minitalk_local.processes``): whatever a port answers while a
service starts, a probe says "not yet" and never raises. A CI run's runner died of a probe that
raised ``BadStatusLine: GET /readyz HTTP/1.1``: its connect to a service port nobody listened on
yet had connected the socket to itself (the port was from the ephemeral range), so the request
came back as the answer. Free ports now come from below that range."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from minitalk_local.processes import (
    PORT_RANGE,
    connected_to_itself,
    free_port,
    http_ok,
    port_open,
)


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
        assert s.connect_ex(("127.0.0.1", port)) == 0  # "open", to a plain connect
        assert connected_to_itself(s)  # so port_open does not count it
    with socket.create_server(("127.0.0.1", 0)) as server, socket.socket() as s:
        s.connect(server.getsockname())
        assert not connected_to_itself(s)  # a real listener still counts
        assert port_open(server.getsockname()[1])
    assert not port_open(port)


def test_free_ports_are_below_the_ephemeral_range_never_twice_and_not_in_use() -> None:
    """``free_port`` picks below the ephemeral range, where no outgoing connection takes a
    source port before the service binds it, and never hands out a port twice in one process
    (two services started together would otherwise meet at their bind)."""
    low, high = PORT_RANGE
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", free_port()))
        listening.listen()
        taken = listening.getsockname()[1]
        ports = [free_port() for _ in range(300)]
    assert all(low <= port < high for port in [taken, *ports])
    assert len(set(ports)) == len(ports)
    assert taken not in ports
