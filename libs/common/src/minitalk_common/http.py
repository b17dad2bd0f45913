"""What every FastAPI service shares: the error shape, body limit, health routes, uvicorn."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import uvicorn
from fastapi import FastAPI

from .config import ServiceSettings
from .errors import BodyLimit, install_error_handlers
from .health import Readiness, health_router

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

MAX_BODY_BYTES = 1 << 20


def create_app(title: str, lifespan: Lifespan, readiness: Readiness) -> FastAPI:
    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(health_router(readiness))
    return app


def serve(app: Any, settings: ServiceSettings, **uvicorn_options: Any) -> None:
    """Run ``app`` under uvicorn on the settings' host and port; SIGTERM drains and exits 0.

    uvicorn re-raises the signal it caught once its graceful shutdown is done; the handler set
    here turns that into a clean exit, so an orderly stop is not reported as a crash.
    ``uvicorn_options`` go to ``uvicorn.run`` as they are (realtime's ``ws_max_size``).
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
        **uvicorn_options,
    )
