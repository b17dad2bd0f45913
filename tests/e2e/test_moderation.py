"""Issue 16, moderation through the edge: the original client's two danger-zone endpoints
(admin token AND confirmation code), deleting one user (tokens revoked, sockets closed) and
purging one room's history; each an event the streams keep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from minitalk_common import events, subjects
from minitalk_local.system import LocalSystem

from ..chat_clients import ChatClient, bearer, signup_login
from .conftest import running_stack

ADMIN = "root_admin"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    env = {"MINITALK_ADMIN_USERS": ADMIN}
    with running_stack(tmp_path_factory.mktemp("moderation"), **env) as system:
        yield system


@pytest.fixture(scope="module")
async def admin_token(stack: LocalSystem) -> AsyncIterator[str]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        yield await signup_login(http, ADMIN)


async def _events(stack: LocalSystem, stream: str) -> list[events.Event]:
    import nats

    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                raw = await js.get_msg(stream, seq)
            except Exception:
                continue
            found.append(events.decode(raw.data or b""))
        return found
    finally:
        await nc.close()


async def test_delete_all_messages(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str], admin_token: str
) -> None:
    alice = unique("alice")
    ta = await signup_login(client, alice)
    made = await client.post(
        "/api/chatrooms", json={"name": "wipe", "participants": []}, headers=bearer(ta)
    )
    rid = made.json()["roomId"]
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        for i in range(3):
            await a.send(rid, f"wipe me {i}")
    finally:
        await a.close()
    url = "/api/messages/delete-all"
    code = {"confirmationCode": "DELETE_ALL_MESSAGES_CONFIRM"}
    assert (await client.request("DELETE", url, json=code)).status_code == 401
    user = await client.request("DELETE", url, json=code, headers=bearer(ta))
    assert (user.status_code, user.json()) == (403, {"error": "only an admin may do this"})
    wrong = await client.request(
        "DELETE", url, json={"confirmationCode": "nope"}, headers=bearer(admin_token)
    )
    assert wrong.status_code == 400
    assert "error" in wrong.json()
    done = await client.request("DELETE", url, json=code, headers=bearer(admin_token))
    assert done.status_code == 200, done.text
    body = done.json()
    assert set(body) == {"message", "deletedCount", "filesCleared", "timestamp"}
    assert body["deletedCount"] >= 3
    assert body["filesCleared"] >= 1
    page = await client.get(f"/api/chatrooms/{rid}/messages", headers=bearer(ta))
    assert page.json() == []
    assert b"wipe me" not in (stack.data_dir / "rooms" / f"{rid}.jsonl").read_bytes()
    stored = await _events(stack, subjects.MESSAGES_STREAM)
    assert not [e for e in stored if isinstance(e, events.MessageSent) and e.room_id == rid]
    assert [e for e in stored if isinstance(e, events.HistoryPurged) and e.room_id == rid]


async def test_purge_one_room(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str], admin_token: str
) -> None:
    alice = unique("alice")
    ta = await signup_login(client, alice)
    rid = (
        await client.post(
            "/api/chatrooms", json={"name": "p", "participants": []}, headers=bearer(ta)
        )
    ).json()["roomId"]
    a = await ChatClient(alice, ta).connect(stack.url)
    try:
        await a.send(rid, "before the purge")
        user = await client.delete(f"/api/messages/rooms/{rid}", headers=bearer(ta))
        assert user.status_code == 403
        done = await client.delete(f"/api/messages/rooms/{rid}", headers=bearer(admin_token))
        assert done.status_code == 200, done.text
        assert done.json()["deletedCount"] == 1
        after = await a.send(rid, "after the purge")
    finally:
        await a.close()
    page = (await client.get(f"/api/chatrooms/{rid}/messages", headers=bearer(ta))).json()
    assert [m["content"] for m in page] == ["after the purge"]
    assert page[0]["seq"] == after["seq"]


async def test_delete_one_user_and_everyone(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str], admin_token: str
) -> None:
    bob = unique("bob")
    tb = await signup_login(client, bob)
    b = await ChatClient(bob, tb).connect(stack.url)
    try:
        refused = await client.delete(f"/api/auth/users/{bob}", headers=bearer(tb))
        assert refused.status_code == 403
        done = await client.delete(f"/api/auth/users/{bob}", headers=bearer(admin_token))
        assert done.status_code == 200, done.text
        await b.wait_until(lambda: not b.sio.connected or bool(b.of("error")), 15)
        assert {"message": "token revoked"} in b.of("error")
    finally:
        await b.close()
    rooms = await client.get("/api/chatrooms", headers=bearer(tb))
    assert rooms.status_code == 401
    login = await client.post("/api/auth/login", json={"username": bob, "password": "x" * 12})
    assert login.status_code == 401
    stored = await _events(stack, subjects.USERS_STREAM)
    assert [e for e in stored if isinstance(e, events.UserDeleted) and e.username == bob]

    url = "/api/auth/delete-all-users"
    code = {"confirmationCode": "DELETE_ALL_USERS_CONFIRM"}
    assert (await client.request("DELETE", url, json=code)).status_code == 401
    carol = unique("carol")
    tc = await signup_login(client, carol)
    assert (await client.request("DELETE", url, json=code, headers=bearer(tc))).status_code == 403
    wrong = {"confirmationCode": "DELETE_ALL_MESSAGES_CONFIRM"}
    bad = await client.request("DELETE", url, json=wrong, headers=bearer(admin_token))
    assert bad.status_code == 400
    done = await client.request("DELETE", url, json=code, headers=bearer(admin_token))
    assert done.status_code == 200, done.text
    assert set(done.json()) == {"message", "deletedCount", "timestamp"}
    assert done.json()["deletedCount"] >= 2
    await asyncio.sleep(0.2)
    assert (await client.get("/api/chatrooms", headers=bearer(tc))).status_code == 401
