"""Reading a room's messages through its index: binary searches and a few positioned reads.

A page costs O(log n) reads of 8 bytes plus one read of its records and one of its lines, so a
room of a million messages answers as fast as a room of ten.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from types import TracebackType

from .roomfile import RECORD, SEQ_FIELD, TIME_FIELD, IndexRecord, Line, decode_line

_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")


class RoomReader:
    """Reads the first ``count`` index records of a room and the lines they point at."""

    def __init__(self, path: Path, index_path: Path, count: int) -> None:
        self.count = count
        self._fd = os.open(path, os.O_RDONLY) if count else -1
        self._index_fd = os.open(index_path, os.O_RDONLY) if count else -1

    def __enter__(self) -> RoomReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._fd, self._index_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._index_fd = -1

    def first_seq_above(self, seq: int) -> int:
        """Position of the first message whose seq is above ``seq`` (``count`` if none)."""
        return self._bisect(SEQ_FIELD, _U64, seq + 1)

    def first_seq_from(self, seq: int) -> int:
        """Position of the first message whose seq is at least ``seq``."""
        return self._bisect(SEQ_FIELD, _U64, seq)

    def first_time_from(self, time_us: int) -> int:
        """Position of the first message whose time key is at least ``time_us``."""
        return self._bisect(TIME_FIELD, _I64, time_us)

    def _bisect(self, field: int, fmt: struct.Struct, value: int) -> int:
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            raw = os.pread(self._index_fd, fmt.size, mid * RECORD.size + field)
            if fmt.unpack(raw)[0] < value:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def records(self, lo: int, hi: int) -> list[IndexRecord]:
        """Index records ``lo`` (inclusive) to ``hi`` (exclusive), in one read."""
        if lo >= hi:
            return []
        raw = os.pread(self._index_fd, (hi - lo) * RECORD.size, lo * RECORD.size)
        return [IndexRecord._make(fields) for fields in RECORD.iter_unpack(raw)]

    def lines(self, records: list[IndexRecord]) -> list[Line]:
        """The lines of ``records`` (in file order), read as one span."""
        if not records:
            return []
        start = records[0].offset
        span = os.pread(self._fd, records[-1].end - start, start)
        return [decode_line(span[r.offset - start : r.end - start]) for r in records]
