"""The whole system as `./taskw up` runs it (own nats-server, four services, nginx edge),
started once per test module on free ports, driven through the edge like a user would."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from minitalk_local.system import LocalSystem, NatsServer

if TYPE_CHECKING:
    from playwright.async_api import Browser


@contextmanager
def running_stack(root: Path, **env: str) -> Iterator[LocalSystem]:
    """Own nats-server, the four services and the edge under ``root``; ``env`` added."""
    nats = NatsServer(store=root / "nats", sink=sys.stderr).start()
    system = LocalSystem(
        data_dir=root / "data",
        nats_url=nats.url,
        env={"MINITALK_ENV": "test", "MINITALK_BCRYPT_COST": "4", **env},
        sink=sys.stderr,
    )
    try:
        system.start_all()
        system.start_edge()
        yield system
    finally:
        system.stop_all()
        nats.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    with running_stack(tmp_path_factory.mktemp("stack")) as system:
        yield system


@pytest.fixture
async def client(stack: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        yield http


@pytest.fixture
def unique() -> Callable[[str], str]:
    """``unique("alice")`` -> a username no other test in the module uses."""
    return lambda prefix: f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium through Playwright, one per test (test_web_experience keeps one per
    module). Playwright is imported only by the tests that ask for it."""
    from .web_support import chromium

    async with chromium() as launched:
        yield launched
