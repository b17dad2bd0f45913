"""The persister process: the consumers writing room files, history over NATS, health over HTTP.

SIGTERM (through uvicorn's graceful shutdown): stop answering history, let each consumer finish
the batch in flight (write, fsync, ack), drain NATS, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from minitalk_common import bus, metrics, subjects, telemetry
from minitalk_common.http import create_app, serve
from minitalk_common.logs import setup_logging
from nats.aio.client import Client as NATS

from .config import PersisterSettings
from .consumer import StreamConsumer
from .disk import DiskState
from .lookup import LookupResponder
from .responder import HistoryResponder
from .routes import stats_router
from .stats import Stats
from .store import RoomStore
from .summary import SummaryResponder

log = logging.getLogger("minitalk.persister")

STREAMS = (subjects.MESSAGES_STREAM, subjects.ROOMS_STREAM, subjects.READS_STREAM)


class Runtime:
    """What /readyz looks at: ready once the consumers are bound, until they stop, and not
    while the disk refuses the writes (``/healthz`` stays 200: restarting would not help)."""

    def __init__(self, disk: DiskState) -> None:
        self.ready = False
        self.tasks: list[asyncio.Task[None]] = []
        self.failed = False
        self.disk = disk
        self.nc: NATS | None = None

    def readiness(self) -> str | None:
        if not self.ready:
            return "consumers not bound"
        if any(task.done() for task in self.tasks):
            return "a consumer stopped"
        if self.nc is not None and not self.nc.is_connected:
            return "not connected to NATS"  # the durable consumers resume at the next fetch
        return self.disk.readiness()


def build_app(settings: PersisterSettings) -> FastAPI:
    stats = Stats(STREAMS)
    runtime = Runtime(DiskState(settings.rooms_dir))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        settings.rooms_dir.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            nc = await stack.enter_async_context(bus.connect(settings, _client_name(settings)))
            runtime.nc = nc
            lag = {(s, f"persister-{s.lower()}"): _durable(stats, s) for s in STREAMS}
            await stack.enter_async_context(metrics.projection_lag(nc.jetstream(), lag))
            async with _running(nc, settings, stats, runtime):
                yield

    metrics.gauge(
        "minitalk.persister.disk_full",
        "1",
        "1 while the room files cannot be written for lack of space, else 0",
        runtime.disk.full,
    )
    app = create_app("MiniTalk persister", lifespan, runtime.readiness)
    app.include_router(stats_router(stats))
    telemetry.instrument_app(app)
    app.state.runtime = runtime
    return app


@asynccontextmanager
async def _running(
    nc: NATS, settings: PersisterSettings, stats: Stats, runtime: Runtime
) -> AsyncIterator[None]:
    js = nc.jetstream()
    await bus.ensure_streams(js, settings)
    store = RoomStore(settings.rooms_dir, settings.room_cache_size)
    consumers = [
        StreamConsumer(js, s, settings, store, stats.streams[s], runtime.disk) for s in STREAMS
    ]
    for consumer in consumers:
        await consumer.bind()
    responder = HistoryResponder(nc, js, settings, store, consumers[0])
    await responder.start()
    summaries = SummaryResponder(nc, js, settings, store, consumers[0])
    await summaries.start()
    lookups = LookupResponder(nc, js, settings, store, consumers[0])
    await lookups.start()
    stop = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        runtime.tasks = [group.create_task(_guard(c, stop, runtime)) for c in consumers]
        group.create_task(stats.log_every(settings.stats_log_interval_s, stop))
        runtime.ready = True
        partition = f"{settings.persister_partition} of {settings.persister_partitions}"
        log.info("persister partition %s ready", partition)
        try:
            yield
        finally:
            runtime.ready = False
            log.info("stopping: answering the last history requests, finishing the batches")
            await responder.stop()
            await summaries.stop()
            await lookups.stop()
            stop.set()
    for consumer in consumers:
        await consumer.close()
    stats.log_since_last()
    log.info("stopped: every written batch is acknowledged")


async def _guard(consumer: StreamConsumer, stop: asyncio.Event, runtime: Runtime) -> None:
    """Run a consumer; if it ever dies, stop the process (exit 1) so it is started again."""
    try:
        await consumer.run(stop)
    except Exception:
        log.critical("%s died, stopping the process", consumer.name, exc_info=True)
        runtime.failed = True
        signal.raise_signal(signal.SIGTERM)


def _durable(stats: Stats, stream: str) -> metrics.Applied:
    return lambda: stats.streams[stream].durable_seq


def _client_name(settings: PersisterSettings) -> str:
    return f"persister-{settings.persister_partition}"


def main() -> None:
    settings = PersisterSettings()
    setup_logging("persister", settings.log_level)
    installed = telemetry.setup_telemetry("persister", settings.env)
    app = build_app(settings)
    runtime: Runtime = app.state.runtime
    try:
        # a consumer that died stopped the process with SIGTERM: exit 1 then, else 0
        serve(app, settings, exit_code=lambda: 1 if runtime.failed else 0)
    finally:
        telemetry.shutdown_telemetry(installed)
    if runtime.failed:
        sys.exit(1)
