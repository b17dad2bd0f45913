"""The fuzz suites' system (nats-server, the four services, the nginx edge, as `./taskw up`
runs them) with the services' output tapped, the hypothesis profiles, and the summary line.

Profiles (``MINITALK_FUZZ_PROFILE``): ``ci`` (the default: derandomized, so every run sends the
same cases, and bounded to a few minutes on two cores) and ``deep`` (ten times the examples, a
random seed: for a local hunt). No shrinking: a run records every failing case and goes on, and
the test fails at its end with the list.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pytest
import requests
from hypothesis import HealthCheck, Phase, settings
from minitalk_local.system import LocalSystem, NatsServer

from .ledger import TALLIES
from .logtap import LogTap

_base = settings(
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
settings.register_profile("ci", parent=_base, max_examples=200, derandomize=True)
settings.register_profile("deep", parent=_base, max_examples=2000, derandomize=False)
settings.load_profile(os.environ.get("MINITALK_FUZZ_PROFILE", "ci"))

PASSWORD = "fuzz correct horse"


#: the users the suites fuzz as, signed up before any fuzzing: a run's many refused sign-ups
#: and logins must not trip a per-client limit on them
USERS = ("fzrest", "fzlogout", "fzpeer1", "fzpeer2", "fzsock", "fzsockpeer")


@dataclass
class FuzzStack:
    system: LocalSystem
    nats: NatsServer
    tap: LogTap
    #: role (``USERS``) -> (username, token)
    users: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.system.url

    def alive(self) -> list[str]:
        """The processes that died (empty when all are up)."""
        return [name for name, proc in self.system.procs.items() if not proc.alive()]

    def user(self, prefix: str) -> tuple[str, str]:
        """A new user signed up and logged in through the edge: (username, token)."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        body = {"username": name, "password": PASSWORD}
        made = requests.post(f"{self.url}/api/auth/signup", json=body, timeout=30)
        assert made.status_code == 201, made.text
        login = requests.post(f"{self.url}/api/auth/login", json=body, timeout=30)
        assert login.status_code == 200, login.text
        return name, str(login.json()["token"])


@pytest.fixture(scope="package")  # stopped once the fuzz suites are done
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStack]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    tap = LogTap(root / "services.log")
    sink = cast("IO[str]", tap)
    nats = NatsServer(store=root / "nats", sink=sink).start()
    system = LocalSystem(
        data_dir=root / "data",
        nats_url=nats.url,
        env={"MINITALK_ENV": "test", "MINITALK_BCRYPT_COST": "4"},
        sink=sink,
    )
    try:
        system.start_all()
        system.start_edge()
        stack = FuzzStack(system, nats, tap)
        stack.users = {role: stack.user(role) for role in USERS}
        yield stack
    finally:
        system.stop_all()
        nats.stop()
        print(f"fuzz: the services' output is in {tap.path}", file=sys.stderr)
        tap.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLIES:
        return
    terminalreporter.section("fuzz summary")
    for tally in TALLIES:
        terminalreporter.write_line(tally.report())
    cases = sum(t.total for t in TALLIES)
    fives = sum(t.server_errors for t in TALLIES)
    findings = sum(len(t.findings) for t in TALLIES)
    terminalreporter.write_line(
        f"fuzz total: {cases} cases, 5xx/internal error {fives}, findings {findings} "
        f"({' + '.join(f'{t.name} {t.total}' for t in TALLIES)})"
    )
