"""The error shape of every HTTP answer: ``{"error": "<what went wrong>"}`` with its status."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("minitalk.errors")


class ApiError(Exception):
    """Base of every service's error hierarchy: a status and a message users may read."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    @property
    def headers(self) -> dict[str, str] | None:
        """Extra headers of the answer (e.g. ``Retry-After`` of a 429)."""
        return None


class BadInput(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class TooLarge(ApiError):
    status = 413


class TooManyRequests(ApiError):
    """A 429: the message says what was refused; ``Retry-After`` says when to try again."""

    status = 429

    def __init__(self, message: str, retry_after_s: float) -> None:
        #: Whole seconds until a retry can pass (at least 1).
        self.retry_after = max(1, math.ceil(retry_after_s))
        super().__init__(f"{message}; retry in {self.retry_after} s")

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(ApiError):
    status = 503


def error_body(message: str) -> dict[str, str]:
    return {"error": message}


def describe_validation(errors: Sequence[Any]) -> str:
    """One readable sentence from pydantic's validation errors."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc)
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            return "request body is not valid JSON"
        if err.get("type") == "missing" and not loc:
            return "request body is required"
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error, expected or not, to the ``{"error": ...}`` shape in one place."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(describe_validation(exc.errors())), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code)

    # Not ``exception_handler(Exception)``: Starlette runs that one in ServerErrorMiddleware,
    # which re-raises after answering, and uvicorn then closes the connection under the edge's
    # keep-alive pool - the next request on it, anyone's, was a 502. CatchAll answers instead.
    app.add_middleware(CatchAll)


class CatchAll:
    """ASGI middleware: an unexpected exception is logged once and answered as a complete
    ``500 {"error": "internal error"}``, the connection kept open for the next request. Only when
    the answer had already begun does the exception go on (to uvicorn, which must close then)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = JSONResponse(error_body("internal error"), status_code=500)
            await response(scope, _no_receive, send)


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is a 413, read no further."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _reject(send, self.max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _BodyTooLarge(self.max_bytes)
            return message

        # Streamed (chunked) bodies have no Content-Length: what arrives is counted.
        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _reject(send, self.max_bytes)


class _BodyTooLarge(StarletteHTTPException):
    """An HTTPException, so FastAPI's body parsing lets it through (it turns any other error
    while reading the body into a 400) and the handler above answers it as a 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body over {max_bytes} bytes")


async def _reject(send: Send, max_bytes: int) -> None:
    body = JSONResponse(error_body(f"request body over {max_bytes} bytes"), status_code=413)
    await body(
        {"type": "http"},
        _no_receive,
        send,
    )


async def _no_receive() -> Message:  # pragma: no cover - a JSONResponse never reads
    return {"type": "http.disconnect"}
