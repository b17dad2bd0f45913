"""Live progress while a run goes on (rich), from the workers' once-a-second ticks."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from .procstat import Sampler


class Progress:
    def __init__(self, title: str, enabled: bool, console: Console | None = None) -> None:
        self.title = title
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.ticks: dict[int, dict[str, Any]] = {}
        self.phase = "set-up"
        self.started = time.monotonic()
        self.previous: tuple[float, int, int, int] | None = None
        self.rates: tuple[float, ...] = (0.0, 0.0, 0.0)
        self.sampler: Sampler | None = None
        self._live: Live | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._live = Live(self.render(), console=self.console, refresh_per_second=2)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.started = time.monotonic()
        self.refresh()
        if not self.enabled:
            self.console.log(f"{self.title}: {phase}")

    def tick(self, partition: int, data: dict[str, Any]) -> None:
        self.ticks[partition] = data
        now = time.monotonic()
        sums = tuple(sum(t[k] for t in self.ticks.values()) for k in ("sent", "acked", "delivered"))
        if self.previous is not None and now - self.previous[0] >= 0.9:
            elapsed = now - self.previous[0]
            self.rates = tuple((sums[i] - self.previous[i + 1]) / elapsed for i in range(3))
            self.previous = (now, *sums)
        elif self.previous is None:
            self.previous = (now, *sums)
        self.refresh()

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render())

    def render(self) -> Table:
        table = Table(title=f"{self.title} - {self.phase} {time.monotonic() - self.started:.0f}s")
        for column in (
            "sent",
            "acked",
            "delivered",
            "sent/s",
            "delivered/s",
            "p99 ms",
            "sockets",
            "errors",
        ):
            table.add_column(column, justify="right")
        ticks = self.ticks.values()
        total = {
            k: sum(t[k] for t in ticks)
            for k in ("sent", "acked", "delivered", "connected", "errors")
        }
        p99 = max((t["p99_ms"] for t in ticks), default=0.0)
        table.add_row(
            str(total["sent"]),
            str(total["acked"]),
            str(total["delivered"]),
            f"{self.rates[0]:.0f}",
            f"{self.rates[2]:.0f}",
            f"{p99:.1f}",
            str(total["connected"]),
            str(total["errors"]),
        )
        if self.sampler is not None:
            table.caption = "  ".join(
                f"{n} {t.samples[-1][1]:.0f}%/{t.samples[-1][2]:.0f}MB"
                for n, t in self.sampler.tracks.items()
                if t.samples
            )
        return table
