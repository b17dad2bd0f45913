"""Spread the sockets' Engine.IO pings over the ping interval.

python-engineio sends a socket's first ping one interval after it connected, and each next one
an interval after its pong: sockets that connected together ping together for as long as they
live. 5,000 sockets connected within 8 s made a burst of ~600 pings and pongs per second every
25 s, and at 1,000 msgs/s realtime's latency rose in waves with it (docs/benchmarks.md). Here a
socket's first ping comes after a random 20-100 % of the interval instead: never later than
the library's (clients wait interval + timeout for it), and spread out from then on.

python-engineio has no setting for this; ``spread_first_pings`` wraps its socket's ping task
(``AsyncSocket._send_ping``, python-engineio 4.x), once per process.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from engineio import async_socket, packet

#: The first ping comes after this share of the interval, drawn uniformly.
FIRST_PING_SHARE = (0.2, 1.0)


def spread_first_pings() -> None:
    """Make every Engine.IO socket of this process send its first ping at a random moment."""
    socket_class: Any = async_socket.AsyncSocket
    if getattr(socket_class, "_minitalk_spread_pings", False):
        return
    library_send_ping = socket_class._send_ping

    async def send_ping(self: Any) -> None:
        if getattr(self, "_minitalk_pinged", False):
            await library_send_ping(self)
            return
        self._minitalk_pinged = True
        await asyncio.sleep(self.server.ping_interval * random.uniform(*FIRST_PING_SHARE))
        if not self.closing and not self.closed:  # what the library's ping task does
            self.last_ping = time.time()
            await self.send(packet.Packet(packet.PING))

    socket_class._send_ping = send_ping
    socket_class._minitalk_spread_pings = True
