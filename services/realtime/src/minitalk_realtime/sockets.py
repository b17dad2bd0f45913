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
from typing import Any
from urllib.parse import parse_qs

import socketio
from engineio import packet as eio_packet
from minitalk_common import telemetry, tokens
from opentelemetry import trace
from socketio import packet as sio_packet

from . import fastjson, payloads, pings
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
    pings.spread_first_pings()
    return GuardedServer(
        mistakes=Mistakes(settings.mistake_log_lines_per_min),
        connect_deadline_s=settings.connect_deadline_s,
        max_outgoing_bytes=settings.max_outgoing_bytes,
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
    minus python-socketio's task per recipient: the packet is encoded once (as the library
    does) and queued on each recipient's Engine.IO socket in turn (an unbounded queue, so no
    socket waits for another). Anything else goes to ``AsyncServer.emit``."""

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
        frames = [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for _, eio_sid in sio.manager.get_participants("/", to):
            for frame in frames:
                try:
                    await sio._send_eio_packet(eio_sid, frame)
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

    def spending(kind: str, handler: Handler) -> Handler:
        """``handler`` once the socket's user has the budget for one more ``kind`` event."""

        async def spend(sid: str, payload: Any) -> dict[str, Any]:
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
    other = _answered(sio, "other", spending("other", unknown_event))

    async def any_other(_event: Any, sid: str, *args: Any) -> dict[str, Any]:
        result: dict[str, Any] = await other(sid, *args)
        return result

    sio.on("*", any_other)


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
            failure: RealtimeError
            try:
                return await handler(sid, payload)
            except RateLimited as exc:
                sio.mistakes.note(sid, "%s rate limited", name)
                failure = exc
            except RealtimeError as exc:
                failure = exc
            except Exception as exc:
                log.exception("%s from %s failed", name, sid)
                span.record_exception(exc)
                failure = Internal()
            _refused(span, failure.message)
            await sio.emit("error", error_event(failure), to=sid)
            return error_ack(failure)

    return on_event


def _event_span(name: str, payload: Any) -> contextlib.AbstractContextManager[trace.Span]:
    """The SERVER span of one Socket.IO event (a trace starts here), named by the event."""
    attributes = {"rpc.system": "socket.io", "rpc.method": name}
    room_id = payload.get("roomId") if isinstance(payload, dict) else None
    if isinstance(room_id, str):
        attributes["minitalk.room.id"] = room_id[:128]
    return telemetry.span(name, trace.SpanKind.SERVER, attributes, tracer)


def _refused(span: trace.Span, message: str) -> None:
    span.set_status(trace.StatusCode.ERROR, message)
