"""What a WebSocket connection keeps once its handshake is done, made small (issue 18, target 5).

A socket on a ``frames.FrameSink`` lives inside uvicorn's ``websockets-sansio`` protocol and the
ASGI request that serves it, for as long as it is open. Measured with
``services/realtime/bench/socket_memory.py``, that connection held ~10 KB per socket that
nothing reads after the handshake:

- uvicorn's receive ``asyncio.Queue`` (four deques of 624 bytes each and an ``Event``) and its
  ``writable`` ``asyncio.Event`` (a deque): ~3.8 KB. uvicorn pauses reading after each message
  until the app took it, so the queue never holds more than a message and a disconnect, and
  one task (the Engine.IO handler) reads it. ``Inbox`` and ``Writable`` do the same with a list
  and a future made only while someone waits.
- the handshake request websockets parsed (its ``Headers``: ~2.6 KB, and the path with the
  token): the parser's generator keeps it as a local for the connection's life, so dropping
  uvicorn's reference (``frames.sink_for``) did not free it; its fields are emptied here.
- the ASGI scope's ``headers`` list and ``query_string`` (~1.6 KB): read by Engine.IO's
  ``translate_request`` and uvicorn's handshake log lines, both done by now.

What is read after the handshake stays: the scope's ``type`` (Engine.IO's ``make_response``),
``path``, ``client`` and ``server``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.datastructures import Headers

_NO_HEADERS = Headers()


class Inbox:
    """``asyncio.Queue``'s ``put_nowait``/``get``/``empty``/``qsize`` for uvicorn's receive
    side, without its four preallocated deques: a list while something is queued, a future
    while someone waits."""

    __slots__ = ("_getters", "_items")

    def __init__(self) -> None:
        self._items: list[Any] | None = None
        self._getters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        getters = self._getters
        if getters:
            for getter in getters:
                if not getter.done():
                    getter.set_result(None)
                    break

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = [getter]
            else:
                self._getters.append(getter)
            try:
                await getter
            except BaseException:
                if getter.done() and not getter.cancelled() and self._items:
                    self._wake_next(getter)  # woken and cancelled: the item is someone else's
                raise
            finally:
                self._forget(getter)
        items = self._items
        item = items.pop(0)
        if not items:
            self._items = None
        return item

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def _forget(self, getter: asyncio.Future[None]) -> None:
        getters = self._getters
        if getters is not None:
            if getter in getters:
                getters.remove(getter)
            if not getters:
                self._getters = None

    def _wake_next(self, done: asyncio.Future[None]) -> None:
        for getter in self._getters or ():
            if getter is not done and not getter.done():
                getter.set_result(None)
                return


class Writable:
    """``asyncio.Event``'s ``set``/``clear``/``is_set``/``wait`` for uvicorn's ``writable``,
    with the waiters' list made only while someone waits."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, is_set: bool) -> None:
        self._set = is_set
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = [waiter]
        else:
            self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
                if not self._waiters:
                    self._waiters = None
        return True


def after_handshake(protocol: Any) -> None:
    """Drop or shrink what ``protocol`` (uvicorn's ``WebSocketsSansIOProtocol``, handshake
    accepted) holds and never reads again. Each step is taken only when its object is in the
    state this module expects (tests/realtime/test_library_internals.py pins them)."""
    queue: Any = protocol.queue
    waiting = getattr(queue, "_getters", True) or getattr(queue, "_putters", True)
    if type(queue) is asyncio.Queue and not waiting:
        inbox = Inbox()
        while not queue.empty():
            inbox.put_nowait(queue.get_nowait())
        protocol.queue = inbox
    writable: Any = protocol.writable
    if type(writable) is asyncio.Event and not getattr(writable, "_waiters", True):
        protocol.writable = Writable(writable.is_set())
    for message in (protocol.request, protocol.response):
        if message is not None:
            message.headers = _NO_HEADERS  # the parser's generator still holds the request
    if protocol.request is not None:
        protocol.request.path = "/"
    protocol.request = protocol.response = None
    scope = protocol.scope
    scope["headers"] = []
    scope["query_string"] = b""
