"""OpenTelemetry for every service, and trace context across NATS in message headers.

``setup_telemetry`` installs a TracerProvider only when an OTLP endpoint is configured
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); otherwise the API's
no-op tracer stays in place and tracing costs next to nothing. The standard ``OTEL_*`` settings
(sampler, headers, timeouts, resource attributes) are honoured by the SDK itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

TRACER_NAME = "minitalk"


def otlp_configured() -> bool:
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def setup_telemetry(service: str, environment: str) -> object | None:
    """Install the SDK's TracerProvider with OTLP/HTTP export when an endpoint is set."""
    if not otlp_configured() or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    try:
        service_version = version(f"minitalk-{service}")
    except PackageNotFoundError:
        service_version = "0.0.0"
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", f"minitalk-{service}"),
            "service.version": service_version,
            "deployment.environment": environment,
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def shutdown_telemetry(provider: object | None) -> None:
    shutdown = getattr(provider, "shutdown", None)
    if callable(shutdown):
        shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def inject_headers(headers: MutableMapping[str, str]) -> None:
    """Write the current trace context into NATS message headers."""
    propagate.inject(headers)


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context that a NATS message's headers carry (empty when none)."""
    return propagate.extract(dict(headers or {}))


@contextmanager
def producer_span(subject: str, message_id: str | None = None) -> Iterator[trace.Span]:
    """A PRODUCER span for one NATS publish, with the messaging semantic conventions."""
    attributes: dict[str, str] = {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.operation.type": "publish",
    }
    if message_id:
        attributes["messaging.message.id"] = message_id
    with tracer().start_as_current_span(
        f"publish {subject.split('.', 1)[0]}", kind=trace.SpanKind.PRODUCER, attributes=attributes
    ) as span:
        yield span


def trace_id_of(headers: Mapping[str, str] | None) -> str | None:
    """The 32-hex trace id of a ``traceparent`` header, if any."""
    parent = (headers or {}).get("traceparent", "")
    parts = parent.split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and parts[1] != "0" * 32:
        return parts[1]
    return None
