"""The one ROOMS reducer that rooms, realtime and the replay tool fold with (issue 13)."""

from __future__ import annotations

from minitalk_common import events
from minitalk_common.chat.membership import Change, Membership


def created(room_id: str, name: str, *members: str) -> events.RoomCreated:
    return events.RoomCreated(actor=members[0], room_id=room_id, name=name, participants=members)


def test_create_invite_leave_delete() -> None:
    rooms = Membership()
    change = rooms.apply(created("r1", "general", "alice", "bob", "alice"), 1)
    assert change is not None
    assert change.joined == ("alice", "bob")
    change = rooms.apply(
        events.MembersInvited(actor="bob", room_id="r1", participants=("carol", "bob", "carol")), 2
    )
    assert change is not None
    assert change.joined == ("carol",)
    room = rooms.get("r1")
    assert room is not None
    assert (room.name, room.created_by, room.participants) == (
        "general",
        "alice",
        ["alice", "bob", "carol"],
    )
    assert (room.created_seq, room.last_seq) == (1, 2)
    assert rooms.is_member("carol", "r1")

    change = rooms.apply(events.MemberLeft(actor="bob", room_id="r1", username="bob"), 3)
    assert change is not None
    assert change.left == ("bob",)
    assert not rooms.is_member("bob", "r1")
    assert rooms.room_ids_of("bob") == set()
    not_there = rooms.apply(events.MemberLeft(actor="bob", room_id="r1", username="bob"), 4)
    assert not_there == Change(room)  # nothing moved, but the room's last event is 4
    assert room.last_seq == 4

    change = rooms.apply(events.RoomDeleted(actor="alice", room_id="r1"), 5)
    assert change is not None
    assert change.left == ("alice", "carol")
    assert rooms.get("r1") is None
    assert rooms.room_ids_of("alice") == set()
    assert len(rooms) == 0


def test_a_duplicate_room_created_keeps_the_first() -> None:
    """The first creation is the fact: a second RoomCreated for the same room (a replayed or
    hand-made log) changes neither its name nor its members, but it is the subject's last
    event, so the next command's expected sequence must be its."""
    rooms = Membership()
    rooms.apply(created("r1", "first", "alice", "bob"), 1)
    rooms.apply(events.MembersInvited(actor="bob", room_id="r1", participants=("carol",)), 2)
    change = rooms.apply(created("r1", "second", "mallory"), 3)
    room = rooms.get("r1")
    assert room is not None
    assert change == Change(room)
    assert (room.name, room.created_by, room.created_seq) == ("first", "alice", 1)
    assert room.participants == ["alice", "bob", "carol"]
    assert room.last_seq == 3
    assert rooms.room_ids_of("mallory") == set()


def test_events_for_unknown_rooms_and_other_streams_are_ignored() -> None:
    rooms = Membership()
    assert (
        rooms.apply(events.MembersInvited(actor="a", room_id="nope", participants=("b",)), 1)
        is None
    )
    assert rooms.apply(events.RoomDeleted(actor="a", room_id="nope"), 2) is None
    assert (
        rooms.apply(events.UserRegistered(actor="alice", username="alice", user_id="alice"), 3)
        is None
    )
    assert len(rooms) == 0


def test_rooms_of_is_newest_first() -> None:
    rooms = Membership()
    for seq, room_id in enumerate(("a", "b", "c"), start=1):
        rooms.apply(created(room_id, room_id, "alice"), seq)
    assert [r.room_id for r in rooms.rooms_of("alice")] == ["c", "b", "a"]
