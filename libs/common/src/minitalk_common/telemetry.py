"""OpenTelemetry for every service, and trace context across NATS in message headers.

``setup_telemetry`` (or the ``telemetry`` context manager around ``serve``) decides once per
process what is exported:

- traces: to Datadog when ``DD_TRACE_ENABLED=true`` (ddtrace's OpenTelemetry TracerProvider, so
  the same spans reach the agent at ``DD_AGENT_HOST``/``DD_TRACE_AGENT_URL``), else over OTLP/HTTP
  when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is set, through a batching
  processor;
- metrics: over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._METRICS_ENDPOINT``) is
  set (see ``metrics.py``).

Unset, nothing is installed: the API's no-op tracer and meter stay in place, ddtrace is never
imported, and the helpers here make no span at all and touch no headers: on the busiest paths
a no-op span still cost several percent of a process's CPU. The standard
``OTEL_*`` settings (sampler, headers, timeouts, resource attributes, ``OTEL_SDK_DISABLED``,
``OTEL_*_EXPORTER=none``) are honoured.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from . import metrics, otel

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource

log = logging.getLogger("minitalk.telemetry")

TRACER_NAME = "minitalk"
#: Health probes make no spans (unless ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS`` says otherwise).
EXCLUDED_URLS = "healthz,readyz"


def otlp_configured() -> bool:
    """Traces go out over OTLP (an endpoint is set, the SDK and the exporter are not off)."""
    return otel.exporting("TRACES")


def datadog_enabled() -> bool:
    """``DD_TRACE_ENABLED=true``: traces go to the Datadog agent through ddtrace."""
    return otel.flag("DD_TRACE_ENABLED")


@dataclass
class Telemetry:
    """What ``setup_telemetry`` installed; ``shutdown`` flushes and stops it."""

    service: str
    tracer_provider: Any = None
    meter_provider: MeterProvider | None = None

    @property
    def tracing(self) -> bool:
        return self.tracer_provider is not None

    def shutdown(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            shutdown = getattr(provider, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception as exc:  # an unreachable collector must not fail the exit
                    log.warning("telemetry shutdown: %s", exc)


_active: Telemetry | None = None
#: Whether a tracer provider is installed; without one the span helpers do nothing.
_spans_on = False
#: The span helpers' stand-in when tracing is off (reusable).
_NO_SPAN: AbstractContextManager[trace.Span] = nullcontext(trace.INVALID_SPAN)
_NO_CONTEXT = otel_context.Context()


def setup_telemetry(service: str, environment: str) -> Telemetry | None:
    """Install the tracer (and meter) provider the environment asks for; None when neither."""
    global _active, _spans_on
    tracer_provider = _datadog_provider(service, environment) if datadog_enabled() else None
    if tracer_provider is None and otlp_configured():
        tracer_provider = _otlp_provider(otel.resource(service, environment))
    meter_provider = None
    if metrics.configured():
        meter_provider = metrics.setup_metrics(otel.resource(service, environment))
    if tracer_provider is None and meter_provider is None:
        return None
    if tracer_provider is not None:
        trace.set_tracer_provider(tracer_provider)
        _spans_on = True
        _instrument_asyncio()
    _active = Telemetry(service, tracer_provider, meter_provider)
    log.info(
        "telemetry: traces %s, metrics %s",
        "to Datadog" if datadog_enabled() else "over OTLP" if tracer_provider else "off",
        "over OTLP" if meter_provider else "off",
    )
    return _active


def shutdown_telemetry(telemetry: Telemetry | None) -> None:
    """Export what is buffered and stop the providers."""
    global _active, _spans_on
    if telemetry is not None:
        telemetry.shutdown()
    metrics.forget_metrics()
    _active = None
    _spans_on = False


@contextmanager
def telemetry(service: str, environment: str) -> Iterator[Telemetry | None]:
    """Telemetry for the life of a process: ``with telemetry("rooms", env): serve(...)``."""
    installed = setup_telemetry(service, environment)
    try:
        yield installed
    finally:
        shutdown_telemetry(installed)


def _otlp_provider(res: Resource) -> Any:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=res)  # sampler from OTEL_TRACES_SAMPLER(_ARG)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _datadog_provider(service: str, environment: str) -> Any:
    """ddtrace's TracerProvider: OpenTelemetry API spans become Datadog spans for the agent."""
    os.environ.setdefault("DD_SERVICE", os.environ.get("OTEL_SERVICE_NAME", f"minitalk-{service}"))
    os.environ.setdefault("DD_ENV", environment)
    os.environ.setdefault("DD_VERSION", otel.service_version(service))
    os.environ.setdefault("DD_TRACE_OTEL_ENABLED", "true")
    from ddtrace.opentelemetry import TracerProvider

    return TracerProvider()


def _instrument_asyncio() -> None:
    """Spans for the coroutines and ``to_thread`` functions named in
    ``OTEL_PYTHON_ASYNCIO_COROUTINE_NAMES_TO_TRACE`` / ``..._TO_THREAD_FUNCTION_NAMES_TO_TRACE``.

    Its metrics (a counter and a histogram point for every task, ``wait_for`` and ``gather``,
    NATS client internals included) are left out: they cost more than everything else together.
    """
    if "asyncio" in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", ""):
        return
    from opentelemetry.instrumentation.asyncio import AsyncioInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider

    instrumentor = AsyncioInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(meter_provider=NoOpMeterProvider())


def instrument_app(app: Any) -> None:
    """Server spans named by route (``POST /api/chatrooms/{room_id}/invite``) for a FastAPI app,
    when tracing is on; the health probes are left out."""
    if _active is None or not _active.tracing:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    excluded = None if os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") else EXCLUDED_URLS
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_active.tracer_provider,
        meter_provider=_active.meter_provider,
        excluded_urls=excluded,
        exclude_spans=["receive", "send"],
    )


#: A proxy until a provider is installed, then that provider's tracer (fetched once: getting a
#: tracer from the SDK builds a new one each time).
_TRACER = trace.get_tracer(TRACER_NAME)


def tracer() -> trace.Tracer:
    return _TRACER


def inject_headers(headers: MutableMapping[str, str]) -> None:
    """Write the current trace context (``traceparent``/``tracestate``) into NATS headers."""
    if _spans_on:
        propagate.inject(headers)


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context that a NATS message's headers carry (empty when none, or when this
    process makes no spans)."""
    if not _spans_on or not headers:
        return _NO_CONTEXT
    return propagate.extract(dict(headers))


def _destination(subject: str) -> str:
    """The subject without its last token (the room or partition): a low-cardinality name."""
    head, _, _ = subject.rpartition(".")
    return head or subject


def _messaging(subject: str, operation: str, message_id: str | None) -> dict[str, str]:
    attributes = {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.destination.template": f"{_destination(subject)}.*",
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
    }
    if message_id:
        attributes["messaging.message.id"] = message_id
    return attributes


def span(
    name: str,
    kind: trace.SpanKind,
    attributes: Mapping[str, str],
    from_tracer: trace.Tracer | None = None,
) -> AbstractContextManager[trace.Span]:
    """``start_as_current_span`` (of ``from_tracer``, else the minitalk tracer), or a stand-in
    that makes no span when tracing is off."""
    if not _spans_on:
        return _NO_SPAN
    return (from_tracer or tracer()).start_as_current_span(name, kind=kind, attributes=attributes)


def start_span(
    name: str,
    kind: trace.SpanKind,
    attributes: Mapping[str, str],
    from_tracer: trace.Tracer | None = None,
) -> trace.Span:
    """A span started but not made current (``trace.use_span(span, end_on_exit=False)`` makes
    it so for a while) and ended by the caller, maybe in another task; a span that records
    nothing when tracing is off."""
    if not _spans_on:
        return trace.INVALID_SPAN
    return (from_tracer or tracer()).start_span(name, kind=kind, attributes=attributes)


def producer_span(
    subject: str, message_id: str | None = None
) -> AbstractContextManager[trace.Span]:
    """A PRODUCER span for one NATS publish (or request), with the messaging semantic
    conventions; inject the headers inside it so that the consumer's span is its child."""
    return _producer_span(subject, message_id) if _spans_on else _NO_SPAN


def consumer_span(
    subject: str, headers: Mapping[str, str] | None, message_id: str | None = None
) -> AbstractContextManager[trace.Span]:
    """A CONSUMER span for handling one NATS message, parented on its ``traceparent``."""
    return _consumer_span(subject, headers, message_id) if _spans_on else _NO_SPAN


@contextmanager
def _producer_span(subject: str, message_id: str | None) -> Iterator[trace.Span]:
    with tracer().start_as_current_span(
        f"publish {_destination(subject)}",
        kind=trace.SpanKind.PRODUCER,
        attributes=_messaging(subject, "publish", message_id),
    ) as span:
        yield span


@contextmanager
def _consumer_span(
    subject: str, headers: Mapping[str, str] | None, message_id: str | None
) -> Iterator[trace.Span]:
    with tracer().start_as_current_span(
        f"process {_destination(subject)}",
        context=extract_context(headers),
        kind=trace.SpanKind.CONSUMER,
        attributes=_messaging(subject, "process", message_id),
    ) as span:
        yield span


def traced_headers(headers: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """``headers`` plus the current trace context; None when there is nothing to send."""
    if not _spans_on:
        return dict(headers) if headers else None
    out = dict(headers or {})
    propagate.inject(out)
    return out or None


async def publish(
    nc: NATS, subject: str, data: bytes, message_id: str | None = None
) -> dict[str, str] | None:
    """A core NATS publish in a PRODUCER span, carrying the trace context in its headers; the
    headers sent (a local consumer's span can be parented on them)."""
    with producer_span(subject, message_id):
        headers = traced_headers()
        await nc.publish(subject, data, headers=headers)
    return headers
