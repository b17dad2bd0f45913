"""``tasks.stop`` ends a looping task even when the loop loses its cancellation, as
``asyncio.wait_for`` makes it do on Python 3.11 (a shutdown, and once a CI run, that hung)."""

from __future__ import annotations

import asyncio
import sys
from contextlib import suppress

import pytest
from minitalk_common import tasks


async def _loop(wake: asyncio.Event, rounds: list[int]) -> None:
    """A watcher shaped like ``Feed._watch``: waits for an event or a tick, round after round."""
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), 0.25)
        wake.clear()
        rounds.append(1)


async def _lose_one_cancellation() -> tuple[asyncio.Task[None], list[int]]:
    """A looping task whose cancellation arrives with the result ``wait_for`` waits for."""
    wake, rounds = asyncio.Event(), []
    task = asyncio.create_task(_loop(wake, rounds))
    await asyncio.sleep(0.01)  # the task waits in wait_for
    wake.set()
    task.cancel()
    return task, rounds


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps cancellations from 3.12")
async def test_a_bare_cancel_can_be_lost_by_wait_for() -> None:
    """Why ``stop`` exists (the Python we ship, 3.11)."""
    task, rounds = await _lose_one_cancellation()
    done, _ = await asyncio.wait({task}, timeout=0.6)
    assert not done  # still looping
    assert rounds  # it went round again after the cancellation
    await tasks.stop(task)


async def test_stop_ends_a_task_that_lost_its_cancellation() -> None:
    task, _ = await _lose_one_cancellation()
    await asyncio.wait_for(tasks.stop(task), 2)
    assert task.cancelled()


async def test_stop_raises_what_the_task_raised_and_takes_none() -> None:
    async def fail() -> None:
        raise ValueError("broken")

    task = asyncio.create_task(fail())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="broken"):
        await tasks.stop(task)
    await tasks.stop(None)
