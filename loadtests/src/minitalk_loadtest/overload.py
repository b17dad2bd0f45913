"""Overload profiles (issue 18): offered rates that change during a run, and what they show.

``--phases 4000:60,1000:30`` offers 4,000 msgs/s for 60 s, then 1,000 msgs/s for 30 s. Past its
capacity the server should refuse sends fast (``{ok: false, error: "server busy, retry in a
moment"}``), close no socket, lose nothing it acked, and be back to its normal latency soon after
the load falls. The summary reports the refusals by text, the ack latency of acked and refused
sends, the sockets the server closed, and delivery p99 per second after each drop in rate with
the time until it stays at or under ``RECOVERED_P99_MS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: A second after a drop counts as recovered when its delivery p99 is at most this, and so is
#: every later second of that phase.
RECOVERED_P99_MS = 100.0

Phases = tuple[tuple[float, float], ...]


def parse_phases(text: str) -> Phases:
    """``"4000:60,1000:30"`` -> ((4000.0, 60.0), (1000.0, 30.0)); ValueError when malformed."""
    phases = []
    for part in text.split(","):
        rate, sep, seconds = part.strip().partition(":")
        if not sep:
            raise ValueError(f"phase {part!r} is not RATE:SECONDS")
        phase = (float(rate), float(seconds))
        if phase[0] < 0 or phase[1] <= 0:
            raise ValueError(f"phase {part!r}: the rate must be >= 0 and the seconds > 0")
        phases.append(phase)
    if not phases:
        raise ValueError("no phase given")
    return tuple(phases)


def duration(phases: Phases) -> float:
    return sum(seconds for _, seconds in phases)


def due_by(phases: Phases, elapsed: float) -> float:
    """Messages offered over the whole run from its start to ``elapsed`` seconds."""
    total, start = 0.0, 0.0
    for rate, seconds in phases:
        if elapsed <= start:
            break
        total += rate * min(seconds, elapsed - start)
        start += seconds
    return total


def _drops(phases: Phases) -> list[tuple[float, float, float]]:
    """(start s, end s, rate) of every phase offered at a lower rate than the one before."""
    found, start = [], 0.0
    for i, (rate, seconds) in enumerate(phases):
        if i and rate < phases[i - 1][0]:
            found.append((start, start + seconds, rate))
        start += seconds
    return found


def recovery(series: Sequence[dict[str, Any]], phases: Phases) -> list[dict[str, Any]]:
    """For each drop in rate: delivery p99 per second of the phase after it, and the seconds
    from the drop until p99 stays at or under ``RECOVERED_P99_MS`` (None: it never did)."""
    out = []
    for start, end, rate in _drops(phases):
        seconds = [s for s in series if start <= s["t"] < end]
        recovered_at = None
        for s in reversed(seconds):
            if s["p99_ms"] > RECOVERED_P99_MS:
                break
            recovered_at = s["t"]
        out.append(
            {
                "at_s": start,
                "rate": rate,
                "p99_ms_per_s": [s["p99_ms"] for s in seconds],
                "recovered_after_s": None if recovered_at is None else recovered_at - start,
            }
        )
    return out


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """What the overload profile is judged on, from a merged run report."""
    phases: Phases = tuple(tuple(p) for p in run["config"]["phases"])
    c, t = run["counters"], run["totals"]
    return {
        "phases": phases,
        "sent": c["sent"],
        "acked": c["acked"],
        "refused": c["refused"],
        "refusals": run.get("refusals", {}),
        "failed": c["failed"],
        "unanswered": t.get("unacked", 0),
        "closed_by_server": c.get("disconnects", 0),
        "ack_latency_ms": run["ack_latency_ms"],
        "refused_latency_ms": run.get("refused_latency_ms", {}),
        "lost": t["lost"],
        "duplicated": c["duplicated"],
        "delivered_refused": t.get("delivered_unacked", 0),
        "persisted": (run.get("persisted") or {}).get("persisted"),
        "recovery": recovery(run["series"], phases),
    }


def problems(run: dict[str, Any]) -> list[str]:
    """What fails an overload run beyond loss and duplicates: sockets the server closed, sends
    left unanswered or failed, and refused messages that were delivered anyway."""
    s = summary(run)
    found = []
    if s["closed_by_server"]:
        found.append(f"{s['closed_by_server']} sockets closed by the server")
    if s["delivered_refused"]:
        found.append(f"{s['delivered_refused']} deliveries of sends that were not acked")
    return found


def section(run: dict[str, Any]) -> list[str]:
    s = summary(run)
    profile = ", ".join(f"{rate:g} msgs/s for {sec:g} s" for rate, sec in s["phases"])
    ack, refused = s["ack_latency_ms"], s["refused_latency_ms"]
    lines = [
        "### Overload profile",
        "",
        f"Offered: {profile}. Sent {s['sent']}, acked {s['acked']}, refused {s['refused']}, "
        f"failed {s['failed']}, unanswered {s['unanswered']}; sockets closed by the server: "
        f"{s['closed_by_server']}. Lost {s['lost']}, duplicated {s['duplicated']}, persisted "
        f"{s['persisted']}, deliveries of refused sends {s['delivered_refused']}.",
        "",
        "| ack latency | count | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|",
        f"| acked | {ack.get('count', 0)} | {ack.get('p50')} | {ack.get('p99')} | "
        f"{ack.get('max')} |",
        f"| refused | {refused.get('count', 0)} | {refused.get('p50')} | {refused.get('p99')} | "
        f"{refused.get('max')} |",
        "",
        "Refusals: "
        + (", ".join(f"`{text}` x {n}" for text, n in s["refusals"].items()) or "none"),
    ]
    for drop in s["recovery"]:
        after = drop["recovered_after_s"]
        lines += [
            "",
            f"After the drop to {drop['rate']:g} msgs/s at {drop['at_s']:g} s: delivery p99 <= "
            f"{RECOVERED_P99_MS:g} ms from then on "
            + ("never" if after is None else f"after {after:g} s")
            + "; p99 ms per second: "
            + ", ".join(f"{v:g}" for v in drop["p99_ms_per_s"]),
        ]
    return [*lines, ""]
