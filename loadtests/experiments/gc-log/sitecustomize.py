"""Log every full garbage collection of the realtime process and how long it paused it."""

import gc
import sys
import time
from pathlib import Path
from typing import Any

_started = [0.0]


def _is_realtime() -> bool:
    try:
        return b"minitalk_realtime" in Path("/proc/self/cmdline").read_bytes()
    except OSError:
        return False


def _gc_pause(phase: str, info: dict[str, Any]) -> None:
    if info["generation"] != 2:
        return
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _started[0]) * 1000
    sys.stderr.write(
        f"GCPAUSE gen2 {ms:.0f} ms at {time.time():.1f} collected={info['collected']}\n"
    )


if _is_realtime():
    gc.callbacks.append(_gc_pause)
