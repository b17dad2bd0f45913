"""The room files of this persister: the only writer of them, and the reader for history."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from minitalk_common.chat.changes import Code, MessageState, Refused
from minitalk_common.chat.messages import Message

from .changes import is_purge
from .history import HistoryQuery, message_of, read_page
from .reader import RoomReader
from .room import Appended, RoomFile
from .roomfile import MESSAGES, SUFFIXES, Entry, decode_line
from .unread import RoomCounts

log = logging.getLogger("minitalk.persister.store")

#: Message ids (and their rooms) remembered from the writes, for "the message is in another
#: room": about 150 bytes each.
RECENT_IDS = 100_000


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


class WriteFailed(Exception):
    """A batch that did not reach the disk entirely.

    ``error`` is the first failure (an ``OSError`` when the disk refused: ENOSPC, EDQUOT, EIO);
    ``done`` is what the files that did not fail wrote.
    """

    def __init__(self, error: BaseException, done: Written) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = done


class RoomStore:
    """Appends batches file by file (in threads, in parallel) and reads history pages.

    Each stream's files have their own lock, held by writes and by opening a file (which may
    repair a torn end): the two streams' consumers never wait for each other. A history read
    works on the durable part of the files it saw when it started and needs no lock.
    """

    def __init__(self, directory: Path, cache_size: int = 10_000) -> None:
        self._dir = directory
        self._files: dict[str, OrderedDict[str, RoomFile]] = {s: OrderedDict() for s in SUFFIXES}
        self._locks = {stream: asyncio.Lock() for stream in SUFFIXES}
        self._cache_size = cache_size
        #: Unread counters of the rooms asked about lately (``unread.py``), at most cache_size.
        self._counts: OrderedDict[str, RoomCounts] = OrderedDict()
        #: message id -> room of the last ``RECENT_IDS`` messages written: a change asked in
        #: the wrong room is told so ("other room") rather than "unknown message".
        self._recent: OrderedDict[str, str] = OrderedDict()

    async def write(self, entries: Sequence[Entry]) -> Written:
        """Append every room's entries with one write and one fsync per file.

        Raises ``WriteFailed`` if a file could not be written: that file is back at its last
        good length (or, if even that failed, forgotten, so its next use recovers it from disk);
        the other files keep what they wrote, and a retry skips it.
        """
        groups: dict[tuple[str, str], list[Entry]] = {}
        for entry in entries:
            groups.setdefault((entry.stream, entry.room_id), []).append(entry)
        done = Written()
        failures: list[BaseException] = []
        for stream in sorted({stream for stream, _ in groups}):
            rooms = [room for s, room in groups if s == stream]
            async with self._locks[stream]:
                results = await asyncio.gather(
                    *(self._append(stream, room, groups[stream, room]) for room in rooms),
                    return_exceptions=True,
                )
                for room_id, result in zip(rooms, results, strict=True):
                    if isinstance(result, BaseException):
                        failures.append(result)
                    else:
                        done.add(result)
                        if stream == MESSAGES:
                            self._count(room_id, groups[stream, room_id])
                            self._remember(groups[stream, room_id])
                            if any(is_purge(e) for e in groups[stream, room_id]):
                                self._counts.pop(room_id, None)
                self._trim(stream)
        if failures:
            raise WriteFailed(failures[0], done) from failures[0]
        return done

    async def _append(self, stream: str, room_id: str, entries: list[Entry]) -> Appended:
        """Open (recover) the file if needed, then append, in a thread; the stream's lock held."""
        file = await self._open(stream, room_id)
        try:
            return await asyncio.to_thread(file.append, entries)
        except BaseException:
            if file.damaged:
                self._files[stream].pop(room_id, None)
            raise

    async def history(self, query: HistoryQuery) -> list[Message]:
        """A page, each message folded to its current state (``changes.py``): O(page)."""
        room = await self.changed_room(query.room_id)
        assert room.index_path is not None
        assert room.changes is not None
        page = await asyncio.to_thread(_read, room.path, room.index_path, room.count, query)
        return [room.changes.fold(message) for message in page]

    async def lookup(self, room_id: str, message_id: str) -> MessageState:
        """The current state of message ``message_id`` of ``room_id`` (``Refused`` when the
        room has no such message: ``other-room`` when another room this process holds has)."""
        room = await self.changed_room(room_id)
        assert room.changes is not None
        seq = room.changes.ids.get(message_id)
        found = await asyncio.to_thread(_message_at, room, seq) if seq is not None else None
        if found is None:
            if self._recent.get(message_id, room_id) != room_id:
                raise Refused(Code.OTHER_ROOM)
            for other in list(self._files[MESSAGES].values()):
                if other.changes is not None and message_id in other.changes.ids:
                    raise Refused(Code.OTHER_ROOM)
            raise Refused(Code.UNKNOWN)
        return room.changes.state(found)

    async def changed_room(self, room_id: str) -> RoomFile:
        """The room's chat log with its changes loaded (one scan of the file the first time,
        under the stream's lock: a write meanwhile would move the file under the scan)."""
        room = await self.room(room_id)
        if room.changes is None:
            async with self._locks[MESSAGES]:
                room = await self._open(MESSAGES, room_id)
                await asyncio.to_thread(room.load_changes)
        return room

    async def counts(self, room_id: str) -> RoomCounts:
        """The room's unread counters, built by one scan of its chat log on first use.

        The scan runs without the lock (a room of a million messages takes a second or two);
        what was appended meanwhile is read under it, and then each write keeps them current.
        """
        counts = self._counts.get(room_id)
        if counts is not None:
            self._counts.move_to_end(room_id)
            return counts
        counts = RoomCounts()
        room = await self.room(room_id)
        await asyncio.to_thread(counts.scan, room.path, room.size)
        async with self._locks[MESSAGES]:
            room = await self._open(MESSAGES, room_id)
            await asyncio.to_thread(counts.scan, room.path, room.size)
            self._counts[room_id] = counts
            while len(self._counts) > self._cache_size:
                self._counts.popitem(last=False)
        return counts

    def _remember(self, entries: list[Entry]) -> None:
        for entry in entries:
            if entry.sender is not None:
                self._recent[entry.event_id] = entry.room_id
        while len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)

    def _count(self, room_id: str, entries: list[Entry]) -> None:
        counts = self._counts.get(room_id)
        if counts is not None:
            counts.add_entries([e for e in entries if e.seq > counts.last_seq])

    async def room(self, room_id: str, stream: str = MESSAGES) -> RoomFile:
        """The room's file of ``stream``, recovered from disk on first use."""
        cached = self._files[stream].get(room_id)
        if cached is not None:
            return cached
        async with self._locks[stream]:
            return await self._open(stream, room_id)

    async def _open(self, stream: str, room_id: str) -> RoomFile:
        files = self._files[stream]
        room = files.get(room_id)
        if room is None:
            room = await asyncio.to_thread(RoomFile.open, self._dir, room_id, stream)
            files[room_id] = room
        files.move_to_end(room_id)
        return room

    def _trim(self, stream: str) -> None:
        files = self._files[stream]
        while len(files) > self._cache_size:
            files.popitem(last=False)


def _message_at(room: RoomFile, seq: int) -> Message | None:
    span = room.locate(seq)
    if span is None:
        return None
    with room.path.open("rb") as f:
        line = decode_line(os.pread(f.fileno(), span[1], span[0]))
    return message_of(line.seq, line.event)


def _read(path: Path, index_path: Path, count: int, query: HistoryQuery) -> list[Message]:
    with RoomReader(path, index_path, count) as reader:
        return read_page(reader, query)
