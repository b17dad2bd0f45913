"""``minitalk-local up``: the whole system on this machine until Ctrl-C (or SIGTERM).

Settings (environment; the command line options override the first four):

- ``MINITALK_HTTP_PORT`` (3000) the edge, ``MINITALK_NATS_PORT`` (14222) nats-server (a cluster:
  that port and the next ones; routes from that port + 10), ``MINITALK_BASE_PORT`` (18001): the
  services, service ``i`` (auth, rooms, realtime, persister) process ``k`` on base + i + 10 k,
  ``MINITALK_DATA_DIR`` (``data``).
- ``MINITALK_AUTH_REPLICAS``, ``MINITALK_ROOMS_REPLICAS``, ``MINITALK_REALTIME_REPLICAS`` (1):
  processes of each behind the edge. ``MINITALK_PERSISTER_PARTITIONS`` (1): persister
  processes, one per partition (docs/deploy.md).
- ``MINITALK_NATS_CLUSTER`` (1): NATS servers; 3 (or 5) runs a JetStream cluster with every
  stream and bucket replicated on three servers (``MINITALK_STREAM_REPLICAS``).
- ``MINITALK_EDGE_WORKERS``: nginx workers; default one per CPU (at most 4), more when the
  open-files hard limit of a process (read at start) is too low for 15,000 sockets in fewer
  (``edge.EdgeLayout``); the ``MINITALK_EDGE_*`` limits: docs/security.md.
- ``MINITALK_STOP_GRACE_S`` (10): a stop (SIGINT/SIGTERM/SIGHUP) ends every process within
  this time - SIGTERM first, SIGKILL for what still runs; a second Ctrl-C a second later
  kills at once.
- ``MINITALK_RESTART_MAX`` (5) crashes of one process within ``MINITALK_RESTART_WINDOW_S`` (60)
  stop the runner; fewer are restarted after 0.5 s, 1 s, 2 s, ... (supervisor.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .edge import ROOT
from .processes import Interrupted, describe_exit, stop_together
from .stop_request import StopRequest
from .supervisor import RestartPolicy, Supervisor
from .system import Layout, LocalSystem, NatsCluster, NatsServer, Stack, int_env

#: How often the main loop looks at its children and at the stop request.
TICK_S = 0.1


class Say:
    """The runner's own lines, prefixed like its children's; quiet once nobody reads them."""

    def __init__(self) -> None:
        self.ok = True

    def __call__(self, text: str, prefix: str = "runner") -> None:
        if not self.ok:
            return
        try:
            for line in text.splitlines() or [""]:
                sys.stdout.write(f"{prefix:>10} | {line}\n" if prefix else line + "\n")
            sys.stdout.flush()
        except (OSError, ValueError):
            self.ok = False


def check_data_dir(data_dir: Path, nodes: int) -> None:
    """Refuse a data dir whose room files come from streams of another NATS shape: the new
    streams would start from sequence 1 under files that already hold later sequences."""
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / "nats-layout"
    want = "1 server" if nodes == 1 else f"cluster of {nodes}"
    have = marker.read_text().strip() if marker.exists() else None
    if have is None and (data_dir / "nats").exists():
        have = "1 server"
    if have is not None and have != want:
        raise RuntimeError(
            f"{data_dir} holds the data of a NATS {have}, not a {want}; its room files belong "
            "to those streams: use another MINITALK_DATA_DIR for this one"
        )
    marker.write_text(want + "\n")


def up(
    data_dir: Path,
    http_port: int,
    nats_port: int,
    base_port: int,
    layout: Layout | None = None,
) -> int:
    layout = layout or Layout.from_env()
    grace = float(os.environ.get("MINITALK_STOP_GRACE_S", 10))
    policy = RestartPolicy(
        max_crashes=int_env("MINITALK_RESTART_MAX", 5),
        window_s=float(os.environ.get("MINITALK_RESTART_WINDOW_S", 60)),
    )
    stop = StopRequest().install()
    say = Say()
    stack = Stack.create(
        data_dir,
        layout,
        nats_port=nats_port,
        cancelled=stop.requested,
        die_with_parent=True,
    )
    nats, system = stack.nats, stack.system
    code = 0
    try:
        check_data_dir(data_dir, layout.nats_nodes)
        stack.start(http_port, base_port)
        procs = stack.procs
        say(", ".join(f"{p.name} (pid {p.pid})" for p in procs), prefix="runner")
        say(f"\nMiniTalk is up: http://localhost:{http_port}  (Ctrl-C stops it)\n", prefix="")
        supervisor = Supervisor(procs, say, policy, stop.requested)
        while not stop.requested():
            reason = supervisor.tick()
            if reason is not None:
                say(reason)
                code = 1
                break
            time.sleep(TICK_S)
    except Interrupted:
        pass
    except (RuntimeError, TimeoutError) as exc:
        say(f"start-up failed: {exc}")
        code = 1
    finally:
        started = time.monotonic()
        why = f"{stop.name} received" if stop.requested() else "shutting down"
        say(f"{why}: stopping MiniTalk (at most {grace:.0f} s; Ctrl-C again to kill at once)")
        stopped = _stop(nats, system, grace, stop)
        left = [n for n, c in stopped.items() if c is None]
        summary = ", ".join(f"{n} {describe_exit(c)}" for n, c in stopped.items())
        say(f"stopped in {time.monotonic() - started:.1f} s: {summary}")
        if left:
            say(f"still running after SIGKILL: {', '.join(left)}")
    return code


def _stop(
    nats: NatsServer | NatsCluster, system: LocalSystem, grace: float, stop: StopRequest
) -> dict[str, int | None]:
    """The edge and the services first (they drain into NATS), then the NATS server(s)."""
    deadline = time.monotonic() + grace
    codes = stop_together(list(reversed(system.procs.values())), grace * 0.75, stop.forced)
    nodes = nats.procs
    left = max(deadline - time.monotonic(), 1.0)
    codes.update(stop_together(list(nodes), left, stop.forced))
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="minitalk-local",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("up", help="run nats-server, the services and the edge until Ctrl-C")
    cmd.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("MINITALK_DATA_DIR", ROOT / "data"))
    )
    cmd.add_argument("--http-port", type=int, default=int_env("MINITALK_HTTP_PORT", 3000))
    cmd.add_argument("--nats-port", type=int, default=int_env("MINITALK_NATS_PORT", 14222))
    cmd.add_argument("--base-port", type=int, default=int_env("MINITALK_BASE_PORT", 18001))
    args = parser.parse_args()
    sys.exit(up(args.data_dir.resolve(), args.http_port, args.nats_port, args.base_port))
