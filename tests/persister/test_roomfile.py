"""Room files on disk without NATS: the line format, appends, crash recovery and history pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minitalk_common import events, subjects
from minitalk_persister.errors import BadHistoryRequest
from minitalk_persister.history import HistoryQuery, parse_request, read_page
from minitalk_persister.reader import RoomReader
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import (
    MESSAGES,
    RECORD,
    ROOMS,
    Entry,
    decode_line,
    make_entry,
    room_of_file,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def message(room: str, seq: int, at: datetime | None = None) -> Entry:
    event = events.MessageSent(
        id=f"m{seq}",
        actor="alice",
        room_id=room,
        sender="alice",
        content=f"hello {seq}",
        at=at or T0 + timedelta(seconds=seq),
    )
    return make_entry(MESSAGES, subjects.message_subject(room), seq, events.encode(event), None)


def created(room: str, seq: int) -> Entry:
    event = events.RoomCreated(
        id=f"r{seq}", actor="alice", room_id=room, name="general", participants=("alice",), at=T0
    )
    return make_entry(ROOMS, subjects.room_subject(room), seq, events.encode(event), None)


def page(room: RoomFile, **kwargs: int | None) -> list[int]:
    query = HistoryQuery(
        room_id=room.room_id,
        limit=kwargs.pop("limit", None) or 50,
        before=kwargs.pop("before", None),
        after=kwargs.pop("after", None),
        since_us=kwargs.pop("since_us", None),
    )
    assert room.index_path is not None
    with RoomReader(room.path, room.index_path, room.count) as reader:
        return [m.seq for m in read_page(reader, query)]


def lines(path: Path) -> list[tuple[str, int]]:
    return [(line.stream, line.seq) for line in map(decode_line, path.read_bytes().splitlines())]


def test_a_line_is_deterministic_json_with_stream_seq_trace_and_event() -> None:
    event = events.MessageSent(
        id="e1", actor="bob", room_id="r1", sender="bob", content="hi", at=T0
    )
    entry = make_entry(
        MESSAGES, "messages.r1", 7, events.encode(event), {"traceparent": TRACEPARENT}
    )
    assert entry.line == (
        b'{"stream":"MESSAGES","seq":7,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","event":'
        + events.encode(event)
        + b"}\n"
    )
    again = make_entry(
        MESSAGES, "messages.r1", 7, events.encode(event), {"traceparent": TRACEPARENT}
    )
    assert again.line == entry.line


def test_each_stream_has_its_own_file_and_takes_only_its_events(tmp_path: Path) -> None:
    chat = RoomFile.open(tmp_path, "r1", MESSAGES)
    log = RoomFile.open(tmp_path, "r1", ROOMS)
    assert (chat.path.name, log.path.name) == ("r1.jsonl", "r1.events.jsonl")
    assert chat.index_path is not None
    assert chat.index_path.name == "r1.idx"
    assert log.index_path is None
    with pytest.raises(ValueError, match="MESSAGES"):
        chat.append([created("r1", 1)])
    with pytest.raises(ValueError, match="r1"):
        log.append([created("r2", 1)])
    assert not chat.path.exists()
    assert not log.path.exists()
    assert room_of_file("r1.events.jsonl") == ("r1", ROOMS)
    assert room_of_file("r1.jsonl") == ("r1", MESSAGES)
    assert room_of_file("r1.idx") is None


def test_appends_skip_what_the_file_already_holds(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, "r1")
    assert room.append([message("r1", 1), message("r1", 2)]).written == 2
    done = room.append([message("r1", 2), message("r1", 3)])
    assert (done.written, done.skipped) == (1, 1)
    log = RoomFile.open(tmp_path, "r1", ROOMS)
    assert log.append([created("r1", 1), created("r1", 4)]).written == 2

    reopened = RoomFile.open(tmp_path, "r1")
    assert reopened.last_seq == 3
    assert reopened.append([message("r1", 3)]).written == 0
    assert lines(room.path) == [(MESSAGES, 1), (MESSAGES, 2), (MESSAGES, 3)]
    reopened_log = RoomFile.open(tmp_path, "r1", ROOMS)
    assert reopened_log.last_seq == 4
    assert reopened_log.append([created("r1", 4), created("r1", 5)]).written == 1
    assert lines(log.path) == [(ROOMS, 1), (ROOMS, 4), (ROOMS, 5)]


def test_a_torn_last_line_is_cut_and_nothing_valid_is_lost(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, "r1")
    room.append([message("r1", s) for s in range(1, 6)])
    whole = room.path.read_bytes()
    with room.path.open("ab") as f:
        f.write(message("r1", 6).line[:40])

    reopened = RoomFile.open(tmp_path, "r1")
    assert room.path.read_bytes() == whole
    assert reopened.last_seq == 5
    reopened.append([message("r1", 6)])
    assert [seq for _, seq in lines(room.path)] == [1, 2, 3, 4, 5, 6]
    assert page(reopened) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("kept", [0, 1, 3])
def test_a_torn_last_room_event_is_cut_and_its_position_found_from_the_end(
    tmp_path: Path, kept: int
) -> None:
    log = RoomFile.open(tmp_path, "r1", ROOMS)
    log.append([created("r1", s) for s in range(1, kept + 1)])
    whole = log.path.read_bytes() if kept else b""
    with log.path.open("ab") as f:
        f.write(created("r1", 9).line[:30])

    reopened = RoomFile.open(tmp_path, "r1", ROOMS)
    assert log.path.read_bytes() == whole
    assert (reopened.last_seq, reopened.size) == (kept, len(whole))
    assert reopened.append([created("r1", s) for s in range(1, 11)]).written == 10 - kept
    assert [seq for _, seq in lines(log.path)] == list(range(1, 11))


def test_a_long_room_log_is_recovered_from_its_last_line(tmp_path: Path) -> None:
    log = RoomFile.open(tmp_path, "r1", ROOMS)
    log.append([created("r1", s) for s in range(1, 2001)])  # far more than one tail chunk
    reopened = RoomFile.open(tmp_path, "r1", ROOMS)
    assert (reopened.last_seq, reopened.size) == (2000, log.path.stat().st_size)


def test_an_index_behind_its_file_is_completed(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, "r1")
    room.append([message("r1", s) for s in range(1, 11)])
    assert room.index_path is not None
    full = room.index_path.read_bytes()
    room.index_path.write_bytes(full[: 4 * RECORD.size + 5])  # crash while writing the index

    reopened = RoomFile.open(tmp_path, "r1")
    assert reopened.index_path is not None
    assert reopened.index_path.read_bytes() == full
    assert page(reopened, limit=3) == [8, 9, 10]


def test_an_index_that_does_not_match_is_rebuilt(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, "r1")
    room.append([message("r1", s) for s in range(1, 6)])
    assert room.index_path is not None
    full = room.index_path.read_bytes()
    room.index_path.write_bytes(b"\x00" * len(full))

    reopened = RoomFile.open(tmp_path, "r1")
    assert room.index_path.read_bytes() == full
    assert (reopened.last_seq, reopened.count) == (5, 5)


def test_pages_are_oldest_first_with_limit_before_after_and_since(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, "r1")
    room.append([message("r1", s) for s in range(10, 40, 3)])  # 10, 13, ..., 37
    assert page(room, limit=3) == [31, 34, 37]
    assert page(room, limit=3, before=31) == [22, 25, 28]
    assert page(room, limit=3, before=30) == [22, 25, 28]
    assert page(room, limit=3, after=10) == [13, 16, 19]
    assert page(room, limit=3, after=11) == [13, 16, 19]
    assert page(room, limit=50, after=30, before=37) == [31, 34]
    assert page(room, limit=3, before=10) == []
    assert page(room, limit=3, after=37) == []
    since = int((T0 + timedelta(seconds=25)).timestamp() * 1_000_000)
    assert page(room, limit=2, since_us=since) == [25, 28]
    assert page(room, limit=50, since_us=since, before=34) == [25, 28, 31]


def test_an_empty_room_has_no_messages(tmp_path: Path) -> None:
    room = RoomFile.open(tmp_path, "nobody-here")
    assert page(room) == []
    assert not room.path.exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not a JSON object"),
        (b"[]", "invalid history request"),
        (b"{}", "roomId"),
        (b'{"roomId": "a.b"}', "invalid roomId"),
        (b'{"roomId": "r1", "limit": 0}', "limit"),
        (b'{"roomId": "r1", "limit": 101}', "limit"),
        (b'{"roomId": "r1", "limit": "many"}', "limit"),
        (b'{"roomId": "r1", "before": -1}', "before"),
        (b'{"roomId": "r1", "since": "yesterday"}', "since"),
    ],
)
def test_bad_requests_say_what_is_wrong(body: bytes, reason: str) -> None:
    with pytest.raises(BadHistoryRequest, match=reason):
        parse_request(body)


def test_requests_accept_numbers_as_strings_and_times_with_or_without_zone() -> None:
    query = parse_request(b'{"roomId": "r1", "limit": "20", "after": "5", "since": "2024-05-01"}')
    assert (query.limit, query.after, query.before) == (20, 5, None)
    assert query.since_us == int(T0.replace(hour=0).timestamp() * 1_000_000)
    zoned = parse_request(b'{"roomId": "r1", "since": "2024-05-01T14:00:00+02:00"}')
    assert zoned.since_us == int(T0.timestamp() * 1_000_000)
    assert parse_request(b'{"roomId": "r1", "before": null}').limit == 50
