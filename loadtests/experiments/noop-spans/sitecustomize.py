"""OpenTelemetry's no-op and proxy tracers start spans without attaching them to the context:
what the API's context handling costs when no exporter is configured."""

import contextlib
from collections.abc import Iterator
from typing import Any

try:
    from opentelemetry import trace
except ImportError:
    trace = None  # type: ignore[assignment]


@contextlib.contextmanager
def _no_span(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
    yield trace.INVALID_SPAN


if trace is not None:
    trace.ProxyTracer.start_as_current_span = _no_span  # type: ignore[assignment,method-assign]
    trace.NoOpTracer.start_as_current_span = _no_span  # type: ignore[assignment,method-assign]
