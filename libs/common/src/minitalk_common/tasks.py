"""Stopping a background task that loops until it is cancelled.

``task.cancel(); await task`` can wait forever on Python 3.11: ``asyncio.wait_for`` returns the
inner result instead of raising ``CancelledError`` when the cancellation arrives in the same
loop iteration as that result (CPython gh-86296, fixed in 3.12 only). nats-py's requests go
through ``wait_for``, so a loop that makes requests (``Feed``'s watcher creating a consumer, a
gauge reading ``stream_info``) can lose the one cancellation it gets and go round again, and
whoever awaits it hangs: a shutdown that never ends (a test's 300 s timeout in CI, once).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

#: Seconds between cancellations of a task that has not ended yet.
RETRY_S = 0.05


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling it again while it goes on (a
    cancellation it lost). What it raised besides ``CancelledError`` is raised here."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RETRY_S)
    with suppress(asyncio.CancelledError):
        task.result()
