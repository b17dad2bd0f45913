"""Whether the room files can be written: what ``/readyz``, the metrics and the log say.

A consumer whose batch the disk refuses (ENOSPC, EDQUOT, EIO, ...) reports each failed attempt
here and retries the same batch; it reports success once it wrote again. The log gets one line
when a stream's writes start failing (or fail differently) and one when they work again, not one
per attempt.
"""

from __future__ import annotations

import errno
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from minitalk_common import metrics

log = logging.getLogger("minitalk.persister.disk")

#: Errors that mean "no space": the disk (or the quota) is full.
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass
class Failing:
    """A stream whose writes fail: since when, how often, and the last error."""

    error: OSError
    since: float
    attempts: int = 1


class DiskState:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._failing: dict[str, Failing] = {}

    def failed(self, stream: str, error: OSError, retry_in: float) -> None:
        """A write of ``stream``'s batch failed; it is retried in ``retry_in`` seconds."""
        name = errno.errorcode.get(error.errno or 0, "unknown")
        metrics.WRITE_ERRORS.add(1, {"messaging.destination.name": stream, "error.type": name})
        failing = self._failing.get(stream)
        if failing is not None and failing.error.errno == error.errno:
            failing.error = error
            failing.attempts += 1
            log.debug("%s: write failed again (%s), retry in %.1fs", stream, name, retry_in)
            return
        self._failing[stream] = Failing(error, time.monotonic())
        log.error(
            "%s: %s; nothing is acknowledged that is not written, retrying the batch "
            "(every %.1fs at first, growing)",
            *(stream, describe(self.directory, error), retry_in),
        )

    def written(self, stream: str) -> None:
        """A write of ``stream``'s batch worked: if it had been failing, it no longer is."""
        failing = self._failing.pop(stream, None)
        if failing is not None:
            log.warning(
                "%s: room files written again after %.1fs and %d failed attempts; catching up",
                *(stream, time.monotonic() - failing.since, failing.attempts),
            )

    def failing(self, stream: str) -> bool:
        return stream in self._failing

    def full(self) -> int:
        """1 while a stream's writes fail for lack of space, else 0 (the ``disk_full`` gauge)."""
        return int(any(f.error.errno in NO_SPACE for f in list(self._failing.values())))

    def readiness(self) -> str | None:
        """Why the process is not ready for its disk, or None."""
        for failing in list(self._failing.values()):
            return describe(self.directory, failing.error)
        return None


def describe(directory: Path, error: OSError) -> str:
    """``disk full: cannot write the room files in /data/rooms ([Errno 28] ...)``."""
    kind = "disk full" if error.errno in NO_SPACE else "disk error"
    reason = f"[Errno {error.errno}] {error.strerror}" if error.strerror else str(error)
    return f"{kind}: cannot write the room files in {directory} ({reason})"
