"""The rooms service: FastAPI app, lifespan owning NATS and the projections, and ``main()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from minitalk_common.http import create_app, serve
from minitalk_common.logs import setup_logging

from .config import RoomsSettings
from .routes import rooms_router
from .runtime import Runtime


def build_app(settings: RoomsSettings) -> FastAPI:
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await runtime.start(stack)
            yield

    app = create_app("MiniTalk rooms", lifespan, runtime.not_ready)
    app.include_router(rooms_router(runtime))
    return app


def main() -> None:
    settings = RoomsSettings()
    setup_logging("rooms", settings.log_level)
    serve(build_app(settings), settings)
