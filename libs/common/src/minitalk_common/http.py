"""What every FastAPI service shares: error shape, body limit, CORS, health routes, uvicorn."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import uvicorn
from fastapi import FastAPI

from .config import OriginSettings, ServiceSettings
from .errors import BodyLimit, install_error_handlers
from .health import Readiness, health_router
from .origins import Cors, OriginPolicy

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

MAX_BODY_BYTES = 1 << 20


def create_app(
    title: str,
    lifespan: Lifespan,
    readiness: Readiness,
    origins: OriginPolicy | None = None,
) -> FastAPI:
    """A service's app: error shape, body limit, CORS (``origins``, default: the
    ``MINITALK_ALLOWED_ORIGINS`` policy) and the health routes."""
    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(Cors, policy=origins or OriginSettings().origin_policy)
    app.include_router(health_router(readiness))
    return app


def serve(
    app: Any,
    settings: ServiceSettings,
    exit_code: Callable[[], int] = lambda: 0,
    **uvicorn_options: Any,
) -> None:
    """Run ``app`` under uvicorn on the settings' host and port; SIGTERM drains, then exits with
    ``exit_code()`` (0 unless the service says it failed).

    uvicorn re-raises the signal it caught once its graceful shutdown is done; the handler set
    here turns that into that exit, so an orderly stop is not reported as a crash, and a
    service that stops itself because a part of it died (persister) is.
    ``uvicorn_options`` go to ``uvicorn.run`` as they are (realtime's ``ws_max_size``).
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(exit_code()))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
        # Longer than the edge's idle keep-alive to a service (30 s in edge/, 60 s for
        # ingress-nginx and an ALB): the proxy closes an idle connection first, so it never
        # sends a request on one the service is closing at that moment (a 502 for a POST).
        timeout_keep_alive=settings.keep_alive_s,
        **uvicorn_options,
    )
