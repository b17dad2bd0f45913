"""CI's load test: the quick scenario, shortened to 10 s at a modest rate, against a system the
test starts on free ports, through the edge. Nothing may be lost or duplicated, and every
acknowledged message must be in history."""

from __future__ import annotations

from pathlib import Path

from minitalk_loadtest.cli import benchmark
from minitalk_loadtest.config import RunConfig
from minitalk_loadtest.report import write_all
from minitalk_loadtest.results import verdict


def test_quick_scenario_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    cfg = RunConfig(
        scenario="quick",
        url="",
        users=30,
        rooms=10,
        duration_s=10,
        rate=40,
        run_id="ci",
        workers=2,
    )

    run = benchmark(cfg, tmp_path, start_system=True, live=False)

    counters, totals = run["counters"], run["totals"]
    assert run["setup"]["connected"] == 30
    assert counters["sent"] >= 380
    assert counters["acked"] == counters["sent"]
    assert totals["expected"] >= 3 * counters["acked"]
    assert totals["lost"] == 0
    assert counters["duplicated"] == 0
    assert counters["unexpected"] == 0
    assert run["persisted"]["persisted"] == counters["acked"]
    assert run["persisted"]["acked_missing"] == 0
    assert verdict(run) == []
    assert {"realtime", "nats", "loadgen"} <= set(run["processes"])
    paths = write_all(run, tmp_path / "report")
    assert "PASS" in paths["markdown"].read_text()
    assert paths["plot"].stat().st_size > 0


def test_reconnect_storm_misses_nothing_after_catch_up(tmp_path: Path) -> None:
    cfg = RunConfig(
        scenario="quick",
        url="",
        users=30,
        rooms=10,
        duration_s=8,
        rate=30,
        run_id="storm",
        workers=1,
        storm_at_s=3,
        verify_persisted=False,
    )

    run = benchmark(cfg, tmp_path, start_system=True, live=False)

    storm = run["storm"]
    assert storm["dropped"] == 30
    assert storm["reconnected"] == 30
    assert run["totals"]["lost"] == 0  # every acked message reached every member, live or
    assert run["counters"]["duplicated"] == 0  # from history after the reconnect
    assert run["counters"]["acked"] > 0
    assert run["counters"]["failed"] == 0  # a send the drop cut off is sent again and acked
