"""The rooms service: FastAPI app, lifespan owning NATS and the projections, and ``main()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from minitalk_common import bus, metrics, subjects, telemetry
from minitalk_common.http import create_app, serve
from minitalk_common.logs import setup_logging

from .config import RoomsSettings
from .message_routes import message_router
from .routes import rooms_router
from .runtime import Runtime


def build_app(settings: RoomsSettings) -> FastAPI:
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await runtime.start(stack)
            await stack.enter_async_context(_projection_lag(settings, runtime))
            yield

    app = create_app("MiniTalk rooms", lifespan, runtime.not_ready)
    app.include_router(rooms_router(runtime))
    app.include_router(message_router(runtime))
    telemetry.instrument_app(app)
    return app


@asynccontextmanager
async def _projection_lag(settings: RoomsSettings, runtime: Runtime) -> AsyncIterator[None]:
    """``minitalk.projection.lag`` of the USERS and ROOMS projections, when metrics are on
    (polled on a NATS connection of its own: the runtime keeps its connection to itself)."""
    if not metrics.enabled():
        yield
        return

    def applied(view: str) -> metrics.Applied:
        return lambda: getattr(runtime._state, view).seq if runtime._state else None

    lags = {
        (subjects.USERS_STREAM, "rooms-users"): applied("users_view"),
        (subjects.ROOMS_STREAM, "rooms-rooms"): applied("rooms_view"),
    }
    async with (
        bus.connect(settings, "rooms-metrics") as nc,
        metrics.projection_lag(nc.jetstream(), lags),
    ):
        yield


def main() -> None:
    settings = RoomsSettings()
    setup_logging("rooms", settings.log_level)
    with telemetry.telemetry("rooms", settings.env):
        serve(build_app(settings), settings)
