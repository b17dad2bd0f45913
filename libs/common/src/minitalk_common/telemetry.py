"""Trace context across NATS: W3C ``traceparent``/``tracestate`` in message headers."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from opentelemetry import context as otel_context
from opentelemetry import propagate


def inject_headers(headers: MutableMapping[str, str]) -> None:
    """Write the current trace context into NATS message headers."""
    propagate.inject(headers)


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context that a NATS message's headers carry (empty when none)."""
    return propagate.extract(dict(headers or {}))
