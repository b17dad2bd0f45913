"""The collector policy freezes survivors and thaws them for the periodic full collection."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from minitalk_realtime import gcpolicy


async def test_freezes_then_thaws_for_a_full_collection(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="minitalk.realtime.gc")
    task = asyncio.create_task(gcpolicy.run(freeze_interval_s=0.02, full_interval_s=0.2))
    try:
        await asyncio.sleep(0.1)
        assert gc.get_freeze_count() > 0
        frozen_before = gc.get_freeze_count()
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        await asyncio.sleep(0.3)  # a full collection ran and the survivors were frozen again
        assert gc.get_freeze_count() > 0
        assert frozen_before > 0
        assert any("full collection" in r.message for r in caplog.records)
    finally:
        task.cancel()
        gc.unfreeze()


async def test_zero_interval_leaves_the_collector_alone() -> None:
    gc.unfreeze()
    await gcpolicy.run(freeze_interval_s=0, full_interval_s=600)
    assert gc.get_freeze_count() == 0
