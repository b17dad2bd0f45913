"""Reading room files as they are on disk: every line with its position, problems included."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
from minitalk_persister.roomfile import Line, decode_line, room_of_file

#: Bytes read at a time.
CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawLine:
    """One newline-terminated line of a file (``line`` None when it does not decode)."""

    offset: int
    data: bytes
    line: Line | None


@dataclass(frozen=True, slots=True)
class RoomFileName:
    room_id: str
    stream: str
    path: Path


def room_files(directory: Path) -> list[RoomFileName]:
    """The room files in ``directory`` (indexes and other files left out), sorted by name."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        named = room_of_file(path.name)
        if named is not None and path.is_file():
            found.append(RoomFileName(named[0], named[1], path))
    return found


def raw_lines(path: Path, chunk: int = CHUNK) -> Iterator[RawLine]:
    """Every whole line of the file in order; a torn last line (no newline) is left out."""
    offset = 0
    for data in _whole_lines(path, chunk):
        try:
            line: Line | None = decode_line(data)
        except msgspec.DecodeError:
            line = None
        yield RawLine(offset, data, line)
        offset += len(data)


def lines(path: Path, chunk: int = CHUNK) -> Iterator[Line]:
    """The decodable whole lines of a file, in order."""
    for raw in raw_lines(path, chunk):
        if raw.line is not None:
            yield raw.line


def torn_tail(path: Path) -> int:
    """Bytes after the last newline (a line cut by a crash), 0 when the file ends whole."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb") as f:
        end = size
        while end > 0:
            start = max(0, end - CHUNK)
            chunk = os.pread(f.fileno(), end - start, start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                return size - (start + i + 1)
            end = start
    return size


def _whole_lines(path: Path, size: int) -> Iterator[bytes]:
    """Lines read ``size`` bytes at a time, with no file handle held between reads (so many
    files can be read side by side)."""
    offset = 0
    rest = b""
    while True:
        with path.open("rb") as f:
            chunk = os.pread(f.fileno(), size, offset)
        if not chunk:
            return
        offset += len(chunk)
        data = rest + chunk
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            yield data[start : end + 1]
            start = end + 1
        rest = data[start:]
