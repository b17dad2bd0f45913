"""A small tmpfs as the persister's rooms folder, and a filler file that leaves it almost full.

Mounting needs root on Linux, which the tests and CI have: a test that cannot mount fails (it
does not skip), so a disk-full test never passes without having filled a disk.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(path: Path, size: str = "2m") -> Iterator[Path]:
    """``path`` (created if missing) with a tmpfs of ``size`` mounted on it while inside."""
    path.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs on {path} (the disk-full tests need root on Linux): "
            f"{' '.join(mount)}: {done.stderr.strip() or done.returncode}"
        )
    try:
        yield path
    finally:
        unmount(path)


def unmount(path: Path) -> None:
    """Unmount ``path``; if something still uses it, detach it now (freed once unused)."""
    done = subprocess.run(["umount", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def free_bytes(directory: Path) -> int:
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


def fill(directory: Path, leave: int) -> Path:
    """A file ``filler`` taking all the free space of ``directory`` but about ``leave`` bytes."""
    filler = directory / "filler"
    size = max(0, free_bytes(directory) - leave)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)
    return filler
