"""HTTP routes beyond /healthz and /readyz: the batch statistics."""

from __future__ import annotations

from fastapi import APIRouter

from .stats import Stats


def stats_router(stats: Stats) -> APIRouter:
    router = APIRouter()

    @router.get("/stats")
    async def get_stats() -> dict[str, object]:
        """Batches, events, flushes, fsyncs and flush times, in total and per stream."""
        return stats.snapshot()

    return router
