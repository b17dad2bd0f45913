"""Client mistakes in the log: one line each, no traceback, at most N lines per socket a minute.

A malformed frame, a binary packet or an event over its budget is the client's doing: the log
says what and who in one line. A client that makes mistakes on purpose would otherwise write the
log for us; past ``per_minute`` lines in a socket's current minute the rest are only counted,
and the next line of that socket (or its disconnect) says how many were left out.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("minitalk.realtime.mistakes")

WINDOW_S = 60.0


class Mistakes:
    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        #: socket id -> (start of its window, lines logged in it, mistakes left out)
        self._windows: dict[str, tuple[float, int, int]] = {}

    def note(self, sid: str, what: str, *args: object) -> None:
        """Log ``what % args`` for socket ``sid``, unless it is over its lines this minute."""
        now = time.monotonic()
        start, lines, left_out = self._windows.get(sid, (now, 0, 0))
        if now - start >= WINDOW_S:
            self._summary(sid, left_out)
            start, lines, left_out = now, 0, 0
        if lines >= self._per_minute:
            self._windows[sid] = (start, lines, left_out + 1)
            return
        self._windows[sid] = (start, lines + 1, left_out)
        log.warning("client %s: " + what, sid, *args)

    def forget(self, sid: str) -> None:
        """The socket is gone: say how many of its mistakes were not logged."""
        _, _, left_out = self._windows.pop(sid, (0.0, 0, 0))
        self._summary(sid, left_out)

    @staticmethod
    def _summary(sid: str, left_out: int) -> None:
        if left_out:
            log.warning("client %s: %d more mistakes not logged", sid, left_out)
