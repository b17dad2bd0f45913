"""SIGINT, SIGTERM and SIGHUP as a stop request the runner's main loop polls.

The handlers only count and note the time: no lock, no I/O. A handler that takes a lock (as
``threading.Event.set`` does) deadlocks when a second signal arrives while the first handler
holds it - which is what a process group signal plus the same signal forwarded by ``task`` or
``uv`` do within a millisecond - and the runner then hangs forever with every child running.
"""

from __future__ import annotations

import signal
import time
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: A further signal this long after the first one means "now": SIGKILL what still runs
#: (a second Ctrl-C). Copies of one signal (the group's, and task's or uv's forwarding) come
#: within milliseconds of each other, so they never force.
FORCE_AFTER_S = 1.0


class StopRequest:
    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.signum = 0

    def install(self) -> StopRequest:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        now = time.monotonic()
        if not self.count:
            self.first, self.signum = now, signum
        self.count += 1
        self.last = now

    def requested(self) -> bool:
        return self.count > 0

    def forced(self) -> bool:
        return self.count > 1 and self.last - self.first >= FORCE_AFTER_S

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "none"
