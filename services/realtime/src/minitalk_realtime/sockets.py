"""The Socket.IO endpoint: authenticate the handshake, decode events, call the hub, encode.

Every client event goes through ``_answered``, the one place where an error becomes an ``error``
event ``{message}`` plus, when the client asked for one, the acknowledgement
``{ok: false, error}``. The connection stays up and nobody else notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

import socketio
from engineio import packet as eio_packet
from minitalk_common import telemetry, tokens
from opentelemetry import trace
from socketio import packet as sio_packet

from . import fastjson, frames, payloads, pings
from .admission import Admission, Busy
from .config import RealtimeSettings
from .errors import Internal, NotReady, RealtimeError, error_ack, error_event
from .expiry import TokenWatch
from .guards import GuardedServer
from .hub import Hub
from .limits import RateLimited, UserLimits
from .mistakes import Mistakes
from .presence import Presence
from .reads import Reads
from .socketcount import SocketCounts

log = logging.getLogger("minitalk.realtime.sockets")
tracer = trace.get_tracer("minitalk.realtime")

Handler = Callable[[str, Any], Awaitable[dict[str, Any]]]
#: The first step of a pipelined event: what to await for its answer (``_started``).
Starter = Callable[[str, Any], Awaitable[Awaitable[dict[str, Any]]]]
T = TypeVar("T")

#: Why a connection is refused when its user holds ``max_sockets_per_user`` already.
TOO_MANY_SOCKETS = "too many connections"


@dataclass
class Runtime:
    """What the lifespan brings up and the socket handlers use."""

    hub: Hub | None = None
    verifier: tokens.TokenVerifier | None = None
    #: Sockets per user on every realtime process (``socketcount.py``).
    sockets: SocketCounts | None = None
    #: Who is online (``presence.py``) and read positions (``reads.py``).
    presence: Presence | None = None
    reads: Reads | None = None
    #: Closes each socket when its token expires or is revoked (made by ``register``).
    token_watch: TokenWatch | None = None
    #: Refuses writes while this process is behind (``admission.py``; made by ``register``).
    admission: Admission | None = None
    #: Set once the public key is loaded and the rooms projection has caught up.
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_ready(self, timeout: float) -> tuple[Hub, tokens.TokenVerifier]:
        """The hub and verifier once ready; NotReady after ``timeout``."""
        if not self.ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), timeout)
        if self.hub is None or self.verifier is None or self.sockets is None:
            raise NotReady
        if not self.ready.is_set():
            raise NotReady
        return self.hub, self.verifier


def create_server(settings: RealtimeSettings) -> GuardedServer:
    pings.share_pinger()
    return GuardedServer(
        mistakes=Mistakes(settings.mistake_log_lines_per_min),
        connect_deadline_s=settings.connect_deadline_s,
        max_outgoing_bytes=settings.max_outgoing_bytes,
        max_in_flight=settings.max_in_flight_per_socket,
        async_mode="asgi",
        # MINITALK_ALLOWED_ORIGINS, as for REST (libs/common origins.py)
        cors_allowed_origins=settings.origin_policy.socketio,
        max_http_buffer_size=settings.max_frame_bytes,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
        # one socket's events run one after the other: a sender's messages keep their order
        async_handlers=False,
        json=fastjson,
    )


class RoomEmitter:
    """``AsyncServer.emit(event, data, to=sids)`` for the default namespace without callbacks,
    minus python-socketio's task and encode per recipient: the packet is encoded once, its
    WebSocket frame built once and handed to each recipient's ``frames.FrameSink`` (written at
    the end of the loop turn); a recipient without one (long-polling) gets the encoded packet
    queued on its Engine.IO socket. Anything else goes to ``AsyncServer.emit``."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def emit(self, event: str, data: Any = None, *, to: Any = None, **kwargs: Any) -> None:
        sio = self._sio
        if kwargs or not to or isinstance(data, tuple):
            await sio.emit(event, data, to=to, **kwargs)
            return
        pkt = sio.packet_class(
            sio_packet.EVENT, namespace="/", data=[event] if data is None else [event, data]
        )
        encoded = pkt.encode()
        if isinstance(encoded, list):  # binary attachments: never from MiniTalk
            await sio.emit(event, data, to=to)
            return
        text = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame: bytes | None = None
        sockets = sio.eio.sockets
        for _, eio_sid in sio.manager.get_participants("/", to):
            sock = sockets.get(eio_sid)
            sink = sock.minitalk_sink if sock is not None else None
            if sink is not None:
                if frame is None:
                    frame = frames.text_frame(text.encode())
                sink.write(frame)
                continue
            try:
                await sio._send_eio_packet(eio_sid, text)
            except Exception:  # one socket's failure must not cost the others theirs
                log.exception("emit of %s to %s failed", event, eio_sid)


def token_of(environ: dict[str, Any], auth: Any) -> str | None:
    """The handshake token: ``auth.token``, else ``?token=``, else ``Authorization: Bearer``."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        return str(auth["token"])
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if query.get("token"):
        return query["token"][0]
    header = environ.get("HTTP_AUTHORIZATION")
    return tokens.bearer(header if isinstance(header, str) else None)


def register(sio: GuardedServer, runtime: Runtime, settings: RealtimeSettings) -> None:
    watch = runtime.token_watch = TokenWatch(sio)

    def hub() -> Hub:
        if runtime.hub is None:
            raise NotReady
        return runtime.hub

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        with _event_span("connect", None) as span:
            try:
                ready_hub, verifier = await runtime.wait_ready(settings.connect_ready_wait_s)
                identity = verifier.verify(token_of(environ, auth))
            except NotReady as exc:
                _refused(span, exc.message)
                raise socketio.exceptions.ConnectionRefusedError(exc.message) from exc
            except tokens.InvalidToken as exc:
                _refused(span, str(exc))
                raise socketio.exceptions.ConnectionRefusedError(str(exc)) from exc
            span.set_attribute("enduser.id", identity.username)
            counts = runtime.sockets
            assert counts is not None  # set before ready
            if counts.of(identity.username) >= settings.max_sockets_per_user:
                _refused(span, TOO_MANY_SOCKETS)
                raise socketio.exceptions.ConnectionRefusedError(TOO_MANY_SOCKETS)
            counts.opened(identity.username)  # at once: a concurrent connect must see it
            try:
                await ready_hub.connect(sid, identity.username)
            except BaseException:
                counts.closed(identity.username)
                raise
            watch.watch(sid, identity)
            await counts.publish(identity.username)
            _soon(tell_presence(sid, identity.username))

    async def tell_presence(sid: str, username: str) -> None:
        """``presence`` for each of the socket's rooms, once Socket.IO's CONNECT is sent."""
        for _ in range(500):
            if sio.manager.is_connected(sid, "/"):
                break
            await asyncio.sleep(0.01)
        if runtime.presence is not None and runtime.hub is not None:
            await runtime.presence.tell(sid, runtime.hub.membership.room_ids_of(username))

    async def disconnect(sid: str, reason: Any = None) -> None:
        watch.forget(sid)
        if runtime.hub is not None:
            username = runtime.hub.sessions.user_of(sid)
            await runtime.hub.disconnect(sid)
            if username is not None and runtime.sockets is not None:
                runtime.sockets.closed(username)
                await runtime.sockets.publish(username)
            sio.mistakes.forget(sid)
            if len(limits) > 1000 + 4 * len(runtime.hub.sessions):
                limits.sweep()

    limits = UserLimits(settings.budgets())
    admission = runtime.admission = Admission(
        settings.busy_lag_ms / 1000 if settings.busy_lag_ms else float("inf"),
        settings.busy_hold_ms / 1000,
        settings.busy_max_pending,
        lambda: runtime.hub.sender.pending if runtime.hub is not None else 0,
        late_ticks=settings.busy_late_ticks,
    )

    def spending(
        kind: str, handler: Callable[[str, Any], Awaitable[T]]
    ) -> Callable[[str, Any], Awaitable[T]]:
        """``handler`` once the socket's user has the budget for one more ``kind`` event; a
        write (``WRITES``) only while the process is not behind (a busy refusal spends no
        budget)."""
        write = kind in WRITES

        async def spend(sid: str, payload: Any) -> T:
            if write:
                admission.admit()
            username = hub().sessions.user_of(sid)
            if username is not None:
                limits.spend(username, kind)
            return await handler(sid, payload)

        return spend

    async def unknown_event(sid: str, payload: Any) -> dict[str, Any]:
        return {"ok": False, "error": "unknown event"}

    async def join_room(sid: str, payload: Any) -> dict[str, Any]:
        room_id = payloads.room_id(payload)
        await hub().join(sid, room_id)
        await sio.emit("joined_room", {"roomId": room_id}, to=sid)
        if runtime.presence is not None:
            await runtime.presence.tell(sid, [room_id])
        return {"ok": True, "roomId": room_id}

    async def leave_room(sid: str, payload: Any) -> dict[str, Any]:
        room_id = payloads.room_id(payload)
        await hub().leave(sid, room_id)
        await sio.emit("left_room", {"roomId": room_id}, to=sid)
        return {"ok": True, "roomId": room_id}

    async def send_message(sid: str, payload: Any) -> dict[str, Any]:
        command = payloads.send_message(payload, settings.max_message_chars)
        return await hub().send(sid, command)

    async def submit_message(sid: str, payload: Any) -> Awaitable[dict[str, Any]]:
        """``send_message`` up to the message written to NATS (``GuardedServer.pipelined``)."""
        command = payloads.send_message(payload, settings.max_message_chars)
        return await hub().submit(sid, command)

    async def typing(sid: str, payload: Any) -> dict[str, Any]:
        await hub().typing(sid, payloads.typing(payload))
        return {"ok": True}

    async def mark_read(sid: str, payload: Any) -> dict[str, Any]:
        command = payloads.mark_read(payload)
        if runtime.reads is None:
            raise NotReady
        return await runtime.reads.mark(sid, command)

    async def edit_message(sid: str, payload: Any) -> dict[str, Any]:
        return await hub().edit(sid, payloads.edit_message(payload, settings.max_message_chars))

    async def delete_message(sid: str, payload: Any) -> dict[str, Any]:
        return await hub().delete(sid, payloads.delete_message(payload))

    async def react(sid: str, payload: Any) -> dict[str, Any]:
        return await hub().react(sid, payloads.react(payload))

    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    for name, kind, handler in (
        ("join_room", "rooms", join_room),
        ("leave_room", "rooms", leave_room),
        ("send_message", "send", send_message),
        ("typing", "typing", typing),
        ("mark_read", "reads", mark_read),
        ("edit_message", "edit", edit_message),
        ("delete_message", "edit", delete_message),
        ("react", "react", react),
    ):
        sio.on(name, _answered(sio, name, spending(kind, handler)))
    # a socket's next event is read while its send waits for JetStream (guards.py)
    sio.pipelined["send_message"] = _started(sio, "send_message", spending("send", submit_message))
    other = _answered(sio, "other", spending("other", unknown_event))

    async def any_other(_event: Any, sid: str, *args: Any) -> dict[str, Any]:
        result: dict[str, Any] = await other(sid, *args)
        return result

    sio.on("*", any_other)


#: The kinds of event that store something in JetStream: refused while busy (admission.py).
WRITES = frozenset({"send", "edit", "react", "reads"})

_background: set[asyncio.Task[None]] = set()


def _soon(work: Awaitable[None]) -> None:
    """Run ``work`` in a task of its own (kept until it ends)."""

    async def run() -> None:
        try:
            await work
        except Exception:
            log.exception("background socket work failed")

    task = asyncio.create_task(run())
    _background.add(task)
    task.add_done_callback(_background.discard)


def _answered(sio: GuardedServer, name: str, handler: Handler) -> Callable[..., Any]:
    """Run ``handler`` with the event's first argument; map every failure in one place."""

    async def on_event(sid: str, *args: Any) -> dict[str, Any]:
        payload = args[0] if args else None
        with _event_span(name, payload) as span:
            try:
                return await handler(sid, payload)
            except Exception as exc:
                return await _failed(sio, sid, name, span, exc)

    return on_event


def _started(sio: GuardedServer, name: str, start: Starter) -> Callable[..., Any]:
    """``_answered`` for an event handled in two steps (``GuardedServer.pipelined``): ``start``
    runs now, in the order the socket's events came. When it fails (a refusal: bad payload,
    budget, busy, unknown room) the answer is returned now, as ``_answered`` would, so that
    refusals keep the order of the events; else what to await for the answer (the failure of
    that step mapped the same way). The event's span covers both steps."""

    async def on_event(sid: str, *args: Any) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        payload = args[0] if args else None
        span = telemetry.start_span(
            name, trace.SpanKind.SERVER, _event_attributes(name, payload), tracer
        )
        try:
            with trace.use_span(span, end_on_exit=False):
                rest = await start(sid, payload)
        except Exception as exc:
            try:
                return await _failed(sio, sid, name, span, exc)
            finally:
                span.end()
        except BaseException:
            span.end()
            raise
        return _ended(sio, sid, name, span, rest)

    return on_event


async def _ended(
    sio: GuardedServer, sid: str, name: str, span: trace.Span, rest: Awaitable[dict[str, Any]]
) -> dict[str, Any]:
    try:
        with trace.use_span(span, end_on_exit=False):
            try:
                return await rest
            except Exception as exc:
                return await _failed(sio, sid, name, span, exc)
    finally:
        span.end()


async def _failed(
    sio: GuardedServer, sid: str, name: str, span: trace.Span, exc: Exception
) -> dict[str, Any]:
    """Every failure of an event handler, in one place: the ack and ``error`` event it gets."""
    failure: RealtimeError
    if isinstance(exc, Busy):  # logged once per spell by admission.py
        # told in its ack only: under overload an extra ``error`` frame per refusal would be
        # one more write to a socket that is already behind
        _refused(span, exc.message)
        return error_ack(exc)
    if isinstance(exc, RateLimited):
        sio.mistakes.note(sid, "%s rate limited", name)
        failure = exc
    elif isinstance(exc, RealtimeError):
        failure = exc
    else:
        log.exception("%s from %s failed", name, sid, exc_info=exc)
        span.record_exception(exc)
        failure = Internal()
    _refused(span, failure.message)
    await sio.emit("error", error_event(failure), to=sid)
    return error_ack(failure)


def _event_attributes(name: str, payload: Any) -> dict[str, str]:
    attributes = {"rpc.system": "socket.io", "rpc.method": name}
    room_id = payload.get("roomId") if isinstance(payload, dict) else None
    if isinstance(room_id, str):
        attributes["minitalk.room.id"] = room_id[:128]
    return attributes


def _event_span(name: str, payload: Any) -> contextlib.AbstractContextManager[trace.Span]:
    """The SERVER span of one Socket.IO event (a trace starts here), named by the event."""
    return telemetry.span(name, trace.SpanKind.SERVER, _event_attributes(name, payload), tracer)


def _refused(span: trace.Span, message: str) -> None:
    span.set_status(trace.StatusCode.ERROR, message)
