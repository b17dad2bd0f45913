"""What the tool shows: progress bars on long reads and writes, tables, one-line messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: Progress is updated once per this many items (updating per item would cost more than the work).
STEP = 2000

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class Counter(Protocol):
    def __call__(self, n: int = 1) -> None: ...


class Meter(Protocol):
    """Hands out counters for long-running steps."""

    def counter(self, label: str, total: int | None) -> Counter: ...


class Quiet:
    """A meter that shows nothing."""

    def counter(self, label: str, total: int | None) -> Counter:
        return lambda n=1: None


class _Bar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task
        self._pending = 0

    def __call__(self, n: int = 1) -> None:
        self._pending += n
        if self._pending >= STEP:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._progress.advance(self._task, self._pending)
            self._pending = 0


class Bars:
    """A meter drawing one rich progress bar per step (on stderr)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._bars: list[_Bar] = []

    def counter(self, label: str, total: int | None) -> Counter:
        bar = _Bar(self._progress, self._progress.add_task(label, total=total))
        self._bars.append(bar)
        return bar

    def flush(self) -> None:
        for bar in self._bars:
            bar.flush()


@contextmanager
def bars() -> Iterator[Bars]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    meter = Bars(progress)
    with progress:
        try:
            yield meter
        finally:
            meter.flush()
