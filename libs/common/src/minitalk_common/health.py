"""``/healthz`` (the process is alive) and ``/readyz`` (connected and caught up)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Readiness = Callable[[], str | None]
"""Returns None when ready, else the reason it is not."""


def health_router(readiness: Readiness) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        reason = readiness()
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"error": f"not ready: {reason}"}, status_code=503)

    return router
