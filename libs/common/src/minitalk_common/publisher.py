"""Pipelined JetStream publishes: many in flight on one connection, their acks awaited together.

nats-py's ``js.publish`` is a request: a future, a token in the connection's reply map and an
``asyncio.wait_for`` per message, and the caller waits a round trip before its next publish. A
``Publisher`` instead writes each message with a reply subject of its own inbox
(``<inbox>.<n>``) and returns at once; one subscription on ``<inbox>.*`` receives the PubAcks
and hands each to the ``done`` callback given with its message, in the order they come. So a
burst of sends goes out in one write, their acks come back in one read, and the only objects
per message are its entry in ``pending`` and the callback.

- **Durability**: ``done(ack, None)`` only once JetStream has stored the message (its PubAck,
  ``duplicate`` set when ``Nats-Msg-Id`` was stored already); anything else is
  ``done(None, error)``: JetStream's API error, no stream for the subject (a 503 "no
  responders" reply), or ``TimeoutError`` after ``timeout`` seconds. A message timed out may
  still have been stored: the caller says "try again", and a resend with the same
  ``Nats-Msg-Id`` is stored once.
- **Time-outs without a timer per message**: ``pending`` is in publish order, so a sweeper
  that wakes every ``timeout / 8`` (at most ``SWEEP_S``) ends the expired entries from its
  front. ``oldest_age()`` is the age of that front: how long the oldest unacknowledged publish
  has waited (what admission control reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable

import msgspec
import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api
from nats.js.errors import APIError, NoStreamResponseError

log = logging.getLogger("minitalk.publisher")

#: Longest time between two sweeps for expired publishes (s).
SWEEP_S = 0.25

#: ``done(ack, None)`` once stored, ``done(None, error)`` otherwise; awaited in ack order.
Done = Callable[[api.PubAck | None, Exception | None], Awaitable[None]]


class _Reply(msgspec.Struct):
    """A PubAck as JetStream writes it (``{"stream","seq","duplicate"}``) or its error."""

    stream: str = ""
    seq: int = 0
    duplicate: bool = False
    domain: str | None = None
    error: dict[str, object] | None = None


_decode_reply = msgspec.json.Decoder(_Reply).decode
_STATUS = api.Header.STATUS.value


def _api_error(error: dict[str, object]) -> APIError:
    """nats-py's error class for JetStream's ``{"code", "err_code", "description"}``."""
    try:
        APIError.from_error(error)  # raises the error's class
    except APIError as exc:
        return exc
    except TypeError:  # a field this nats-py does not know
        pass
    return APIError(description=str(error.get("description", error)))


class Publisher:
    """JetStream publishes over ``nc`` with their acks matched by reply subject (module doc)."""

    def __init__(self, nc: NATS, timeout: float) -> None:
        self._nc = nc
        self.timeout = timeout
        self._prefix = nc.new_inbox() + "."
        self._numbers = itertools.count(1)
        #: token -> (monotonic publish time, done), in publish order.
        self._pending: dict[str, tuple[float, Done]] = {}
        self._sub: Subscription | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(
            self._prefix + "*", cb=self._on_reply, pending_msgs_limit=-1, pending_bytes_limit=-1
        )
        self._sweeper = asyncio.create_task(self._sweep())

    async def close(self) -> None:
        """Stop; what is still pending is told ``TimeoutError``."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._sub is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
        pending, self._pending = self._pending, {}
        for _, done in pending.values():
            await self._call(done, None, TimeoutError("publisher closed"))

    @property
    def in_flight(self) -> int:
        """Publishes written and not yet acknowledged, failed or timed out."""
        return len(self._pending)

    def oldest_age(self, now: float) -> float:
        """Seconds the oldest pending publish has waited (0 when none)."""
        for at, _ in self._pending.values():
            return now - at
        return 0.0

    async def publish(
        self, subject: str, data: bytes, headers: dict[str, str] | None, done: Done
    ) -> None:
        """Write the message; ``done`` comes with its ack later. NATS errors of the write
        itself (connection closed, outbound buffer full while reconnecting) are raised, and
        ``done`` is then never called."""
        token = str(next(self._numbers))
        self._pending[token] = (time.monotonic(), done)
        try:
            await self._nc.publish(subject, data, reply=self._prefix + token, headers=headers)
        except BaseException:
            self._pending.pop(token, None)
            raise

    async def _on_reply(self, msg: Msg) -> None:
        entry = self._pending.pop(msg.subject[len(self._prefix) :], None)
        if entry is None:
            return  # timed out already
        done = entry[1]
        if msg.headers and msg.headers.get(_STATUS) == "503":
            await self._call(done, None, NoStreamResponseError())
            return
        try:
            reply = _decode_reply(msg.data)
        except msgspec.DecodeError as exc:
            await self._call(done, None, APIError(description=f"bad PubAck: {exc}"))
            return
        if reply.error is not None:
            await self._call(done, None, _api_error(reply.error))
            return
        ack = api.PubAck(
            stream=reply.stream, seq=reply.seq, domain=reply.domain, duplicate=reply.duplicate
        )
        await self._call(done, ack, None)

    async def _sweep(self) -> None:
        interval = min(SWEEP_S, self.timeout / 8)
        while True:
            await asyncio.sleep(interval)
            deadline = time.monotonic() - self.timeout
            expired = []
            for token, (at, _) in self._pending.items():
                if at > deadline:
                    break
                expired.append(token)
            for token in expired:
                entry = self._pending.pop(token, None)
                if entry is not None:
                    await self._call(entry[1], None, TimeoutError("no PubAck in time"))

    @staticmethod
    async def _call(done: Done, ack: api.PubAck | None, error: Exception | None) -> None:
        try:
            await done(ack, error)
        except Exception:  # one caller's failure must not cost the others their acks
            log.exception("publish callback failed")
