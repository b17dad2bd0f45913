"""JetStream publishes for the send path, without nats-py's per-request machinery.

``JetStreamContext.publish`` (nats-py 2.x) is ``nc.request``: per message a NUID token plus
``secrets.token_hex`` (a ``getrandom`` system call), a future with a done-callback lambda, the
``HPUB``, then ``asyncio.wait_for`` (a second future, a timer and two more loop callbacks); the
PubAck comes back through the request subscription's queue and task (one more wake-up of a
task), is parsed with the standard ``json`` and made an ``api.PubAck`` dataclass. At 1,000
msgs/s that is a tenth of realtime's samples (docs/benchmarks.md, "Round three").

``Publisher.publish`` sends the same ``HPUB`` (``nc.publish`` with a reply subject: the same
checks, headers and buffering while reconnecting) and reads the same answers (the PubAck JSON,
a JetStream error object, or a no-responders ``503`` status), raising what ``js.publish``
raises (``nats.errors.TimeoutError``, ``nats.js.errors.APIError``, ``NoStreamResponseError``),
with:

- one reply subscription ``<inbox>.*`` whose messages are handed over inside nats-py's read
  loop (its ``future`` slot, which nats-py fills in place, holds an object that resolves the
  waiting publish): no queue, no task hop;
- tokens from a counter (the inbox is already unique to this connection);
- one timer for every pending publish, set for the oldest one's deadline (all share one
  timeout, so they expire in the order they were sent), instead of a timer each;
- the PubAck decoded by msgspec;
- at most one write to NATS per ``coalesce_s``: a publish that comes less than that after the
  last one written waits for the next (every publish waiting then is written together, in the
  order they came); its caller does not wait for that (``submit`` returns at once with
  what to await for the PubAck), so a socket's next send is read within the window. Each
  write to the loopback socket wakes nats-server, and on two busy cores
  that wake-up often costs realtime its CPU for a while: at 1,000 msgs/s nats-py's one write
  per message was ~12 % of realtime's samples (docs/benchmarks.md, "Round three"). At low
  rates nothing waits; under load a publish waits at most ``coalesce_s``.

nats-py's ``_process_msg`` calling ``sub._future.cancelled()`` and ``.set_result(msg)`` for a
subscription made with ``future=`` is pinned in tests/realtime/test_library_internals.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import msgspec
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

_STATUS = "Status"
_NO_RESPONDERS = "503"


class _Reply(msgspec.Struct):
    """A PubAck (``{"stream", "seq", "duplicate"?}``) or ``{"error": {...}}``."""

    stream: str | None = None
    seq: int | None = None
    duplicate: bool = False
    error: dict[str, Any] | None = None


_decode_reply = msgspec.json.Decoder(_Reply).decode


class _Handover:
    """What nats-py finds in the reply subscription's ``future`` slot: each reply goes to
    ``Publisher._on_reply`` in the read loop (never ``cancelled``, never done)."""

    __slots__ = ("_on_reply",)

    def __init__(self, on_reply: Any) -> None:
        self._on_reply = on_reply

    def cancelled(self) -> bool:
        return False

    def done(self) -> bool:
        return False

    def set_result(self, msg: Msg) -> None:
        self._on_reply(msg)


class Publisher:
    """``js.publish`` for one connection and one timeout; see the module's text."""

    def __init__(self, nc: NATS, timeout: float, coalesce_s: float = 0.0) -> None:
        self._nc = nc
        self._timeout = timeout
        self._coalesce_s = coalesce_s
        #: loop time of the last write, and the publishes waiting for the next one, in order
        #: (subject, payload, headers, token): written by ``_write_waiting``
        self._written = float("-inf")
        self._waiting: list[tuple[str, bytes, dict[str, str], str]] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._prefix = ""
        self._skip = 0
        self._sub: Subscription | None = None
        self._starting = asyncio.Lock()
        self._next = 0
        #: token -> (future, deadline), oldest first
        self._pending: dict[str, tuple[asyncio.Future[Msg], float]] = {}
        self._timer: asyncio.TimerHandle | None = None

    async def publish(
        self, subject: str, payload: bytes, headers: dict[str, str]
    ) -> tuple[int, bool]:
        """Store ``payload`` on ``subject``; (stream sequence, whether JetStream had it already)."""
        stored = await self.submit(subject, payload, headers)
        return await stored

    async def submit(
        self, subject: str, payload: bytes, headers: dict[str, str]
    ) -> Awaitable[tuple[int, bool]]:
        """Write the publish to NATS (in the order of the calls: a later call never writes
        first) and return once it is written, with what to await for its (stream sequence,
        whether JetStream had it already): the caller may go on meanwhile (a socket's next
        send is read while this one's PubAck is on its way)."""
        if self._sub is None:
            await self._subscribe()
        self._next += 1
        token = str(self._next)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Msg] = loop.create_future()
        deadline = loop.time() + self._timeout
        self._pending[token] = (future, deadline)
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._expire)
        waiting = self._waiting
        if waiting is None and loop.time() - self._written < self._coalesce_s:
            self._waiting = waiting = []
            loop.call_at(self._written + self._coalesce_s, self._open)
        if waiting is not None:
            # written with the others by ``_write_waiting``, in order; the caller goes on now
            # (a socket's next frame is not held back by the window)
            waiting.append((subject, payload, headers, token))
            return self._answer(token, future)
        self._written = loop.time()
        try:
            await self._nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
        except BaseException:
            self._pending.pop(token, None)  # a failed publish or a cancelled caller
            raise
        return self._answer(token, future)

    async def _answer(self, token: str, future: asyncio.Future[Msg]) -> tuple[int, bool]:
        try:
            msg = await future
        finally:
            self._pending.pop(token, None)  # answered, timed out, or a cancelled caller
        return _pub_ack(msg)

    @property
    def pending(self) -> int:
        """Publishes waiting for their PubAck (admission control bounds it)."""
        return len(self._pending)

    def _open(self) -> None:
        """The window is over: the waiting publishes are written, in order, in the next loop
        turn (before nats-py's flusher, which sends them all in one write)."""
        self._writer = asyncio.get_running_loop().create_task(self._write_waiting())

    async def _write_waiting(self) -> None:
        """Each waiting publish to nats-py's buffer, in the order they came (those that come
        meanwhile too: they join the list); a publish nats-py refuses fails its caller."""
        waiting = self._waiting or []
        try:
            for subject, payload, headers, token in waiting:  # grows while this awaits
                entry = self._pending.get(token)
                if entry is None or entry[0].done():
                    continue  # its caller was cancelled, or it timed out
                try:
                    await self._nc.publish(
                        subject, payload, reply=self._prefix + token, headers=headers
                    )
                except Exception as exc:
                    self._pending.pop(token, None)
                    if not entry[0].done():
                        entry[0].set_exception(exc)
        finally:
            self._waiting = None
            self._written = asyncio.get_running_loop().time()
            self._writer = None

    async def _subscribe(self) -> None:
        async with self._starting:
            if self._sub is not None:
                return
            prefix = self._nc.new_inbox() + "."
            self._sub = await self._nc.subscribe(prefix + "*", future=_Handover(self._on_reply))  # type: ignore[arg-type]
            self._prefix, self._skip = prefix, len(prefix)

    def _on_reply(self, msg: Msg) -> None:
        entry = self._pending.pop(msg.subject[self._skip :], None)
        if entry is not None and not entry[0].done():
            entry[0].set_result(msg)

    def _expire(self) -> None:
        """Fail every publish past its deadline; the timer again for the next oldest."""
        self._timer = None
        pending = self._pending
        now = asyncio.get_running_loop().time()
        while pending:
            token = next(iter(pending))
            future, deadline = pending[token]
            if deadline > now:
                self._timer = asyncio.get_running_loop().call_at(deadline, self._expire)
                return
            del pending[token]
            if not future.done():
                future.set_exception(nats.errors.TimeoutError())


def _pub_ack(msg: Msg) -> tuple[int, bool]:
    """(seq, duplicate) of JetStream's answer; what ``js.publish`` raises otherwise."""
    headers = msg.headers
    if headers and headers.get(_STATUS) == _NO_RESPONDERS:
        raise nats.js.errors.NoStreamResponseError
    try:
        reply = _decode_reply(msg.data)
    except msgspec.MsgspecError as exc:
        raise nats.js.errors.Error(f"nats: bad PubAck {msg.data[:80]!r}") from exc
    if reply.error is not None:
        raise nats.js.errors.APIError.from_error(reply.error)
    if reply.seq is None:
        raise nats.js.errors.Error(f"nats: bad PubAck {msg.data[:80]!r}")
    return reply.seq, reply.duplicate
