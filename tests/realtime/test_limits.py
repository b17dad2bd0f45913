"""Issue 12: per-user event budgets and sockets per user; real use never meets them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import socketio
from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]


async def test_a_burst_of_100_then_30_msgs_per_second_all_pass_with_the_defaults(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    burst = await asyncio.gather(*(alice.send("r1", f"burst {n}") for n in range(100)))
    started = time.monotonic()
    steady = []
    for n in range(90):  # 30 msgs/s for 3 s
        steady.append(await alice.send("r1", f"steady {n}"))
        await asyncio.sleep(max(0.0, started + (n + 1) / 30 - time.monotonic()))
    typing = [
        await alice.call("typing", {"roomId": "r1", "isTyping": n % 2 == 0}) for n in range(6)
    ]

    assert [ack["ok"] for ack in burst + steady] == [True] * 190
    assert typing == [{"ok": True}] * 6
    await bob.wait_until(lambda: len(bob.messages("r1")) == 190)
    assert alice.of("error") == []


async def test_over_its_budget_a_user_is_told_to_wait_and_keeps_its_connection(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(MINITALK_SEND_RATE_PER_S="2", MINITALK_SEND_BURST="5")
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")
    second_tab = await open_client(url, "alice")  # the budget is the user's, not the socket's

    acks = [await client.send("r1", f"m{n}") for n in range(4) for client in (alice, second_tab)]
    assert [ack["ok"] for ack in acks] == [True] * 5 + [False] * 3
    refused = acks[-1]
    assert refused["error"] == "rate limited, try again"
    assert 0 < refused["retryAfterMs"] <= 500
    assert alice.of("error")[-1]["message"] == "rate limited, try again"
    assert alice.sio.connected
    assert (await bob.send("r1", "bob has his own budget"))["ok"] is True

    await asyncio.sleep(refused["retryAfterMs"] / 1000 + 0.05)
    assert (await alice.send("r1", "after the wait"))["ok"] is True
    await bob.wait_until(lambda: len(bob.messages("r1")) == 7)


@pytest.mark.parametrize(
    ("event", "payload", "allowed"),
    [
        ("typing", {"roomId": "r1", "isTyping": True}, 20),
        ("join_room", {"roomId": "r1"}, 50),
        ("something_else", {"x": 1}, 20),
    ],
)
async def test_typing_rooms_and_unknown_events_have_budgets_too(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    event: str,
    payload: Any,
    allowed: int,
) -> None:
    """A script's 300 events at once: the burst passes, the rest is refused (defaults)."""
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice, bob = await open_client(url, "alice"), await open_client(url, "bob")

    acks = await asyncio.gather(*(alice.call(event, payload) for _ in range(300)))
    limited = [ack for ack in acks if ack.get("error") == "rate limited, try again"]
    assert allowed <= 300 - len(limited) <= allowed + 30  # + what refilled meanwhile
    assert all(ack["retryAfterMs"] > 0 for ack in limited)
    assert alice.sio.connected
    assert (await alice.send("r1", "still here"))["ok"] is True
    if event == "typing":
        assert len(bob.of("typing")) < allowed + 31


async def test_a_user_holds_at_most_max_sockets_per_user(
    js: JetStreamContext,
    start_realtime: StartRealtime,
    open_client: OpenClient,
    make_token: Callable[..., str],
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime(MINITALK_MAX_SOCKETS_PER_USER="2")
    tabs = [await open_client(url, "alice"), await open_client(url, "alice")]

    third = Client("alice")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await third.connect(url, make_token("alice"))
    assert third.refusals == [{"message": "too many connections"}]
    assert (await open_client(url, "bob")).sio.connected  # others are not affected

    await tabs[0].close()
    await asyncio.sleep(0.2)
    again = await open_client(url, "alice")
    assert (await again.send("r1", "a new tab once one was closed"))["ok"] is True
