"""Every service stops cleanly on SIGTERM: exit code 0, so an orderly stop is no crash."""

from __future__ import annotations

from minitalk_local.system import SERVICES, LocalSystem


def test_every_service_exits_zero_on_sigterm(system: LocalSystem) -> None:
    system.start_all()
    codes = {name: system.procs[name].stop() for name in reversed(SERVICES)}
    assert codes == dict.fromkeys(reversed(SERVICES), 0)
