"""Issue 16, Must show 1: edit, delete and react through the edge with real clients; the
refusals; an idempotent resend; the REST routes; and the same history after restarts of every
service and a ``minitalk-replay rebuild``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from minitalk_local.system import LocalSystem

from ..chat_clients import ChatClient, bearer, signup_login

SECRET = "the secret plan is 42"


async def _room(client: httpx.AsyncClient, token: str, members: list[str]) -> str:
    made = await client.post(
        "/api/chatrooms", json={"name": "edits", "participants": members}, headers=bearer(token)
    )
    assert made.status_code == 201, made.text
    room_id: str = made.json()["roomId"]
    return room_id


async def _history(client: httpx.AsyncClient, token: str, room_id: str) -> list[dict[str, Any]]:
    page = await client.get(f"/api/chatrooms/{room_id}/messages", headers=bearer(token))
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()
    return items


def _files_holding(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


async def test_edit_delete_react_live_and_in_history(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await _room(client, ta, [bob])
    a = await ChatClient(alice, ta).connect(stack.url)
    b = await ChatClient(bob, tb).connect(stack.url)
    try:
        sent = await a.send(rid, "helo bob")
        first = await a.send(rid, SECRET)
        mid, sid = sent["id"], first["id"]

        edit = await a.call("edit_message", {"roomId": rid, "id": mid, "content": "hello bob"})
        assert edit["ok"] is True, edit
        assert (edit["id"], type(edit["seq"]), type(edit["editedAt"])) == (mid, int, str)
        got = (await b.wait_for("message_edited"))[0]
        assert got == {
            "roomId": rid,
            "id": mid,
            "seq": edit["seq"],
            "content": "hello bob",
            "editedAt": edit["editedAt"],
        }

        # B may neither edit nor delete A's message
        no_edit = await b.call("edit_message", {"roomId": rid, "id": mid, "content": "mine"})
        assert no_edit == {"ok": False, "error": "only the sender may edit a message"}
        no_delete = await b.call("delete_message", {"roomId": rid, "id": mid})
        assert no_delete == {
            "ok": False,
            "error": "only the sender or the room's creator may delete a message",
        }

        deleted = await a.call("delete_message", {"roomId": rid, "id": sid})
        assert (deleted["ok"], deleted["id"]) == (True, sid), deleted
        gone = (await b.wait_for("message_deleted"))[0]
        assert gone == {"roomId": rid, "id": sid, "seq": deleted["seq"]}

        react = await b.call("react", {"roomId": rid, "id": mid, "emoji": "👍", "on": True})
        assert react == {"ok": True}
        seen = (await a.wait_for("reaction"))[0]
        assert {k: seen[k] for k in ("roomId", "id", "emoji", "username", "on")} == {
            "roomId": rid,
            "id": mid,
            "emoji": "👍",
            "username": bob,
            "on": True,
        }
        # a resend after a lost ack is applied once
        again = await b.call("react", {"roomId": rid, "id": mid, "emoji": "👍", "on": True})
        assert again == {"ok": True}
        await asyncio.sleep(0.5)
        assert len(a.of("reaction")) == 1

        history = await _history(client, tb, rid)
        assert [(m["seq"], m["content"]) for m in history] == [
            (sent["seq"], "hello bob"),
            (first["seq"], ""),
        ]
        assert history[0]["editedAt"] == edit["editedAt"]
        assert history[0]["reactions"] == {"👍": [bob]}
        assert history[1]["deleted"] is True
        assert (
            SECRET
            not in (await client.get(f"/api/chatrooms/{rid}/messages", headers=bearer(ta))).text
        )
        assert _files_holding(stack.data_dir / "rooms", SECRET) == []
    finally:
        await a.close()
        await b.close()


async def test_refusals(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await _room(client, ta, [bob])
    other = await _room(client, ta, [])
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        mid = (await a.send(rid, "hi"))["id"]
        elsewhere = (await a.send(other, "there"))["id"]
        cases = [
            ("edit_message", {"roomId": rid, "id": "nope", "content": "x"}, "unknown message"),
            (
                "edit_message",
                {"roomId": rid, "id": elsewhere, "content": "x"},
                "the message is in another room",
            ),
            (
                "react",
                {"roomId": rid, "id": mid, "emoji": "ab", "on": True},
                "emoji must be one emoji or a :short_name:",
            ),
            (
                "edit_message",
                {"roomId": rid, "id": mid, "content": ""},
                "content must be a non-empty string",
            ),
        ]
        for event, payload, error in cases:
            assert await a.call(event, payload) == {"ok": False, "error": error}, (event, payload)
        for i in range(20):
            assert (
                await a.call("react", {"roomId": rid, "id": mid, "emoji": f":e{i}:", "on": True})
            )["ok"]
        too_many = await a.call("react", {"roomId": rid, "id": mid, "emoji": ":e99:", "on": True})
        assert too_many == {
            "ok": False,
            "error": "too many different reactions on this message (at most 20)",
        }
        # over the per-user budget (edit 5/s, burst 30): refused with the wait, then fine again
        edits = [
            await a.call("edit_message", {"roomId": rid, "id": mid, "content": f"v{i}"})
            for i in range(100)
        ]
        limited = [x for x in edits if not x["ok"]]
        assert limited, "100 edits in a row never hit the budget"
        assert {x["error"] for x in limited} == {"rate limited, try again"}
        assert all(x["retryAfterMs"] > 0 for x in limited)
        await asyncio.sleep(1)
        assert (await a.call("delete_message", {"roomId": rid, "id": mid}))["ok"]
        assert await a.call("edit_message", {"roomId": rid, "id": mid, "content": "x"}) == {
            "ok": False,
            "error": "the message is deleted",
        }
        # REST, the same rules
        url = f"/api/chatrooms/{rid}/messages/{mid}"
        patched = await client.patch(url, json={"content": "x"}, headers=bearer(ta))
        assert (patched.status_code, patched.json()) == (410, {"error": "the message is deleted"})
        missing = await client.patch(
            f"/api/chatrooms/{rid}/messages/nope", json={"content": "x"}, headers=bearer(ta)
        )
        assert (missing.status_code, missing.json()) == (404, {"error": "unknown message"})
        stranger = await client.delete(url, headers=bearer(tb))
        assert stranger.status_code == 403, stranger.text
        no_token = await client.delete(url)
        assert no_token.status_code == 401
    finally:
        await a.close()


async def test_rest_routes(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await _room(client, ta, [bob])
    b = await ChatClient(bob, tb).connect(stack.url)
    try:
        a = await ChatClient(alice, ta).connect(stack.url)
        mid = (await a.send(rid, "first"))["id"]
        await a.close()
        url = f"/api/chatrooms/{rid}/messages/{mid}"
        edited = await client.patch(url, json={"content": "second"}, headers=bearer(ta))
        assert edited.status_code == 200, edited.text
        assert edited.json()["ok"] is True
        assert edited.json()["id"] == mid
        put = await client.put(f"{url}/reactions/%F0%9F%8E%89", headers=bearer(tb))
        assert (put.status_code, put.json()) == (200, {"ok": True})
        await b.wait_for("reaction")
        history = await _history(client, tb, rid)
        assert history[0]["content"] == "second"
        assert history[0]["reactions"] == {"🎉": [bob]}
        off = await client.delete(f"{url}/reactions/%F0%9F%8E%89", headers=bearer(tb))
        assert off.status_code == 200
        assert "reactions" not in (await _history(client, tb, rid))[0]
        # the room's creator may delete another member's message
        bid = (await b.send(rid, "from bob"))["id"]
        gone = await client.delete(f"/api/chatrooms/{rid}/messages/{bid}", headers=bearer(ta))
        assert gone.status_code == 200, gone.text
        assert (await _history(client, tb, rid))[1]["deleted"] is True
    finally:
        await b.close()


async def test_same_history_after_restarts_and_rebuild(
    stack: LocalSystem,
    client: httpx.AsyncClient,
    unique: Callable[[str], str],
    tmp_path: Path,
) -> None:
    alice, bob = unique("alice"), unique("bob")
    ta, tb = await signup_login(client, alice), await signup_login(client, bob)
    rid = await _room(client, ta, [bob])
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        ids = [(await a.send(rid, f"m{i} {SECRET}"))["id"] for i in range(4)]
        await a.call("edit_message", {"roomId": rid, "id": ids[0], "content": "edited"})
        await a.call("delete_message", {"roomId": rid, "id": ids[1]})
        await a.call("react", {"roomId": rid, "id": ids[2], "emoji": ":tada:", "on": True})
    finally:
        await a.close()
    before = await _history(client, tb, rid)
    backup = tmp_path / "backup"
    _replay(stack, "backup", "--out", str(backup))
    assert [p.name for p in _files_holding(backup, f"m1 {SECRET}")] == []
    for name in ("persister", "rooms", "realtime", "auth"):
        stack.stop(name)
        stack.start_service(name)
        stack.wait_ready(name)
    assert await _history(client, tb, rid) == before
    rebuilt = tmp_path / "rebuilt"
    _replay(stack, "rebuild", "--out", str(rebuilt))
    room_file = f"{rid}.jsonl"
    assert (rebuilt / room_file).read_bytes() == (stack.data_dir / "rooms" / room_file).read_bytes()
    assert (rebuilt / f"{rid}.idx").read_bytes() == (
        stack.data_dir / "rooms" / f"{rid}.idx"
    ).read_bytes()


def _replay(stack: LocalSystem, *args: str) -> None:
    tool = str(Path(sys.executable).parent / "minitalk-replay")
    data = [] if args[0] == "rebuild" else ["--data", str(stack.data_dir)]
    argv = [tool, *args, "--nats-url", stack.nats_url, *data]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


async def test_replay_travels_through_changes_and_erases_deleted_content(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    alice = unique("alice")
    ta = await signup_login(client, alice)
    rid = await _room(client, ta, [])
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        sent = await a.send(rid, "the first words")
        edit = await a.call(
            "edit_message", {"roomId": rid, "id": sent["id"], "content": "the second words"}
        )
        gone = await a.send(rid, f"soon gone: {SECRET}")
        await a.call("delete_message", {"roomId": rid, "id": gone["id"]})
    finally:
        await a.close()
    await _history(client, ta, rid)  # written
    before = _replay_out(stack, "room", rid, "--at", f"messages:{edit['seq'] - 1}")
    after = _replay_out(stack, "room", rid, "--at", f"messages:{edit['seq']}")
    assert "the first words" in before
    assert "the second words" not in before
    assert "the second words" in after
    assert "edited" in after
    erased = _replay_out(stack, "erase", "--room", rid)
    assert f"erased 1 events (MESSAGES seqs {gone['seq']})" in erased
    assert "exactly what the streams hold" in _replay_out(stack, "verify")


def _replay_out(stack: LocalSystem, *args: str) -> str:
    tool = str(Path(sys.executable).parent / "minitalk-replay")
    data = ["--data", str(stack.data_dir)] if args[0] in ("verify", "backup") else []
    argv = [tool, *args, "--nats-url", stack.nats_url, *data]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
