"""Per-user event budgets: token buckets local to this process.

Every client event spends one token of its user's bucket for that kind of event (``send``,
``typing``, ``rooms`` for join/leave, ``other`` for any other event name). A bucket holds at
most ``burst`` tokens and refills at ``rate`` per second; an event that finds it empty is
refused with ``rate limited, try again`` and the milliseconds until a token is back
(``retryAfterMs``). The connection stays.

Why local: a shared counter (KV or a NATS request) per event would add a round trip and at
least doubles NATS traffic on the hottest path (1,000 msgs/s). A user's sockets on one replica
share one bucket; a user whose sockets sit on several replicas gets a bucket on each, and so
at most ``burst`` + ``rate`` x seconds on each replica that holds one of its sockets. That is
bounded by the cross-replica sockets-per-user limit (``presence.py``), which is what makes the
budget "shared by all replicas" without a per-message round trip (docs/security.md).
"""

from __future__ import annotations

import math

from minitalk_common.budgets import UserBudgets

from .errors import RealtimeError


class RateLimited(RealtimeError):
    def __init__(self, retry_after_ms: int) -> None:
        super().__init__("rate limited, try again")
        self.details = {"retryAfterMs": retry_after_ms}


class UserLimits(UserBudgets):
    """The buckets of the users with a socket on this process, by kind of event."""

    def spend(self, username: str, kind: str) -> None:
        """One event of ``kind`` by ``username``; ``RateLimited`` when over its budget."""
        wait = self.wait(username, kind)
        if wait:
            raise RateLimited(max(1, math.ceil(wait * 1000)))
