"""Runs one shard on this machine: worker processes (one partition each), a start barrier, the
/proc sampler and live progress; returns the shard report (results.py)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import queue
import time
from typing import Any

from .config import RunConfig
from .live import Progress
from .plan import Partition
from .procstat import Sampler, rss_mb_now
from .results import shard_report
from .worker import MAX_DRAIN_S, process_main

#: How long the workers may take to sign up, log in, create rooms and connect.
SETUP_TIMEOUT_S = 3600.0


class WorkerFailed(RuntimeError):
    pass


def run_shard(
    cfg: RunConfig,
    shard: int = 0,
    shards: int = 1,
    service_pids: dict[str, int] | None = None,
    live: bool = True,
    on_go: Any = None,
) -> dict[str, Any]:
    """Drive partitions ``shard*W .. shard*W+W-1`` of ``shards*W`` with W worker processes."""
    ctx = multiprocessing.get_context("spawn")
    events: Any = ctx.Queue()
    go = ctx.Event()
    start_at = ctx.Value("d", 0.0)
    count = shards * cfg.workers
    procs = [
        ctx.Process(
            target=process_main,
            args=(cfg, Partition(shard * cfg.workers + w, count), events, go, start_at),
            name=f"loadtest-worker-{w}",
        )
        for w in range(cfg.workers)
    ]
    baseline = rss_mb_now(service_pids or {})  # before any socket is connected
    for proc in procs:
        proc.start()
    title = f"{cfg.target} {cfg.scenario}: {cfg.users} users, {cfg.rooms} rooms, {cfg.rate}/s"
    try:
        with Progress(title, live) as progress:
            _collect(events, procs, "ready", progress, SETUP_TIMEOUT_S)
            pids = {**(service_pids or {}), "loadgen": os.getpid()}
            sampler = Sampler(pids).start()
            progress.sampler = sampler
            start_at.value = max(time.time() + 1.0, cfg.start_at)
            go.set()
            if on_go is not None:
                on_go(start_at.value)
            progress.set_phase("sending")
            budget = cfg.duration_s + MAX_DRAIN_S + 300 + (cfg.storm_at_s is not None) * 600
            results = _collect(events, procs, "done", progress, budget + SETUP_TIMEOUT_S)
            sampler.stop()
            window = (start_at.value, start_at.value + cfg.duration_s)
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
    processes = sampler.summary(*window)
    for name, rss in baseline.items():
        processes[name]["rss_mb_before_sockets"] = rss
    return shard_report(
        dataclasses.asdict(cfg),
        shard,
        shards,
        list(results.values()),
        processes,
        sampler.series(),
        start_at.value,
    )


def _collect(
    events: Any, procs: list[Any], kind: str, progress: Progress, timeout: float
) -> dict[int, Any]:
    """Wait for ``kind`` from every worker, showing ticks; raise on a worker's error."""
    found: dict[int, Any] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(procs):
        if time.monotonic() > deadline:
            raise WorkerFailed(f"workers did not report {kind!r} within {timeout:.0f}s")
        try:
            got, partition, data = events.get(timeout=1.0)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise WorkerFailed("a worker process died") from None
            continue
        if got == "error":
            raise WorkerFailed(f"partition {partition} failed:\n{data}")
        if got == "tick":
            progress.tick(partition, data)
        elif got == kind:
            found[partition] = data
    return found
