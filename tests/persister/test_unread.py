"""Unread counts in O(log n): messages after a position minus the user's own."""

from __future__ import annotations

from pathlib import Path

from minitalk_common import events, subjects
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import Entry, make_entry
from minitalk_persister.unread import RoomCounts


def entry(seq: int, sender: str, content: str = "hi") -> Entry:
    event = events.MessageSent(actor=sender, room_id="r", sender=sender, content=content)
    return make_entry(subjects.MESSAGES_STREAM, "messages.r", seq, events.encode(event), None)


def test_unread_counts_others_messages_after_the_position(tmp_path: Path) -> None:
    entries = [entry(s, "alice" if s % 3 else "bob", f"m{s}") for s in range(1, 31)]
    room = RoomFile.open(tmp_path, "r")
    room.append(entries[:20])
    counts = RoomCounts()
    counts.scan(room.path, room.size)
    counts.add_entries(entries[20:])
    bob_after_10 = sum(1 for s in range(11, 31) if s % 3 == 0)
    assert counts.unread(10, "alice") == bob_after_10
    assert counts.unread(10, "bob") == 20 - bob_after_10
    assert counts.unread(0, "carol") == 30
    assert counts.unread(30, "carol") == 0
    last = counts.last_message()
    assert last is not None
    assert (last.seq, last.content) == (30, "m30")


def test_an_empty_room_has_nothing_unread(tmp_path: Path) -> None:
    counts = RoomCounts()
    counts.scan(tmp_path / "none.jsonl", 0)
    assert counts.unread(0, "bob") == 0
    assert counts.last_message() is None
