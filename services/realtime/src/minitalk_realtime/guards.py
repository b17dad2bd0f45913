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

**Pipelined events.** A socket's events are handled one after the other, in the order sent
(``async_handlers=False``): the next is read once the last is answered. For a send that meant
waiting for JetStream's PubAck before reading the next one, so one socket could store at most
one message per round trip (~100-200 a second on a busy machine), and a client sending faster
queued in the kernel, its refusals too. An event in ``pipelined`` (``send_message`` with an
ack id) is handled in two steps: its first step (checks, budget, the publish written to NATS)
runs in order as before, and the wait for its answer and the ACK run in a task of their own,
so the socket's next event is read at once. Messages keep their order (each is written before
the next is read). At most ``max_in_flight`` answers of one socket wait at a time; past that the
event is handled whole before the next is read, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from engineio import async_socket
from engineio import packet as eio_packet
from engineio.async_drivers import asgi as eio_asgi
from socketio import packet as sio_packet

from . import frames
from .environ import keep_read_after_connect, translate_request
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
#: An EVENT of the default namespace: ``2``, an optional ack id, the JSON array.
_PLAIN_EVENT = re.compile(r"2([0-9]{0,18})\[")


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` with the bounds of this module's doc."""

    def __init__(
        self,
        *,
        mistakes: Mistakes,
        connect_deadline_s: float,
        max_outgoing_bytes: int,
        max_in_flight: int = 128,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.mistakes = mistakes
        #: event name -> first step of a pipelined event (``sockets._started``): the answer
        #: when refused at once, else what to await for it
        self.pipelined: dict[str, Callable[..., Awaitable[Any]]] = {}
        self._max_in_flight = max_in_flight
        #: eio_sid -> answers of pipelined events still to come
        self._in_flight: dict[str, int] = {}
        self._connect_deadline_s = connect_deadline_s
        self._connecting: set[str] = set()
        frames.install()
        bound_outgoing()
        async_socket.AsyncSocket.minitalk_refused = False  # set by ``_refuse``
        eio: Any = self.eio
        eio.minitalk_max_outgoing = max_outgoing_bytes
        eio.minitalk_mistakes = mistakes
        eio.minitalk_flusher = frames.Flusher()
        eio.minitalk_overflow = _drop
        eio._async = {
            **eio._async,
            "websocket": GuardedWebSocket,
            "translate_request": translate_request,
        }

    async def _handle_eio_connect(self, eio_sid: str, environ: Any) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        loop = asyncio.get_running_loop()
        loop.call_later(self._connect_deadline_s, self._check_connected, eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None and sock.minitalk_sink is not None:
            frames.end(sock)  # closed here (ping timeout, logout, ...): end its WebSocket too
        await super()._handle_eio_disconnect(eio_sid, reason)
        self.mistakes.forget(eio_sid)

    async def _handle_connect(self, eio_sid: str, namespace: Any, data: Any) -> None:
        self._connecting.add(eio_sid)
        try:
            await super()._handle_connect(eio_sid, namespace, data)
        finally:
            self._connecting.discard(eio_sid)
            keep_read_after_connect(self.environ.get(eio_sid))

    async def _handle_event(self, eio_sid: str, namespace: Any, id: Any, data: Any) -> None:
        if data and data[0] in _RESERVED_EVENTS:
            data = [f"reserved:{data[0]}", *data[1:]]  # answered by the catch-all: unknown event
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closing or sock.closed or sock.minitalk_refused:
            return  # what a refused socket still sent before it was closed
        if isinstance(data, bytes) or data[:1] in _BINARY_TYPES:
            await self._refuse(eio_sid, NO_BINARY, "sent a binary packet")
            return
        try:
            if not await self._handle_plain_event(eio_sid, data):
                await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            # what the libraries raise on a frame they cannot parse (never a server fault)
            self.mistakes.note(eio_sid, "malformed packet %.80r: %s", data, exc)
            await self._refuse(eio_sid, "malformed packet", None)

    async def _handle_plain_event(self, eio_sid: str, data: str) -> bool:
        """The commonest packet, an EVENT of the default namespace to a handler of its own
        (``2[<id>]["send_message",{...}]``), handled as python-socketio 5.18 would
        (``_handle_eio_message`` -> ``_handle_event`` -> ``_handle_event_internal`` ->
        ``_trigger_event``, then the ACK ``3<id>[<answer>]``) without its packet objects, its
        binary scans and its ``inspect`` per event. False, having done nothing, for anything
        else: another packet type or namespace, a binary packet awaiting attachments, an event
        with no handler of its own or a reserved name, a socket not connected to the
        namespace, an id of more than 18 digits; python-socketio handles those (and the
        errors of its decoder) as before."""
        if data[:1] != "2" or eio_sid in self._binary_packet:
            return False
        match = _PLAIN_EVENT.match(data)
        if match is None:
            return False
        args = self.packet_class.json.loads(data[match.end() - 1 :])
        if type(args) is not list or not args or type(args[0]) is not str:
            return False
        name = args[0]
        handler = self.handlers.get("/", {}).get(name)
        if handler is None or name in _RESERVED_EVENTS or name == "*":
            return False
        manager = self.manager
        sid = manager.sid_from_eio_sid(eio_sid, "/")
        if sid is None or not manager.is_connected(sid, "/"):
            return False
        ack_id = match.group(1)
        answer: Any
        start = self.pipelined.get(name) if ack_id else None
        if start is not None and self._in_flight.get(eio_sid, 0) < self._max_in_flight:
            self._in_flight[eio_sid] = self._in_flight.get(eio_sid, 0) + 1
            try:
                rest = await start(sid, *args[1:])
            except BaseException:
                self._done(eio_sid)
                raise
            if not isinstance(rest, dict):  # the answer comes later
                _spawn(self._answer_later(eio_sid, ack_id, rest))
                return True
            self._done(eio_sid)  # refused at once: answered now, in order
            answer = rest
        else:
            answer = await handler(sid, *args[1:])
        if ack_id:
            await self.eio.send(eio_sid, self._ack(ack_id, answer))
        return True

    def _ack(self, ack_id: str, answer: Any) -> str:
        """``Packet(ACK, namespace="/", id, data).encode()``; MiniTalk's answers are dicts,
        never binary."""
        reply = [] if answer is None else list(answer) if isinstance(answer, tuple) else [answer]
        return f"3{int(ack_id)}{self.packet_class.json.dumps(reply)}"

    async def _answer_later(self, eio_sid: str, ack_id: str, rest: Awaitable[Any]) -> None:
        """The ACK of a pipelined event once its answer is there."""
        try:
            await self.eio.send(eio_sid, self._ack(ack_id, await rest))
        except Exception:  # the socket went meanwhile: nobody to tell
            log.debug("ACK %s for %s not sent", ack_id, eio_sid, exc_info=True)
        finally:
            self._done(eio_sid)

    def _done(self, eio_sid: str) -> None:
        left = self._in_flight.get(eio_sid, 1) - 1
        if left > 0:
            self._in_flight[eio_sid] = left
        else:
            self._in_flight.pop(eio_sid, None)

    async def _refuse(self, eio_sid: str, message: str, why: str | None) -> None:
        """An ``error`` event (when the socket is connected) and the socket closed.

        The socket counts as refused from this moment, before any ``await``: the frames its
        client sent after the refused one are already being read (each message is a task of
        its own, and the close takes a few loop turns), and none of them may still act, say a
        send stored whose ack the closed socket can no longer carry."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            sock.minitalk_refused = True
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
    frames.end(sock)


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
        sink = self.minitalk_sink  # on a WebSocket: frames.py writes it, bounded there
        if sink is not None:
            if await self.check_ping_timeout():  # what the library's send checks first
                sink.send(pkt)
            return
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
    sock.minitalk_sink = None
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
