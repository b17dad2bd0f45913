"""One auth process per test module for the request/answer tests (each test uses its own names).

Tests that restart or race processes use the per-test ``system`` fixture instead.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from minitalk_auth.keys import KeyPair
from minitalk_local.system import LocalSystem, NatsServer


@dataclass(frozen=True)
class RunningAuth:
    url: str
    nats_url: str


@pytest.fixture(scope="module")
def auth(tmp_path_factory: pytest.TempPathFactory, key_pair: KeyPair) -> Iterator[RunningAuth]:
    root = tmp_path_factory.mktemp("auth")
    server = NatsServer(store=root / "nats", sink=sys.stderr).start()
    system = LocalSystem(
        data_dir=root / "data",
        nats_url=server.url,
        env={
            "MINITALK_ENV": "test",
            "MINITALK_JWT_PRIVATE_KEY": key_pair.private_pem,
            "MINITALK_BCRYPT_COST": "4",
        },
        sink=sys.stderr,
    )
    try:
        system.start_service("auth")
        yield RunningAuth(url=system.http("auth"), nats_url=server.url)
    finally:
        system.stop_all()
        server.stop()


@pytest.fixture
async def client(auth: RunningAuth) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth.url, timeout=60) as http:
        yield http
