"""The persister's exit code as an orchestrator sees it (issue 13): a consumer that dies stops
the process with a non-zero code, an orderly SIGTERM with 0.

A real persister process against a real nats-server; the consumer's death is injected by the
launcher (the ROOMS consumer's ``run`` raises a moment after it is bound), since no input can
make the consumer's own loop give up: it NAKs and retries every failure it expects.
"""

from __future__ import annotations

import asyncio
import sys

from minitalk_local.processes import Proc, free_port, wait_http
from minitalk_local.system import LocalSystem

DYING = """
import asyncio
from minitalk_persister import consumer, main

original = consumer.StreamConsumer.run

async def run(self, stop):
    if self.stream == "ROOMS":
        await asyncio.sleep(1.0)
        raise RuntimeError("injected: the ROOMS consumer dies")
    await original(self, stop)

consumer.StreamConsumer.run = run
main.main()
"""


def start(system: LocalSystem, code: str) -> Proc:
    port = free_port()
    argv = [sys.executable, "-c", code]
    proc = Proc("persister", argv, env=system.service_env("persister", port), sink=sys.stderr)
    proc.start()
    assert proc.popen is not None
    wait_http(f"http://127.0.0.1:{port}/readyz", 60, proc.popen)
    return proc


async def test_a_dead_consumer_exits_non_zero(system: LocalSystem) -> None:
    proc = await asyncio.to_thread(start, system, DYING)
    assert proc.popen is not None
    code = await asyncio.to_thread(proc.popen.wait, 60)
    assert code == 1


async def test_sigterm_exits_zero(system: LocalSystem) -> None:
    proc = await asyncio.to_thread(
        start, system, "from minitalk_persister import main; main.main()"
    )
    assert await asyncio.to_thread(proc.stop) == 0
