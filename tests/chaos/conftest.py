"""Each chaos module runs its faults one after the other against one `./taskw up` it starts
(the start costs ~15 s on a loaded 2-core machine); every run makes its own rooms and sockets
for the module's users (sign-ups are limited per IP, so they are made once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..runner.support import Runner


def started(workdir: Path, **env: str) -> Iterator[Runner]:
    r = Runner(workdir, **env).start()
    try:
        r.wait_up()
        yield r
    finally:
        r.snapshot()
        r.cleanup()


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
