"""The event id of a message with a clientMsgId is the UUIDv5 of ``sender:clientMsgId``."""

from __future__ import annotations

import uuid

import pytest
from minitalk_realtime.messages import NAMESPACE, event_id


@pytest.mark.parametrize(
    ("sender", "client_msg_id"), [("alice", "1"), ("bob", "x" * 300), ("é", "ü🙂")]
)
def test_event_id_is_the_uuid5_of_sender_and_client_msg_id(sender: str, client_msg_id: str) -> None:
    assert event_id(sender, client_msg_id) == uuid.uuid5(NAMESPACE, f"{sender}:{client_msg_id}").hex


def test_event_id_without_client_msg_id_is_random() -> None:
    first, second = event_id("alice", None), event_id("alice", None)
    assert first != second
    assert uuid.UUID(first).version == 4
