"""A raw Socket.IO v5 client over one WebSocket (Engine.IO 4), frame by frame, so a fuzz case
can send what no well-behaved client library would: bad packet types, bad JSON, binary
attachments, unknown namespaces, odd acknowledgement ids.

``open`` does the handshake (``0{open}``, ``40`` -> ``40{sid}``); ``send`` puts a frame on the
wire as it is; ``call`` sends an event with an ack id and waits for its ``43<id>[...]``.
Everything the server sends is recorded: events in ``events``, acks in ``acks``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from .wire import json_text


class Refused(Exception):
    """The server answered the Socket.IO CONNECT with ``44{message}``."""


class Closed(Exception):
    """The WebSocket was closed (by the server, or after an Engine.IO close)."""


def socket_url(base_url: str, query: dict[str, str]) -> str:
    origin = "ws" + base_url.removeprefix("http")
    return f"{origin}/socket.io/?{urlencode({'EIO': '4', 'transport': 'websocket', **query})}"


class RawSocket:
    def __init__(self, base_url: str, token: str | None) -> None:
        self.url = socket_url(base_url, {"token": token} if token is not None else {})
        self.ws: ClientConnection | None = None
        self.events: list[tuple[str, Any]] = []
        self.acks: dict[int, Any] = {}
        self.refusals: list[Any] = []
        self.connected = False
        self.closed = False
        self._exits = contextlib.ExitStack()
        #: the client's own ack ids count from here, apart from the ids fuzz frames carry
        self._next_id = 900_000_000

    def open(self, timeout: float = 15.0, connect_frame: str = "40") -> RawSocket:
        """The Engine.IO and Socket.IO handshakes; ``Refused`` on ``44``."""
        self.ws = self._exits.enter_context(
            connect(
                self.url, open_timeout=timeout, max_size=None, compression=None, ping_interval=None
            )
        )
        opened = self._recv(timeout)
        if not isinstance(opened, str) or not opened.startswith("0"):
            raise Closed(f"expected an Engine.IO open packet, got {opened!r:.80}")
        self.send(connect_frame)
        if not self.pump(lambda: self.connected or bool(self.refusals), timeout):
            raise Closed("no answer to the Socket.IO CONNECT")
        if not self.connected:
            raise Refused(str(self.refusals[-1]))
        return self

    def send(self, frame: str | bytes) -> None:
        assert self.ws is not None
        try:
            self.ws.send(frame)
        except ConnectionClosed as exc:
            self.closed = True
            raise Closed(str(exc)) from exc

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def call(self, event: str, data: Any, timeout: float = 15.0) -> Any:
        """Emit ``event`` with an ack id; the ack's first argument. ``TimeoutError`` when the
        socket is open but no ack came, ``Closed`` when it closed."""
        ack_id = self.next_id()
        self.send(f"42{ack_id}{json_text([event, data])}")
        if not self.pump(lambda: ack_id in self.acks, timeout):
            raise TimeoutError(f"no ack for {event} within {timeout}s")
        return self.acks.pop(ack_id)

    def pump(self, until: Callable[[], bool], timeout: float) -> bool:
        """Read frames until ``until()`` or ``timeout``; ``Closed`` if the socket closes."""
        deadline = time.monotonic() + timeout
        while not until():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            frame = self._recv(left)
            if frame is not None:
                self._handle(frame)
        return True

    def drain(self, seconds: float = 0.05) -> None:
        """Take what has arrived within ``seconds`` (errors, events)."""
        self.pump(lambda: False, seconds)

    def close(self) -> None:
        self._exits.close()
        self.closed = True

    def _recv(self, timeout: float) -> str | bytes | None:
        assert self.ws is not None
        try:
            return self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        except ConnectionClosed as exc:
            self.closed, self.connected = True, False
            raise Closed(str(exc)) from exc

    def _handle(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            return
        if frame == "2":
            self.send("3")
        elif frame.startswith("1"):
            self.closed, self.connected = True, False
            self.close()
            raise Closed("Engine.IO close packet")
        elif frame.startswith("4"):
            self._packet(frame[1:])

    def _packet(self, packet: str) -> None:
        kind, rest = packet[:1], packet[1:]
        if rest.startswith("/"):  # a namespace other than "/": the fuzz case asked for it
            rest = rest.partition(",")[2]
        digits = len(rest) - len(rest.lstrip("0123456789"))
        ack_id, body = (int(rest[:digits]) if digits else None), rest[digits:]
        data = json.loads(body) if body else None
        if kind == "0":
            self.connected = True
        elif kind == "1":
            self.connected = False
        elif kind == "4":
            self.refusals.append(data)
        elif kind == "2" and isinstance(data, list) and data:
            self.events.append((data[0], data[1] if len(data) > 1 else None))
        elif kind == "3" and ack_id is not None:
            self.acks[ack_id] = data[0] if isinstance(data, list) and data else data
