"""What one socket may cost this process: memory bounded per socket, whatever its client sends.

python-socketio and python-engineio (4.x/5.x) trust their clients in four ways that a script
can turn into unbounded memory or a log flood; ``GuardedServer`` closes each:

- **Binary packets.** A Socket.IO BINARY_EVENT/BINARY_ACK header announces attachments, and the
  library keeps every binary frame that follows until the count is reached (up to 10 digits of
  it): 50 frames of 0.9 MB grew realtime by 46 MB. MiniTalk has no binary event, so a binary
  header or an Engine.IO binary frame gets an ``error`` and the socket is closed; nothing is
  kept.
- **Sessions that never log in.** An Engine.IO session that answers pings but never sends the
  Socket.IO CONNECT (which carries the token) was kept forever; it is closed after
  ``connect_deadline_s`` unless it is connected or its CONNECT is being handled.
- **Clients that stop reading.** Engine.IO queues every outgoing packet of a socket in an
  unbounded ``asyncio.Queue`` while the writer waits for the TCP buffer to drain. Past
  ``max_outgoing_bytes`` queued, the socket is dropped at once: its queue is emptied, its
  transport aborted, and the send that noticed returns without waiting, so a fan-out to the
  room goes on for everyone else. At most ~2x the bound is held (the queue plus the batch the
  writer took out of it before it blocked).
- **Malformed frames.** A frame neither library can parse logged a full traceback each
  (Engine.IO's ``message async handler error``, or uvicorn's ``Exception in ASGI
  application``); it is now one line in ``mistakes.py``'s budget and the socket is closed.

Large frames are refused before they are buffered: uvicorn's ``ws_max_size`` (see ``main.py``)
and Engine.IO's ``max_http_buffer_size`` are both ``max_frame_bytes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import socketio
from engineio import async_socket
from engineio import packet as eio_packet
from engineio.async_drivers import asgi as eio_asgi
from socketio import packet as sio_packet

from .mistakes import Mistakes

log = logging.getLogger("minitalk.realtime.guards")

#: What a refused binary packet's sender reads before its socket is closed.
NO_BINARY = "binary packets are not accepted"
_BINARY_TYPES = frozenset(str(t) for t in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK))
#: Engine.IO packet types a client may send as text (open..noop).
_EIO_TYPES = frozenset("0123456")
#: Names python-socketio dispatches to the server's own lifecycle handlers: a client event named
#: so (``42["disconnect"]``) would run them. Such an event is handed on as an unknown one.
_RESERVED_EVENTS = frozenset(("connect", "disconnect", "connect_error"))


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` with the bounds of this module's doc."""

    def __init__(
        self,
        *,
        mistakes: Mistakes,
        connect_deadline_s: float,
        max_outgoing_bytes: int,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.mistakes = mistakes
        self._connect_deadline_s = connect_deadline_s
        self._connecting: set[str] = set()
        bound_outgoing()
        eio: Any = self.eio
        eio.minitalk_max_outgoing = max_outgoing_bytes
        eio.minitalk_mistakes = mistakes
        eio._async = {**eio._async, "websocket": GuardedWebSocket}

    async def _handle_eio_connect(self, eio_sid: str, environ: Any) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        loop = asyncio.get_running_loop()
        loop.call_later(self._connect_deadline_s, self._check_connected, eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        self.mistakes.forget(eio_sid)

    async def _handle_connect(self, eio_sid: str, namespace: Any, data: Any) -> None:
        self._connecting.add(eio_sid)
        try:
            await super()._handle_connect(eio_sid, namespace, data)
        finally:
            self._connecting.discard(eio_sid)

    async def _handle_event(self, eio_sid: str, namespace: Any, id: Any, data: Any) -> None:
        if data and data[0] in _RESERVED_EVENTS:
            data = [f"reserved:{data[0]}", *data[1:]]  # answered by the catch-all: unknown event
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closing or sock.closed:
            return  # what a refused socket still sent before it was closed
        if isinstance(data, bytes) or data[:1] in _BINARY_TYPES:
            await self._refuse(eio_sid, NO_BINARY, "sent a binary packet")
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            # what the libraries raise on a frame they cannot parse (never a server fault)
            self.mistakes.note(eio_sid, "malformed packet %.80r: %s", data, exc)
            await self._refuse(eio_sid, "malformed packet", None)

    async def _refuse(self, eio_sid: str, message: str, why: str | None) -> None:
        """An ``error`` event (when the socket is connected) and the socket closed."""
        if why is not None:
            self.mistakes.note(eio_sid, why)
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        if sid is not None:
            await self.emit("error", {"message": message}, to=sid)
        self._close(eio_sid)

    def _check_connected(self, eio_sid: str) -> None:
        if eio_sid in self._connecting or self.manager.sid_from_eio_sid(eio_sid, "/"):
            return
        if eio_sid in self.eio.sockets:
            self.mistakes.note(eio_sid, "no Socket.IO CONNECT within %ss", self._connect_deadline_s)
            self._close(eio_sid)

    def _close(self, eio_sid: str) -> None:
        """Close the Engine.IO session and its connection without waiting for its client."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None and not sock.closing and not sock.closed:
            _spawn(_closed(sock))


async def _closed(sock: Any) -> None:
    """Engine.IO's close only queues a CLOSE packet and waits for the client to hang up; the
    ``None`` after it ends the writer, which closes the WebSocket (or the pending long-poll)."""
    await sock.close(wait=False, abort=False)
    sock.queue.put_nowait(None)


class GuardedWebSocket(eio_asgi.WebSocket):  # type: ignore[misc]
    """Engine.IO's ASGI WebSocket that knows its socket (to abort it) and refuses text frames
    Engine.IO cannot parse, instead of letting its parser raise into uvicorn."""

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self._server = server
        self._sid = "?"
        sock = getattr(handler, "__self__", None)
        if isinstance(sock, async_socket.AsyncSocket):
            sock.minitalk_ws = self
            self._sid = sock.sid

    async def wait(self) -> Any:
        data = await super().wait()
        if isinstance(data, str) and data[:1] not in _EIO_TYPES:
            self._server.minitalk_mistakes.note(self._sid, "malformed frame %.80r", data)
            raise OSError("malformed Engine.IO frame")
        return data

    def abort(self) -> None:
        """Drop the connection now, whatever is still to be written (uvicorn's transport)."""
        transport = getattr(getattr(self.asgi_send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()


def bound_outgoing() -> None:
    """Count the bytes queued on each Engine.IO socket and drop one that passes the bound
    (``AsyncSocket.send``/``poll``, python-engineio 4.x); once per process."""
    socket_class: Any = async_socket.AsyncSocket
    if getattr(socket_class, "_minitalk_bounded", False):
        return
    library_send, library_poll = socket_class.send, socket_class.poll

    async def send(self: Any, pkt: eio_packet.Packet) -> None:
        limit = getattr(self.server, "minitalk_max_outgoing", None)
        if limit is not None:
            if getattr(self, "minitalk_dropped", False):
                return
            queued = getattr(self, "minitalk_queued", 0) + _size(pkt)
            if queued > limit:
                _drop(self, queued)
                return
            self.minitalk_queued = queued
        await library_send(self, pkt)

    async def poll(self: Any) -> list[eio_packet.Packet]:
        packets: list[eio_packet.Packet] = await library_poll(self)
        if packets:
            taken = sum(map(_size, packets))
            self.minitalk_queued = max(0, getattr(self, "minitalk_queued", 0) - taken)
        return packets

    socket_class.send, socket_class.poll = send, poll
    socket_class._minitalk_bounded = True


def _size(pkt: eio_packet.Packet) -> int:
    data = pkt.data
    return len(data) + 8 if isinstance(data, (str, bytes)) else 64


def _drop(sock: Any, queued: int) -> None:
    """Empty the socket's queue, abort its connection and close it, without waiting."""
    sock.minitalk_dropped = True
    sock.server.minitalk_mistakes.note(sock.sid, "not reading: %d bytes queued, dropped", queued)
    queue: asyncio.Queue[Any] = sock.queue
    with contextlib.suppress(asyncio.QueueEmpty, ValueError):
        while True:
            queue.get_nowait()
            queue.task_done()
    sock.minitalk_queued = 0
    queue.put_nowait(None)  # ends the writer (WebSocket) or the pending long-poll
    ws = getattr(sock, "minitalk_ws", None)
    if ws is not None:
        ws.abort()
    if not sock.closing and not sock.closed:
        _spawn(sock.close(wait=False, abort=True))


_tasks: set[asyncio.Task[Any]] = set()


def _spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
