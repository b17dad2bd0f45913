"""Per room, what the room list needs: unread counts in O(log n) and the last message.

``RoomCounts`` holds the room's message seqs and, per sender, that sender's seqs, in sorted
compact arrays (``array('q')``: 8 bytes a message, twice). Then ``unread(after, user)`` =
(messages after ``after``) - (``user``'s messages after ``after``): two binary searches, the same
cost for 10 messages or a million. Seqs only grow, so appending keeps the arrays sorted.

Built on a room's first summary by one scan of its chat log (blocking: run it in a thread), then
kept up to date by every batch the persister writes for the room.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from pathlib import Path

import msgspec
from minitalk_common import events
from minitalk_common.chat.messages import timestamp
from minitalk_common.chat.summary import LastMessage

from .changes import redact
from .roomfile import Entry, decode_line


class _Sender(msgspec.Struct):
    """The only field a scan needs from a stored ``MessageSent``."""

    sender: str = ""


_sender = msgspec.json.Decoder(_Sender)


class RoomCounts:
    """The message seqs of one room, all and per sender, and its last line."""

    __slots__ = ("_by_sender", "_last_line", "_seqs", "size")

    def __init__(self) -> None:
        self._seqs = array("q")
        self._by_sender: dict[str, array[int]] = {}
        self._last_line: bytes | None = None
        #: Bytes of the chat log these counts cover.
        self.size = 0

    @property
    def last_seq(self) -> int:
        return self._seqs[-1] if self._seqs else 0

    def __len__(self) -> int:
        return len(self._seqs)

    def add(self, seq: int, sender: str, line: bytes) -> None:
        """One more message (a seq above every one held; an older one is ignored)."""
        if seq <= self.last_seq:
            return
        self._seqs.append(seq)
        mine = self._by_sender.get(sender)
        if mine is None:
            mine = self._by_sender[sender] = array("q")
        mine.append(seq)
        self._last_line = line

    def add_entries(self, entries: list[Entry]) -> None:
        for entry in entries:
            if entry.sender is not None:  # a message; changes count for nothing
                self.add(entry.seq, entry.sender, entry.line)
            elif entry.kind == "MessageDeleted":
                self._deleted(entry.line)
            self.size += len(entry.line)

    def _deleted(self, line: bytes) -> None:
        """The last message's content goes when it is deleted (as in its file)."""
        event = events.decode(bytes(decode_line(line).event))
        if (
            isinstance(event, events.MessageDeleted)
            and self._last_line is not None
            and event.message_seq == self.last_seq
        ):
            self._last_line = redact(self._last_line)

    def unread(self, after: int, username: str) -> int:
        """Messages after seq ``after`` that someone else than ``username`` sent."""
        total = len(self._seqs) - bisect_right(self._seqs, after)
        mine = self._by_sender.get(username)
        if mine is not None:
            total -= len(mine) - bisect_right(mine, after)
        return total

    def last_message(self) -> LastMessage | None:
        if self._last_line is None:
            return None
        line = decode_line(self._last_line)
        event = events.decode(bytes(line.event))
        if not isinstance(event, events.MessageSent):
            return None
        return LastMessage(event.id, line.seq, event.sender, event.content, timestamp(event.at))

    def scan(self, path: Path, end: int) -> None:
        """Read the chat log's lines from ``self.size`` up to byte ``end`` (whole lines)."""
        if end <= self.size or not path.exists():
            return
        with path.open("rb") as f:
            f.seek(self.size)
            for data in f:
                if self.size + len(data) > end or not data.endswith(b"\n"):
                    break
                self.size += len(data)
                try:
                    line = decode_line(data)
                    sender = _sender.decode(line.event).sender
                except msgspec.DecodeError:
                    continue  # the file's reader skips it too
                if sender:  # a message (a change has no sender; a deleted one is redacted)
                    self.add(line.seq, sender, data)
