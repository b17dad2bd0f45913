"""The shared rules of issue 16: emoji, who may change what, and the derived event ids."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from minitalk_common.chat import changes
from minitalk_common.chat.changes import Code, MessageState, Refused

STATE = MessageState(id="m1", seq=5, room_id="r1", sender="alice", version=5, content="hi")


@pytest.mark.parametrize(
    "emoji",
    ["👍", "👍🏽", "❤️", "👨‍👩‍👧", "🇫🇷", "1️⃣", "#⃣", ":tada:", ":+1:", "🏳️‍🌈", "😂"],
)
def test_one_emoji_or_a_short_name(emoji: str) -> None:
    assert changes.is_emoji(emoji)


@pytest.mark.parametrize(
    "emoji", ["", "a", "ab", "👍👍", "🇫", ":Tada:", "::", ":a b:", "👍 ", "x👍", "1", "\u200d"]
)
def test_anything_else_is_refused(emoji: str) -> None:
    assert not changes.is_emoji(emoji)


def refused(code: Code, call: Callable[[], None]) -> None:
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.code == code


def test_rules() -> None:
    changes.check_edit(STATE, "r1", "alice")
    refused(Code.NOT_SENDER, lambda: changes.check_edit(STATE, "r1", "bob"))
    refused(Code.OTHER_ROOM, lambda: changes.check_edit(STATE, "r2", "alice"))
    changes.check_delete(STATE, "r1", "bob", creator="bob")
    refused(Code.NOT_ALLOWED, lambda: changes.check_delete(STATE, "r1", "bob", creator="carol"))
    gone = MessageState(id="m1", seq=5, room_id="r1", sender="alice", version=6, deleted=True)
    refused(Code.DELETED, lambda: changes.check_edit(gone, "r1", "alice"))
    refused(Code.DELETED, lambda: changes.check_react(gone, "r1", "👍", True, 20))
    full = MessageState(
        id="m1",
        seq=5,
        room_id="r1",
        sender="alice",
        version=9,
        reactions={":a:": ["x"], ":b:": ["y"]},
    )
    refused(Code.TOO_MANY, lambda: changes.check_react(full, "r1", ":c:", True, 2))
    changes.check_react(full, "r1", ":a:", True, 2)  # one more user on a reaction there
    changes.check_react(full, "r1", ":c:", False, 2)


def test_ids_are_stable_for_a_resend_and_new_after_a_change() -> None:
    first = changes.reacted(STATE, "bob", "👍", True)
    assert changes.reacted(STATE, "bob", "👍", True).id == first.id
    later = MessageState(id="m1", seq=5, room_id="r1", sender="alice", version=8)
    assert changes.reacted(later, "bob", "👍", True).id != first.id
    assert changes.edited(STATE, "alice", "x").id != changes.edited(STATE, "alice", "y").id
