"""``python -m minitalk_realtime``: Socket.IO (``/socket.io/``) and health routes under uvicorn.

The lifespan owns the NATS connection. On SIGTERM uvicorn stops accepting and closes the
sockets (clients reconnect to another replica), then the lifespan stops Engine.IO's background
tasks and drains NATS.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import socketio
from fastapi import FastAPI
from minitalk_common import bus, http, metrics, revocation, subjects, telemetry, tokens
from minitalk_common.chat.editing import MessageEditor
from minitalk_common.logs import setup_logging
from nats.js import JetStreamContext

from . import gcpolicy, socketcount
from .config import RealtimeSettings
from .hub import Hub
from .presence import Presence
from .reads import Reads
from .sockets import RoomEmitter, Runtime, create_server, register

log = logging.getLogger("minitalk.realtime")

_TOKEN_IN_QUERY = re.compile(r"(?<=token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Hide ``?token=<jwt>`` in uvicorn's WebSocket lines: a logged token is a stolen session."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_QUERY.sub("<redacted>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def readiness(runtime: Runtime) -> str | None:
    hub = runtime.hub
    if hub is None:
        return "starting"
    if runtime.verifier is None:
        return "waiting for the JWT public key"
    if not hub.projection.ready.is_set():
        return "replaying rooms"
    if runtime.reads is None or not runtime.reads.projection.ready.is_set():
        return "replaying read positions"
    if runtime.sockets is None or not runtime.sockets.ready.is_set():
        return "reading the socket counts"
    return following(runtime)


def following(runtime: Runtime) -> str | None:
    """Why the process does not follow NATS now (away, or resuming after it came back)."""
    assert runtime.hub is not None
    assert runtime.sockets is not None
    if not runtime.hub.projection.current.is_set():
        return "following rooms again"
    watch = runtime.token_watch
    if watch is not None and watch.revocations and not watch.revocations.current.is_set():
        return "following revocations again"
    if not runtime.sockets.current.is_set():
        return "following the socket counts again"
    return None


async def become_ready(
    runtime: Runtime,
    js: JetStreamContext,
    settings: RealtimeSettings,
    revoked: revocation.Revocations,
) -> None:
    assert runtime.hub is not None
    verifier = await tokens.load_verifier(js, settings.jwt_public_key, revoked)
    await revoked.ready.wait()  # a restarted realtime must not accept a revoked token
    runtime.verifier = verifier
    await runtime.hub.projection.ready.wait()
    assert runtime.reads is not None
    await runtime.reads.projection.ready.wait()
    assert runtime.sockets is not None
    await runtime.sockets.ready.wait()  # the other processes' sockets count from the start
    runtime.ready.set()
    log.info("ready")


def build_app(settings: RealtimeSettings) -> Any:
    """The ASGI app: Engine.IO at ``/socket.io/``, everything else to the health app."""
    sio = create_server(settings)
    runtime = Runtime()
    register(sio, runtime, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            connecting = bus.connect(settings, "minitalk-realtime", no_echo=True)
            nc = await stack.enter_async_context(connecting)
            js = nc.jetstream()
            await bus.ensure_streams(js, settings)
            hub = Hub(
                js,
                nc,
                RoomEmitter(sio),
                settings.publish_timeout_s,
                settings.live_heartbeat_s,
                settings.publish_coalesce_ms / 1000,
            )
            hub.editor = MessageEditor(
                nc,
                js,
                settings.persister_partitions,
                settings.publish_timeout_s,
                settings.max_reactions_per_message,
            )
            runtime.hub = hub
            assert runtime.admission is not None
            runtime.admission.start()
            stack.callback(runtime.admission.stop)
            stack.push_async_callback(hub.close)
            await hub.start()
            revoked = await stack.enter_async_context(revocation.following(js))
            runtime.reads = Reads(js, hub, RoomEmitter(sio), settings.publish_timeout_s)
            await runtime.reads.start()
            counting = socketcount.counting(
                js,
                settings.socket_count_refresh_s,
                settings.stream_replicas,
                settings.presence_dead_after_s,
            )
            runtime.sockets = await stack.enter_async_context(counting)
            presence = Presence(nc, hub, runtime.sockets, RoomEmitter(sio), settings.presence())
            runtime.presence = presence
            hub.on_room_joined = lambda sid, room_id: presence.tell(sid, [room_id])
            presence_task = asyncio.create_task(presence.run())
            stack.callback(presence_task.cancel)
            if runtime.token_watch is not None:
                runtime.token_watch.revocations = revoked
                revoked.on_revoke(runtime.token_watch.revoked)
            starting = asyncio.create_task(become_ready(runtime, js, settings, revoked))
            stack.callback(starting.cancel)
            collector = asyncio.create_task(
                gcpolicy.run(settings.gc_freeze_interval_s, settings.gc_full_interval_s)
            )
            stack.callback(collector.cancel)
            stack.push_async_callback(sio.shutdown)
            lag = {
                (subjects.ROOMS_STREAM, "realtime-rooms"): lambda: hub.projection.seq,
                (subjects.MESSAGES_STREAM, "realtime-live"): lambda: hub.live.last,
            }
            await stack.enter_async_context(metrics.projection_lag(js, lag))
            yield

    metrics.gauge(
        "minitalk.realtime.sockets",
        "{socket}",
        "Socket.IO connections this process holds",
        lambda: len(runtime.hub.sessions) if runtime.hub else None,
    )
    api = http.create_app("minitalk-realtime", lifespan, lambda: readiness(runtime))
    telemetry.instrument_app(api)
    return socketio.ASGIApp(sio, other_asgi_app=api, socketio_path="socket.io")


def main() -> None:
    settings = RealtimeSettings()
    setup_logging("realtime", settings.log_level)
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactTokens())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with telemetry.telemetry("realtime", settings.env):
        http.serve(
            build_app(settings),
            settings,
            # a WebSocket frame is refused before it is buffered whole (uvicorn's default: 16 MB)
            ws_max_size=settings.max_frame_bytes,
            # no compression, as the original Engine.IO server: a compressed frame is made per
            # socket, where frames.py writes one room frame to every member (and zlib's
            # state costs ~40 KB per socket that negotiates it: browsers do)
            ws_per_message_deflate=False,
            # Engine.IO pings every socket already (pings.py); uvicorn's own WebSocket pings
            # were a second timer and frame pair per socket every 20 s
            ws_ping_interval=None,
        )
