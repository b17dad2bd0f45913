"""Admission control: while this process is behind, new writes are refused at once (issue 18).

Beyond what two cores can carry, every send that is taken makes the queue longer, and a queue
that grows has no bound: medium offered 4,000 msgs/s from a standing start queued sends for 4 s
(ack p99 2.7 s, the refusals of the per-user budget 3.7 s), because each send taken costs a
JetStream store and a frame to every member socket. A refusal costs a frame read and a short
answer, so refusing while behind keeps the queue short and lets the process catch up.

"Behind" is measured where the queue is, the event loop of this process: a tick every
``tick_s`` notes how late it ran. A socket's frames are read and handled in the loop turn after
they arrive (uvicorn parses every frame of a read), so a loop that is ``late`` seconds behind
answers a send at least ``late`` seconds after it came. One late tick is not overload: a
garbage collection or a start-up step makes one long turn and the loop is on time again at
once; ``late_ticks`` ticks in a row that late (2: at least twice ``max_lag_s`` of lag) are.
The process is busy:

- while ``late_ticks`` ticks in a row ran more than ``max_lag_s`` late, the tick overdue right
  now counting as one (the turn running now is a long one: what it reads is refused in that
  same turn),
- for ``hold_s`` after that (so a process that catches up does not take the whole backlog
  again at once, which would make the next turn as long),
- while more than ``max_pending`` publishes wait for JetStream's PubAck (a slow or stalled
  nats-server: the queue is there, not in the loop).

The refusal is the ``busy`` error, ``{ok: false, error: "server busy, try again",
retryAfterMs}``, and the socket stays open. A refused send was not stored: the client sends it
again (same ``clientMsgId``) after ``retryAfterMs``. Normal use never meets it: at 2,000 msgs/s
(the issue's target 1) the loop is a few milliseconds late at worst (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

from .errors import RealtimeError

log = logging.getLogger("minitalk.realtime.admission")

#: How often the busy state is logged at most (one line per spell, not one per refusal).
LOG_EVERY_S = 10.0


class Busy(RealtimeError):
    """This process is behind: the sender tries again after ``retryAfterMs``."""

    def __init__(self, retry_after_ms: int) -> None:
        super().__init__("server busy, try again")
        self.details = {"retryAfterMs": retry_after_ms}


class Admission:
    def __init__(
        self,
        max_lag_s: float,
        hold_s: float,
        max_pending: int,
        pending: Callable[[], int] = lambda: 0,
        tick_s: float = 0.025,
        late_ticks: int = 2,
    ) -> None:
        self._max_lag = max_lag_s
        self._late_ticks = late_ticks
        #: ticks in a row that ran more than ``max_lag_s`` late
        self._late = 0
        self._hold = hold_s
        self._max_pending = max_pending
        self._pending = pending
        self._tick_s = tick_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = math.inf
        self._busy_until = -math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._logged = -math.inf
        #: refusals since start (logged with each spell)
        self.refused = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._due = self._loop.time() + self._tick_s
        self._timer = self._loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._loop = None
        self._due = math.inf

    def _tick(self) -> None:
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        self._late = self._late + 1 if now - self._due > self._max_lag else 0
        if self._late >= self._late_ticks:
            self._busy_until = now + self._hold
        self._due = now + self._tick_s
        self._timer = loop.call_at(self._due, self._tick)

    def wait_s(self) -> float:
        """0 when a write may be taken now; else how long the process expects to stay busy."""
        loop = self._loop
        if loop is None:
            return 0.0
        now = loop.time()
        late = now - self._due
        if late > self._max_lag and self._late + 1 >= self._late_ticks:
            return late + self._hold
        if now < self._busy_until:
            return self._busy_until - now
        if self._pending() > self._max_pending:
            return self._hold
        return 0.0

    def admit(self) -> None:
        """Return when a write may be taken; ``Busy`` when it may not."""
        wait = self.wait_s()
        if not wait:
            return
        self.refused += 1
        if self._loop is not None and (now := self._loop.time()) - self._logged >= LOG_EVERY_S:
            self._logged = now
            log.warning(
                "busy: refusing writes for %.0f ms (event loop %.0f ms late, %d publishes "
                "waiting for JetStream; %d refused since start)",
                wait * 1000,
                max(0.0, now - self._due) * 1000,
                self._pending(),
                self.refused,
            )
        raise Busy(max(1, math.ceil(wait * 1000)))
