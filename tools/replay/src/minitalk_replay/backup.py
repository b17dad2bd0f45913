"""``backup``: what the room files do not hold, so that ``restore`` can bring a whole system back.

- ``users.jsonl``: the USERS stream (``UserRegistered``), one room-file line per event.
- ``credentials.jsonl``: auth's credentials bucket, one ``{"key","revision","value"}`` line per
  user, ``value`` the stored record as is (username, bcrypt hash, created_at: never a password).
- ``rooms/``: a copy of the room files' whole lines (``--rooms``, the default), so one folder
  holds everything; indexes are left out (the persister rebuilds them from the lines).

Each file is written to a temporary name, fsynced, then renamed: a backup is whole or absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import msgspec
from minitalk_common import credentials, events, subjects
from minitalk_persister.room import fsync_dir
from minitalk_persister.roomfile import encode_line, trace_id_of
from nats.js import JetStreamContext

from . import streams
from .console import Meter
from .files import raw_lines, room_files
from .streams import ReplayError, Stored

USERS = subjects.USERS_STREAM
USERS_FILE = "users.jsonl"
CREDENTIALS_FILE = "credentials.jsonl"
KV_STREAM = credentials.stream()
KV_PREFIX = credentials.subject_prefix()


class CredentialLine(msgspec.Struct, frozen=True):
    """One line of ``credentials.jsonl``."""

    key: str
    revision: int
    value: msgspec.Raw


_encoder = msgspec.json.Encoder()


@dataclass
class BackupTally:
    users: int = 0
    credentials: int = 0
    room_files: int = 0
    room_lines: int = 0


async def backup(
    js: JetStreamContext, out: Path, rooms_dir: Path | None, meter: Meter
) -> BackupTally:
    """Write the users, the credentials and (given ``rooms_dir``) the room files into ``out``."""
    tally = BackupTally()
    _prepare(out)
    with _atomic(out / USERS_FILE) as f:
        tally.users = await _users(js, f, meter)
    with _atomic(out / CREDENTIALS_FILE) as f:
        tally.credentials = await _credentials(js, f, meter)
    if rooms_dir is not None:
        tally.room_files, tally.room_lines = _copy_rooms(rooms_dir, out / "rooms", meter)
    return tally


def _prepare(out: Path) -> None:
    taken = [n for n in (USERS_FILE, CREDENTIALS_FILE, "rooms") if (out / n).exists()]
    if taken:
        raise ReplayError(f"{out} already holds a backup ({', '.join(taken)})")
    out.mkdir(parents=True, exist_ok=True)


async def _users(js: JetStreamContext, f: BinaryIO, meter: Meter) -> int:
    span = await streams.bounds(js, USERS)
    tick = meter.counter("USERS", span.messages)
    written = 0

    def take(msg: Stored) -> None:
        nonlocal written
        tick()
        try:
            event = events.decode(msg.data)
        except events.BadEvent:
            return  # no service can read it either
        f.write(encode_line(USERS, msg.seq, trace_id_of(msg.headers), event))
        written += 1

    await streams.read(js, USERS, subjects.all_of(USERS), take)
    return written


async def _credentials(js: JetStreamContext, f: BinaryIO, meter: Meter) -> int:
    span = await streams.bounds(js, KV_STREAM)
    tick = meter.counter("credentials", span.messages)
    written = 0

    def take(msg: Stored) -> None:
        nonlocal written
        tick()
        if (msg.headers or {}).get(credentials.KV_OPERATION) in ("DEL", "PURGE"):
            return
        key = msg.subject.removeprefix(KV_PREFIX)
        check_credential(key, msg.data)
        f.write(_encoder.encode(CredentialLine(key, msg.seq, msgspec.Raw(msg.data))) + b"\n")
        written += 1

    await streams.read(js, KV_STREAM, f"{KV_PREFIX}>", take, last_per_subject=True)
    return written


def check_credential(key: str, value: bytes) -> None:
    """A credential is a JSON record with a bcrypt hash; anything else is not backed up."""
    try:
        credentials.decode(value)
    except credentials.NotACredential as exc:
        raise ReplayError(f"credential {key!r} {exc}") from exc


def _copy_rooms(rooms_dir: Path, to: Path, meter: Meter) -> tuple[int, int]:
    named = room_files(rooms_dir)
    tick = meter.counter("room files", len(named))
    to.mkdir()
    lines = 0
    for one in named:
        with _atomic(to / one.path.name) as f:
            for raw in raw_lines(one.path):
                f.write(raw.data)
                lines += 1
        tick()
    fsync_dir(to)
    return len(named), lines


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        part.rename(path)
        fsync_dir(path.parent)
    finally:
        part.unlink(missing_ok=True)
