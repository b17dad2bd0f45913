"""For ``socket_memory.py``: in realtime, SIGUSR1 starts tracemalloc (the first time) and writes
a snapshot to ``$MINITALK_MEMSNAP_DIR/snap-<n>``, then appends a byte to ``.../done``."""

import itertools
import os
import signal
import sys

if os.environ.get("MINITALK_MEMSNAP_DIR") and any("minitalk_realtime" in a for a in sys.orig_argv):
    import tracemalloc

    _counter = itertools.count()

    def _dump(*_: object) -> None:
        import gc

        if not tracemalloc.is_tracing():
            tracemalloc.start(6)
        gc.collect()
        folder = os.environ["MINITALK_MEMSNAP_DIR"]
        tracemalloc.take_snapshot().dump(os.path.join(folder, f"snap-{next(_counter)}"))
        with open(os.path.join(folder, "done"), "a") as done:
            done.write("x")

    signal.signal(signal.SIGUSR1, _dump)
