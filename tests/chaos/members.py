"""One chat user's socket as the web app runs it: python-socketio through the edge with
``?token=``, reconnecting by itself; on every reconnect it catches up each of its rooms from
history (``GET /api/chatrooms/:roomId/messages?after=<last seq it saw>``), until the history
reaches the first message that arrived live on the new connection (from there on the socket has
everything: the persister writes a room in stream order, without gaps).

Everything it receives is recorded with the time (seconds on the load's clock) and how it came
(live on which connection, or repaired), for the checks in ``verdict.py``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio

from ..chat_clients import bearer

#: A catch-up that has not reached the live messages after this long gives up (counted).
CATCH_UP_S = 60.0


class ConnectionLost(Exception):
    """The connection a send went out on dropped before its ack came."""


@dataclass
class Got:
    """The first arrival of one message on one user's socket."""

    at: float
    seq: int
    room: str
    epoch: int | None  # the connection it came live on; None: repaired from history


@dataclass
class Epoch:
    """One connection of the socket: from its ``connect`` to its ``disconnect`` (None: open)."""

    start: float
    end: float | None = None
    first_live: dict[str, int] = field(default_factory=dict)  # room -> first seq seen live
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    resume: dict[str, int] = field(default_factory=dict)  # room -> the catch-up's after=
    connected_at: float | None = None  # its Socket.IO ``connect`` (after its first message?)
    #: room -> (seq, time) of every message that came live on this connection
    arrivals: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)  # room -> first seq handled after
    # this connection's ``disconnect`` (see ``Member._late_epoch``)


class Member:
    def __init__(
        self,
        username: str,
        token: str,
        rooms: list[str],
        clock: Callable[[], float],
        http: httpx.AsyncClient,
    ) -> None:
        self.username = username
        self.token = token
        self.rooms = rooms
        self.clock = clock
        self.http = http
        self.got: dict[str, Got] = {}
        self.live: dict[tuple[str, int], int] = {}  # (id, epoch) -> times received live
        self.epochs: list[Epoch] = []
        self.last_seq: dict[str, int] = dict.fromkeys(rooms, 0)
        self.catch_ups: list[tuple[int, float, int]] = []  # (epoch, done, repaired)
        self.catch_up_failures = 0
        self.sends_open = 0
        self.load_over = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.sio.on("connect", self._connected)
        self.sio.on("disconnect", self._gone)
        self.sio.on("message", self._message)

    async def connect(self, url: str) -> Member:
        await self.sio.connect(
            f"{url}?token={self.token}", transports=["websocket"], wait_timeout=15
        )
        return self

    @property
    def connected(self) -> bool:
        return bool(self.epochs) and self.epochs[-1].end is None and self.sio.connected

    def late_messages(self) -> tuple[int, int]:
        """(connections with a message handled after their ``disconnect``, messages a catch-up
        repaired that it would have skipped had such a message opened the next connection:
        those of its room stored after it and before the next connection's first live one)."""
        connections = skipped = 0
        for k, epoch in enumerate(self.epochs[:-1]):
            connections += bool(epoch.late)
            nxt = self.epochs[k + 1]
            for room, seq in epoch.late.items():
                first = nxt.first_live.get(room)
                skipped += sum(
                    1
                    for g in self.got.values()
                    if g.room == room
                    and g.epoch is None
                    and g.at >= nxt.start
                    and seq < g.seq < (first if first is not None else g.seq + 1)
                )
        return connections, skipped

    def outages(self) -> list[float]:
        """Per reconnect: from the drop until the catch-up had every room (seconds)."""
        found = []
        for epoch, done, _ in self.catch_ups:
            dropped = self.epochs[epoch - 1].end
            found.append(done - (dropped if dropped is not None else self.epochs[epoch].start))
        return found

    @property
    def reconnects(self) -> int:
        return max(len(self.epochs) - 1, 0)

    async def _connected(self) -> None:
        self.epochs[self._open_epoch()].connected_at = self.clock()

    def _open_epoch(self) -> int:
        """The current connection; a new one (and its catch-up) if the last one ended.

        python-engineio hands each packet to its own task, so a live message of a new
        connection may be handled before that connection's ``connect``: it opens the
        connection here, before it moves the cursor (else ``after=`` would skip the messages
        between the drop and it)."""
        if self.epochs and self.epochs[-1].end is None:
            return len(self.epochs) - 1
        resume = dict(self.last_seq)
        self.epochs.append(Epoch(self.clock(), resume=resume))
        epoch = len(self.epochs) - 1
        if epoch > 0:
            task = asyncio.create_task(self._catch_up(epoch, resume))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return epoch

    def _late_epoch(self, data: dict[str, Any]) -> int | None:
        """The ended connection a message came on, when it is handled after that connection's
        ``disconnect`` (else None).

        python-engineio's client (4.x) hands each packet to a task of its own, but calls
        ``disconnect`` in its read loop: when its write loop has stopped first (a send to a
        dead server failed), the read loop leaves right after the packet it just read and runs
        ``disconnect`` before that packet's task. Opened from such a message, a new
        connection would start with the old connection's seq as its first live one, its
        catch-up would stop there, and what the room stored until the new socket joined would
        never arrive (the next catch-up starts past it). The Engine.IO client is
        ``disconnected`` from the moment it has run ``disconnect`` until the next connection's
        handshake is done (python-socketio's reconnect delay, 0.2 s +- 0.5 s, is often none,
        but the handshake is network round trips), while the late packet's task was queued
        before ``disconnect`` ran and runs at the next loop turn: a message handled while
        disconnected came on the connection that ended."""
        if not self.epochs or self.epochs[-1].end is None or self.sio.eio.state == "connected":
            return None
        self.epochs[-1].late.setdefault(data["roomId"], data["seq"])
        return len(self.epochs) - 1

    async def _gone(self, *reason: Any) -> None:
        if self.epochs and self.epochs[-1].end is None:
            self.epochs[-1].end = self.clock()
            self.epochs[-1].closed.set()

    async def _message(self, data: dict[str, Any]) -> None:
        epoch = self._late_epoch(data)
        if epoch is None:
            epoch = self._open_epoch()
        self.epochs[epoch].first_live.setdefault(data["roomId"], data["seq"])
        self.epochs[epoch].arrivals.setdefault(data["roomId"], []).append(
            (data["seq"], self.clock())
        )
        key = (data["id"], epoch)
        self.live[key] = self.live.get(key, 0) + 1
        self._take(data, epoch)

    def _take(self, data: dict[str, Any], epoch: int | None) -> None:
        room, seq = data["roomId"], data["seq"]
        if data["id"] not in self.got:
            self.got[data["id"]] = Got(self.clock(), seq, room, epoch)
        self.last_seq[room] = max(self.last_seq.get(room, 0), seq)

    async def _catch_up(self, epoch: int, resume: dict[str, int]) -> None:
        repaired = 0
        for room in self.rooms:
            try:
                repaired += await self._catch_up_room(epoch, room, resume.get(room, 0))
            except (AssertionError, httpx.HTTPError):
                self.catch_up_failures += 1
        self.catch_ups.append((epoch, self.clock(), repaired))

    async def _catch_up_room(self, epoch: int, room: str, cursor: int) -> int:
        """Pages of ``after=cursor`` until the history holds the room's first live message of
        this connection (or, once the load is over, until a page comes back empty)."""
        deadline, repaired = time.monotonic() + CATCH_UP_S, 0
        while True:
            assert time.monotonic() < deadline, f"{self.username}: no catch-up of {room}"
            page = await self.http.get(
                f"/api/chatrooms/{room}/messages",
                params={"after": cursor, "limit": 100},
                headers=bearer(self.token),
            )
            if page.status_code != 200:
                await asyncio.sleep(0.5)
                continue
            for m in page.json():
                repaired += m["id"] not in self.got
                self._take(m, None)
                cursor = max(cursor, m["seq"])
            first_live = self.epochs[epoch].first_live.get(room)
            if first_live is not None and cursor >= first_live:
                return repaired
            if not page.json():
                if first_live is None and self.load_over:
                    return repaired
                await asyncio.sleep(0.3)

    async def send(self, room: str, sent: Any, ack_timeout: float, deadline: float) -> None:
        """Send until acked or ``deadline`` (load clock); a refusal or a missing ack is resent
        with the same clientMsgId, as the web app does."""
        payload = {"roomId": room, "content": sent.content, "clientMsgId": sent.cmid}
        self.sends_open += 1
        try:
            while self.clock() < deadline:
                if not self.sio.connected:
                    sent.waits += 1
                    sent.trouble_at = self.clock()
                    await asyncio.sleep(0.1)
                    continue
                sent.attempts += 1
                try:
                    ack = await self._call(payload, ack_timeout)
                except socketio.exceptions.TimeoutError:
                    sent.timeouts += 1
                    sent.trouble_at = self.clock()
                    continue
                except (socketio.exceptions.SocketIOError, ConnectionLost):
                    sent.drops += 1
                    sent.trouble_at = self.clock()
                    await asyncio.sleep(0.1)
                    continue
                if isinstance(ack, dict) and ack.get("ok") is True:
                    sent.acked(self.clock(), ack["id"], ack["seq"])
                    return
                sent.refusals.append(ack.get("error") if isinstance(ack, dict) else repr(ack))
                sent.trouble_at = self.clock()
                wait = ack.get("retryAfterMs", 200) / 1000 if isinstance(ack, dict) else 0.2
                await asyncio.sleep(min(max(wait, 0.05), 2.0))
        finally:
            self.sends_open -= 1

    async def _call(self, payload: dict[str, str], timeout: float) -> Any:
        """The ack of ``send_message``; ConnectionLost as soon as the connection it went out on
        drops (python-socketio would wait out the timeout: the web app resends on reconnect)."""
        closed = self.epochs[-1].closed
        call = asyncio.ensure_future(self.sio.call("send_message", payload, timeout=timeout))
        dropped = asyncio.ensure_future(closed.wait())
        try:
            await asyncio.wait({call, dropped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            dropped.cancel()
        if not call.done():
            call.cancel()
            raise ConnectionLost()
        return call.result()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.sio.disconnect()
