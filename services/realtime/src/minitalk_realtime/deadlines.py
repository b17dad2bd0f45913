"""One timer for many deadlines: entries in a heap ordered by when they are due (the loop's
clock), and one ``loop.call_at`` for the earliest. A timer per socket - a handle, or a task with
its coroutine and sleep - held about 1 KB per socket (issue 18); a heap entry is a tuple. The
pings of every socket (``pings.Pinger``) and the expiry of every socket's token
(``expiry.TokenWatch``) each wait in one of these.
"""

from __future__ import annotations

import asyncio
import heapq
from typing import Any

#: A timer may fire this much before its time: uvloop counts in whole milliseconds (its
#: ``time()`` and each timer's delay, rounded), so a timer set for 12.3456 runs when the loop's
#: clock says 12.345. What is due within it is due now; without it the timer found nothing due
#: and was set again at once, a busy loop of up to a millisecond per entry (the first
#: 10,000-socket run of the shared pinger: realtime used ~8 % of a core more, docs/benchmarks.md).
EARLY = 0.002


class Deadlines:
    """Entries ``(when, ...)`` by when they are due, one timer. A subclass says what a due entry
    does (``_on_due``); the heap ``_due`` may be rebuilt by it (a lazily deleted entry's heap
    grown too large), as long as it stays a heap of the live entries."""

    def __init__(self) -> None:
        self._due: list[tuple[Any, ...]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._due)

    def _push(self, loop: asyncio.AbstractEventLoop, entry: tuple[Any, ...]) -> None:
        """Add ``entry`` (its first item: when it is due, on ``loop``'s clock)."""
        if loop is not self._loop:  # a new loop (a test's): the old one's entries are gone
            self._loop, self._due, self._timer = loop, [], None
        heapq.heappush(self._due, entry)
        if self._due[0] is entry:
            self._arm()

    def _arm(self) -> None:
        """The timer for the earliest entry, none when there is none."""
        if self._timer is not None:
            self._timer.cancel()
        loop = self._loop
        self._timer = loop.call_at(self._due[0][0], self._fire) if self._due and loop else None

    def _fire(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time() + EARLY
        while self._due and self._due[0][0] <= now:  # ``_on_due`` may rebuild the heap
            self._on_due(heapq.heappop(self._due))
        self._arm()

    def _on_due(self, entry: tuple[Any, ...]) -> None:
        raise NotImplementedError
