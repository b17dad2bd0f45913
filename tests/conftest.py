"""Fixtures shared by every test: a real nats-server per test, tokens, and the running system.

Every test that touches NATS gets its own ``nats-server -js`` on a free port with a temporary
store, so the fixed stream names never leak from one test into another.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from minitalk_auth.keys import KeyPair, TokenMinter
from minitalk_common import bus
from minitalk_common.config import NatsSettings
from minitalk_local.system import LocalSystem, NatsServer
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

if "PYTEST_XDIST_WORKER" in os.environ:
    # pytest-xdist's workers run with COLUMNS=80 and LINES=24, and a rich Console made at import
    # (minitalk_replay's) keeps that width for good: its tables would be cut where a test reads
    # them. Without them the width is what each test asks for, as in a run without workers.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(store=tmp_path / "nats", sink=sys.stderr).start()
    yield server
    server.stop()


@pytest.fixture
def nats_settings(nats_server: NatsServer) -> NatsSettings:
    return NatsSettings(nats_url=nats_server.url)


@pytest.fixture
async def nc(nats_settings: NatsSettings) -> AsyncIterator[NATS]:
    async with bus.connect(nats_settings, "tests") as client:
        yield client


@pytest.fixture
async def js(nc: NATS, nats_settings: NatsSettings) -> JetStreamContext:
    context = nc.jetstream()
    await bus.ensure_streams(context, nats_settings)
    return context


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="session")
def make_token(key_pair: KeyPair) -> Callable[..., str]:
    """``make_token("alice")`` signs a token with the test key pair (24 h unless told)."""

    def mint(username: str, ttl: timedelta = timedelta(hours=24)) -> str:
        return TokenMinter(key_pair.private_pem, ttl).mint(username)

    return mint


@pytest.fixture
def system(tmp_path: Path, nats_server: NatsServer, key_pair: KeyPair) -> Iterator[LocalSystem]:
    """Services as real processes against this test's nats-server; start what you need.

    The services share the test key pair, so ``make_token`` tokens verify everywhere, and bcrypt
    runs at its lowest cost to keep tests quick.
    """
    running = LocalSystem(
        data_dir=tmp_path / "data",
        nats_url=nats_server.url,
        env={
            "MINITALK_ENV": "test",
            "MINITALK_JWT_PRIVATE_KEY": key_pair.private_pem,
            "MINITALK_BCRYPT_COST": "4",
        },
        sink=sys.stderr,
    )
    yield running
    running.stop_all()


#: Files that keep both cores busy on their own (load generators, a browser, fuzzers, writes
#: under load): with ``-n 2 --dist loadfile`` (``./taskw test``) they are one scope, so they run
#: on one worker, one after another, while the other worker runs the rest file by file.
HEAVY = (
    "tests/loadtests/",
    "tests/fuzz/",
    "tests/e2e/test_web_",
    "tests/persister/test_durability.py",
    "tests/integration/test_scale_out.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, with the heavy files as one scope: a file's tests stay on one worker
    (its module fixtures start once), and no two heavy files run at the same time. (Not
    ``--dist loadgroup`` with marks: pytest-xdist 3.8 renames the node ids for it, and pytest 9
    ignores that, so every test went its own way.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class HeavyTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "heavy" if path.startswith(HEAVY) else path

    return HeavyTogether(config, log)
