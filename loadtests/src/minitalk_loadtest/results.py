"""Shard reports and the merge step that turns one or many of them into the run's report.

Every worker process returns a partition result (worker.py); a shard (one machine) wraps its
partitions with the configuration, the machine and the processes it sampled; ``merge`` adds up
any number of shards. A local run is a single shard merged the same way, so the path the
Kubernetes Indexed Job takes is the path every local run takes.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import overload
from .histogram import Histogram

SHARD_KIND = "minitalk-loadtest-shard"
#: Prefix of the one stdout line that carries a shard's report (``kubectl logs`` collects it).
LINE_KEY = '{"minitalk_loadtest_shard":'


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def shard_report(
    config: dict[str, Any],
    shard: int,
    shards: int,
    partitions: list[dict[str, Any]],
    processes: dict[str, Any],
    process_series: dict[str, Any],
    started_at: float,
) -> dict[str, Any]:
    return {
        "kind": SHARD_KIND,
        "started_at": started_at,
        "shard": shard,
        "shards": shards,
        "config": config,
        "machine": machine(),
        "partitions": sorted(partitions, key=lambda p: p["partition"]),
        "processes": processes,
        "process_series": process_series,
    }


def read_shards(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Shard reports from JSON files or from logs holding the shard's stdout line."""
    found: list[dict[str, Any]] = []
    for path in paths:
        text = path.read_text()
        if text.lstrip().startswith('{"kind"') or text.lstrip().startswith("{\n"):
            found.append(json.loads(text))
            continue
        found += [
            json.loads(line)["minitalk_loadtest_shard"]
            for line in text.splitlines()
            if line.startswith(LINE_KEY)
        ]
    return found


def _sum(dicts: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    present = [d for d in dicts if d is not None]
    if not present:
        return None
    return {key: sum(d.get(key, 0) for d in present) for key in present[0]}


def _merged_series(parts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    length = max((len(p["series"]) for p in parts), default=0)
    out = []
    for t in range(length):
        seconds = [p["series"][t] for p in parts if t < len(p["series"])]
        latency = Histogram.merged(Histogram.from_json(s["latency"]) for s in seconds)
        ms = latency.summary_ms()
        out.append(
            {
                "t": t,
                "sent": sum(s["sent"] for s in seconds),
                "acked": sum(s["acked"] for s in seconds),
                "delivered": sum(s["delivered"] for s in seconds),
                "p50_ms": ms["p50"],
                "p95_ms": ms["p95"],
                "p99_ms": ms["p99"],
                "max_ms": ms["max"],
            }
        )
    return out


def _setup(parts: Sequence[dict[str, Any]], users: int, rooms: int) -> dict[str, Any]:
    def longest(key: str) -> float:
        return max((p["setup"].get(key, 0.0) for p in parts), default=0.0)

    setup: dict[str, Any] = {
        "connected": sum(p["setup"].get("connected", 0) for p in parts),
        "connect_failures": sum(p["setup"].get("connect_failures", 0) for p in parts),
    }
    for step, count in (("signup", users), ("login", users), ("rooms", rooms), ("connect", users)):
        seconds = longest(f"{step}_s")
        if seconds:
            setup[f"{step}_s"] = round(seconds, 3)
            setup[f"{step}_per_s"] = round(count / seconds, 1)
    return setup


def _storm(parts: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    storms = [p["storm"] for p in parts if p.get("storm")]
    if not storms:
        return None
    return {
        "at_s": storms[0]["at_s"],
        "dropped": sum(s["dropped"] for s in storms),
        "reconnected": sum(s["reconnected"] for s in storms),
        "reconnect_s": max(s["reconnect_s"] for s in storms),
        "recovery_s": max(s["recovery_s"] for s in storms),
        "resent": sum(s.get("resent", 0) for s in storms),
    }


def merge(shards: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One run report from shard reports (of one run: same configuration)."""
    if not shards:
        raise ValueError("no shard reports to merge")
    shards = sorted(shards, key=lambda s: s["shard"])
    config = shards[0]["config"]
    parts = [p for s in shards for p in s["partitions"]]
    indices = sorted(p["partition"] for p in parts)
    expected = parts[0]["partitions"] if parts else 0
    counters = _sum([p["counters"] for p in parts]) or {}
    totals = _sum([p["totals"] for p in parts]) or {}
    persisted = _sum([p.get("persisted") for p in parts])
    latency = Histogram.merged(Histogram.from_json(p["latency"]) for p in parts)
    ack_latency = Histogram.merged(Histogram.from_json(p["ack_latency"]) for p in parts)
    refused_latency = Histogram.merged(
        Histogram.from_json(p["refused_latency"]) for p in parts if "refused_latency" in p
    )
    refusals: dict[str, int] = {}
    for p in parts:
        for text, n in p.get("refusals", {}).items():
            refusals[text] = refusals.get(text, 0) + n
    duration = float(config["duration_s"])
    series = _merged_series(parts)
    #: acks and deliveries of a backlog arrive after the send window: count them over the time
    #: they really took (from the first send to the last second anything arrived).
    span = max(duration, float(len(series)))
    users = sum(p["users"] for p in parts)
    rooms = sum(p["rooms"] for p in parts)
    processes: dict[str, Any] = {}
    for s in shards:
        for name, summary in s["processes"].items():
            processes[name if len(shards) == 1 else f"shard{s['shard']}/{name}"] = summary
    connected = sum(p["setup"].get("connected", 0) for p in parts)
    for summary in processes.values():
        if "rss_mb_before_sockets" in summary and connected:
            grown = summary["rss_mb_max"] - summary["rss_mb_before_sockets"]
            summary["rss_kb_per_socket"] = round(grown * 1024 / connected, 1)
    return {
        "config": config,
        "machines": [s["machine"] for s in shards],
        "started_at": min(s.get("started_at", 0.0) for s in shards),
        "shards": len(shards),
        "partitions": len(parts),
        "missing_partitions": sorted(set(range(expected)) - set(indices)),
        "users": users,
        "rooms": rooms,
        "memberships": sum(p["memberships"] for p in parts),
        "setup": _setup(parts, users, rooms),
        "counters": counters,
        "totals": totals,
        "persisted": persisted,
        "storm": _storm(parts),
        "latency_ms": latency.summary_ms(),
        "ack_latency_ms": ack_latency.summary_ms(),
        "refused_latency_ms": refused_latency.summary_ms(),
        "refusals": refusals,
        "throughput": {
            "offered_per_s": config["rate"],
            "sent_per_s": round(counters.get("sent", 0) / duration, 1),
            "acked_per_s": round(counters.get("acked", 0) / span, 1),
            "delivered_per_s": round(counters.get("delivered", 0) / span, 1),
            "span_s": span,
        },
        "first_errors": [p["first_error"] for p in parts if p.get("first_error")][:5],
        "series": series,
        "processes": processes,
        "process_series": {
            (n if len(shards) == 1 else f"shard{s['shard']}/{n}"): v
            for s in shards
            for n, v in s.get("process_series", {}).items()
        },
    }


def verdict(run: dict[str, Any]) -> list[str]:
    """What went wrong, in words (empty when nothing was lost, duplicated or unpersisted)."""
    problems = []
    totals, counters = run["totals"], run["counters"]
    if totals.get("lost"):
        problems.append(f"{totals['lost']} deliveries lost")
    if counters.get("duplicated"):
        problems.append(f"{counters['duplicated']} deliveries duplicated")
    overloaded = bool(run["config"].get("phases"))  # refusals are expected there
    if overloaded:
        problems += overload.problems(run)
    if (
        (counters.get("refused") and not overloaded)
        or counters.get("failed")
        or totals.get("unacked")
    ):
        problems.append(
            f"sends not acknowledged: {counters.get('refused', 0)} refused, "
            f"{counters.get('failed', 0)} failed, {totals.get('unacked', 0)} unanswered"
        )
    persisted = run.get("persisted")
    if persisted and persisted["acked_missing"]:
        problems.append(f"{persisted['acked_missing']} acked messages missing from history")
    if run["setup"]["connect_failures"]:
        problems.append(f"{run['setup']['connect_failures']} sockets failed to connect")
    if run["missing_partitions"]:
        problems.append(f"partitions without a report: {run['missing_partitions']}")
    return problems
