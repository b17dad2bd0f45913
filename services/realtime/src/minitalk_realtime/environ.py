"""python-engineio's ASGI ``translate_request`` without a class per request.

The library (4.15, ``engineio.async_drivers.asgi``) defines the ``wsgi.input`` class inside the
function, so every HTTP request and every WebSocket makes a new class object: CPU per long-poll,
and ~2.6 KB per socket held for the socket's life (the environ is kept by python-socketio, and a
class lives in reference cycles, which ``gcpolicy.py`` freezes). Here the class is defined once;
the environ is the library's, key for key.

python-socketio keeps a socket's environ for the socket's life (and a socket opened on a
WebSocket holds it in the ASGI request that serves it), ~2.5 KB of header strings. Once its
Socket.IO CONNECT has been handled, ``keep_read_after_connect`` leaves in it only what is read
after that: the token's places, for a CONNECT sent again on the same session
(``sockets.token_of``). Nothing else of MiniTalk, python-socketio or python-engineio reads that
environ later (the handshake request's own reads are done; each later long-poll has its own).
"""

from __future__ import annotations

import sys
from typing import Any

ASGIReceive = Any


class AwaitablePayload:
    """The request body, read from the ASGI events on demand (the library's class, once)."""

    __slots__ = ("event", "payload", "receive")

    def __init__(self, event: dict[str, Any], receive: ASGIReceive) -> None:
        self.event = event
        self.receive = receive
        self.payload: bytes | None = None

    async def read(self, length: int | None = None) -> Any:
        if self.payload is None and self.event["type"] == "http.request":
            payload = self.event.get("body") or b""
            while self.event.get("more_body"):
                self.event = await self.receive()
                wanted = length is None or len(payload) < length
                if self.event["type"] == "http.request" and wanted:
                    payload += self.event.get("body") or b""
            self.payload = payload
        data: Any = self.payload
        if length is None:
            self.payload = b""
            return data
        self.payload = data[length:]
        return data[:length]


async def translate_request(scope: dict[str, Any], receive: ASGIReceive, send: Any) -> Any:
    event = await receive()
    if event["type"] not in ["http.request", "websocket.connect"]:
        return {}
    raw_uri = scope["path"]
    query_string = ""
    if scope.get("query_string"):
        try:
            query_string = scope["query_string"].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raw_uri += "?" + query_string
    environ: dict[str, Any] = {
        "wsgi.input": AwaitablePayload(event, receive),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.async": True,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "SERVER_SOFTWARE": "asgi",
        "REQUEST_METHOD": scope.get("method", "GET"),
        "PATH_INFO": scope["path"],
        "QUERY_STRING": query_string,
        "RAW_URI": raw_uri,
        "SCRIPT_NAME": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "0",
        "SERVER_NAME": "asgi",
        "SERVER_PORT": "0",
        "asgi.receive": receive,
        "asgi.send": send,
        "asgi.scope": scope,
    }
    for raw_name, raw_value in scope["headers"]:
        try:
            name = raw_name.upper().decode("utf-8")
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the library skips a header it cannot decode
        if name == "CONTENT-TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT-LENGTH":
            environ["CONTENT_LENGTH"] = value
            continue
        key = "HTTP_" + name.replace("-", "_")
        if key in environ:
            value = f"{environ[key]},{value}"
        environ[key] = value
    environ["wsgi.url_scheme"] = environ.get("HTTP_X_FORWARDED_PROTO", "http")
    return environ


#: The keys of a socket's environ read after its Socket.IO CONNECT (``sockets.token_of``).
READ_AFTER_CONNECT = ("QUERY_STRING", "HTTP_AUTHORIZATION")


def keep_read_after_connect(environ: dict[str, Any] | None) -> None:
    """Empty ``environ`` but for ``READ_AFTER_CONNECT`` (in place: the same dict is held by
    python-socketio and by the request that serves a WebSocket)."""
    if environ is None:
        return
    kept = {key: environ[key] for key in READ_AFTER_CONNECT if key in environ}
    environ.clear()
    environ.update(kept)
