"""The small stand-ins realtime puts in place of per-socket asyncio objects (issue 18, target 5):
uvicorn's receive queue and ``writable`` event (``slim.py``), and the one timer that closes
sockets at their token's expiry (``expiry.TokenWatch``). Each behaves as what it replaces."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from minitalk_common import tokens
from minitalk_realtime import slim
from minitalk_realtime.expiry import EXPIRED, REVOKED, TokenWatch


async def test_the_inbox_hands_items_over_in_order_and_wakes_its_reader() -> None:
    inbox = slim.Inbox()
    assert inbox.empty()
    assert inbox.qsize() == 0
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert inbox.qsize() == 2
    assert await inbox.get() == 1
    reader = asyncio.ensure_future(inbox.get())
    assert await reader == 2
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put_nowait(3)
    assert await asyncio.wait_for(waiting, 1) == 3
    assert inbox.empty()
    with pytest.raises(asyncio.QueueEmpty):
        inbox.get_nowait()


async def test_a_cancelled_reader_leaves_the_item_to_the_next() -> None:
    inbox = slim.Inbox()
    first = asyncio.ensure_future(inbox.get())
    second = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("x")  # wakes the first reader ...
    first.cancel()  # ... which is cancelled before it runs
    assert await asyncio.wait_for(second, 1) == "x"
    assert inbox.empty()


async def test_writable_waits_while_cleared() -> None:
    writable = slim.Writable(True)
    assert await writable.wait()
    writable.clear()
    waiter = asyncio.ensure_future(writable.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    assert not writable.is_set()
    writable.set()
    assert await asyncio.wait_for(waiter, 1)
    assert writable.is_set()


class FakeServer:
    def __init__(self) -> None:
        self.closed: list[tuple[str, str]] = []

    async def emit(self, event: str, data: Any, to: str) -> None:
        self.closed.append((to, data["message"]))

    async def disconnect(self, sid: str) -> None:
        return None


def identity(user: str, jti: str, lifetime_s: float) -> tokens.Identity:
    return tokens.Identity(username=user, jti=jti, expires_at=time.time() + lifetime_s)


async def test_sockets_close_when_their_tokens_expire_in_order_with_one_timer() -> None:
    sio = FakeServer()
    watch = TokenWatch(sio)  # type: ignore[arg-type]
    watch.watch("late", identity("a", "j1", 0.6))
    watch.watch("early", identity("b", "j2", 0.2))
    watch.watch("gone", identity("c", "j3", 0.1))
    watch.forget("gone")  # closed before its token expired: never closed again
    await asyncio.sleep(0.35)
    assert [sid for sid, _ in sio.closed] == ["early"]
    await asyncio.sleep(0.45)
    assert sio.closed == [("early", EXPIRED), ("late", EXPIRED)]
    assert len(watch) == 0


async def test_a_revocation_closes_every_socket_of_the_token_and_only_those() -> None:
    sio = FakeServer()
    watch = TokenWatch(sio)  # type: ignore[arg-type]
    watch.watch("s1", identity("a", "j1", 60))
    watch.watch("s2", identity("a", "j1", 60))
    watch.watch("s3", identity("a", "j2", 60))
    watch.forget("s2")
    watch.revoked("j1")
    await asyncio.sleep(0.05)
    assert sio.closed == [("s1", REVOKED)]
    watch.revoked("j2")
    await asyncio.sleep(0.05)
    assert sio.closed == [("s1", REVOKED), ("s3", REVOKED)]
    assert len(watch) == 0


async def test_forgotten_sockets_do_not_pile_up_in_the_heap() -> None:
    watch = TokenWatch(FakeServer())  # type: ignore[arg-type]
    for i in range(1000):
        watch.watch(f"s{i}", identity(f"u{i}", f"j{i}", 3600))
        watch.forget(f"s{i}")
    assert len(watch) == 0
    assert len(watch._due) <= 64


class FakeSink:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, pkt: Any) -> None:
        self.sent.append(pkt)


class FakeSocket:
    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.closing = self.closed = False
        self.last_ping: float | None = None
        self.minitalk_sink = FakeSink()


def test_the_pinger_pings_each_socket_once_on_time_without_spinning_on_uvloop() -> None:
    """uvloop's timers count whole milliseconds and may run a little before their time: the
    pinger takes what is due within ``deadlines.EARLY`` instead of setting its timer again and again
    (a busy loop per ping)."""
    uvloop = pytest.importorskip("uvloop")
    from minitalk_realtime import pings

    pinger = pings.Pinger()
    fired = 0
    fire = pinger._fire

    def counted() -> None:
        nonlocal fired
        fired += 1
        fire()

    pinger._fire = counted  # type: ignore[method-assign]
    sockets = [FakeSocket(f"s{i}") for i in range(40)]

    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for i, sock in enumerate(sockets):
            pinger.schedule(sock, 0.05 + i * 0.0101)
        await asyncio.sleep(0.05 + 40 * 0.0101 + 0.1)
        return [started + 0.05 + i * 0.0101 for i in range(40)]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run())
    assert all(len(sock.minitalk_sink.sent) == 1 for sock in sockets)
    assert all(sock.last_ping is not None for sock in sockets)
    assert len(pinger) == 0
    assert fired <= 45, fired  # one timer per due time, not a spin per ping
