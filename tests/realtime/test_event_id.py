"""A message with a clientMsgId has the UUIDv5 of ``[sender, roomId, clientMsgId]`` as id."""

from __future__ import annotations

import json
import uuid

import pytest
from minitalk_realtime.messages import NAMESPACE, event_id


@pytest.mark.parametrize(
    ("sender", "room_id", "client_msg_id"),
    [("alice", "r1", "1"), ("bob", "r-2", "x" * 300), ("é", "r_3", 'ü🙂"\\')],
)
def test_event_id_is_the_uuid5_of_sender_room_and_client_msg_id(
    sender: str, room_id: str, client_msg_id: str
) -> None:
    name = json.dumps([sender, room_id, client_msg_id], separators=(",", ":"), ensure_ascii=False)
    assert event_id(sender, room_id, client_msg_id) == uuid.uuid5(NAMESPACE, name).hex


def test_a_client_msg_id_is_scoped_to_its_sender_and_room() -> None:
    ids = {
        event_id("alice", "r1", "1"),
        event_id("alice", "r2", "1"),
        event_id("bob", "r1", "1"),
        event_id("alice:r1", "1", "x"),
        event_id("alice", "r1:1", "x"),
    }
    assert len(ids) == 5
    assert event_id("alice", "r1", "1") == event_id("alice", "r1", "1")


def test_event_id_without_client_msg_id_is_random() -> None:
    first, second = event_id("alice", "r1", None), event_id("alice", "r1", None)
    assert first != second
    assert uuid.UUID(first).version == 4
