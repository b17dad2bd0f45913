"""Which browser origins may use the API: one allow-list (``MINITALK_ALLOWED_ORIGINS``) for REST
(CORS, this module's middleware) and Socket.IO (python-socketio's ``cors_allowed_origins``).

The page's own origin - the one the request was addressed to, as the edge or ingress saw it
(``X-Forwarded-Proto`` + ``X-Forwarded-Host``, else the ``Host``) - is always allowed: that is the
web app served by the edge, on whatever address it runs. Any other origin must be listed. A
browser cannot forge ``Origin``, ``Host`` or ``X-Forwarded-*``, so a foreign page is refused; a
client that is not a browser sends no ``Origin`` and is not concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Where the web app runs in development: Vite's dev server, and the original MiniTalk client's
#: own origin (its compose ran the client on :3000 and the API on :4000).
DEV_ORIGINS = ("http://localhost:5173", "http://localhost:3000")
#: What a cross-origin page may send and read.
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "authorization, content-type, traceparent, tracestate"
EXPOSE_HEADERS = "retry-after"
PREFLIGHT_MAX_AGE_S = 600


def normalize(origin: str) -> str:
    """``scheme://host[:port]`` in lower case without a trailing slash or default port."""
    origin = origin.strip().rstrip("/").lower()
    parts = urlsplit(origin)
    if parts.scheme in ("http", "https") and parts.hostname:
        default = {"http": 80, "https": 443}[parts.scheme]
        try:
            port = parts.port
        except ValueError:
            return origin
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
    return origin


class OriginPolicy:
    """The allowed origins; ``*`` in the list allows every origin (never for production)."""

    def __init__(self, allowed: Iterable[str]) -> None:
        listed = {normalize(o) for o in allowed if o.strip()}
        self.any = "*" in listed
        self.allowed = frozenset(listed - {"*"})

    def allows(self, origin: str, own: str | None = None) -> bool:
        """``origin`` may use the API; ``own`` is the origin the request was addressed to."""
        found = normalize(origin)
        return self.any or found in self.allowed or (own is not None and found == normalize(own))

    def socketio(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        """python-socketio's ``cors_allowed_origins`` callable (called with the WSGI-style
        environ of the request; it is only asked when the request carries an ``Origin``)."""
        if origin is None:
            return True
        scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST")
        own = f"{_first(scheme)}://{_first(host)}" if host else None
        return self.allows(origin, own)


def _first(value: str) -> str:
    return value.split(",")[0].strip()


def own_origin(scope: Scope, headers: Headers) -> str | None:
    scheme = headers.get("x-forwarded-proto") or scope.get("scheme", "http")
    host = headers.get("x-forwarded-host") or headers.get("host")
    return f"{_first(scheme)}://{_first(host)}" if host else None


class Cors:
    """ASGI middleware: CORS for the allowed origins (credentials allowed, preflight answered
    here), ``403 {"error": "origin not allowed"}`` for a request from any other origin."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if not self.policy.allows(origin, own_origin(scope, headers)):
            refused = JSONResponse({"error": "origin not allowed"}, status_code=403)
            refused.headers["vary"] = "Origin"
            await refused(scope, receive, send)
            return
        granted = {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "vary": "Origin",
        }
        if preflight:
            answer = Response(status_code=204, headers=granted)
            answer.headers["access-control-allow-methods"] = ALLOW_METHODS
            answer.headers["access-control-allow-headers"] = ALLOW_HEADERS
            answer.headers["access-control-max-age"] = str(PREFLIGHT_MAX_AGE_S)
            await answer(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.encode(), v.encode()) for k, v in granted.items()]
                raw.append((b"access-control-expose-headers", EXPOSE_HEADERS.encode()))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, with_cors)
