"""Engine.IO pings: a socket's first ping comes within the interval, at a random moment, so
sockets that connect together do not ping together for the rest of their lives; one timer
pings every socket (``pings.Pinger``), and a socket that stops answering is still closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from .clients import Client
from .conftest import StartRealtime

INTERVAL_S = 2.0


async def first_pings(url: str, token: str) -> tuple[float, float]:
    """Connect over a raw WebSocket; seconds from connect to the first ping, and from the pong
    to the second ping."""
    ws_url = "ws" + url[4:] + f"/socket.io/?EIO=4&transport=websocket&token={token}"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
        assert (await ws.receive_str()).startswith("0")
        await ws.send_str("40")
        assert (await ws.receive_str()).startswith("40")
        connected = time.monotonic()
        assert await asyncio.wait_for(ws.receive_str(), INTERVAL_S + 1) == "2"
        first = time.monotonic() - connected
        await ws.send_str("3")
        ponged = time.monotonic()
        assert await asyncio.wait_for(ws.receive_str(), INTERVAL_S + 1) == "2"
        return first, time.monotonic() - ponged


async def test_first_pings_are_spread_over_the_interval(
    start_realtime: StartRealtime, make_token: Callable[..., str]
) -> None:
    url = start_realtime(MINITALK_PING_INTERVAL_S=str(INTERVAL_S))
    results = await asyncio.gather(*(first_pings(url, make_token(f"u{i}")) for i in range(12)))

    firsts = [first for first, _ in results]
    assert all(first <= INTERVAL_S + 0.5 for first in firsts)  # never later than the library's
    assert max(firsts) - min(firsts) > 0.3  # 12 sockets connected together, pinged apart
    assert all(INTERVAL_S - 0.2 <= second <= INTERVAL_S + 0.8 for _, second in results)


async def test_the_shared_pinger_drops_a_silent_socket_and_keeps_the_others(
    start_realtime: StartRealtime, make_token: Callable[..., str]
) -> None:
    """One timer pings every socket (``pings.Pinger``): a socket that stops answering is closed
    once its ping goes unanswered for the timeout (interval + timeout after its last pong, at
    the latest), while the sockets that answer are pinged again and again and stay open."""
    interval, timeout = 1.0, 1.0
    url = start_realtime(
        MINITALK_PING_INTERVAL_S=str(interval), MINITALK_PING_TIMEOUT_S=str(timeout)
    )
    ws_url = "ws" + url[4:] + "/socket.io/?EIO=4&transport=websocket&token="

    async def session(username: str, answer: bool, session: aiohttp.ClientSession) -> Any:
        async with session.ws_connect(ws_url + make_token(username)) as ws:
            assert (await ws.receive_str()).startswith("0")
            await ws.send_str("40")
            assert (await ws.receive_str()).startswith("40")
            connected = time.monotonic()
            pings = 0
            while True:
                msg = await ws.receive(timeout=interval + timeout + 3)
                if msg.type != aiohttp.WSMsgType.TEXT:  # closed by the server
                    return pings, time.monotonic() - connected
                if msg.data == "2":
                    pings += 1
                    if not answer:
                        continue
                    await ws.send_str("3")
                    if pings == 5:
                        return pings, None

    async with aiohttp.ClientSession() as http:
        silent, *talking = await asyncio.gather(
            session("mute", False, http), *(session(f"u{i}", True, http) for i in range(3))
        )
    pings, closed_after = silent
    assert pings >= 1  # its first ping came, went unanswered
    assert closed_after is not None
    # the first ping within the interval, then closed once the timeout passed (Engine.IO's
    # service task checks every socket within a timeout), never before the timeout
    assert timeout <= closed_after <= interval + 2 * timeout + 1.5, closed_after
    assert all(result == (5, None) for result in talking), talking


async def test_a_long_polling_socket_is_pinged_by_the_shared_pinger(
    start_realtime: StartRealtime, make_token: Callable[..., str]
) -> None:
    """A socket without a frame sink (long-polling) gets its pings through Engine.IO's queue:
    the client library answers them, so it stays connected over several intervals."""
    url = start_realtime(MINITALK_PING_INTERVAL_S="1", MINITALK_PING_TIMEOUT_S="1")
    client = Client("alice")
    try:
        await client.connect(url, make_token("alice"), transports=["polling"])
        await asyncio.sleep(4.5)
        assert client.sio.connected
        assert client.sio.transport() == "polling"
        assert (await client.call("typing", {"roomId": "nowhere"})) is not None
    finally:
        await client.close()
