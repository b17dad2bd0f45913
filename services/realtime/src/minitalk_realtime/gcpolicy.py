"""Garbage collection for a process that holds thousands of sockets.

CPython's full collection scans every tracked object. With 10,000 sockets that froze realtime for
1.2-2.3 s every 15-30 s, and those pauses were the p99 (docs/benchmarks.md). Every
``gc_freeze_interval_s`` the objects that survived so far are frozen (moved to the permanent
generation), so a full collection scans only what is new: the same run had p99 8.7 ms. Frozen
objects are still freed by reference counting; only cyclic garbage among them waits for the
unfreeze and full collection every ``gc_full_interval_s`` (one pause per interval, not per
quarter minute).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("minitalk.realtime.gc")


async def run(freeze_interval_s: float, full_interval_s: float) -> None:
    """Freeze survivors periodically and reclaim frozen cycles now and then; until cancelled."""
    if freeze_interval_s <= 0:
        return
    last_full = time.monotonic()
    while True:
        await asyncio.sleep(freeze_interval_s)
        if full_interval_s > 0 and time.monotonic() - last_full >= full_interval_s:
            gc.unfreeze()
            started = time.perf_counter()
            collected = gc.collect()
            log.info(
                "full collection: %d objects in %.0f ms",
                collected,
                (time.perf_counter() - started) * 1000,
            )
            last_full = time.monotonic()
        gc.freeze()
