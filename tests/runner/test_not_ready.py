"""A restarted process that is alive (/healthz 200) but not ready (/readyz 503, the persister on a
full disk) is neither killed nor counted as a crash: the runner says so once, and "is back" when
it serves. A real child process, real HTTP, the runner's own Supervisor."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from minitalk_local.processes import Proc, free_port
from minitalk_local.supervisor import RestartPolicy, Supervisor

#: /healthz 200; /readyz 503 "not ready: disk full ..." until the file ``argv[2]`` exists.
SERVICE = """
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        ready = os.path.exists(sys.argv[2])
        if self.path == "/healthz" or ready:
            code, body = 200, {"status": "ok"}
        else:
            code, body = 503, {"error": "not ready: disk full: no space left on /data"}
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def tick_for(supervisor: Supervisor, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert supervisor.tick() is None
        time.sleep(0.05)


def test_alive_but_not_ready_is_left_running_and_said_once(tmp_path: Path) -> None:
    port, ready_file = free_port(), tmp_path / "ready"
    base = f"http://127.0.0.1:{port}"
    proc = Proc(
        "persister",
        [sys.executable, "-c", SERVICE, str(port), str(ready_file)],
        sink=open(tmp_path / "out.log", "w"),  # noqa: SIM115 - closed below
        ready_url=f"{base}/readyz",
        alive_url=f"{base}/healthz",
    )
    said: list[str] = []
    policy = RestartPolicy(max_crashes=2, first_delay_s=0.1, ready_timeout_s=1.0)
    supervisor = Supervisor([proc], said.append, policy)
    try:
        ready_file.touch()
        proc.start().wait_ready(30)
        ready_file.unlink()  # the disk fills up; then the persister is killed
        proc.send(signal.SIGKILL)
        tick_for(supervisor, 4.0)  # four ready timeouts' worth
        restarted = [s for s in said if "restarted" in s]
        assert len(restarted) == 1, said
        assert proc.alive()
        not_ready = [s for s in said if "alive, not ready: disk full" in s]
        assert len(not_ready) == 1, said
        assert not any("killing" in s or "keeps crashing" in s for s in said), said

        ready_file.touch()  # space freed
        tick_for(supervisor, 2.0)
        assert any("persister is back" in s for s in said), said
        assert len(supervisor.watched[0].crashes) == 1  # the SIGKILL only
    finally:
        proc.kill()
        proc.reap()
        proc.sink.close()
