"""What a chaos test asserts, from the clients' side, and the one line of figures it prints
(copied into docs/reliability.md):

- lost: acked messages missing from their room's history; duplicated: history entries of an id
  seen before in that room (or an acked id stored under another seq);
- unacked: messages never acked before their deadline (resent all along);
- missing: (socket, acked message of its rooms) pairs never received, live or repaired (and
  of those, how many lay behind the cursor a reconnect caught up from);
- live misses: a socket connected the whole time from a message's first send until
  ``LIVE_GRACE_S`` after its ack that did not receive it live on that connection (what h-live's
  delivery from the stream fixes: a realtime process dying between PubAck and delivery);
- longest wait for an ack: from a message's first send to its ack (the sender's spinner);
- max receive: the longest time from a message's ack to its arrival on a member's socket;
- reconnects, and the longest time from a socket's drop until its catch-up had every room;
- recovery: from the fault to the end of the last trouble a client met (a refused, unanswered
  or put-off send until its ack, a reconnect, a catch-up, a failed REST request).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .load import ChatLoad, Sent
from .members import Member

#: A socket connected this long after a message's ack is expected to have had it live.
LIVE_GRACE_S = 5.0


@dataclass
class Verdict:
    name: str
    sent: int
    acked: int
    resent: int
    refusals: int
    timeouts: int
    drops: int
    unacked: int
    held_back: int
    lost: int
    duplicated: int
    missing: int
    behind_cursor: int
    live_misses: int
    max_receive: float
    max_ack_wait: float
    recovery: float
    reconnects: int
    max_outage: float
    catch_up_failures: int
    rest_ok: int
    rest_failed: int
    rest_works_at_end: bool
    extra: str = ""

    def line(self) -> str:
        parts = [
            f"sent {self.sent}",
            f"acked {self.acked}",
            f"resent {self.resent} ({self.refusals} refusals, {self.timeouts} ack timeouts, "
            f"{self.drops} acks lost with their connection)",
            f"unacked {self.unacked}",
            f"held back {self.held_back}",
            f"lost {self.lost}",
            f"duplicated {self.duplicated}",
            f"missing on sockets {self.missing} ({self.behind_cursor} behind a catch-up cursor)",
            f"live misses {self.live_misses}",
            f"longest wait for an ack {self.max_ack_wait:.1f} s",
            f"max time to receive {self.max_receive:.1f} s",
            f"recovery {self.recovery:.1f} s",
            f"reconnects {self.reconnects} (longest drop to caught up {self.max_outage:.1f} s)",
            f"REST ok/failed {self.rest_ok}/{self.rest_failed}{self.extra}",
            f"load average {os.getloadavg()[0]:.1f}",
        ]
        return f"chaos {self.name}: " + ", ".join(parts)

    def check(self, bound_s: float, live: bool = True) -> None:
        """Must show 1 (and, with ``live``, nothing missed by sockets that stayed up)."""
        assert self.lost == 0, self.line()
        assert self.duplicated == 0, self.line()
        assert self.unacked == 0, self.line()
        assert self.missing == 0, self.line()
        assert self.catch_up_failures == 0, self.line()
        assert self.max_receive <= bound_s, f"bound {bound_s} s: {self.line()}"
        assert self.rest_works_at_end, self.line()
        if live:
            assert self.live_misses == 0, self.line()


def judge(
    name: str, load: ChatLoad, history: dict[str, list[dict[str, Any]]], fault_at: float
) -> Verdict:
    acked = load.acked()
    stored = {m["id"]: m["seq"] for page in history.values() for m in page}
    duplicated = sum(
        n - 1 for page in history.values() for n in Counter(m["id"] for m in page).values()
    )
    duplicated += sum(1 for s in acked if s.id in stored and stored[s.id] != s.seq)
    members = load.members
    return Verdict(
        name=name,
        sent=len(load.sent),
        acked=len(acked),
        resent=sum(1 for s in acked if s.attempts > 1),
        refusals=sum(len(s.refusals) for s in load.sent),
        timeouts=sum(s.timeouts for s in load.sent),
        drops=sum(s.drops for s in load.sent),
        unacked=len(load.sent) - len(acked),
        held_back=load.held_back,
        lost=sum(1 for s in acked if s.id not in stored),
        duplicated=duplicated,
        missing=sum(len(load.missing(m)) for m in members),
        behind_cursor=sum(_behind_cursor(m, load.missing(m)) for m in members),
        live_misses=sum(_live_misses(m, acked) for m in members),
        max_receive=max(_delays(members, acked), default=0.0),
        max_ack_wait=max((s.acked_at - s.first_at for s in acked if s.acked_at), default=0.0),
        recovery=_recovery(load, fault_at),
        reconnects=sum(m.reconnects for m in members),
        max_outage=max((o for m in members for o in m.outages()), default=0.0),
        catch_up_failures=sum(m.catch_up_failures for m in members),
        rest_ok=sum(1 for _, _, ok in load.rest if ok),
        rest_failed=sum(1 for _, _, ok in load.rest if not ok),
        rest_works_at_end=all(ok for _, _, ok in load.rest[-3:]),
    )


def _delays(members: list[Member], acked: list[Sent]) -> list[float]:
    """Ack to arrival, for every message a member's socket received (live or repaired)."""
    found = []
    for m in members:
        for s in acked:
            got = m.got.get(s.id or "")
            if got is not None and s.acked_at is not None:
                found.append(max(got.at - s.acked_at, 0.0))
    return found


def _behind_cursor(member: Member, missing: list[Sent]) -> int:
    """Missing messages a reconnect's catch-up skipped: the socket had seen a later seq of the
    room live before it dropped (live order is not seq order across replicas on main), so
    ``after=<last seq seen>`` started past them - the web app's cursor does the same."""
    return sum(
        1
        for s in missing
        if any(0 < (s.seq or 0) < e.resume.get(s.room, 0) for e in member.epochs[1:])
    )


def _live_misses(member: Member, acked: list[Sent]) -> int:
    misses = 0
    for s in acked:
        if s.room not in member.rooms or s.acked_at is None:
            continue
        for k, epoch in enumerate(member.epochs):
            end = math.inf if epoch.end is None else epoch.end
            if epoch.start <= s.first_at and end >= s.acked_at + LIVE_GRACE_S:
                misses += (s.id, k) not in member.live
    return misses


def _recovery(load: ChatLoad, fault_at: float) -> float:
    ends = [s.acked_at or s.trouble_at or 0.0 for s in load.sent if s.trouble_at is not None]
    for m in load.members:
        ends += [e.start for e in m.epochs[1:]]
        ends += [done for _, done, _ in m.catch_ups]
    ends += [at for at, _, ok in load.rest if not ok]
    return max([e - fault_at for e in ends if e >= fault_at], default=0.0)
