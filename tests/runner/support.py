"""The runner as a user starts it: `./taskw up` (or `uv run minitalk-local up`) in its own
session on free ports with a temporary data dir, its output in a file, its process tree read
from /proc - so a test can signal it as a terminal, task, systemd or docker would."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from minitalk_local.edge import ROOT
from minitalk_local.processes import free_block

from ..chat_clients import ChatClient, bearer, signup_login

TASKW = ("./taskw", "up")
UV_RUN = (str(ROOT / ".tools" / "venv" / "bin" / "uv"), "run", "--frozen", "minitalk-local", "up")
#: What the runner promises: every process gone within MINITALK_STOP_GRACE_S (10 s) of a stop.
GRACE_S = 10.0


def tree(root: int) -> dict[int, str]:
    """``root`` and every process below it: pid -> command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            found[pid] = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode()
        except OSError:
            continue
        todo += children.get(pid, [])
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Runner:
    def __init__(self, workdir: Path, argv: Sequence[str] = TASKW, **env: str) -> None:
        self.workdir = workdir
        self.argv = list(argv)
        self.http_port = free_block([0])
        self.nats_port = free_block([0, 1, 2, 10, 11, 12])
        self.base_port = free_block([i + 10 * k for i in range(4) for k in range(3)])
        self.env = {
            **os.environ,
            "MINITALK_HTTP_PORT": str(self.http_port),
            "MINITALK_NATS_PORT": str(self.nats_port),
            "MINITALK_BASE_PORT": str(self.base_port),
            "MINITALK_DATA_DIR": str(workdir / "data"),
            "MINITALK_BCRYPT_COST": "4",
            **env,
        }
        self.log = workdir / "runner.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self.seen: dict[int, str] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> Runner:
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, like a terminal's job
            )
        return self

    @property
    def leader(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_log(self, pattern: str, timeout: float = 90.0, after: int = 0) -> re.Match[str]:
        """The first line matching ``pattern`` after character ``after`` of the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text()[after:], re.MULTILINE)
            if found:
                self.snapshot()
                return found
            assert self.popen is not None
            if self.popen.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} in the runner's log:\n{self.text()[-4000:]}")

    def wait_up(self, timeout: float = 120.0) -> Runner:
        self.wait_log(r"MiniTalk is up", timeout)
        return self

    def snapshot(self) -> dict[int, str]:
        """The process tree now, remembered for the clean-up and the "all gone" checks."""
        now = tree(self.leader)
        self.seen.update(now)
        return now

    def pid_of(self, name: str) -> int:
        """The current pid of ``name`` as the runner logged it (at start or at a restart)."""
        pattern = rf"(?:[ (]{re.escape(name)} \(pid |\| {re.escape(name)} restarted \(pid )(\d+)\)"
        found = list(re.finditer(pattern, self.text()))
        assert found, f"{name} has no pid in the log"
        return int(found[-1].group(1))

    @property
    def runner_pid(self) -> int:
        (pid,) = [p for p, cmd in self.snapshot().items() if "bin/minitalk-local up" in cmd]
        return pid

    def survivors(self, timeout: float) -> dict[int, str]:
        """Wait up to ``timeout`` s for every process ever seen in the tree to be gone."""
        deadline = time.monotonic() + timeout
        while True:
            left = {p: c for p, c in self.seen.items() if running(p)}
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.1)

    def cleanup(self) -> None:
        for pid in self.seen:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(10)


async def chat_works(url: str, tag: str, timeout: float = 60.0) -> None:
    """A new user signs up and logs in, makes a room with a friend, both connect a socket; a
    message is acked, reaches the friend live and is in history. Retried until ``timeout``
    while the system heals; the last failure is raised."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            await _chat_once(url, f"{tag}{attempt}")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await _pause()


async def _pause() -> None:
    await asyncio.sleep(0.5)


async def _chat_once(url: str, tag: str) -> None:
    alice, bob = f"a_{tag}_{os.getpid()}", f"b_{tag}_{os.getpid()}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        ta, tb = await signup_login(http, alice), await signup_login(http, bob)
        made = await http.post(
            "/api/chatrooms", json={"name": tag, "participants": [bob]}, headers=bearer(ta)
        )
        assert made.status_code == 201, made.text
        rid = made.json()["roomId"]
        a = await ChatClient(alice, ta).connect(url)
        b = await ChatClient(bob, tb).connect(url)
        try:
            ack = await a.send(rid, f"hello from {tag}")
            assert ack["ok"] is True, ack
            await b.wait_for_count(rid, 1, timeout=10)
            deadline = time.monotonic() + 10
            while True:
                page = await http.get(f"/api/chatrooms/{rid}/messages", headers=bearer(tb))
                if page.status_code == 200 and [m["id"] for m in page.json()] == [ack["id"]]:
                    break
                assert time.monotonic() < deadline, page.text
                await _pause()
        finally:
            await a.close()
            await b.close()
