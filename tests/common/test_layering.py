"""How libs/common's modules depend on one another (issue 13): no cycle between telemetry and
metrics, and none of them reaching into a service."""

from __future__ import annotations

import subprocess
import sys


def imported_with(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_metrics_does_not_import_telemetry() -> None:
    """telemetry sets metrics up; metrics needs nothing of telemetry (no cycle, no shared state)."""
    assert "minitalk_common.telemetry" not in imported_with("minitalk_common.metrics")


def test_the_chat_contract_imports_no_service() -> None:
    loaded = imported_with("minitalk_common.chat.history, minitalk_common.chat.membership")
    assert not {m for m in loaded if m.startswith(("minitalk_rooms", "minitalk_persister"))}
