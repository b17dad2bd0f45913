"""History over NATS request-reply from the persister process: pages, read-your-writes, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from minitalk_common import events, subjects
from minitalk_common.chat import changes
from minitalk_common.chat import history as chat_history
from minitalk_local.system import LocalSystem
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from .support import create_rooms, history, publish, start_persister, stats

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def send(js: JetStreamContext, room: str, content: str, at: datetime) -> int:
    event = events.MessageSent(actor="bob", room_id=room, sender="bob", content=content, at=at)
    return (await publish(js, subjects.message_subject(room), event)).seq


async def test_pages_are_oldest_first_by_limit_before_after_and_since(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    await create_rooms(js, ["lobby", "other"])
    seqs = [await send(js, "lobby", f"hello {i}", T0 + timedelta(minutes=i)) for i in range(30)]
    await send(js, "other", "elsewhere", T0)
    await start_persister(system)

    latest = (await history(nc, {"roomId": "lobby", "limit": 10}))["messages"]
    assert [m["content"] for m in latest] == [f"hello {i}" for i in range(20, 30)]
    assert latest[0] == {
        "id": latest[0]["id"],
        "seq": seqs[20],
        "roomId": "lobby",
        "sender": "bob",
        "content": "hello 20",
        "timestamp": "2024-05-01T12:20:00Z",
    }
    before = await history(nc, {"roomId": "lobby", "limit": 10, "before": latest[0]["seq"]})
    assert [m["seq"] for m in before["messages"]] == seqs[10:20]
    after = await history(nc, {"roomId": "lobby", "limit": 5, "after": seqs[2]})
    assert [m["seq"] for m in after["messages"]] == seqs[3:8]
    since = await history(nc, {"roomId": "lobby", "limit": 3, "since": "2024-05-01T12:07:00Z"})
    assert [m["content"] for m in since["messages"]] == ["hello 7", "hello 8", "hello 9"]
    everything = await history(nc, {"roomId": "lobby", "limit": 100})
    assert [m["seq"] for m in everything["messages"]] == seqs
    assert (await history(nc, {"roomId": "lobby"}))["messages"][0]["seq"] == seqs[-50:][0]
    assert await history(nc, {"roomId": "nobody-here"}) == {"messages": []}


async def test_a_message_is_in_the_history_asked_right_after_it_was_stored(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    await create_rooms(js, ["lobby"])
    await start_persister(system)
    for i in range(5):
        seq = await send(js, "lobby", f"just now {i}", datetime.now(UTC))
        page = await history(nc, {"roomId": "lobby", "limit": 1})
        assert [(m["seq"], m["content"]) for m in page["messages"]] == [(seq, f"just now {i}")]


async def test_a_reader_cuts_the_batch_wait_short(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    """The persister waits up to ``batch_wait`` for a batch to fill (one write and fsync for
    many events), but not while a reader waits for an event of it: with a batch wait of 60 s
    and a history wait of 1 s, history still holds the message sent right before it."""
    await create_rooms(js, ["lobby"])
    await start_persister(system, batch_wait_ms="60000", history_wait_s="1")
    seqs = [await send(js, "lobby", f"batched {i}", datetime.now(UTC)) for i in range(20)]
    page = await history(nc, {"roomId": "lobby", "limit": 50})
    assert [m["seq"] for m in page["messages"]] == seqs
    written = (await stats(system))["streams"]["MESSAGES"]
    assert written["written"] == 20
    assert written["room_writes"] == 1  # the 20 came within the wait: one batch


async def test_a_message_sent_a_moment_ago_to_another_room_is_in_another_room(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    """An edit naming a message of another room, asked right after that message was stored,
    is refused as ``other-room`` (its write may still be on its way), and an id nobody sent
    as ``unknown-message``."""
    await create_rooms(js, ["lobby", "other"])
    await send(js, "lobby", "hello", datetime.now(UTC))
    await start_persister(system)

    async def lookup(room: str, message_id: str) -> str | None:
        request = changes.encode(changes.LookupRequest(room, message_id))
        reply = await nc.request(subjects.lookup_subject(0), request, timeout=10)
        return (reply.headers or {}).get(chat_history.ERROR_HEADER)

    for i in range(10):
        event = events.MessageSent(
            actor="bob", room_id="other", sender="bob", content=f"there {i}", at=datetime.now(UTC)
        )
        await publish(js, subjects.message_subject("other"), event)
        assert await lookup("lobby", event.id) == "other-room", i
        assert await lookup("other", event.id) is None, i
    assert await lookup("lobby", "nobody-sent-this") == "unknown-message"


async def test_bad_requests_get_an_error(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    await start_persister(system)
    for request in (
        b"not json",
        {"limit": 10},
        {"roomId": "lobby", "limit": 0},
        {"roomId": "lobby", "limit": 101},
        {"roomId": "lobby", "before": "yesterday"},
        {"roomId": "lobby", "since": "not a time"},
        {"roomId": "../etc/passwd"},
    ):
        answer = await history(nc, request)
        assert set(answer) == {"error", "code"}, request
        assert answer["error"]
        assert answer["code"] == "bad-request", request


async def test_a_partition_answers_only_its_rooms(
    system: LocalSystem, js: JetStreamContext, nc: NATS
) -> None:
    mine, theirs = "room-4", "room-0"
    assert subjects.partition_of(mine, 2) == 1
    assert subjects.partition_of(theirs, 2) == 0
    await create_rooms(js, [mine, theirs])
    await send(js, mine, "kept", T0)
    await send(js, theirs, "not kept here", T0)
    await start_persister(system, persister_partition="1", persister_partitions="2")

    assert [m["content"] for m in (await history(nc, {"roomId": mine}, 1))["messages"]] == ["kept"]
    assert (await history(nc, {"roomId": theirs}, 1))["code"] == "wrong-partition"
    assert not (system.data_dir / "rooms" / f"{theirs}.jsonl").exists()
