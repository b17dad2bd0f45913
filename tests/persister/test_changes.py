"""Edits, deletions, reactions and purges in the room files, without NATS (issue 16): the
overlay folds them, a deletion redacts in place, a purge starts the file again, and the replay
tool's writer gives the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from minitalk_common import events, subjects
from minitalk_persister.changes import redact
from minitalk_persister.history import HistoryQuery, read_page
from minitalk_persister.reader import RoomReader
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import MESSAGES, Entry, decode_line, make_entry
from minitalk_replay.rebuild import FileWriter

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ROOM = "r1"
SECRET = "a secret never to be seen again"


def entry(seq: int, event: events.Event) -> Entry:
    data = events.encode(event)
    return make_entry(MESSAGES, subjects.message_subject(ROOM), seq, data, None)


def sent(seq: int, content: str = "") -> Entry:
    return entry(
        seq,
        events.MessageSent(
            id=f"m{seq}",
            actor="alice",
            room_id=ROOM,
            sender="alice",
            content=content or f"hello {seq}",
            at=T0 + timedelta(seconds=seq),
        ),
    )


def change(seq: int, kind: type[events.MessageChange], of: int, **fields: str) -> Entry:
    return entry(
        seq,
        kind(
            actor="bob",
            room_id=ROOM,
            message_id=f"m{of}",
            message_seq=of,
            at=T0 + timedelta(seconds=seq),
            **fields,  # type: ignore[arg-type]
        ),
    )


def purged(seq: int) -> Entry:
    return entry(seq, events.HistoryPurged(actor="admin", room_id=ROOM, at=T0))


def history(room: RoomFile) -> list[dict[str, object]]:
    changes = room.load_changes()
    assert room.index_path is not None
    query = HistoryQuery(ROOM, 100, None, None, None)
    with RoomReader(room.path, room.index_path, room.count) as reader:
        page = [changes.fold(m) for m in read_page(reader, query)]
    return [
        {
            "seq": m.seq,
            "content": m.content,
            "edited": m.edited_at,
            "deleted": m.deleted,
            "reactions": m.reactions,
        }
        for m in page
    ]


def the_stream() -> list[Entry]:
    return [
        sent(1),
        sent(2, SECRET),
        change(3, events.MessageEdited, 1, content="hello, edited"),
        change(4, events.ReactionAdded, 1, emoji="👍", username="bob"),
        change(5, events.MessageEdited, 2, content=f"{SECRET}, edited"),
        change(6, events.ReactionAdded, 1, emoji="👍", username="carol"),
        change(7, events.ReactionRemoved, 1, emoji="👍", username="bob"),
        sent(8),
        change(9, events.MessageDeleted, 2),
        change(10, events.MessageEdited, 2, content=f"{SECRET} after the deletion"),
    ]


def test_history_folds_the_changes_and_redacts_the_deleted(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, ROOM)
    stream = the_stream()
    for batch in (stream[:3], stream[3:9], stream[9:]):
        room.append(batch)
    got = history(room)
    assert [m["seq"] for m in got] == [1, 2, 8]  # only messages, each at its seq
    assert got[0]["content"] == "hello, edited"
    assert got[0]["edited"] == "2024-05-01T12:00:03Z"
    assert got[0]["reactions"] == {"👍": ["carol"]}
    assert (got[1]["content"], got[1]["deleted"], got[1]["reactions"]) == ("", True, None)
    assert SECRET.encode() not in room.path.read_bytes()
    lines = room.path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 10  # every event keeps its line (redacted ones padded)
    assert all(decode_line(line).seq == i for i, line in enumerate(lines, start=1))


def test_reopened_file_gives_the_same_history(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, ROOM)
    room.append(the_stream())
    before = history(room)
    again = RoomFile.open(tmp_path, ROOM)
    assert again.last_seq == 10
    assert again.count == 3
    assert history(again) == before


def test_a_missed_redaction_is_made_when_the_overlay_is_built(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, ROOM)
    plain = b"".join(e.line for e in the_stream())
    room.path.write_bytes(plain)  # as if the process died between the append and the redaction
    reopened = RoomFile.open(tmp_path, ROOM)
    reopened.load_changes()
    assert SECRET.encode() not in room.path.read_bytes()


def test_redact_keeps_the_length() -> None:
    line = sent(2, SECRET).line
    redacted = redact(line)
    assert len(redacted) == len(line)
    assert redacted.endswith(b" \n")
    assert redact(redacted) == redacted
    event = events.decode(bytes(decode_line(redacted).event))
    assert isinstance(event, events.MessageSent)
    assert event.content == ""


def test_purge_starts_the_file_again(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, ROOM)
    room.append(the_stream())
    room.append([purged(11), sent(12)])
    assert [m["seq"] for m in history(room)] == [12]
    assert [decode_line(x).seq for x in room.path.read_bytes().splitlines()] == [11, 12]
    assert RoomFile.open(tmp_path, ROOM).count == 1


def test_the_replay_writer_gives_the_same_bytes(tmp_path: Path) -> None:
    persister, replay = tmp_path / "persister", tmp_path / "replay"
    persister.mkdir()
    replay.mkdir()
    stream = [*the_stream(), sent(11), purged(12), sent(13), change(14, events.MessageDeleted, 13)]
    room = RoomFile.open(persister, ROOM)
    for i in range(0, len(stream), 3):
        room.append(stream[i : i + 3])
    writer = FileWriter(replay, MESSAGES, buffer_bytes=1)
    for one in stream:
        writer.add(one)
    writer.finish()
    for name in (f"{ROOM}.jsonl", f"{ROOM}.idx"):
        assert (replay / name).read_bytes() == (persister / name).read_bytes(), name
