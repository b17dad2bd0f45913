"""Issue 7: the room files rebuilt from the streams are the persister's files, byte for byte."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from minitalk_common import bus, events, subjects
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

from ..persister.support import wait_acked
from .support import fill, replay, tree

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_a_rebuild_from_the_streams_gives_the_same_files_byte_for_byte(
    system: LocalSystem, js: JetStreamContext, tmp_path: Path
) -> None:
    await asyncio.to_thread(system.start_all)
    chat = await fill(system)
    general = chat.rooms["general"]
    traced = events.MessageSent(actor="alice", room_id=general, sender="alice", content="traced")
    headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
    await bus.publish_event(js, subjects.message_subject(general), traced, headers=headers)
    await wait_acked(js)
    await asyncio.to_thread(system.stop, "persister")
    rooms_dir = system.data_dir / "rooms"
    before = tree(rooms_dir)
    assert {f"{room}.events.jsonl" for room in chat.rooms.values()} <= set(before)
    assert {f"{room}.idx" for room in chat.rooms.values()} <= set(before)
    assert f'"trace_id":"{TRACE_ID}"'.encode() in before[f"{general}.jsonl"]
    shutil.rmtree(rooms_dir)

    rebuilt = await replay("rebuild", "--out", rooms_dir, url=system.nats_url)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert tree(rooms_dir) == before
    assert "events/s" in rebuilt.output

    one = await replay("rebuild", "--out", tmp_path / "one", "--room", general, url=system.nats_url)
    assert one.exit_code == 0, one.output
    assert tree(tmp_path / "one") == {
        name: data for name, data in before.items() if name.startswith(f"{general}.")
    }

    again = await replay("rebuild", "--out", rooms_dir, url=system.nats_url)
    assert again.exit_code == 2
    assert "already holds room files" in again.output
    assert tree(rooms_dir) == before

    checked = await replay("verify", "--data", system.data_dir, url=system.nats_url)
    assert checked.exit_code == 0, checked.output
    assert "exactly what the streams hold" in checked.output


async def test_an_unreachable_nats_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = await replay("rebuild", "--out", tmp_path / "rooms", url="nats://127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot reach NATS" in result.output
