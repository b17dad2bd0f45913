"""Metrics through the OpenTelemetry metrics SDK, over OTLP/HTTP, only when configured.

The instruments are created once here, on the API's global meter: until ``setup_metrics`` installs
a MeterProvider (``telemetry.setup_telemetry`` calls it when ``configured()``: when
``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`` is set) they are
no-ops. This module imports nothing of ``telemetry``; what it installed is its own to know.
The export interval is the SDK's ``OTEL_METRIC_EXPORT_INTERVAL`` (milliseconds, default 60000).

- ``minitalk.messages.published`` (counter): messages JetStream stored (realtime; resends not
  counted);
- ``minitalk.messages.delivered`` (counter): a message sent live to a local socket (realtime, one
  per socket in the room);
- ``minitalk.realtime.sockets`` (gauge): Socket.IO connections a realtime process holds;
- ``minitalk.persister.batch.size`` (histogram): lines in one written batch;
- ``minitalk.persister.flush.duration`` (histogram, s): write + fsync of a batch;
- ``minitalk.persister.write_errors`` (counter): batch writes the disk refused (ENOSPC, EDQUOT,
  EIO, ...; ``error.type`` is the errno name), each retried;
- ``minitalk.persister.disk_full`` (gauge): 1 while the persister's writes fail for lack of
  space, else 0 (persister's ``main``);
- ``minitalk.projection.lag`` (gauge): a stream's last sequence minus the one a projection
  (rooms, realtime) or a persister consumer has applied.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from . import otel, tasks

if TYPE_CHECKING:
    from nats.js import JetStreamContext
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource

log = logging.getLogger("minitalk.metrics")

METER_NAME = "minitalk"


def meter() -> metrics.Meter:
    return metrics.get_meter(METER_NAME)


def configured() -> bool:
    """The environment asks for metrics over OTLP."""
    return otel.exporting("METRICS")


class _Installed:
    """The MeterProvider ``setup_metrics`` installed in this process, if any."""

    provider: MeterProvider | None = None


def setup_metrics(resource: Resource) -> MeterProvider:
    """Install a MeterProvider exporting over OTLP/HTTP every ``OTEL_METRIC_EXPORT_INTERVAL``."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    provider = MeterProvider(resource=resource, metric_readers=[reader])
    metrics.set_meter_provider(provider)
    _Installed.provider = provider
    return provider


def forget_metrics() -> None:
    """The provider is shut down (``telemetry.shutdown_telemetry``): nothing is installed."""
    _Installed.provider = None


def enabled() -> bool:
    """A MeterProvider is installed: worth doing work only metrics need."""
    return _Installed.provider is not None


MESSAGES_PUBLISHED = meter().create_counter(
    "minitalk.messages.published",
    unit="{message}",
    description="Messages stored in JetStream (resends not counted)",
)
MESSAGES_DELIVERED = meter().create_counter(
    "minitalk.messages.delivered",
    unit="{message}",
    description="Messages sent live to a socket (one per socket in the room)",
)
BATCH_SIZE = meter().create_histogram(
    "minitalk.persister.batch.size",
    unit="{message}",
    description="Lines in one written batch",
    explicit_bucket_boundaries_advisory=[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
)
FLUSH_DURATION = meter().create_histogram(
    "minitalk.persister.flush.duration",
    unit="s",
    description="Writing a batch: one write and fsync per room file, in parallel",
    explicit_bucket_boundaries_advisory=[
        *(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    ],
)
WRITE_ERRORS = meter().create_counter(
    "minitalk.persister.write_errors",
    unit="{error}",
    description="Batch writes the disk refused (each retried; error.type is the errno name)",
)


def gauge(name: str, unit: str, description: str, read: Callable[[], int | None]) -> None:
    """An observable gauge reading ``read()`` at each export (nothing when it gives None).

    ``read`` runs on the exporter's thread: it should only read a number (``len`` of a dict).
    """

    def observe(_: CallbackOptions) -> Iterable[Observation]:
        value = read()
        return [] if value is None else [Observation(value)]

    meter().create_observable_gauge(name, [observe], unit=unit, description=description)


#: Reads the stream sequence a projection has applied (None while it does not exist yet).
Applied = Callable[[], int | None]


class ProjectionLag:
    """``minitalk.projection.lag``: a stream's last sequence minus what a projection applied.

    The last sequences are polled from JetStream (``stream_info``) as often as metrics are
    exported; the gauge reads both numbers without touching NATS.
    """

    def __init__(
        self, js: JetStreamContext, projections: Mapping[tuple[str, str], Applied]
    ) -> None:
        self._js = js
        self._projections = projections
        self._last: dict[str, int] = {}
        meter().create_observable_gauge(
            "minitalk.projection.lag",
            [self._observe],
            unit="{message}",
            description="Stream last sequence minus the sequence the projection applied",
        )

    def _observe(self, _: CallbackOptions) -> Iterable[Observation]:
        for (stream, projection), applied in list(self._projections.items()):
            last, seq = self._last.get(stream), applied()
            if last is not None and seq is not None:
                attributes = {
                    "messaging.destination.name": stream,
                    "minitalk.projection": projection,
                }
                yield Observation(max(0, last - seq), attributes)

    async def poll(self) -> None:
        for stream in {stream for stream, _ in self._projections}:
            try:
                self._last[stream] = (await self._js.stream_info(stream)).state.last_seq
            except Exception as exc:  # NATS away for a moment: the gauge keeps its last value
                log.debug("projection lag: no info on %s: %s", stream, exc)

    async def run(self, interval: float) -> None:
        while True:
            await self.poll()
            await asyncio.sleep(interval)


def poll_interval() -> float:
    """Seconds between polls: the export interval, kept between 0.2 s and 15 s."""
    try:
        millis = float(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "60000"))
    except ValueError:
        millis = 60000.0
    return min(max(millis / 1000, 0.2), 15.0)


@asynccontextmanager
async def projection_lag(
    js: JetStreamContext, projections: Mapping[tuple[str, str], Applied]
) -> AsyncIterator[None]:
    """Report the lag of ``projections`` ((stream, name) -> applied seq) while inside; nothing
    at all when metrics are off."""
    if not enabled():
        yield
        return
    task = asyncio.create_task(ProjectionLag(js, projections).run(poll_interval()))
    try:
        yield
    finally:
        await tasks.stop(task)
