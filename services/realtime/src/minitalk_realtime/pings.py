"""Engine.IO pings: one timer for every socket of the process, first pings spread out.

python-engineio (4.x) gives each socket a task that sleeps one ping interval and then sends the
PING (``AsyncSocket.schedule_ping`` -> ``_send_ping``), made again after every PONG: a task, its
coroutine, a sleep future and a timer per socket, ~1.3 KB each held all the time
(``services/realtime/bench/socket_memory.py``). Here ``schedule_ping`` puts the socket in one
heap ordered by when its ping is due, and one ``call_at`` timer (for the earliest) sends the
pings that are due: per socket a tuple in a list. The ping is what the library's task sends, at
the same moment: ``last_ping`` set, then ``send(PING)``, for a socket neither closing nor closed.
A client that stops answering is found as before: Engine.IO's service task (and every send)
checks ``last_ping`` against the ping timeout.

python-engineio sends a socket's first ping one interval after it connected, and each next one
an interval after its pong: sockets that connected together ping together for as long as they
live. 5,000 sockets connected within 8 s made a burst of ~600 pings and pongs per second every
25 s, and at 1,000 msgs/s realtime's latency rose in waves with it (docs/benchmarks.md). Here a
socket's first ping comes after a random 20-100 % of the interval instead: never later than
the library's (clients wait interval + timeout for it), and spread out from then on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from engineio import async_socket, packet

from .deadlines import Deadlines

log = logging.getLogger("minitalk.realtime.pings")

#: The first ping comes after this share of the interval, drawn uniformly.
FIRST_PING_SHARE = (0.2, 1.0)


class Pinger(Deadlines):
    """The sockets waiting for their next ping, by due time (the loop's clock), one timer:
    entries ``(when, sid, socket)``."""

    def __init__(self) -> None:
        super().__init__()
        self._tasks: set[asyncio.Task[Any]] = set()

    def schedule(self, sock: Any, delay: float) -> None:
        """Ping ``sock`` in ``delay`` seconds."""
        loop = asyncio.get_running_loop()
        self._push(loop, (loop.time() + delay, sock.sid, sock))

    def _on_due(self, entry: tuple[Any, ...]) -> None:
        sock = entry[2]
        try:
            self._ping(sock)
        except Exception:  # one socket's failure must not cost the others their pings
            log.exception("pinging %s failed", sock.sid)

    def _ping(self, sock: Any) -> None:
        """The library's ``_send_ping`` after its sleep."""
        if sock.closing or sock.closed:
            return
        sock.last_ping = time.time()
        ping = packet.Packet(packet.PING)
        sink = getattr(sock, "minitalk_sink", None)
        if sink is not None:
            # ``send`` (guards.bound_outgoing) checks the ping timeout first: with last_ping
            # just set and the socket open it passes, so the sink takes the packet now
            sink.send(ping)
            return
        task = asyncio.ensure_future(sock.send(ping))  # a queue socket: the library's send
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


PINGER = Pinger()


def share_pinger() -> None:
    """Make every Engine.IO socket of this process wait for its pings in ``PINGER``, the first
    one a random share of the interval after it connected (once per process)."""
    socket_class: Any = async_socket.AsyncSocket
    if getattr(socket_class, "_minitalk_shared_pings", False):
        return
    socket_class._minitalk_library_schedule_ping = socket_class.schedule_ping
    socket_class._minitalk_pinged = False

    def schedule_ping(self: Any) -> None:
        # only schedule a new ping if the previous ping wait cycle completed (the library's)
        if self.last_ping:
            self.last_ping = None
            interval = self.server.ping_interval
            if not self._minitalk_pinged:
                self._minitalk_pinged = True
                interval *= random.uniform(*FIRST_PING_SHARE)
            PINGER.schedule(self, interval)

    socket_class.schedule_ping = schedule_ping
    socket_class._minitalk_shared_pings = True
