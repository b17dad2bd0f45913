"""Event contracts: JSON round trip, tagged union, upcasting of older versions."""

from __future__ import annotations

import msgspec
import pytest
from minitalk_common import events, subjects


def test_round_trip_keeps_every_field() -> None:
    sent = events.MessageSent(
        actor="al", room_id="r1", sender="al", content="héllo", client_msg_id="c1"
    )
    decoded = events.decode(events.encode(sent))
    assert decoded == sent
    assert msgspec.json.decode(events.encode(sent))["type"] == "MessageSent"


def test_upcaster_brings_an_old_version_up_to_date() -> None:
    old = (
        b'{"type":"MemberLeft","v":0,"id":"x","at":"2026-01-01T00:00:00Z","actor":"a","room":"r9"}'
    )

    def v0_to_v1(raw: dict[str, object]) -> dict[str, object]:
        raw = dict(raw)
        raw["room_id"] = raw.pop("room")
        raw["username"] = raw["actor"]
        raw["v"] = 1
        return raw

    events.UPCASTERS[("MemberLeft", 0)] = v0_to_v1
    try:
        event = events.decode(old)
    finally:
        del events.UPCASTERS[("MemberLeft", 0)]
    assert event == events.MemberLeft(id="x", at=event.at, actor="a", room_id="r9", username="a")


def test_garbage_is_a_bad_event() -> None:
    with pytest.raises(events.BadEvent):
        events.decode(b"not json")
    with pytest.raises(events.BadEvent):
        events.decode(b'{"type":"Nope"}')


@pytest.mark.parametrize("bad", ["a.b", "*", ">", "with space", ""])
def test_subject_tokens_refuse_unsafe_ids(bad: str) -> None:
    with pytest.raises(subjects.BadSubjectToken):
        subjects.room_subject(bad)


def test_partition_is_stable() -> None:
    assert subjects.partition_of("room-1", 4) == subjects.partition_of("room-1", 4)
    assert {subjects.partition_of(f"r{i}", 3) for i in range(100)} == {0, 1, 2}
