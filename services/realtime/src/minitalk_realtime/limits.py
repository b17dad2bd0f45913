"""Per-user event budgets: token buckets local to this process.

Every client event spends one token of its user's bucket for that kind of event (``send``,
``typing``, ``rooms`` for join/leave, ``other`` for any other event name). A bucket holds at
most ``burst`` tokens and refills at ``rate`` per second; an event that finds it empty is
refused with ``rate limited`` and the milliseconds until a token is back. The connection stays.

Why local: a shared counter (KV or a NATS request) per event would add a round trip and at
least doubles NATS traffic on the hottest path (1,000 msgs/s). A user's sockets on one replica
share one bucket; a user whose sockets sit on several replicas gets a bucket on each, and so
at most ``burst`` + ``rate`` x seconds on each replica that holds one of its sockets. That is
bounded by the cross-replica sockets-per-user limit (``presence.py``), which is what makes the
budget "shared by all replicas" without a per-message round trip (docs/security.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from .errors import RealtimeError


@dataclass(frozen=True)
class Budget:
    """``rate`` tokens per second, at most ``burst`` at once."""

    rate: float
    burst: float


class RateLimited(RealtimeError):
    def __init__(self, retry_after_ms: int) -> None:
        super().__init__("rate limited")
        self.details = {"retryAfterMs": retry_after_ms}


class Bucket:
    __slots__ = ("_at", "_tokens")

    def __init__(self, burst: float, now: float) -> None:
        self._tokens = burst
        self._at = now

    def take(self, budget: Budget, now: float) -> float:
        """Spend a token; 0 if there was one, else the seconds until there is."""
        tokens = min(budget.burst, self._tokens + (now - self._at) * budget.rate)
        self._at = now
        if tokens >= 1:
            self._tokens = tokens - 1
            return 0.0
        self._tokens = tokens
        return (1 - tokens) / budget.rate

    def full(self, budget: Budget, now: float) -> bool:
        return self._tokens + (now - self._at) * budget.rate >= budget.burst


class UserLimits:
    """The buckets of the users with a socket on this process, by kind of event."""

    def __init__(self, budgets: dict[str, Budget]) -> None:
        self._budgets = budgets
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def spend(self, username: str, kind: str) -> None:
        """One event of ``kind`` by ``username``; ``RateLimited`` when over its budget."""
        budget = self._budgets.get(kind)
        if budget is None:
            return
        now = time.monotonic()
        key = (kind, username)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(budget.burst, now)
        wait = bucket.take(budget, now)
        if wait:
            raise RateLimited(max(1, math.ceil(wait * 1000)))

    def sweep(self) -> None:
        """Drop the buckets that have refilled (as good as new); a user who reconnects to
        reset its budget finds its spent bucket still there."""
        now = time.monotonic()
        for key, bucket in list(self._buckets.items()):
            if bucket.full(self._budgets[key[0]], now):
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
