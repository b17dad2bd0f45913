"""The scenarios of the original load test and the settings of one run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    users: int
    rooms: int
    duration_s: float
    #: messages sent per second over the whole run (all shards); each reaches its 3-8 members.
    rate: float


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("quick", 30, 10, 30, 100),
        Scenario("medium", 100, 15, 60, 1000),
        Scenario("strong", 500, 20, 120, 1000),
        Scenario("extreme", 1000, 25, 180, 1000),
        Scenario("mega", 5000, 30, 300, 1000),
        Scenario("ultra", 10000, 35, 600, 1000),
    )
}


@dataclass(frozen=True)
class RunConfig:
    """Everything a worker process needs to drive its partitions (picklable)."""

    scenario: str
    url: str
    users: int
    rooms: int
    duration_s: float
    rate: float
    run_id: str
    seed: int = 1
    #: "minitalk" drives the real system; "ceiling" a bare python-socketio server (no auth, bus
    #: or storage) that only needs join_room and send_message; "original" the original MiniTalk
    #: Node server (same REST set-up; it acknowledges no send_message, so a send counts as
    #: acked once written, and its history is not paged, so nothing is checked as persisted).
    target: str = "minitalk"
    #: worker processes on this machine; each holds a partition.
    workers: int = 2
    #: seconds to wait after the last send for acks and deliveries.
    drain_s: float = 10.0
    #: REST timeout: a 1000-user login batch at bcrypt cost 12 takes minutes.
    http_timeout_s: float = 900.0
    ack_timeout_s: float = 30.0
    #: sockets opening at once per worker.
    connect_concurrency: int = 200
    #: drop every socket at this second of the run and reconnect them all (None: no storm).
    storm_at_s: float | None = None
    #: read every room's history at the end and count the acked messages it holds.
    verify_persisted: bool = True
    #: epoch seconds at which sending starts (shards on several machines start together).
    start_at: float = 0.0
    #: (msgs/s, seconds) offered one after the other instead of ``rate`` (``overload.py``).
    phases: tuple[tuple[float, float], ...] = ()

    def replace(self, **changes: object) -> RunConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
