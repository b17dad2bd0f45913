"""``minitalk-local up``: the whole system on this machine until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from .edge import ROOT
from .system import SERVICES, LocalSystem, NatsServer


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def up(data_dir: Path, http_port: int, nats_port: int, base_port: int) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    nats = NatsServer(store=data_dir / "nats", port=nats_port).start()
    system = LocalSystem(data_dir=data_dir, nats_url=nats.url)
    system.ports.update({s: base_port + i for i, s in enumerate(SERVICES)})
    try:
        system.start_all(edge_port=http_port)
        print(f"\nMiniTalk is up: http://localhost:{http_port}  (Ctrl-C stops it)\n", flush=True)
        while not stop.wait(0.5):
            dead = [n for n, p in system.procs.items() if not p.alive()]
            if dead:
                print(f"stopped unexpectedly: {', '.join(dead)}; shutting down", file=sys.stderr)
                return 1
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"start-up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping MiniTalk...", flush=True)
        system.stop_all()
        nats.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="minitalk-local")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("up", help="run nats-server, the services and the edge until Ctrl-C")
    cmd.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("MINITALK_DATA_DIR", ROOT / "data"))
    )
    cmd.add_argument("--http-port", type=int, default=_int_env("MINITALK_HTTP_PORT", 3000))
    cmd.add_argument("--nats-port", type=int, default=_int_env("MINITALK_NATS_PORT", 14222))
    cmd.add_argument("--base-port", type=int, default=_int_env("MINITALK_BASE_PORT", 18001))
    args = parser.parse_args()
    sys.exit(up(args.data_dir.resolve(), args.http_port, args.nats_port, args.base_port))
