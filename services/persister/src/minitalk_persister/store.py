"""The room files of this persister: the only writer of them, and the reader for history."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .history import HistoryMessage, HistoryQuery, read_page
from .reader import RoomReader
from .room import Appended, RoomFile
from .roomfile import Entry

log = logging.getLogger("minitalk.persister.store")


@dataclass
class Written:
    """What one batch write did."""

    rooms: int = 0
    written: int = 0
    skipped: int = 0
    fsyncs: int = 0

    def add(self, done: Appended) -> None:
        self.rooms += 1 if done.written else 0
        self.written += done.written
        self.skipped += done.skipped
        self.fsyncs += done.fsyncs


class RoomStore:
    """Appends batches room by room (in threads, in parallel) and reads history pages.

    Writes and room opening (which may repair a torn file) hold one lock; a history read works
    on the durable part of the files it saw when it started and needs no lock.
    """

    def __init__(self, directory: Path, cache_size: int = 10_000) -> None:
        self._dir = directory
        self._rooms: OrderedDict[str, RoomFile] = OrderedDict()
        self._cache_size = cache_size
        self._lock = asyncio.Lock()

    async def write(self, entries: Sequence[Entry]) -> Written:
        """Append every room's entries with one write and one fsync per file; raise on failure.

        A room that failed is forgotten, so its next use recovers it from its files.
        """
        groups: dict[str, list[Entry]] = {}
        for entry in entries:
            groups.setdefault(entry.room_id, []).append(entry)
        done = Written()
        async with self._lock:
            rooms = [await self._open(room_id) for room_id in groups]
            results = await asyncio.gather(
                *(asyncio.to_thread(room.append, groups[room.room_id]) for room in rooms),
                return_exceptions=True,
            )
            failures = []
            for room, result in zip(rooms, results, strict=True):
                if isinstance(result, BaseException):
                    self._rooms.pop(room.room_id, None)
                    failures.append(result)
                else:
                    done.add(result)
            self._trim()
        if failures:
            raise failures[0]
        return done

    async def history(self, query: HistoryQuery) -> list[HistoryMessage]:
        room = await self.room(query.room_id)
        return await asyncio.to_thread(_read, room.path, room.index_path, room.count, query)

    async def room(self, room_id: str) -> RoomFile:
        """The room's state, recovered from its files on first use."""
        cached = self._rooms.get(room_id)
        if cached is not None:
            return cached
        async with self._lock:
            return await self._open(room_id)

    async def _open(self, room_id: str) -> RoomFile:
        room = self._rooms.get(room_id)
        if room is None:
            room = await asyncio.to_thread(RoomFile.open, self._dir, room_id)
            self._rooms[room_id] = room
        self._rooms.move_to_end(room_id)
        return room

    def _trim(self) -> None:
        while len(self._rooms) > self._cache_size:
            self._rooms.popitem(last=False)


def _read(path: Path, index_path: Path, count: int, query: HistoryQuery) -> list[HistoryMessage]:
    with RoomReader(path, index_path, count) as reader:
        return read_page(reader, query)
