"""CPU and memory of named processes (and their children) from /proc, sampled every second.

No psutil: ``/proc/<pid>/stat`` gives user+system CPU ticks and the parent pid,
``/proc/<pid>/status`` the resident set (VmRSS), ``/proc/<pid>/schedstat`` how long the main
thread sat runnable waiting for a CPU (on a shared machine: how starved the process was).
A name stands for a process and every descendant (nginx's workers, the load generator's worker
processes) that is not tracked under a name of its own (the services the generator started).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def stat_of(pid: int) -> tuple[int, int] | None:
    """(parent pid, CPU ticks user+system) of ``pid``, None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def run_delay_ns(pid: int) -> int:
    """Time the process's main thread spent runnable but waiting for a CPU (schedstat)."""
    try:
        return int((PROC / str(pid) / "schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def rss_kb(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            found = stat_of(int(entry.name))
            if found is not None:
                kids.setdefault(found[0], []).append(int(entry.name))
    return kids


def family(pid: int, kids: dict[int, list[int]], apart: set[int]) -> list[int]:
    """``pid`` and its descendants, leaving out the subtrees rooted at ``apart``."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += [kid for kid in kids.get(current, []) if kid not in apart]
    return found


def rss_mb_now(pids: dict[str, int]) -> dict[str, float]:
    """RSS of each named process (with its untracked descendants) right now, in MB."""
    kids = children_map()
    roots = set(pids.values())
    return {
        name: round(sum(rss_kb(p) for p in family(pid, kids, roots)) / 1024, 1)
        for name, pid in pids.items()
    }


@dataclass
class Track:
    pid: int
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    #: per sample: percent of the interval the main thread waited for a CPU.
    waits: list[float] = field(default_factory=list)
    last_delay: int = 0
    first_ticks: int | None = None
    last_ticks: int = 0
    last_time: float = 0.0

    def summary(self, since: float, until: float) -> dict[str, Any]:
        picked = [i for i, s in enumerate(self.samples) if since <= s[0] <= until]
        picked = picked or list(range(len(self.samples)))
        window = [self.samples[i] for i in picked]
        waits = [self.waits[i] for i in picked]
        cpu = [s[1] for s in window]
        rss = [s[2] for s in window]
        return {
            "pid": self.pid,
            "cpu_percent_avg": round(sum(cpu) / len(cpu), 1) if cpu else 0.0,
            "cpu_percent_max": round(max(cpu), 1) if cpu else 0.0,
            "cpu_s_total": round((self.last_ticks - (self.first_ticks or 0)) / TICKS, 2),
            "cpu_wait_percent_avg": round(sum(waits) / len(waits), 1) if waits else 0.0,
            "rss_mb_max": round(max(rss), 1) if rss else 0.0,
            "rss_mb_end": round(rss[-1], 1) if rss else 0.0,
        }


class Sampler:
    """Samples ``{name: pid}`` every ``interval`` seconds on a thread until stopped."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        self.tracks = {name: Track(pid) for name, pid in pids.items()}
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="procstat", daemon=True)

    def start(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        kids = children_map()
        now = time.time()
        roots = {track.pid for track in self.tracks.values()}
        for track in self.tracks.values():
            pids = family(track.pid, kids, roots)
            ticks = sum(s[1] for p in pids if (s := stat_of(p)) is not None)
            rss = sum(rss_kb(p) for p in pids) / 1024
            delay = run_delay_ns(track.pid)
            if track.first_ticks is None:
                track.first_ticks, track.last_ticks, track.last_time = ticks, ticks, now
                track.last_delay = delay
                continue
            elapsed = now - track.last_time
            cpu = 100.0 * (ticks - track.last_ticks) / TICKS / elapsed if elapsed > 0 else 0.0
            wait = (delay - track.last_delay) / 1e7 / elapsed if elapsed > 0 else 0.0
            track.samples.append((now, cpu, rss))
            track.waits.append(round(wait, 1))
            track.last_ticks, track.last_time, track.last_delay = ticks, now, delay

    def summary(self, since: float = 0.0, until: float = float("inf")) -> dict[str, Any]:
        """Per name: CPU % (100 = one core) and RSS over the samples in [since, until]."""
        return {name: t.summary(since, until) for name, t in self.tracks.items()}

    def series(self) -> dict[str, list[tuple[float, float, float]]]:
        return {name: t.samples for name, t in self.tracks.items()}
