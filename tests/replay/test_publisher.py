"""Restore's ordering guarantee: an event not stored stops every later one; --resume goes on."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_local.system import LocalSystem, NatsServer
from minitalk_replay import restore
from minitalk_replay.publisher import ChainPublisher
from minitalk_replay.streams import ReplayError
from nats.js import JetStreamContext

from .support import backed_up, replay


def message(i: int) -> tuple[str, bytes, dict[str, str]]:
    event = events.MessageSent(actor="a", room_id="lobby", sender="a", content=f"m{i}")
    return subjects.message_subject("lobby"), events.encode(event), {"Nats-Msg-Id": event.id}


async def test_once_an_event_is_not_stored_no_later_one_is(js: JetStreamContext) -> None:
    async def publish_around_another_writer() -> None:
        async with ChainPublisher(js, "MESSAGES", last_seq=0, window=4) as publisher:
            for i in range(3):
                await publisher.publish(*message(i))
            await publisher.flush()
            await js.publish(*message(99)[:2])  # another writer: seq 4
            for i in range(3, 10):
                await publisher.publish(*message(i))

    with pytest.raises(ReplayError, match="--resume"):
        await publish_around_another_writer()

    stored = [await js.get_msg("MESSAGES", seq) for seq in range(1, 5)]
    assert [json.loads(m.data or b"")["content"] for m in stored] == ["m0", "m1", "m2", "m99"]
    assert (await js.stream_info("MESSAGES")).state.messages == 4


async def test_a_stopped_restore_goes_on_with_resume_past_the_duplicate_window(
    system: LocalSystem,
    js: JetStreamContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = await backed_up(system, js, tmp_path / "b")

    calls = 0
    real = ChainPublisher.publish

    async def stopping(self: ChainPublisher, *args: object) -> int:
        nonlocal calls
        calls += 1
        if calls > 2 + 7:  # the 2 RoomCreated, then 7 messages
            raise ReplayError("the connection broke")
        return await real(self, *args)  # type: ignore[arg-type]

    fresh = NatsServer(store=tmp_path / "nats2", sink=sys.stderr).start()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(restore.ChainPublisher, "publish", stopping)
            stopped = await replay(
                "restore", "--from", tmp_path / "b", url=fresh.url, duplicate_window_s="1"
            )
        assert stopped.exit_code == 2
        assert "the connection broke" in stopped.output
        await asyncio.sleep(1.5)  # past the duplicate window: only the ids tell what is there

        resumed = await replay(
            "restore", "--from", tmp_path / "b", "--resume", url=fresh.url, duplicate_window_s="1"
        )
        assert resumed.exit_code == 0, resumed.output
        async with bus.connect(NatsSettings(nats_url=fresh.url), "tests") as nc:
            target = nc.jetstream()
            assert (await target.stream_info("MESSAGES")).state.messages == 20
            stored = [await target.get_msg("MESSAGES", seq) for seq in range(1, 21)]
        assert [json.loads(m.data or b"")["id"] for m in stored] == [s.id for s in sent]
    finally:
        await asyncio.to_thread(fresh.stop)
