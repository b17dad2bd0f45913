"""``python -m minitalk_loadtest [run|shard|merge|ceiling-server|clients] ...``

Without a command it runs ``shard`` when ``MINITALK_LOADTEST_SHARD`` is set (the Kubernetes
Indexed Job) and ``run`` otherwise. Every option also reads ``MINITALK_LOADTEST_<NAME>``.
See loadtests/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown

from . import limits, overload
from .config import SCENARIOS, RunConfig
from .report import section, write_all
from .results import LINE_KEY, merge, read_shards, verdict
from .runner import run_shard

COMMANDS = ("run", "shard", "merge", "ceiling-server", "clients")
DEFAULT_URL = "http://localhost:3000"


def env(name: str, default: Any = None) -> Any:
    return os.environ.get(f"MINITALK_LOADTEST_{name}", default)


def _load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario", nargs="?", default=env("SCENARIO", "quick"), choices=sorted(SCENARIOS)
    )
    parser.add_argument("--url", default=env("URL", DEFAULT_URL), help="the edge (one origin)")
    parser.add_argument("--users", type=int, default=env("USERS"))
    parser.add_argument("--rooms", type=int, default=env("ROOMS"))
    parser.add_argument("--duration", type=float, default=env("DURATION"), help="seconds")
    parser.add_argument("--rate", type=float, default=env("RATE"), help="msgs/s offered")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(env("WORKERS", 2)),
        help="worker processes on this machine",
    )
    parser.add_argument(
        "--reconnect-storm",
        nargs="?",
        type=float,
        const=-1.0,
        default=None,
        metavar="AT_S",
        help="drop every socket at AT_S (default: mid-run)",
    )
    parser.add_argument(
        "--target",
        choices=("minitalk", "original"),
        default=env("TARGET", "minitalk"),
        help="original: the original MiniTalk Node server at --url (loadtests/original/)",
    )
    parser.add_argument(
        "--phases",
        type=overload.parse_phases,
        default=None,
        metavar="RATE:S,...",
        help="offered rates one after the other, e.g. 4000:60,1000:30 (overload.py)",
    )
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument("--no-verify-persisted", action="store_true")
    parser.add_argument("--http-timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run-id", default=env("RUN_ID"))
    parser.add_argument(
        "--start-at",
        type=float,
        default=float(env("START_AT", 0)),
        help="epoch seconds at which all shards start sending",
    )
    parser.add_argument("--out", type=Path, default=env("RESULTS_DIR"))
    parser.add_argument("--no-live", action="store_true", help="no live table (plain log)")
    parser.add_argument(
        "--service-pid",
        action="append",
        default=[],
        metavar="NAME=PID",
        help="sample this process's CPU/RSS (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minitalk_loadtest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="a scenario from this machine (report + plot)")
    _load_options(run)
    run.add_argument(
        "--start-system",
        action="store_true",
        help="start MiniTalk on free ports (own nats-server) for this run",
    )
    run.add_argument("--bcrypt-cost", type=int, default=4, help="with --start-system")
    run.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="SERVICE",
        help="with --start-system: run SERVICE under pyinstrument",
    )
    run.add_argument(
        "--ceiling",
        action="store_true",
        help="then the same traffic against a bare python-socketio server",
    )
    shard = commands.add_parser("shard", help="shard INDEX of N; prints its report as a line")
    _load_options(shard)
    shard.add_argument("--index", type=int, default=int(env("SHARD", 0)))
    shard.add_argument("--shards", type=int, default=int(env("SHARDS", 1)))
    merge_cmd = commands.add_parser("merge", help="merge shard reports (files, logs or dirs)")
    merge_cmd.add_argument("paths", nargs="+", type=Path)
    merge_cmd.add_argument("--out", type=Path, default=Path("loadtests/results/merged"))
    server = commands.add_parser("ceiling-server", help="the bare python-socketio server")
    server.add_argument("--port", type=int, default=8090)
    clients = commands.add_parser("clients", help="python-socketio client vs the raw client")
    clients.add_argument("--count", type=int, default=1000)
    clients.add_argument("--messages", type=int, default=20)
    return parser


def config_of(args: argparse.Namespace) -> RunConfig:
    scenario = SCENARIOS[args.scenario]
    duration = args.duration if args.duration is not None else scenario.duration_s
    phases = args.phases or ()
    if phases:
        duration = overload.duration(phases)
    storm = args.reconnect_storm
    return RunConfig(
        scenario=args.scenario,
        url=args.url,
        users=int(args.users if args.users is not None else scenario.users),
        rooms=int(args.rooms if args.rooms is not None else scenario.rooms),
        duration_s=float(duration),
        rate=phases[0][0] if phases else float(scenario.rate if args.rate is None else args.rate),
        run_id=args.run_id or uuid.uuid4().hex[:6],
        seed=args.seed,
        workers=args.workers,
        drain_s=args.drain,
        http_timeout_s=args.http_timeout,
        storm_at_s=None if storm is None else (duration / 2 if storm < 0 else storm),
        verify_persisted=not args.no_verify_persisted and args.target == "minitalk",
        target=args.target,
        start_at=args.start_at,
        phases=phases,
    )


def _pids(pairs: Sequence[str]) -> dict[str, int]:
    found = {}
    for pair in pairs:
        name, _, pid = pair.partition("=")
        found[name] = int(pid)
    return found


def _out_dir(args: argparse.Namespace, cfg: RunConfig) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return args.out or Path("loadtests/results") / f"{stamp}-{cfg.scenario}-{cfg.run_id}"


def benchmark(
    cfg: RunConfig,
    out_dir: Path,
    start_system: bool = False,
    bcrypt_cost: int = 4,
    profile: Sequence[str] = (),
    ceiling: bool = False,
    service_pids: dict[str, int] | None = None,
    live: bool = True,
) -> dict[str, Any]:
    """A whole local run (optionally with its own system and the ceiling); the run report."""
    from .ceiling import ceiling_server
    from .system import local_system

    limits.raise_fd_limit()
    pids = dict(service_pids or {})
    with contextlib.ExitStack() as stack:
        if start_system:
            system_dir = out_dir / "system"
            started = stack.enter_context(local_system(system_dir, bcrypt_cost, profile=profile))
            cfg = cfg.replace(url=started.url)
            pids.update(started.pids)
        run = merge([run_shard(cfg, 0, 1, pids, live=live)])
    if profile:
        run["profiles"] = sorted(str(p) for p in (out_dir / "system").glob("profile-*.txt"))
    if ceiling:
        out_dir.mkdir(parents=True, exist_ok=True)
        with (out_dir / "ceiling.log").open("a") as log, ceiling_server(log) as (url, pid):
            bare = cfg.replace(url=url, target="ceiling", verify_persisted=False)
            run["ceiling"] = merge([run_shard(bare, 0, 1, {"ceiling": pid}, live=live)])
        bare_rate = run["ceiling"]["throughput"]["delivered_per_s"]
        run["ceiling_ratio"] = run["throughput"]["delivered_per_s"] / bare_rate if bare_rate else 0
    return run


def _finish(run: dict[str, Any], out_dir: Path) -> int:
    paths = write_all(run, out_dir)
    console = Console(stderr=True)
    console.print(Markdown("\n".join(section(run, "MiniTalk"))))
    if run.get("ceiling"):
        console.print(Markdown("\n".join(section(run["ceiling"], "Ceiling"))))
        console.print(f"MiniTalk / ceiling deliveries per second: {run['ceiling_ratio']:.2f}")
    console.print(f"report: {paths['markdown']}  json: {paths['json']}  plot: {paths['plot']}")
    return 1 if verdict(run) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if not args_in or args_in[0] not in (*COMMANDS, "-h", "--help"):
        args_in.insert(0, "shard" if env("SHARD") is not None else "run")
    args = build_parser().parse_args(args_in)
    if args.command == "ceiling-server":
        from .ceiling import serve

        limits.raise_fd_limit()
        serve(args.port)
        return 0
    if args.command == "clients":
        from .clientbench import compare

        print(json.dumps(compare(args.count, args.messages), indent=1))
        return 0
    if args.command == "merge":
        files: list[Path] = []
        for path in args.paths:
            files += (
                sorted(path.glob("*.json")) + sorted(path.glob("*.log"))
                if path.is_dir()
                else [path]
            )
        return _finish(merge(read_shards(files)), args.out)
    cfg = config_of(args)
    if cfg.target == "original" and getattr(args, "start_system", False):
        raise SystemExit("--target original: against --url (loadtests/original/run-original.sh)")
    out_dir = _out_dir(args, cfg)
    if args.command == "shard":
        limits.raise_fd_limit()
        shard = run_shard(cfg, args.index, args.shards, _pids(args.service_pid), not args.no_live)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"shard-{args.index}.json").write_text(json.dumps(shard) + "\n")
        print(LINE_KEY + json.dumps(shard) + "}", flush=True)
        alone = merge([shard])
        alone["missing_partitions"] = []  # the other shards' partitions
        return 1 if verdict(alone) else 0
    run = benchmark(
        cfg,
        out_dir,
        args.start_system,
        args.bcrypt_cost,
        args.profile,
        args.ceiling,
        _pids(args.service_pid),
        not args.no_live,
    )
    return _finish(run, out_dir)
