"""The READS fold: positions only move forward, and the publish rule clamps and skips no-ops."""

from __future__ import annotations

import pytest
from minitalk_common import events
from minitalk_common.chat.reads import BadSeq, ReadPositions, parse_seq


def read(room: str, user: str, seq: int) -> events.ReadUpTo:
    return events.ReadUpTo(actor=user, room_id=room, username=user, seq=seq)


def test_positions_only_move_forward() -> None:
    positions = ReadPositions()
    moved = positions.apply(read("r", "bob", 7))
    assert moved is not None
    assert (moved.room_id, moved.username, moved.seq) == ("r", "bob", 7)
    assert positions.apply(read("r", "bob", 5)) is None
    assert positions.apply(read("r", "bob", 7)) is None
    assert positions.of("r", "bob") == 7
    assert positions.of("r", "alice") == 0
    assert positions.readers("r") == {"bob": 7}


def test_target_clamps_and_skips_what_would_not_move() -> None:
    positions = ReadPositions()
    positions.apply(read("r", "bob", 7))
    assert positions.target("r", "bob", 100, last_message_seq=12) == 12
    assert positions.target("r", "bob", 9, last_message_seq=12) == 9
    assert positions.target("r", "bob", 3, last_message_seq=12) is None
    assert positions.target("r", "bob", 100, last_message_seq=7) is None


@pytest.mark.parametrize("bad", [-1, True, 1.0, "3", None, 2**63])
def test_bad_seqs_are_refused(bad: object) -> None:
    with pytest.raises(BadSeq):
        parse_seq(bad)


def test_the_event_round_trips() -> None:
    event = read("r", "bob", 3)
    assert events.decode(events.encode(event)) == event
