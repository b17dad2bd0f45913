"""Issue 14, Must show 1 on a three-node JetStream cluster (every stream R3): the node leading
the MESSAGES stream SIGKILLed under chat load through the edge; the runner restarts it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..runner.support import Runner
from .conftest import started
from .faults import USERS, back_after, chaos_run, kill, stream_leader
from .load import ChatLoad, sign_up

pytestmark = pytest.mark.chaos

#: Every member socket has every acked message within this long of its ack (live or repaired).
BOUND_S = 30.0
NODES = 3


@pytest.fixture(scope="module")
def runner(tmp_module: Path) -> Iterator[Runner]:
    yield from started(tmp_module, MINITALK_NATS_CLUSTER=str(NODES))


@pytest.fixture(scope="module")
async def tokens(runner: Runner) -> dict[str, str]:
    return await sign_up(runner.url, f"n{os.getpid()}_", USERS)


async def test_the_messages_stream_leader_sigkilled_under_chat_load(
    runner: Runner, tokens: dict[str, str]
) -> None:
    async def fault(load: ChatLoad) -> str:
        leader = await stream_leader(runner, NODES)
        mark = kill(runner, leader)
        back = await back_after(runner, leader, mark)
        return f", leader {leader} killed, runner: back after {back:.1f} s"

    verdict = await chaos_run(runner, tokens, "MESSAGES leader SIGKILL (3 nodes)", fault, 150, 25)
    verdict.check(BOUND_S)
