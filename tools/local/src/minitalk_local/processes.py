"""Child processes with prefixed logs, readiness checks, restarts and clean stops."""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

#: ``prctl(PR_SET_PDEATHSIG, ...)``: Linux's "signal me when my parent dies".
_PR_SET_PDEATHSIG = 1


class Interrupted(Exception):
    """A wait was given up because the runner was told to stop."""


def never() -> bool:
    return False


#: Open files a process may want: every socket of a chat user is one in realtime and the edge.
WANTED_FDS = 65536


def raise_fd_limit(wanted: int = WANTED_FDS) -> int:
    """Lift this process's open-files limit (children inherit it): both limits to ``wanted``
    when the hard one is lower and may be raised, else the soft one to the hard one. The new
    soft limit. The load generator calls it too, so its system gets the same limits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        with contextlib.suppress(ValueError, OSError):  # not ours to raise: as far as it goes
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:``port`` (nothing listens there)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no obstacle
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


#: Where free ports are picked: below Linux's ephemeral range (32768-60999 by default). A port
#: from that range can be taken as the source port of any outgoing connection between the pick
#: and the service's bind ("address already in use": seen with two pytest workers), and a probe
#: of it before the bind can connect to itself.
PORT_RANGE = (20000, 32000)
_picker = random.Random()  # its own: a test that seeds the module's random must not make two
#: processes pick the same sequence
_given: set[int] = set()  # handed out by this process: not twice, even before their bind


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block(offsets: Sequence[int]) -> int:
    """A port p from PORT_RANGE with p + every offset free (nothing bound there) and none of
    them handed out by this process before (they are not, from now on). RuntimeError when no
    such block turned up."""
    low, high = PORT_RANGE
    top = high - max(offsets, default=0)
    for _ in range(500):
        base = _picker.randrange(low, top)
        ports = [base + offset for offset in offsets]
        if _given.isdisjoint(ports) and all(_bindable(port) for port in ports):
            _given.update(ports)
            return base
    raise RuntimeError("no free block of ports")


def free_port() -> int:
    """A port nothing listens on, from PORT_RANGE, not one this process has handed out
    before. The kernel's pick (the ephemeral range) when that range seems full."""
    with contextlib.suppress(RuntimeError):
        return free_block((0,))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        picked: int = s.getsockname()[1]
        return picked


def port_open(port: int) -> bool:
    """Whether something listens on ``port``. A connect to a port of the ephemeral range that
    nobody listens on can connect the socket to itself (TCP simultaneous open: the kernel
    picked the same port as the source): that is not it."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0 and not connected_to_itself(s)


def connected_to_itself(s: socket.socket) -> bool:
    """Whether the connected socket ``s`` is its own peer (a simultaneous open with itself)."""
    return bool(s.getsockname() == s.getpeername())


def http_ok(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    """Whether ``url`` answers 200, and what it answered otherwise (the reason a service's
    /readyz gives, ``{"error": "not ready: <reason>"}``, else the status)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200, f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, _reason(exc)
    except OSError as exc:
        return False, str(exc)
    except http.client.HTTPException as exc:  # e.g. a socket connected to itself (port_open)
        return False, f"{type(exc).__name__}: {exc}"


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read(4096)).get("error")
    except (OSError, ValueError, AttributeError):
        error = None
    if not isinstance(error, str) or not error:
        return f"HTTP {exc.code}"
    return error.removeprefix("not ready: ")


def wait_port(
    port: int,
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
    cancelled: Callable[[], bool] = never,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cancelled():
            raise Interrupted(f"stopped while waiting for port {port}")
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        if port_open(port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_http(
    url: str,
    timeout: float = 60.0,
    proc: subprocess.Popen[bytes] | None = None,
    cancelled: Callable[[], bool] = never,
) -> None:
    """Wait until ``url`` answers 200 (e.g. a service's /readyz)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if cancelled():
            raise Interrupted(f"stopped while waiting for {url}")
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was ready")
        ok, last = http_ok(url)
        if ok:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout}s ({last})")


def describe_exit(code: int | None) -> str:
    """``exit code 1`` or ``exit code -9 (SIGKILL)``."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"exit code {code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"exit code {code}"
    return f"exit code {code}"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Proc:
    """One child process whose output lines are copied to ``sink`` with a ``name |`` prefix.

    The child leads its own process group (a terminal's Ctrl-C reaches only the runner, which
    stops the children in order), and every signal goes to that whole group, so helpers it
    forks (nginx's workers) go with it. ``ready_url`` / ``ready_port`` say when it serves,
    ``alive_url`` (a service's /healthz) that it runs even while it does not serve.
    ``die_with_parent``: the kernel sends it SIGTERM if the thread that started it dies (the
    runner's main thread), so even a SIGKILLed runner leaves nothing behind (SIGTERM, not
    SIGKILL: nginx's master then stops its workers, the services drain).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        sink: IO[str] | None = None,
        log_file: Path | None = None,
        ready_url: str | None = None,
        ready_port: int | None = None,
        die_with_parent: bool = False,
        alive_url: str | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.sink = sink if sink is not None else sys.stdout
        self.log_file = log_file
        self.ready_url = ready_url
        self.ready_port = ready_port
        self.alive_url = alive_url
        self.die_with_parent = die_with_parent
        self.popen: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._pump: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> Proc:
        """Start the process (again, if it ran before and has exited)."""
        assert not self.alive(), f"{self.name} is already running"
        raise_fd_limit()
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        self.started_at = time.monotonic()
        self._pump = threading.Thread(target=self._copy, args=(self.popen,), daemon=True)
        self._pump.start()
        return self

    def _copy(self, popen: subprocess.Popen[bytes]) -> None:
        assert popen.stdout is not None
        log = self.log_file.open("a", encoding="utf-8") if self.log_file else None
        sink_ok = True
        try:
            for raw in popen.stdout:  # read to the end even when nobody listens any more,
                line = raw.decode(errors="replace").rstrip()  # or the child blocks on a full pipe
                if log is not None:
                    log.write(line + "\n")
                    log.flush()
                if sink_ok:
                    try:
                        self.sink.write(f"{self.name:>10} | {line}\n")
                        self.sink.flush()
                    except (ValueError, OSError):  # the sink was closed, or its reader is gone
                        sink_ok = False
        finally:
            popen.stdout.close()
            if log is not None:
                log.close()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def ready(self) -> bool:
        """Whether it serves now (one quick probe, no waiting)."""
        if not self.alive():
            return False
        if self.ready_url is not None:
            return http_ok(self.ready_url, timeout=1.0)[0]
        if self.ready_port is not None:
            return port_open(self.ready_port)
        return True

    def not_ready_reason(self) -> str | None:
        """Why it does not serve, when it answers ``alive_url`` but not ``ready_url`` (the
        persister on a full disk: /healthz 200, /readyz 503 "disk full"); None otherwise."""
        if self.alive_url is None or self.ready_url is None or not self.alive():
            return None
        if not http_ok(self.alive_url, timeout=1.0)[0]:
            return None
        ok, reason = http_ok(self.ready_url, timeout=1.0)
        return None if ok else reason

    def wait_ready(self, timeout: float = 60.0, cancelled: Callable[[], bool] = never) -> None:
        if self.ready_url is not None:
            wait_http(self.ready_url, timeout, self.popen, cancelled)
        elif self.ready_port is not None:
            wait_port(self.ready_port, timeout, self.popen, cancelled)

    def send(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process's group (to the process alone if the group is gone)."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            if self.popen.poll() is None:
                self.popen.send_signal(sig)
        except PermissionError:
            self.popen.send_signal(sig)

    def reap(self) -> None:
        """After an exit: kill what is left of its process group, wait for the log to end."""
        if self.popen is None:
            return
        self.send(signal.SIGKILL)
        if self._pump is not None:
            self._pump.join(2)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, then SIGKILL: the process's own clean shutdown first."""
        return self._signal(signal.SIGTERM, timeout)

    def kill(self) -> int | None:
        return self._signal(signal.SIGKILL, 10.0)

    def _signal(self, sig: signal.Signals, timeout: float) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.send(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send(signal.SIGKILL)
                self.popen.wait(5)
        self.reap()
        return self.popen.returncode


def stop_together(
    procs: Sequence[Proc], grace: float, forced: Callable[[], bool] = never
) -> dict[str, int | None]:
    """SIGTERM every one of ``procs`` at once, SIGKILL those still running after ``grace``
    seconds (or as soon as ``forced()``), and return their exit codes by name."""
    running = [p for p in procs if p.alive()]
    for proc in running:
        proc.send(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(p.alive() for p in running) and time.monotonic() < deadline and not forced():
        time.sleep(0.05)
    for proc in running:
        if proc.alive():
            proc.send(signal.SIGKILL)
    for proc in running:
        assert proc.popen is not None
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL cannot be refused
            proc.popen.wait(5)
        proc.reap()
    return {p.name: p.returncode for p in procs}
