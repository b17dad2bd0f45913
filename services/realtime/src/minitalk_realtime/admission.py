"""Admission control of ``send_message``: refuse fast while the process is behind.

Past its capacity a process that accepts every send only queues them: in its sockets' buffers,
in NATS, in the live feed, in each socket's outgoing queue. Acks and deliveries then come
seconds late, sockets miss their pings, and when the load falls back the backlog is still
there. Instead a send is refused at once, before anything is published, with ``{ok: false,
error: "server busy, retry in a moment", retryAfterMs}`` (a ``Busy``) while any of these says
the process is behind (each a setting, ``config.py``):

- **publishes in flight**: more than ``max_in_flight_publishes`` written to JetStream and not
  yet acknowledged on this process, or ``max_in_flight_per_socket`` for the one socket (so one
  client cannot take the process's whole bound);
- **unread input**: more than ``max_unread_bytes_per_socket`` of what the socket's client sent
  waits unread in the kernel (``FIONREAD``), continuously for ``max_unread_ms`` (a burst of
  100 sends is read within that; a backlog is not). uvicorn reads a socket's next frame only
  once its last one is handled, so a process behind on a socket's events leaves them there (and in
  nginx, and in the client), where no other bound sees them: without this one a socket's sends
  waited 10-25 s at 4,000 msgs/s offered while every other bound looked fine. Refusing is much
  cheaper than storing and fanning out, so the socket catches up, and its pongs get through;
- **queued output**: more than ``max_queued_out_bytes`` wait to be written to this process's
  sockets (summed every ``LAG_TICK_S``): the live feed keeps up, the writers do not (at 4,000
  msgs/s offered deliveries queued 30 s while the feed was current);
- **publish wait**: the oldest of them has waited more than ``max_publish_wait_ms`` for its
  PubAck (NATS or JetStream is slow: a standing queue, not a burst);
- **event loop lag**: a timer due every ``LAG_TICK_S`` ran more than ``max_loop_lag_ms`` late,
  ``LAG_TICKS`` times in a row (the process is out of CPU: everything it does, pongs
  included, waits that long; one late tick - a collection, a preempted process - is not
  enough);
- **delivery lag**: a message this process stored more than ``max_delivery_lag_ms`` ago has not
  been delivered by its live feed yet (the fan-out is behind what is stored).

Like CoDel, it looks at how long work waits, not at a rate: refusals start when the delay
builds up, whatever the machine's capacity, and stop as soon as it is gone. The bounds are
checked per send in O(1) (the in-flight count, the front of an ordered dict and of a deque, a
clock read), so a refusal costs far less than an accepted message: about the cost of decoding
it and writing the ack. Edits, reactions and read positions are not refused here (their
budgets are small, ``limits.py``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from minitalk_common.publisher import Publisher

from .errors import RealtimeError

log = logging.getLogger("minitalk.realtime.admission")

#: What a refused sender reads: the ack's ``error`` (and the ``error`` event's ``message``).
BUSY = "server busy, retry in a moment"
#: Seconds between two event loop lag measurements, and how many in a row must be late.
LAG_TICK_S = 0.05
LAG_TICKS = 3
#: At most one "busy" log line per this many seconds (it sums up what was refused meanwhile).
BUSY_LOG_S = 10.0
#: Own stored messages remembered until delivered (beyond it the oldest are forgotten).
MAX_TRACKED = 100_000


class Busy(RealtimeError):
    def __init__(self, retry_after_ms: int) -> None:
        super().__init__(BUSY)
        self.details = {"retryAfterMs": retry_after_ms}


@dataclass(frozen=True)
class Bounds:
    in_flight: int
    per_socket: int
    unread_bytes: int
    unread_s: float
    queued_out_bytes: int
    publish_wait_s: float
    loop_lag_s: float
    delivery_lag_s: float
    #: ``retryAfterMs`` of a refusal: this, +-50 % at random (refused clients do not come
    #: back all at once).
    retry_after_ms: int


class Admission:
    """Whether one more send may be published now (module doc)."""

    def __init__(
        self,
        bounds: Bounds,
        publisher: Publisher,
        delivered: Callable[[], int],
        unread: Callable[[str], int],
        queued_out: Callable[[], int],
    ) -> None:
        self.bounds = bounds
        self._unread = unread
        self._queued_out = queued_out
        self._out = 0  # queued_out() at the last tick
        #: sid -> since when its unread input has been over the bound.
        self._backlogged: dict[str, float] = {}
        self._publisher = publisher
        self._delivered = delivered
        self._per_socket: dict[str, int] = {}
        #: (seq, monotonic time acked) of this process's stored messages not yet delivered.
        self._stored: deque[tuple[int, float]] = deque()
        self._lags: deque[float] = deque([0.0], maxlen=LAG_TICKS)
        self._busy_since: float | None = None
        self._told_at = -BUSY_LOG_S  # when the last "busy" line was logged
        #: Sends refused since the process started, by reason.
        self.refused: dict[str, int] = {}

    def admit(self, sid: str) -> None:
        """Count one more publish of socket ``sid``; ``Busy`` when the process is behind."""
        now = time.monotonic()
        reason = self._behind(sid, now)
        if reason is not None:
            self._refuse(reason, now)
        if self._busy_since is not None:
            self._recovered(now)
        self._per_socket[sid] = self._per_socket.get(sid, 0) + 1

    def finished(self, sid: str, seq: int | None) -> None:
        """A publish of ``sid`` ended; ``seq``: it was stored there (a new message)."""
        left = self._per_socket.get(sid, 0) - 1
        if left > 0:
            self._per_socket[sid] = left
        else:
            self._per_socket.pop(sid, None)
        if seq is not None:
            self._stored.append((seq, time.monotonic()))
            if len(self._stored) > MAX_TRACKED:
                self._stored.popleft()

    def _behind(self, sid: str, now: float) -> str | None:
        b = self.bounds
        publisher = self._publisher
        if publisher.in_flight >= b.in_flight:
            return "publishes in flight"
        if self._per_socket.get(sid, 0) >= b.per_socket:
            return "publishes in flight on one socket"
        if self._unread(sid) > b.unread_bytes:
            since = self._backlogged.setdefault(sid, now)
            if now - since > b.unread_s:
                return "unread input"
        elif self._backlogged:
            self._backlogged.pop(sid, None)
        if self._out > b.queued_out_bytes:
            return "queued output"
        if publisher.oldest_age(now) > b.publish_wait_s:
            return "publish wait"
        if min(self._lags) > b.loop_lag_s:
            return "event loop lag"
        if self._delivery_lag(now) > b.delivery_lag_s:
            return "delivery lag"
        return None

    def _delivery_lag(self, now: float) -> float:
        stored = self._stored
        if not stored:
            return 0.0
        delivered = self._delivered()
        while stored and stored[0][0] <= delivered:
            stored.popleft()
        return now - stored[0][1] if stored else 0.0

    def _refuse(self, reason: str, now: float) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1
        if self._busy_since is None:
            self._busy_since = now
        if now - self._told_at >= BUSY_LOG_S:
            self._told_at = now
            log.warning("busy (%s): refusing sends; refused so far: %s", reason, self.refused)
        retry = self.bounds.retry_after_ms
        raise Busy(max(1, round(retry * random.uniform(0.5, 1.5))))

    def _recovered(self, now: float) -> None:
        assert self._busy_since is not None
        if now - self._busy_since >= 1.0:  # not for each socket that caught up
            log.info("accepting sends again after %.1f s busy", now - self._busy_since)
        self._busy_since = None

    async def run(self) -> None:
        """Measure the event loop's lag (until cancelled)."""
        while True:
            due = time.monotonic() + LAG_TICK_S
            await asyncio.sleep(LAG_TICK_S)
            self._lags.append(time.monotonic() - due)
            self._out = self._queued_out()
            if len(self._backlogged) > MAX_TRACKED:  # sockets closed while backlogged
                self._backlogged.clear()
