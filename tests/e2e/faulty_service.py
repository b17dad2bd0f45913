"""A service built like the real ones (``create_app`` + ``serve`` from libs/common) whose routes
fail on demand, so the edge's and the services' handling of a 500 can be tried through real
uvicorn and nginx whatever the real services fix: ``python -m tests.e2e.faulty_service``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from minitalk_common.config import ServiceSettings
from minitalk_common.http import create_app, serve


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield


app = create_app("faulty", lifespan, lambda: None)


@app.post("/api/{path:path}", status_code=201)
async def post(path: str, request: Request) -> dict[str, object]:
    body = await request.body()
    if path.endswith("fail"):
        raise RuntimeError("a bug the handler did not expect")
    return {"path": path, "bytes": len(body)}


@app.get("/api/{area}/whoami")
@app.get("/socket.io/whoami")
async def whoami(request: Request) -> dict[str, object]:
    """The client as the service sees it (uvicorn applies the edge's X-Forwarded-*)."""
    client = request.client.host if request.client else None
    return {"client": client, "scheme": request.url.scheme, "headers": dict(request.headers)}


@app.get("/api/{path:path}")
async def get(path: str) -> dict[str, object]:
    if path.endswith("fail"):
        raise RuntimeError("a bug the handler did not expect")
    if path.endswith("slow"):
        await asyncio.sleep(30)
    return {"path": path}


if __name__ == "__main__":
    serve(app, ServiceSettings())
