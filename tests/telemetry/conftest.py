"""The system with telemetry switched on, exporting to stand-ins started by the test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from .receivers import OtlpCollector, ThreadedServer

T = TypeVar("T")


@pytest.fixture(scope="module")
def collector() -> Iterator[tuple[OtlpCollector, str]]:
    """An OTLP/HTTP collector (``/v1/traces``, ``/v1/metrics``) and its base URL."""
    received = OtlpCollector()
    server = ThreadedServer(received.routes())
    server.start()
    yield received, server.url
    server.stop()


async def eventually(find: Callable[[], T | None], timeout: float = 20.0, what: str = "") -> T:
    """Poll ``find`` until it returns something truthy (what the exporters sent arrives late)."""
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not received within {timeout}s: {what or find}")
        await asyncio.sleep(0.1)
