"""``max_sockets_per_user`` holds for all realtime processes together, not per process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import socketio
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
    """A socket of alice, once the server has seen one of hers close (at most 10 s)."""
    for _ in range(50):
        client = Client("alice")
        try:
            return await client.connect(url, token)
        except socketio.exceptions.ConnectionError:
            assert client.refusals == [{"message": "too many connections"}]
            await asyncio.sleep(0.2)
    raise AssertionError("a closed socket still counts after 10 s")
