"""Per-user budgets: token buckets local to one process (realtime's socket events, rooms' REST
writes).

A bucket holds at most ``burst`` tokens and refills at ``rate`` per second; a request of a kind
spends one token of its user's bucket for that kind, and one that finds it empty waits
``UserBudgets.wait`` seconds (the caller refuses it: a socket ack ``rate limited, try again``,
a 429).
Local, not shared: a shared counter would add a NATS round trip to every request; a user on
several replicas gets a bucket on each (docs/security.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """``rate`` tokens per second, at most ``burst`` at once."""

    rate: float
    burst: float


class Bucket:
    __slots__ = ("_at", "_tokens")

    def __init__(self, burst: float, now: float) -> None:
        self._tokens = burst
        self._at = now

    def take(self, budget: Budget, now: float, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens; 0 if there were as many, else the seconds until there are."""
        tokens = min(budget.burst, self._tokens + (now - self._at) * budget.rate)
        self._at = now
        if tokens >= cost:
            self._tokens = tokens - cost
            return 0.0
        self._tokens = tokens
        return (cost - tokens) / budget.rate

    def full(self, budget: Budget, now: float) -> bool:
        return self._tokens + (now - self._at) * budget.rate >= budget.burst


class UserBudgets:
    """The buckets of the users seen lately, by kind of request."""

    def __init__(self, budgets: dict[str, Budget]) -> None:
        self._budgets = budgets
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def wait(self, username: str, kind: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens (at most a burst) of ``kind`` for ``username``: 0.0, or the
        seconds until they are back (nothing spent then). A kind without a budget is free."""
        budget = self._budgets.get(kind)
        if budget is None:
            return 0.0
        now = time.monotonic()
        key = (kind, username)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(budget.burst, now)
        return bucket.take(budget, now, min(cost, budget.burst))

    def sweep(self) -> None:
        """Drop the buckets that have refilled (as good as new); a user who comes back to
        reset its budget finds its spent bucket still there."""
        now = time.monotonic()
        for key, bucket in list(self._buckets.items()):
            if bucket.full(self._budgets[key[0]], now):
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
