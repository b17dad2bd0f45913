"""Publishing many events in order, fast: pipelined, and each one conditional on the one before.

Every publish carries ``Nats-Expected-Last-Sequence`` (the sequence the event before it gets) and,
after the first, ``Nats-Expected-Last-Msg-Id`` (the id of the event before it), with up to
``window`` acknowledgements outstanding. If one event is not stored, or anyone else writes to the
stream meanwhile, the server refuses every later event (the stream's last message is no longer the
one each expects), so the stream never holds the events out of order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

import nats.errors
from nats.js import JetStreamContext, api

from .streams import ReplayError

EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
MSG_ID = "Nats-Msg-Id"


class ChainPublisher:
    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        last_seq: int,
        window: int = 500,
        timeout: float = 10.0,
    ) -> None:
        self._js = js
        self._stream = stream
        self._last = last_seq
        self._last_id: str | None = None
        self._window = window
        self._timeout = timeout
        self._pending: deque[tuple[str, asyncio.Future[api.PubAck]]] = deque()

    async def __aenter__(self) -> ChainPublisher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.flush()
        else:
            await self._abandon()

    async def publish(self, subject: str, data: bytes, headers: dict[str, str]) -> int:
        """Send one event (``headers`` with its ``Nats-Msg-Id``); returns the sequence it will get
        (checked as the acks come back)."""
        msg_id = headers[MSG_ID]
        headers = {**headers, EXPECTED_LAST_SEQUENCE: str(self._last)}
        if self._last_id is not None:
            headers[EXPECTED_LAST_MSG_ID] = self._last_id
        future = await self._js.publish_async(
            subject, data, headers=headers, stream=self._stream, wait_stall=self._timeout
        )
        self._last += 1
        self._last_id = msg_id
        self._pending.append((msg_id, future))
        if len(self._pending) > self._window:
            await self._settle_one()
        return self._last

    async def flush(self) -> None:
        """Wait until every event sent is stored."""
        while self._pending:
            await self._settle_one()

    async def _settle_one(self) -> None:
        msg_id, future = self._pending.popleft()
        try:
            ack = await asyncio.wait_for(future, self._timeout)
        except (TimeoutError, nats.errors.Error) as exc:
            await self._abandon()
            raise ReplayError(
                f"{self._stream}: event {msg_id} was not stored ({exc!r}); nothing after it was. "
                "Run the restore again with --resume to go on from there."
            ) from exc
        if ack.duplicate:
            await self._abandon()
            raise ReplayError(f"{self._stream}: event {msg_id} was there already; use --resume")

    async def _abandon(self) -> None:
        """Let the outstanding acks settle (their failures follow the first one)."""
        futures = [future for _, future in self._pending]
        self._pending.clear()
        if futures:
            await asyncio.wait(futures, timeout=self._timeout)
        for future in futures:
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: no "never retrieved" warning
            else:
                future.cancel()
