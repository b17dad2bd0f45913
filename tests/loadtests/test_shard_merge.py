"""The shard/merge path on one machine: partitions drawn independently, shard reports printed
as one stdout line each (as the Kubernetes Indexed Job's pods do), collected and merged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minitalk_loadtest.cli import main
from minitalk_loadtest.histogram import Histogram
from minitalk_loadtest.plan import Partition, plan_partition
from minitalk_loadtest.results import LINE_KEY, merge, read_shards, shard_report, verdict
from minitalk_loadtest.tracker import Tracker

NS = 1_000_000_000


def test_partitions_hold_every_user_and_room_once() -> None:
    plans = [plan_partition(103, 17, Partition(i, 4), "x", seed=7) for i in range(4)]

    assert sum(len(p.usernames) for p in plans) == 103
    assert len({name for p in plans for name in p.usernames}) == 103
    assert sum(len(p.rooms) for p in plans) == 17
    for plan in plans:
        for room in plan.rooms:
            assert 3 <= len(room.members) <= 8
            assert len(set(room.members)) == len(room.members)
            assert all(0 <= m < len(plan.usernames) for m in room.members)
    assert plans[0] == plan_partition(103, 17, Partition(0, 4), "x", seed=7)


def test_a_partition_too_small_for_a_room_is_refused() -> None:
    with pytest.raises(ValueError, match="a room needs 3"):
        plan_partition(4, 2, Partition(0, 2), "x", seed=1)


def test_histogram_percentiles_within_two_percent() -> None:
    hist = Histogram()
    for ms in range(1, 1001):
        hist.add(ms * 1000.0)
    assert hist.percentile(50) == pytest.approx(500_000, rel=0.02)
    assert hist.percentile(99) == pytest.approx(990_000, rel=0.02)
    assert hist.summary_ms()["max"] == 1000.0
    again = Histogram.from_json(json.loads(json.dumps(hist.to_json())))
    assert again.percentile(95) == hist.percentile(95)


def partition_result(index: int, count: int, lose: int = 0, duplicate: int = 0) -> dict[str, Any]:
    """What a worker returns after sending 10 messages to a room of 3 (latency 5-14 ms)."""
    tracker = Tracker(f"lt t {index} ", [3])
    tracker.t0_ns = 100 * NS
    for k in range(10):
        sent_at = 100 * NS + k * NS // 10
        assert tracker.sent(0, sent_at) == k
        tracker.acked(k, {"ok": True, "seq": k + 1}, sent_at + 2_000_000)
        content = tracker.content(k, sent_at)
        for member in range(3 if k >= lose else 2):
            number = tracker.number_of(content, 0)
            tracker.delivered(number, 1 << member, sent_at + (5 + k) * 1_000_000)
    for _ in range(duplicate):
        tracker.delivered(0, 1, 200 * NS)
    return {
        "partition": index,
        "partitions": count,
        "users": 5,
        "rooms": 1,
        "memberships": 3,
        "offered_rate": 10.0,
        "start_ns": tracker.t0_ns,
        "measured_s": 1.0,
        "setup": {
            "signup_s": 0.5,
            "login_s": 0.5,
            "connect_s": 0.1,
            "connected": 5,
            "connect_failures": 0,
        },
        "counters": vars(tracker.counters),
        "totals": tracker.totals(),
        "persisted": {"persisted": 10, "persisted_unacked": 0, "acked_missing": 0},
        "storm": None,
        "first_error": None,
        "latency": tracker.latency.to_json(),
        "ack_latency": tracker.ack_latency.to_json(),
        "series": tracker.series.to_json(),
    }


def shard(index: int, shards: int, workers: int = 2, **faults: int) -> dict[str, Any]:
    count = shards * workers
    parts = [partition_result(index * workers + w, count, **faults) for w in range(workers)]
    config = {
        "scenario": "quick",
        "duration_s": 1.0,
        "rate": 40.0,
        "url": "http://x",
        "target": "minitalk",
    }
    processes = {
        "loadgen": {
            "pid": 1,
            "cpu_percent_avg": 10.0,
            "cpu_percent_max": 20.0,
            "cpu_s_total": 0.1,
            "rss_mb_max": 50.0,
            "rss_mb_end": 50.0,
        }
    }
    return shard_report(config, index, shards, parts, processes, {}, 0.0)


def test_shard_lines_from_pod_logs_merge_into_one_run(tmp_path: Path) -> None:
    for i in range(3):
        log = tmp_path / f"loadtest-{i}.log"
        log.write_text(f"progress...\n{LINE_KEY}{json.dumps(shard(i, 3))}}}\n")

    run = merge(read_shards(sorted(tmp_path.glob("*.log"))))

    assert run["shards"] == 3
    assert run["partitions"] == 6
    assert run["missing_partitions"] == []
    assert run["counters"]["sent"] == 60
    assert run["totals"]["expected"] == 180
    assert run["counters"]["delivered"] == 180
    assert run["totals"]["lost"] == 0
    assert run["latency_ms"]["count"] == 180
    assert run["latency_ms"]["p50"] == pytest.approx(9.0, rel=0.02)
    assert run["latency_ms"]["max"] == 14.0
    assert run["series"][0]["sent"] == 60
    assert set(run["processes"]) == {"shard0/loadgen", "shard1/loadgen", "shard2/loadgen"}
    assert run["setup"]["signup_per_s"] == 60.0
    assert verdict(run) == []


def test_merge_reports_loss_duplicates_and_a_missing_shard() -> None:
    run = merge([shard(0, 2, lose=2, duplicate=1)])

    assert run["totals"]["lost"] == 4
    assert run["counters"]["duplicated"] == 2
    assert run["missing_partitions"] == [2, 3]
    problems = verdict(run)
    assert "4 deliveries lost" in problems
    assert "2 deliveries duplicated" in problems


def test_merge_command_writes_the_report(tmp_path: Path) -> None:
    for i in range(2):
        (tmp_path / f"shard-{i}.json").write_text(json.dumps(shard(i, 2)))

    assert main(["merge", str(tmp_path), "--out", str(tmp_path / "merged")]) == 0

    report = json.loads((tmp_path / "merged" / "report.json").read_text())
    assert report["counters"]["sent"] == 40
    assert "PASS" in (tmp_path / "merged" / "report.md").read_text()
    assert (tmp_path / "merged" / "report.png").stat().st_size > 0
