"""The services' output, kept in memory and in a file, so a failing case can name the log line
(the traceback's innermost MiniTalk frame and its exception) that the service wrote for it."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path

#: the last line of a traceback: ``package.module.SomeError: what``
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(: .*)?$")
#: a new log record (``12:34:56 rooms INFO ...``): the traceback before it has ended
_NEW_RECORD = re.compile(r"^\d\d:\d\d:\d\d ")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')


class LogTap(io.TextIOBase):
    """A ``Proc`` sink: every ``name | line`` a child process prints, numbered from 0."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file = path.open("a", encoding="utf-8")
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._shut = False

    def write(self, text: str) -> int:
        with self._lock:
            if self._shut:
                raise ValueError("the log tap is closed")  # what Proc expects of a closed sink
            self._file.write(text)
            self._lines.extend(text.splitlines())
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if not self._shut:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._shut = True
            self._file.close()
        super().close()

    def mark(self) -> int:
        with self._lock:
            return len(self._lines)

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return self._lines[mark:]

    def problem_since(self, mark: int, wait: float = 0.0) -> str:
        """One line for what went wrong in the services since ``mark`` ('' if nothing), waiting
        up to ``wait`` seconds for it to arrive (the output travels through a pipe)."""
        deadline = time.monotonic() + wait
        while True:
            found = describe_problem(self.since(mark))
            complete = found.count(" | ") >= 2 or (found and " ERROR " not in found)
            if complete or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)


def describe_problem(lines: list[str]) -> str:
    """``service: <ERROR line> | <innermost minitalk frame> | <exception line>`` of the first
    error in ``lines`` (for a chain of exceptions, the last one: what escaped); '' when they
    hold no ERROR line or traceback."""
    for i, line in enumerate(lines):
        name, _, text = line.partition(" | ")
        if " ERROR " not in text and not text.startswith("Traceback"):
            continue
        frame, exception, after_code = "", "", False
        for later in lines[i + 1 : i + 400]:
            later_name, _, later_text = later.partition(" | ")
            if later_name != name:
                continue
            if _NEW_RECORD.match(later_text):
                break
            match = _FRAME.match(later_text)
            if match and ("minitalk" in match["file"] or not frame):
                frame = f"{Path(match['file']).name}:{match['line']} in {match['func']}"
            elif after_code and _EXCEPTION.match(later_text):
                exception = later_text.strip()
            after_code = later_text.startswith(" ")
        parts = [f"{name.strip()}: {text.strip()[:200]}", frame, exception[:300]]
        return " | ".join(p for p in parts if p)
    return ""
