"""Engine.IO pings: a socket's first ping comes within the interval, at a random moment, so
sockets that connect together do not ping together for the rest of their lives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp

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
