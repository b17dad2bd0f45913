"""Stand-ins for the places telemetry goes: an OTLP/HTTP collector and a Datadog agent.

Each is an aiohttp server on its own thread and event loop, so the services' exporters are
answered even while the test blocks (starting or stopping processes).
"""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
from aiohttp import web
from minitalk_local.processes import free_port
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: ``Span.kind`` of OTLP.
INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5


class ThreadedServer:
    """An aiohttp app served on 127.0.0.1:<free port> from a thread of its own."""

    def __init__(self, routes: list[web.RouteDef]) -> None:
        self.port = free_port()
        self._routes = routes
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    async def _serve(self) -> None:
        app = web.Application(client_max_size=64 << 20)
        app.add_routes(self._routes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _body(request: web.Request) -> bytes:
    data = await request.read()
    if request.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    kv: list[KeyValue] = list(pairs)
    return {pair.key: _value(pair.value) for pair in kv}


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    #: (trace id, span id) of each link.
    links: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Point:
    """One exported data point: a sum's or gauge's value, a histogram's count."""

    service: str
    name: str
    value: float
    attributes: dict[str, Any]


@dataclass
class OtlpCollector:
    """Accepts OTLP/HTTP protobuf on /v1/traces and /v1/metrics and keeps what it decodes."""

    spans: list[Span] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/traces", self._traces), web.post("/v1/metrics", self._metrics)]

    async def _traces(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await _body(request))
        for resource_spans in export.resource_spans:
            service = _attributes(resource_spans.resource.attributes).get("service.name", "")
            for scope in resource_spans.scope_spans:
                self.spans.extend(_span(service, span) for span in scope.spans)
        return _protobuf(ExportTraceServiceResponse().SerializeToString())

    async def _metrics(self, request: web.Request) -> web.Response:
        export = ExportMetricsServiceRequest()
        export.ParseFromString(await _body(request))
        for resource_metrics in export.resource_metrics:
            service = _attributes(resource_metrics.resource.attributes).get("service.name", "")
            for scope in resource_metrics.scope_metrics:
                for metric in scope.metrics:
                    self.points.extend(_points(service, metric))
        return _protobuf(ExportMetricsServiceResponse().SerializeToString())

    def trace(self, trace_id: str) -> list[Span]:
        return [span for span in list(self.spans) if span.trace_id == trace_id]

    def named(self, name: str, service: str | None = None) -> list[Span]:
        return [s for s in list(self.spans) if s.name == name and service in (None, s.service)]

    def metric(self, service: str, name: str) -> list[Point]:
        return [p for p in list(self.points) if p.service == service and p.name == name]


def _protobuf(data: bytes) -> web.Response:
    return web.Response(body=data, content_type="application/x-protobuf")


def _span(service: str, span: Any) -> Span:
    return Span(
        service=service,
        name=span.name,
        kind=span.kind,
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex(),
        attributes=_attributes(span.attributes),
        links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
    )


def _points(service: str, metric: Any) -> list[Point]:
    kind = metric.WhichOneof("data")
    data = getattr(metric, kind)
    points = []
    for point in data.data_points:
        if kind in ("histogram", "exponential_histogram"):
            value = float(point.count)
        else:
            value = float(getattr(point, point.WhichOneof("value")))
        points.append(Point(service, metric.name, value, _attributes(point.attributes)))
    return points


@dataclass
class DatadogAgent:
    """Accepts ddtrace's trace payloads (msgpack, API v0.4 or v0.5) and keeps the spans as dicts
    with ``service``, ``name``, ``resource``, ``trace_id``, ``span_id``, ``parent_id``, ``meta``."""

    spans: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/{path:.*}", self._any)]

    async def _any(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.method} {request.path}")
        if request.path in ("/v0.4/traces", "/v0.5/traces") and request.method in ("PUT", "POST"):
            payload = msgpack.unpackb(await _body(request), raw=False, strict_map_key=False)
            if request.path == "/v0.5/traces":
                self.spans.extend(_v05_spans(payload))
            else:
                self.spans.extend(span for trace in payload for span in trace)
            return web.json_response({"rate_by_service": {}})
        return web.Response(status=404)


_V05_FIELDS = (
    "service",
    "name",
    "resource",
    "trace_id",
    "span_id",
    "parent_id",
    "start",
    "duration",
    "error",
    "meta",
    "metrics",
    "type",
)


def _v05_spans(payload: Any) -> list[dict[str, Any]]:
    """v0.5: ``[strings, traces]``, each span an array whose strings are table indexes."""
    strings, traces = payload
    spans = []
    for trace in traces:
        for raw in trace:
            span = dict(zip(_V05_FIELDS, raw, strict=False))
            for key in ("service", "name", "resource", "type"):
                span[key] = strings[span[key]]
            span["meta"] = {strings[k]: strings[v] for k, v in span["meta"].items()}
            spans.append(span)
    return spans
