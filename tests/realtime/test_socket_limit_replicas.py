"""``max_sockets_per_user`` holds for all realtime processes together, not per process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import socketio
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]


async def test_sockets_per_user_are_counted_over_both_processes(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Callable[..., str],
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    env = {"MINITALK_MAX_SOCKETS_PER_USER": "3"}
    urls = [start_realtime("realtime", **env), start_realtime("realtime2", **env)]
    tabs = [await open_client(urls[i % 2], "alice") for i in range(3)]  # 2 on one, 1 on other

    for url in urls:  # the 4th is refused wherever it goes
        fourth = Client("alice")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await fourth.connect(url, make_token("alice"))
        assert fourth.refusals == [{"message": "too many connections"}]
    assert (await open_client(urls[1], "bob")).sio.connected  # others are not affected

    await tabs[0].close()  # one on the first process: a new tab on the second gets in
    again = await _connect_eventually(urls[1], make_token("alice"))
    assert (await again.send("r1", "a new tab once one was closed"))["ok"] is True
    late = Client("alice")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect(urls[0], make_token("alice"))
    assert late.refusals == [{"message": "too many connections"}]
    for tab in (*tabs[1:], again):
        await tab.close()


async def _connect_eventually(url: str, token: str) -> Client:
    """A socket of alice, once the server no longer counts one of hers (at most 20 s)."""
    for _ in range(100):
        client = Client("alice")
        try:
            return await client.connect(url, token)
        except socketio.exceptions.ConnectionError:
            assert client.refusals == [{"message": "too many connections"}]
            await asyncio.sleep(0.2)
    raise AssertionError("a closed socket still counts after 20 s")


async def test_counts_stay_while_refreshed_and_go_with_a_killed_process(
    js: JetStreamContext,
    system: LocalSystem,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Callable[..., str],
) -> None:
    await create_room(js, "r1", ("alice",))
    env = {"MINITALK_MAX_SOCKETS_PER_USER": "2", "MINITALK_SOCKET_COUNT_REFRESH_S": "2"}
    urls = [start_realtime("realtime", **env), start_realtime("realtime2", **env)]
    await open_client(urls[0], "alice")
    await open_client(urls[1], "alice")
    await asyncio.sleep(7)  # past the bucket's max age (3 x 2 s): refreshes keep the counts

    third = Client("alice")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await third.connect(urls[0], make_token("alice"))
    assert third.refusals == [{"message": "too many connections"}]

    system.procs["realtime2"].kill()  # no chance to delete its entry: it expires
    again = await _connect_eventually(urls[0], make_token("alice"))
    assert (await again.send("r1", "the dead process's socket no longer counts"))["ok"] is True
    await again.close()
