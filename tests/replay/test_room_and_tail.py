"""Issue 7: a room as of a point in the log (``room --at``), and following events (``tail``)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minitalk_common import bus, events, subjects
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

from .support import replay

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
REPLAY = Path(sys.executable).parent / "minitalk-replay"


async def publish(js: JetStreamContext, event: events.Event) -> int:
    room = events.room_id_of(event) or ""
    subject_of = (
        subjects.message_subject if isinstance(event, events.MessageSent) else subjects.room_subject
    )
    return (await bus.publish_event(js, subject_of(room), event)).seq


def said(room: str, sender: str, content: str, minute: int) -> events.MessageSent:
    at = T0 + timedelta(minutes=minute)
    return events.MessageSent(actor=sender, room_id=room, sender=sender, content=content, at=at)


async def test_room_at_shows_the_members_before_and_after_an_invite(
    system: LocalSystem, js: JetStreamContext, tmp_path: Path
) -> None:
    created = events.RoomCreated(
        actor="alice", room_id="lobby", name="Lobby", participants=("alice",), at=T0
    )
    await publish(js, created)
    await publish(js, events.RoomCreated(actor="x", room_id="other", name="O", participants=()))
    before = [await publish(js, said("lobby", "alice", f"alone {i}", i + 1)) for i in range(3)]
    invited = events.MembersInvited(
        actor="alice", room_id="lobby", participants=("bob",), at=T0 + timedelta(minutes=5)
    )
    invite_seq = await publish(js, invited)
    await publish(js, said("lobby", "bob", "hi, I am in", 6))

    early = await replay("room", "lobby", "--at", "rooms:1", url=system.nats_url)
    assert early.exit_code == 0, early.output
    assert _field(early.output, "members") == "alice"
    assert "alone" not in early.output  # messages up to the creation's time: none

    late = await replay("room", "lobby", "--at", f"rooms:{invite_seq}", url=system.nats_url)
    assert _field(late.output, "members") == "alice, bob"
    assert all(f"alone {i}" in late.output for i in range(3))
    assert "hi, I am in" not in late.output

    by_time = await replay("room", "lobby", "--at", "2024-05-01T12:04:00Z", url=system.nats_url)
    assert _field(by_time.output, "members") == "alice"
    by_message = await replay(
        "room", "lobby", "--at", f"messages:{before[1]}", "--last", "1", url=system.nats_url
    )
    assert "alone 1" in by_message.output
    assert "alone 0" not in by_message.output
    now = await replay("room", "lobby", url=system.nats_url)
    assert _field(now.output, "members") == "alice, bob"
    assert "hi, I am in" in now.output

    rebuilt = await replay("rebuild", "--out", tmp_path / "rooms", url=system.nats_url)
    assert rebuilt.exit_code == 0, rebuilt.output
    from_files = await replay(
        "room", "lobby", "--files", "--data", tmp_path, "--at", "2024-05-01T12:05:00+00:00"
    )
    assert _field(from_files.output, "members") == "alice, bob"

    nowhere = await replay("room", "lobby", "--at", "last tuesday", url=system.nats_url)
    assert nowhere.exit_code == 2
    assert "rooms:<seq>" in nowhere.output


async def test_tail_prints_each_new_event_of_the_room_with_type_actor_and_trace(
    system: LocalSystem, js: JetStreamContext
) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(REPLAY),
        "tail",
        "--room",
        "lobby",
        "--count",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MINITALK_NATS_URL": system.nats_url, "COLUMNS": "250"},
    )
    assert proc.stderr is not None
    assert b"following" in await asyncio.wait_for(proc.stderr.readline(), 30)

    await publish(js, events.RoomCreated(actor="ann", room_id="lobby", name="L", participants=()))
    await publish(js, said("elsewhere", "zed", "not shown", 0))
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    await bus.publish_event(
        js,
        subjects.message_subject("lobby"),
        said("lobby", "ann", "hello", 1),
        headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    await publish(js, events.MemberLeft(actor="ann", room_id="lobby", username="ann"))

    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    # each stream's events in order; the two streams come on two consumers, so either may
    # deliver first
    lines = out.decode().splitlines()
    assert len(lines) == 3, lines
    rooms = [line for line in lines if " ROOMS:" in line]
    assert "ROOMS:1 RoomCreated room=lobby actor=ann trace=-" in rooms[0]
    assert "MemberLeft room=lobby actor=ann" in rooms[1]
    said_ = [line for line in lines if " MESSAGES:" in line]
    assert f"MESSAGES:2 MessageSent room=lobby actor=ann trace={trace} 'hello'" in said_[0]
    assert "not shown" not in out.decode()


def _field(output: str, name: str) -> str:
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) == 2 and cells[0] == name:
            return cells[1]
    raise AssertionError(f"no {name!r} in:\n{output}")
