"""What a fuzz run counted and found, and the summary line printed at the end of the session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: Every tally of this session, in the order the suites ran (for the terminal summary).
TALLIES: list[Tally] = []


@dataclass(frozen=True)
class Finding:
    #: the endpoint or event, e.g. ``POST /api/chatrooms`` or ``socket send_message``
    where: str
    #: what a user would notice: ``500``, ``ack 'internal error'``, ``stuck socket``, ...
    symptom: str
    #: the input, shortened
    case: str
    #: what the service logged for it (``logtap.describe_problem``)
    log: str = ""


@dataclass
class Tally:
    name: str
    cases: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        TALLIES.append(self)

    def count(self, where: str, outcome: str) -> None:
        self.cases[where] += 1
        self.outcomes[outcome] += 1

    def find(self, finding: Finding) -> None:
        self.findings.append(finding)

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    @property
    def server_errors(self) -> int:
        """Answers that were a 5xx, or an ack/error event ``internal error``."""
        return sum(n for k, n in self.outcomes.items() if k[:1] == "5" or k == "internal error")

    def distinct(self) -> list[tuple[Finding, int]]:
        """One example per (where, symptom, exception line), with how often it happened."""
        groups: dict[tuple[str, str, str], list[Finding]] = {}
        for f in self.findings:
            groups.setdefault((f.where, f.symptom[:40], _signature(f.log)), []).append(f)
        return [(found[0], len(found)) for found in groups.values()]

    def summary(self) -> str:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"{self.name}: {self.total} cases, 5xx/internal error {self.server_errors}, "
            f"findings {len(self.findings)} "
            f"({len(self.distinct())} distinct) [{outcomes}]"
        )

    def report(self) -> str:
        lines = [self.summary()]
        for where, n in sorted(self.cases.items()):
            lines.append(f"  {where}: {n} cases")
        for finding, times in self.distinct():
            lines.append(f"  FOUND x{times} {finding.where}: {finding.symptom}")
            lines.append(f"      input: {finding.case}")
            if finding.log:
                lines.append(f"      log:   {finding.log}")
        return "\n".join(lines)


def _signature(log: str) -> str:
    """The innermost frame and the exception's type of a ``describe_problem`` line."""
    parts = log.split(" | ")
    if len(parts) < 2:
        return ""
    return " | ".join([*parts[1:-1], parts[-1].partition(":")[0]])
