"""Issue 7: backup, then restore into a new NATS, and the services there show the same chat."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from minitalk_auth.keys import KeyPair
from minitalk_common import bus
from minitalk_common.config import NatsSettings
from minitalk_local.system import LocalSystem, NatsServer
from nats.js import JetStreamContext

from ..persister.support import wait_acked
from .support import backed_up, fill, history, login, my_rooms, replay, tree


async def test_backup_then_restore_into_an_empty_nats_brings_the_same_users_rooms_and_history(
    system: LocalSystem, js: JetStreamContext, tmp_path: Path, key_pair: KeyPair
) -> None:
    await asyncio.to_thread(system.start_all)
    chat = await fill(system, messages_per_room=8)
    await wait_acked(js)
    users = ("alice", "bob", "carol")
    rooms_before = {u: await my_rooms(system, chat.tokens[u]) for u in users}
    history_before = {
        name: await history(system, chat.tokens["bob"], room) for name, room in chat.rooms.items()
    }
    files_before = tree(system.data_dir / "rooms")

    saved = await replay(
        "backup", "--out", tmp_path / "backup", "--data", system.data_dir, url=system.nats_url
    )
    assert saved.exit_code == 0, saved.output
    credentials = (tmp_path / "backup" / "credentials.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["key"] for line in credentials) == sorted(users)
    assert all(json.loads(line)["value"]["password_hash"].startswith("$2") for line in credentials)
    assert "correct horse" not in (tmp_path / "backup" / "credentials.jsonl").read_text()
    await asyncio.to_thread(system.stop_all)

    fresh = NatsServer(store=tmp_path / "nats2", sink=sys.stderr).start()
    other = LocalSystem(
        data_dir=tmp_path / "data2", nats_url=fresh.url, env=system.env, sink=sys.stderr
    )
    try:
        restored = await replay("restore", "--from", tmp_path / "backup", url=fresh.url)
        assert restored.exit_code == 0, restored.output
        assert "changed" not in restored.output  # no gaps: every sequence kept

        again = await replay("restore", "--from", tmp_path / "backup", url=fresh.url)
        assert again.exit_code == 2
        assert "not empty" in again.output
        resumed = await replay("restore", "--from", tmp_path / "backup", "--resume", url=fresh.url)
        assert resumed.exit_code == 0, resumed.output
        for part, published in (("credentials", 3), ("USERS", 3), ("ROOMS", 4), ("MESSAGES", 16)):
            assert _cells(restored.output, part)[:2] == [str(published), "0"]
            assert _cells(resumed.output, part)[:2] == ["0", str(published)]

        await asyncio.to_thread(other.start_all)
        tokens = {u: await login(other, u) for u in users}
        for user in users:
            assert await my_rooms(other, tokens[user]) == rooms_before[user]
            assert await my_rooms(other, chat.tokens[user]) == rooms_before[user]  # same key
        for name, room in chat.rooms.items():
            assert await history(other, tokens["bob"], room) == history_before[name]
        # The persister there wrote the room files anew from the restored streams: the same bytes.
        async with bus.connect(NatsSettings(nats_url=fresh.url), "tests") as nc:
            await wait_acked(nc.jetstream())
        assert tree(other.data_dir / "rooms") == files_before
    finally:
        await asyncio.to_thread(other.stop_all)
        await asyncio.to_thread(fresh.stop)


async def test_a_restore_with_gaps_renumbers_and_says_so(
    system: LocalSystem, js: JetStreamContext, tmp_path: Path
) -> None:
    sent = await backed_up(system, js, tmp_path / "b")
    for path in (tmp_path / "b" / "rooms").glob("attic.*"):
        path.unlink()  # as if attic's files were elsewhere (another persister partition)

    fresh = NatsServer(store=tmp_path / "nats2", sink=sys.stderr).start()
    try:
        restored = await replay("restore", "--from", tmp_path / "b", url=fresh.url)
        assert restored.exit_code == 0, restored.output
        assert _cells(restored.output, "MESSAGES")[3] == "changed from old seq 3 (now 2)"
        assert "sequences changed" in restored.output
        async with bus.connect(NatsSettings(nats_url=fresh.url), "tests") as nc:
            stored = [await nc.jetstream().get_msg("MESSAGES", seq) for seq in range(1, 11)]
        lobby = [s.id for s in sent if s.room_id == "lobby"]
        assert [json.loads(m.data or b"")["id"] for m in stored] == lobby
        assert [m.headers and m.headers["Nats-Msg-Id"] for m in stored] == lobby
    finally:
        await asyncio.to_thread(fresh.stop)


def _cells(output: str, first: str) -> list[str]:
    """The cells after ``first`` in the table row that starts with it."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if cells and cells[0] == first:
            return cells[1:]
    raise AssertionError(f"no row {first!r} in:\n{output}")
