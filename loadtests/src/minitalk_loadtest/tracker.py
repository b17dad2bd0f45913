"""What one partition sent and what its sockets received: the ground truth of a run.

Message ``k`` of a partition carries ``"<prefix><k> <send time ns> ..."`` as its content. Each
message has a bit mask of the room members whose socket got it, so a second copy to the same
socket is a duplicate, and ``expected - received`` over the acknowledged messages is what was
lost. Latency is receive time minus the send time in the content, on the same machine's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .histogram import Histogram

PENDING, ACKED, REFUSED, FAILED = 0, 1, 2, 3


@dataclass
class Counters:
    sent: int = 0
    acked: int = 0
    refused: int = 0
    failed: int = 0
    #: sends skipped because no member of the drawn room had a socket (during a storm).
    skipped: int = 0
    delivered: int = 0
    duplicated: int = 0
    #: messages received that this partition did not send to that socket's room.
    unexpected: int = 0
    #: messages found in history while catching up after a reconnect.
    recovered: int = 0
    disconnects: int = 0


@dataclass
class Series:
    """Per second of the run: sends, acks, deliveries and delivery latency."""

    sent: list[int] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    latency: list[Histogram] = field(default_factory=list)

    def second(self, index: int) -> int:
        while len(self.sent) <= index:
            self.sent.append(0)
            self.acked.append(0)
            self.delivered.append(0)
            self.latency.append(Histogram())
        return index

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "t": i,
                "sent": self.sent[i],
                "acked": self.acked[i],
                "delivered": self.delivered[i],
                "latency": self.latency[i].to_json(),
            }
            for i in range(len(self.sent))
        ]


class Tracker:
    def __init__(self, prefix: str, room_sizes: list[int]) -> None:
        self.prefix = prefix
        self.room_sizes = room_sizes
        self.counters = Counters()
        self.latency = Histogram()
        self.ack_latency = Histogram()
        #: acks with ``ok: false``: how long they took, and how many of each ``error`` text.
        self.refused_latency = Histogram()
        self.refusals: dict[str, int] = {}
        self.series = Series()
        self.t0_ns = 0
        self.first_error: str | None = None
        self.room_of: list[int] = []
        self.send_ns: list[int] = []
        self.state = bytearray()
        self.mask: list[int] = []
        self.recovered_mask: dict[int, int] = {}

    def _second(self, now_ns: int) -> int:
        return self.series.second(max(0, (now_ns - self.t0_ns) // 1_000_000_000))

    def content(self, k: int, now_ns: int) -> str:
        return f"{self.prefix}{k} {now_ns} load test message"

    def sent(self, room: int, now_ns: int) -> int:
        """Record a send to ``room``; the message's number ``k``."""
        k = len(self.room_of)
        self.room_of.append(room)
        self.send_ns.append(now_ns)
        self.state.append(PENDING)
        self.mask.append(0)
        self.counters.sent += 1
        self.series.sent[self._second(now_ns)] += 1
        return k

    def acked(self, k: int, ack: Any, now_ns: int) -> None:
        if isinstance(ack, dict) and ack.get("ok"):
            self.state[k] = ACKED
            self.counters.acked += 1
            self.ack_latency.add((now_ns - self.send_ns[k]) / 1000)
            self.series.acked[self._second(now_ns)] += 1
        else:
            self.state[k] = REFUSED
            self.counters.refused += 1
            self.refused_latency.add((now_ns - self.send_ns[k]) / 1000)
            text = str(ack.get("error")) if isinstance(ack, dict) else repr(ack)
            self.refusals[text] = self.refusals.get(text, 0) + 1
            self.first_error = self.first_error or str(ack)

    def failed(self, k: int, error: BaseException) -> None:
        self.state[k] = FAILED
        self.counters.failed += 1
        self.first_error = self.first_error or repr(error)

    def number_of(self, content: Any, room: int | None) -> int | None:
        """``k`` of a message of this partition sent to ``room``, else None."""
        if room is None or not isinstance(content, str) or not content.startswith(self.prefix):
            return None
        text = content[len(self.prefix) :].split(" ", 1)[0]
        k = int(text) if text.isdigit() else -1
        return k if 0 <= k < len(self.room_of) and self.room_of[k] == room else None

    def delivered(self, k: int | None, bit: int | None, now_ns: int) -> None:
        """Socket with member bit ``bit`` received message ``k`` live."""
        if k is None or bit is None:
            self.counters.unexpected += 1
            return
        mask = self.mask[k]
        if mask & bit:
            if not self.recovered_mask.get(k, 0) & bit:
                self.counters.duplicated += 1
            return
        self.mask[k] = mask | bit
        self.counters.delivered += 1
        latency_us = (now_ns - self.send_ns[k]) / 1000
        self.latency.add(latency_us)
        second = self._second(now_ns)
        self.series.delivered[second] += 1
        self.series.latency[second].add(latency_us)

    def recovered(self, k: int | None, bit: int) -> None:
        """Message ``k`` was found in history by the socket with member bit ``bit``."""
        if k is None or self.mask[k] & bit:
            return
        self.mask[k] |= bit
        self.recovered_mask[k] = self.recovered_mask.get(k, 0) | bit
        self.counters.recovered += 1

    def pending(self) -> int:
        return self.state.count(PENDING)

    def totals(self) -> dict[str, int]:
        """expected / received / lost over the acknowledged messages."""
        expected = received = delivered_unacked = 0
        for k, state in enumerate(self.state):
            got = self.mask[k].bit_count()
            if state == ACKED:
                expected += self.room_sizes[self.room_of[k]]
                received += got
            else:
                delivered_unacked += got
        return {
            "expected": expected,
            "received": received,
            "lost": expected - received,
            "delivered_unacked": delivered_unacked,
            "unacked": self.pending(),
        }

    def acked_numbers(self) -> set[int]:
        return {k for k, state in enumerate(self.state) if state == ACKED}
