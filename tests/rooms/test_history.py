"""The history route: members only, checked query, asked of the persister over NATS request-reply.

The persister is not running here: a NATS subscription in the test answers on the history subject
with a canned reply, which exercises rooms' side of the contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from minitalk_common import subjects
from minitalk_common.chat import history
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from .conftest import Register, StartRooms

Auth = Callable[[str], dict[str, str]]


def stored(room_id: str, seq: int) -> dict[str, Any]:
    return {
        "id": f"m{seq}",
        "seq": seq,
        "roomId": room_id,
        "sender": "alice",
        "content": f"hello {seq}",
        "timestamp": "2026-01-01T00:00:00Z",
    }


class Persister:
    """Answers history requests on one partition with ``reply`` and records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.subscription: Subscription | None = None
        self.reply: Callable[[dict[str, Any]], object] = lambda q: [
            stored(q["roomId"], 1),
            stored(q["roomId"], 2),
        ]
        #: The ``Minitalk-Error`` code of the reply, if any.
        self.code: str | None = None

    async def answer(self, msg: Msg) -> None:
        query = json.loads(msg.data)
        self.requests.append(query)
        headers = {history.ERROR_HEADER: self.code} if self.code else None
        assert msg.reply
        body = json.dumps(self.reply(query)).encode()
        await msg._client.publish(msg.reply, body, headers=headers)


@pytest.fixture
async def room(rooms: httpx.AsyncClient, register: Register, auth: Auth) -> str:
    await register("alice", "bob")
    resp = await rooms.post("/api/chatrooms", json={"name": "talk"}, headers=auth("alice"))
    room_id: str = resp.json()["roomId"]
    return room_id


async def serve(nc: NATS, partition: int) -> Persister:
    persister = Persister()
    persister.subscription = await nc.subscribe(
        subjects.history_subject(partition), cb=persister.answer
    )
    await nc.flush()
    return persister


async def test_members_get_the_persisters_messages(
    rooms: httpx.AsyncClient, room: str, auth: Auth, nc: NATS
) -> None:
    persister = await serve(nc, 0)
    resp = await rooms.get(f"/api/chatrooms/{room}/messages", headers=auth("alice"))
    assert resp.status_code == 200, resp.text
    assert resp.json() == [stored(room, 1), stored(room, 2)]
    assert persister.requests == [
        {"roomId": room, "limit": 100, "before": None, "after": None, "since": None}
    ]

    query: dict[str, str | int] = {
        "limit": 5,
        "before": 10,
        "after": 2,
        "since": "2026-01-01T02:00:00+02:00",
    }
    resp = await rooms.get(f"/api/chatrooms/{room}/messages", params=query, headers=auth("alice"))
    assert resp.status_code == 200
    assert persister.requests[-1] == {
        "roomId": room,
        "limit": 5,
        "before": 10,
        "after": 2,
        "since": "2026-01-01T00:00:00Z",
    }


async def test_history_refusals(rooms: httpx.AsyncClient, room: str, auth: Auth, nc: NATS) -> None:
    persister = await serve(nc, 0)
    url = f"/api/chatrooms/{room}/messages"
    cases: list[tuple[str, str, dict[str, str], int, str]] = [
        ("bob", url, {}, 403, "not a member"),
        ("alice", "/api/chatrooms/nosuchroom/messages", {}, 404, "room not found"),
        ("alice", url, {"limit": "0"}, 400, "limit"),
        ("alice", url, {"limit": "101"}, 400, "limit"),
        ("alice", url, {"limit": "ten"}, 400, "limit"),
        ("alice", url, {"before": "0"}, 400, "before"),
        ("alice", url, {"after": "-3"}, 400, "after"),
        ("alice", url, {"after": "x"}, 400, "after"),
        ("alice", url, {"since": "yesterday"}, 400, "since must be an ISO-8601 time"),
    ]
    for user, target, params, status, error in cases:
        resp = await rooms.get(target, params=params, headers=auth(user))
        assert resp.status_code == status, (params, resp.text)
        assert error in resp.json()["error"], (params, resp.text)
    resp = await rooms.get(url)
    assert resp.status_code == 401
    assert persister.requests == []


async def test_no_persister_is_a_503(rooms: httpx.AsyncClient, room: str, auth: Auth) -> None:
    resp = await rooms.get(f"/api/chatrooms/{room}/messages", headers=auth("alice"))
    assert resp.status_code == 503
    assert resp.json() == {"error": "history is unavailable, try again"}


async def test_a_persister_error_or_silence_is_a_503(
    start_rooms: StartRooms, register: Register, auth: Auth, nc: NATS
) -> None:
    await register("alice")
    base = start_rooms(env={"MINITALK_HISTORY_TIMEOUT_S": "0.5"})
    async with httpx.AsyncClient(base_url=base) as rooms:
        resp = await rooms.post("/api/chatrooms", json={"name": "t"}, headers=auth("alice"))
        url = f"/api/chatrooms/{resp.json()['roomId']}/messages"
        persister = await serve(nc, 0)
        persister.reply = lambda _: {"error": "disk on fire"}
        resp = await rooms.get(url, headers=auth("alice"))
        assert resp.status_code == 503
        assert resp.json() == {"error": "history is unavailable, try again"}

        persister.code = "unavailable"
        persister.reply = lambda _: {"error": "disk on fire"}
        resp = await rooms.get(url, headers=auth("alice"))
        assert resp.status_code == 503
        assert resp.json() == {"error": "history is unavailable, try again"}

        persister.code = "wrong-partition"
        resp = await rooms.get(url, headers=auth("alice"))
        assert resp.status_code == 503
        assert resp.json() == {"error": "history is unavailable, try again"}

        persister.code = "bad-request"  # the user's request: the persister's reason, a 400
        persister.reply = lambda _: {"error": "invalid history request: no"}
        resp = await rooms.get(url, headers=auth("alice"))
        assert resp.status_code == 400
        assert resp.json() == {"error": "invalid history request: no"}

        persister.code = None
        persister.reply = lambda _: "not the contract"
        resp = await rooms.get(url, headers=auth("alice"))
        assert resp.status_code == 503
        assert resp.json() == {"error": "history is unavailable, try again"}

        assert persister.subscription is not None
        await persister.subscription.unsubscribe()

        async def silent(_: Msg) -> None:
            return None

        await nc.subscribe(subjects.history_subject(0), cb=silent)
        await nc.flush()
        resp = await rooms.get(url, headers=auth("alice"))
        assert resp.status_code == 503
        assert resp.json() == {"error": "history is unavailable, try again"}


async def test_the_room_partition_answers(
    start_rooms: StartRooms, register: Register, auth: Auth, nc: NATS
) -> None:
    await register("alice")
    base = start_rooms(env={"MINITALK_PERSISTER_PARTITIONS": "4"})
    async with httpx.AsyncClient(base_url=base) as rooms:
        resp = await rooms.post("/api/chatrooms", json={"name": "t"}, headers=auth("alice"))
        room_id = resp.json()["roomId"]
        persister = await serve(nc, subjects.partition_of(room_id, 4))
        resp = await rooms.get(f"/api/chatrooms/{room_id}/messages", headers=auth("alice"))
        assert resp.status_code == 200
        assert [m["seq"] for m in resp.json()] == [1, 2]
        assert [q["roomId"] for q in persister.requests] == [room_id]
