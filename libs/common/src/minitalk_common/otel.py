"""What the OpenTelemetry (and Datadog) environment asks for, read the same way by ``telemetry``
(traces) and ``metrics``; the resource both export under.

Nothing here installs anything or keeps any state: each function reads the environment when
called.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource


def flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("true", "1")


def exporting(signal: str) -> bool:
    """``signal`` (``TRACES``, ``METRICS``) goes out over OTLP: an endpoint is set, and neither
    the SDK nor that exporter is off."""
    exporter = os.environ.get(f"OTEL_{signal}_EXPORTER", "otlp").strip().lower()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"
    )
    return bool(endpoint) and exporter != "none" and not flag("OTEL_SDK_DISABLED")


def service_version(service: str) -> str:
    try:
        return version(f"minitalk-{service}")
    except PackageNotFoundError:
        return "0.0.0"


def resource(service: str, environment: str) -> Resource:
    """service.name/version and deployment.environment; ``OTEL_SERVICE_NAME`` and
    ``OTEL_RESOURCE_ATTRIBUTES`` win over these defaults."""
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource

    defaults = {
        "service.name": f"minitalk-{service}",
        "service.version": service_version(service),
        "deployment.environment": environment,
    }
    return Resource.create({**defaults, **OTELResourceDetector().detect().attributes})
