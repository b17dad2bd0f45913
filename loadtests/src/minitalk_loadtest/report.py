"""The run's outputs: report.json (everything), report.md (the summary) and report.png
(throughput and delivery latency per second, and the processes' CPU)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import overload
from .results import verdict


def write_all(run: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "plot": out_dir / "report.png",
    }
    paths["json"].write_text(json.dumps(run, indent=1) + "\n")
    paths["markdown"].write_text(markdown(run))
    plot(run, paths["plot"])
    return paths


def _rows(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def section(run: dict[str, Any], title: str) -> list[str]:
    cfg, c, t = run["config"], run["counters"], run["totals"]
    lat, ack, tp, setup = run["latency_ms"], run["ack_latency_ms"], run["throughput"], run["setup"]
    persisted = run.get("persisted") or {}
    problems = verdict(run)
    lines = [
        f"## {title}",
        "",
        f"{cfg['target']} `{cfg['scenario']}`: {run['users']} users, {run['rooms']} rooms "
        f"({run['memberships']} memberships), {cfg['duration_s']:g} s at {cfg['rate']:g} msgs/s "
        f"offered, {run['partitions']} partitions on {run['shards']} shard(s), url {cfg['url']}",
        "",
        "**" + ("PASS: nothing lost or duplicated" if not problems else "; ".join(problems)) + "**",
        "",
    ]
    lines += _rows(
        ["sent", "acked", "expected deliveries", "delivered", "lost", "duplicated", "persisted"],
        [
            [
                c["sent"],
                c["acked"],
                t["expected"],
                c["delivered"],
                t["lost"],
                c["duplicated"],
                persisted.get("persisted", "-"),
            ]
        ],
    )
    lines += [""]
    lines += _rows(
        ["", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [
            ["delivery latency", lat["p50"], lat["p95"], lat["p99"], lat["max"]],
            ["ack latency", ack["p50"], ack["p95"], ack["p99"], ack["max"]],
        ],
    )
    lines += [
        "",
        f"Throughput: {tp['sent_per_s']} msgs/s sent, {tp['acked_per_s']} acked/s, "
        f"{tp['delivered_per_s']} deliveries/s (acks and deliveries over the {tp['span_s']:g} s "
        "until the last one arrived).",
    ]
    steps = [s for s in ("signup", "login", "rooms", "connect") if f"{s}_s" in setup]
    done = ", ".join(f"{s} {setup[f'{s}_s']} s ({setup[f'{s}_per_s']}/s)" for s in steps)
    lines += [
        "",
        f"Set-up: {done}; {setup['connected']} sockets connected, "
        f"{setup['connect_failures']} failed.",
    ]
    if run.get("storm"):
        s = run["storm"]
        lines += [
            "",
            f"Reconnect storm at {s['at_s']:g} s: {s['dropped']} sockets dropped, "
            f"{s['reconnected']} back in {s['reconnect_s']} s, caught up in "
            f"{s['recovery_s']} s; {c['recovered']} deliveries recovered from history, "
            f"{t['lost']} missed after catch-up; {s.get('resent', 0)} sends whose ack the drop "
            "cut off were sent again (same clientMsgId).",
        ]
    if run["processes"]:
        lines += [
            "",
            "Processes during the send window (CPU 100% = one core; waiting for CPU = runnable "
            "but not running, main thread):",
            "",
        ]
        lines += _rows(
            [
                "process",
                "CPU avg %",
                "CPU max %",
                "waiting for CPU %",
                "RSS max MB",
                "RSS KB per socket",
            ],
            [
                [
                    name,
                    p["cpu_percent_avg"],
                    p["cpu_percent_max"],
                    p.get("cpu_wait_percent_avg", "-"),
                    p["rss_mb_max"],
                    p.get("rss_kb_per_socket", "-"),
                ]
                for name, p in run["processes"].items()
            ],
        )
    if run["config"].get("phases"):
        lines += ["", *overload.section(run)]
    if run.get("first_errors"):
        lines += ["", "First errors: " + "; ".join(f"`{e}`" for e in run["first_errors"])]
    return [*lines, ""]


def markdown(run: dict[str, Any]) -> str:
    lines = ["# MiniTalk load test", ""]
    lines += section(run, "MiniTalk")
    ceiling = run.get("ceiling")
    if ceiling:
        lines += section(ceiling, "Ceiling: bare python-socketio server")
        lines += [f"MiniTalk delivered {run['ceiling_ratio']:.2f}x the ceiling's deliveries/s.", ""]
    return "\n".join(lines)


def plot(run: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = run["series"]
    t = [s["t"] for s in series]
    fig, axes = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
    cfg = run["config"]
    axes[0].set_title(f"{cfg['scenario']}: {run['users']} users, {cfg['rate']:g} msgs/s offered")
    for key in ("sent", "acked", "delivered"):
        axes[0].plot(t, [s[key] for s in series], label=f"{key}/s")
    axes[0].set_ylabel("per second")
    axes[0].legend()
    for key in ("p50_ms", "p95_ms", "p99_ms"):
        axes[1].plot(t, [s[key] for s in series], label=key.replace("_ms", ""))
    axes[1].set_ylabel("delivery latency (ms)")
    axes[1].set_yscale("log")
    axes[1].legend()
    start = run.get("started_at", 0.0)
    for name, samples in run.get("process_series", {}).items():
        if samples:
            axes[2].plot([s[0] - start for s in samples], [s[1] for s in samples], label=name)
    axes[2].set_ylabel("CPU % (100 = one core)")
    axes[2].set_xlabel("seconds since sending started")
    axes[2].set_xlim(left=min(t, default=0) - 1, right=max(t, default=0) + 1)
    if axes[2].lines:
        axes[2].legend(fontsize="small", ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
