"""The runner's restart policy: a process that exits on its own is started again, after a delay
that doubles with each crash; one that keeps crashing stops the runner.

Why: a crash of one service should cost its users seconds, not the whole system (Docker Compose
and Kubernetes restart a crashed container too), but a service that cannot start - a port in
use, a broken setting - must not be restarted forever behind a scrolling log. The delay spares
the machine and the other processes a tight restart loop; the crash window makes an occasional
crash (once an hour) free while a crash loop (five within a minute) ends the run with its reason.

A restarted process that is alive but not ready (its /healthz 200, its /readyz 503: the persister
on a full disk) is not a crash: killing it would not free the disk, and counting it would stop
MiniTalk for a condition the operator fixes outside it. It is left running, said once
("alive, not ready: <reason>"), and "is back" when its /readyz says 200.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .processes import Proc, describe_exit, never


@dataclass(frozen=True)
class RestartPolicy:
    #: Crashes of one process within ``window_s`` that make the runner give up.
    max_crashes: int = 5
    window_s: float = 60.0
    #: Delay before the first restart; it doubles with each crash in the window, up to the max.
    first_delay_s: float = 0.5
    max_delay_s: float = 10.0
    #: A restarted process that is not ready after this long is killed and counts as crashed
    #: again, unless it answers its /healthz: alive, not ready, it is left running (said once).
    ready_timeout_s: float = 60.0

    def delay(self, crashes: int) -> float:
        return min(self.first_delay_s * 2.0 ** (crashes - 1), self.max_delay_s)


@dataclass
class _Watched:
    proc: Proc
    state: str = "up"  # up | waiting (to be restarted) | starting (not ready yet)
    crashes: list[float] = field(default_factory=list)
    exited_at: float = 0.0
    restart_at: float = 0.0
    next_probe: float = 0.0
    said_not_ready: bool = False  # "alive, not ready" said since the last restart


class Supervisor:
    """Watches ``procs`` (all running and ready when it starts); call ``tick()`` often."""

    def __init__(
        self,
        procs: Sequence[Proc],
        say: Callable[[str], None],
        policy: RestartPolicy,
        stopping: Callable[[], bool] = never,
    ) -> None:
        self.watched = [_Watched(p) for p in procs]
        self.say = say
        self.policy = policy
        #: Checked before every restart: a process that exits because the whole system is being
        #: stopped (systemd's KillMode=control-group signals every process) is not restarted.
        self.stopping = stopping

    def tick(self) -> str | None:
        """Restart what has exited; return why the runner must stop, if it must."""
        now = time.monotonic()
        for w in self.watched:
            if self.stopping():
                return None
            proc = w.proc
            if w.state == "waiting":
                if now >= w.restart_at:
                    proc.start()
                    w.state, w.next_probe, w.said_not_ready = "starting", now, False
                    self.say(f"{proc.name} restarted (pid {proc.pid}), waiting until it serves")
            elif not proc.alive():
                reason = self._exited(w, now)
                if reason is not None:
                    return reason
            elif w.state == "starting" and now >= w.next_probe:
                if proc.ready():
                    w.state = "up"
                    self.say(
                        f"{proc.name} is back (pid {proc.pid}): serving again "
                        f"{time.monotonic() - w.exited_at:.1f} s after it exited"
                    )
                elif now - proc.started_at > self.policy.ready_timeout_s:
                    reason = proc.not_ready_reason()
                    if reason is not None:
                        self._not_ready(w, reason, now)
                        continue
                    self.say(
                        f"{proc.name} not ready {self.policy.ready_timeout_s:.0f} s after its "
                        "restart: killing it"
                    )
                    proc.kill()
                    return self._exited(w, time.monotonic())
                else:
                    w.next_probe = now + 0.2
        return None

    def _not_ready(self, w: _Watched, reason: str, now: float) -> None:
        """Alive, not ready: left running, probed every second, said once."""
        if not w.said_not_ready:
            w.said_not_ready = True
            self.say(
                f"{w.proc.name} alive, not ready: {reason} (pid {w.proc.pid}; left running, "
                "not counted as a crash; it is back when it serves)"
            )
        w.next_probe = now + 1.0

    def _exited(self, w: _Watched, now: float) -> str | None:
        proc, policy = w.proc, self.policy
        code = proc.returncode
        proc.reap()
        w.crashes = [t for t in w.crashes if now - t < policy.window_s] + [now]
        w.exited_at = now
        how = describe_exit(code)
        if len(w.crashes) >= policy.max_crashes:
            return (
                f"{proc.name} exited {len(w.crashes)} times within {policy.window_s:.0f} s "
                f"(the last time with {how}): it keeps crashing, so MiniTalk stops"
            )
        delay = policy.delay(len(w.crashes))
        w.state, w.restart_at = "waiting", now + delay
        self.say(
            f"{proc.name} exited unexpectedly with {how}; restarting it in {delay:.1f} s "
            f"(crash {len(w.crashes)} within {policy.window_s:.0f} s; "
            f"the runner stops at {policy.max_crashes})"
        )
        return None
