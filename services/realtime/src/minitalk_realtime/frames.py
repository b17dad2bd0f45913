"""Engine.IO packets written straight to each WebSocket's transport, a room's frame built once.

python-engineio (4.x) sends a WebSocket socket's packets through an unbounded queue and a writer
task per socket: each packet to each socket is one ``queue.put``, one wake-up of that socket's
task, one ``wait_for`` (a timer and a future), one encode, one ASGI ``websocket.send`` event and
one frame built by uvicorn's websockets. At 1,000 msgs/s with 5 members a room that was a third
of realtime's CPU (docs/benchmarks.md, "Round two").

Here, once a socket is on a WebSocket (from the start, or once upgraded from polling), its packets
go into a ``FrameSink``: the WebSocket frame of the packet is appended to the sink's pending
bytes, and one callback per event loop turn writes every sink's pending frames with one
``transport.writelines`` (a socket's frames of that turn leave together). ``RoomEmitter``
builds a room's frame once and hands the same bytes to every member's sink. Packets keep their
order per socket: after the switch, every packet of that socket takes this way.

A sink is made only for uvicorn's ``websockets-sansio`` protocol with no extension negotiated
(realtime turns permessage-deflate off, as the original Engine.IO server does); any other
connection, and every polling one, keeps python-engineio's queue and writer. A client that stops
reading is dropped once its transport holds more than ``max_outgoing_bytes`` (``guards.py``).

``install`` replaces ``AsyncSocket._websocket_handler`` (python-engineio 4.15) with ``handle``,
the library's handler with the sink instead of the writer task, and without its task plus
``wait_for`` (a timer) per received frame: a client that goes silent misses Engine.IO's pings,
Engine.IO closes its socket, and ``end`` then closes the WebSocket (``guards.py`` calls it on
every server-side disconnect), which ends the handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from engineio import async_socket, exceptions, packet
from websockets.frames import Frame, Opcode

from . import slim

log = logging.getLogger("minitalk.realtime.frames")

#: Called with a socket whose transport holds more than its bound (``guards._drop``).
Overflow = Callable[[Any, int], None]


def text_frame(text: str) -> bytes:
    """The unmasked WebSocket text frame of ``text`` (a server's frame): RFC 6455 5.2, FIN and
    opcode 1, the length in 7 bits, or 126 and 16 bits, or 127 and 64 bits, then the UTF-8
    payload. What websockets' ``Frame(Opcode.TEXT, data).serialize(mask=False)`` gives without
    extensions, without its checks and object (this is every ack's and every room frame's)."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 65536:
        return bytes((0x81, 126, size >> 8, size & 0xFF)) + data
    return b"\x81\x7f" + size.to_bytes(8, "big") + data


class Flusher:
    """Writes the pending frames of every sink written to in this loop turn, once per turn."""

    def __init__(self) -> None:
        self._dirty: list[FrameSink] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def mark(self, sink: FrameSink) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (a test's): the old one's sockets are gone
            self._loop, self._dirty = loop, []
        if not self._dirty:
            loop.call_soon(self.flush)
        self._dirty.append(sink)

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for sink in dirty:
            try:
                sink.flush()
            except Exception:  # one connection's failure must not cost the others their frames
                log.exception("writing to %s failed", getattr(sink.sock, "sid", "?"))


class FrameSink:
    """The pending frames of one socket on one uvicorn ``websockets-sansio`` connection."""

    __slots__ = ("_flusher", "_limit", "_overflow", "_pending", "_protocol", "_transport", "sock")

    def __init__(
        self, protocol: Any, sock: Any, flusher: Flusher, limit: int | None, overflow: Overflow
    ) -> None:
        self._protocol = protocol
        self._transport = protocol.transport
        self._pending: list[bytes] = []
        self._flusher = flusher
        self._limit = limit
        self._overflow = overflow
        self.sock = sock

    @property
    def open(self) -> bool:
        protocol = self._protocol
        return not (protocol.close_sent or protocol.disconnected or self._transport.is_closing())

    def write(self, frame: bytes) -> None:
        """Queue a serialized frame; it leaves at the end of this loop turn."""
        pending = self._pending
        if not pending:
            if not self.open:
                return
            self._flusher.mark(self)
        pending.append(frame)
        limit = self._limit
        if limit is not None:
            held = self._transport.get_write_buffer_size() + sum(map(len, pending))
            if held > limit:
                pending.clear()
                self._overflow(self.sock, held)

    def send(self, pkt: packet.Packet) -> None:
        """Any Engine.IO packet of this socket (pings, acks, events to it alone, CLOSE)."""
        encoded = pkt.encode()
        if isinstance(encoded, bytes):  # MiniTalk sends no binary packet; kept for safety
            self.write(Frame(Opcode.BINARY, encoded).serialize(mask=False))
        else:
            self.write(text_frame(encoded))

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        if self.open:
            if len(pending) == 1:
                self._transport.write(pending[0])
            else:
                self._transport.writelines(pending)
        self._pending = []


def sink_for(ws: Any, sock: Any) -> FrameSink | None:
    """A sink for ``sock`` on ``ws`` (Engine.IO's ASGI WebSocket), or None when its
    connection is not one this module knows how to write to."""
    protocol: Any = getattr(getattr(ws, "asgi_send", None), "__self__", None)
    if type(protocol).__name__ != "WebSocketsSansIOProtocol":
        return None
    try:  # what the sink reads (tests/realtime/test_library_internals.py)
        usable = protocol.transport is not None and not protocol.conn.extensions
        usable = usable and not (protocol.close_sent or protocol.disconnected)
    except AttributeError:  # another uvicorn: the library's writer, as before
        return None
    if not usable:  # a negotiated extension (compression) changes every frame
        return None
    # the handshake is done (accepted before this handler runs): what only it read goes
    slim.after_handshake(protocol)
    server = sock.server
    return FrameSink(
        protocol,
        sock,
        server.minitalk_flusher,
        getattr(server, "minitalk_max_outgoing", None),
        server.minitalk_overflow,
    )


def end(sock: Any) -> None:
    """Make the socket's connection end now (a server-side close): the writer's ``None`` for
    a queue socket, a WebSocket close for a sink's."""
    ws = getattr(sock, "minitalk_ws", None)
    if sock.minitalk_sink is not None and ws is not None:
        _spawn(ws.close())
    else:
        sock.queue.put_nowait(None)


def install() -> None:
    """Route this process's Engine.IO WebSocket sockets through sinks (once per process)."""
    socket_class: Any = async_socket.AsyncSocket
    if getattr(socket_class, "_minitalk_frames", False):
        return
    socket_class.minitalk_sink = None
    socket_class._minitalk_library_websocket_handler = socket_class._websocket_handler
    socket_class._websocket_handler = handle
    socket_class._minitalk_frames = True


async def handle(self: Any, ws: Any) -> None:
    """python-engineio 4.15's ``AsyncSocket._websocket_handler`` with a ``FrameSink`` in place
    of the writer task when the connection allows one."""

    async def websocket_wait() -> Any:
        data = await ws.wait()
        if data and len(data) > self.server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data

    if self.connected:
        if not await _upgrade(self, ws, websocket_wait):
            return
    else:
        self.connected = True
        self.upgraded = True

    sink = sink_for(ws, self)
    writer_task = None
    if sink is None:
        writer_task = asyncio.ensure_future(_writer(self, ws))
    else:
        _take_queued(self, sink)
        self.minitalk_sink = sink
        self.queue = DRAINED  # its own (3 deques and an Event: ~2.5 KB) is never used again
    self.server.logger.info("%s: Upgrade to websocket successful", self.sid)

    while True:  # no timer per frame: see ``end``
        try:
            p = await websocket_wait()
        except (Exception, asyncio.CancelledError):
            break
        if p is None:  # connection closed by client
            break
        try:
            await self.receive(packet.Packet(encoded_packet=p))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            self.server.logger.info("Receive error -- socket is closed")
            break
        except Exception:
            self.server.logger.exception("Unknown receive error")

    if sink is None:
        assert writer_task is not None
        await self.queue.put(None)  # unlock the writer task so it can exit
        await writer_task
    else:
        sink.flush()
        self.minitalk_sink = None
        await ws.close()
    await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)


async def _upgrade(self: Any, ws: Any, websocket_wait: Callable[[], Any]) -> bool:
    """The polling -> WebSocket upgrade, as the library's handler does it."""
    self.upgrading = True  # hold packet sends during the upgrade
    try:
        pkt = await websocket_wait()
    except OSError:
        return False
    decoded = packet.Packet(encoded_packet=pkt)
    if decoded.packet_type != packet.PING or decoded.data != "probe":
        self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
        self.upgrading = False
        return False
    await ws.send(packet.Packet(packet.PONG, data="probe").encode())
    await self.queue.put(packet.Packet(packet.NOOP))  # end poll
    try:
        pkt = await websocket_wait()
    except OSError:
        self.upgrading = False
        return False
    decoded = packet.Packet(encoded_packet=pkt)
    if decoded.packet_type != packet.UPGRADE:
        self.upgraded = False
        self.server.logger.info(
            "%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
            self.sid,
            pkt,
        )
        self.upgrading = False
        return False
    self.upgraded = True
    self.upgrading = False
    return True


class _Drained:
    """The queue of every socket on a sink: Engine.IO's code that still meets a socket's queue
    (``close(wait=True)`` joins it, ``guards._drop`` empties it and puts the writer's ``None``)
    finds it empty, and what is put in is dropped (nothing reads it: the sink writes)."""

    def empty(self) -> bool:
        return True

    def qsize(self) -> int:
        return 0

    def put_nowait(self, item: Any) -> None:
        return None

    async def put(self, item: Any) -> None:
        return None

    def get_nowait(self) -> Any:
        raise asyncio.QueueEmpty

    def task_done(self) -> None:
        return None

    async def join(self) -> None:
        return None


DRAINED = _Drained()


def _take_queued(sock: Any, sink: FrameSink) -> None:
    """Move what the queue holds (sent before the switch) into the sink, in order."""
    queue: asyncio.Queue[Any] = sock.queue
    while True:
        try:
            pkt = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        queue.task_done()
        if pkt is not None:
            sink.send(pkt)


async def _writer(self: Any, ws: Any) -> None:
    """The library's writer task, for connections without a sink."""
    while True:
        try:
            packets = await self.poll()
        except exceptions.QueueEmpty:
            break
        if not packets:
            break
        try:
            for pkt in packets:
                await ws.send(pkt.encode())
        except Exception:
            break
    await ws.close()


_tasks: set[asyncio.Task[Any]] = set()


def _spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
