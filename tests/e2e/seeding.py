"""Rooms with a long history, put there through the system's own contracts (issue 17).

MiniTalk has no API that backdates a message: a message's time is the ``at`` of its
``MessageSent`` event, set by realtime when it stores what a socket sent. Day separators need
messages from earlier days, so the older part of a history is published the way realtime
publishes a message - ``minitalk_common.bus.publish_event`` of a ``MessageSent`` on the room's
``messages.<roomId>`` subject of the MESSAGES stream, with an ``at`` in the past - and the rest of
the system takes it from there as from realtime: the persister stores it in the room file,
history pages serve it, the summaries count it. The recent part is sent by a real Socket.IO
client through the edge (``send_live``). Nothing is written to the room files directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx
import nats
from minitalk_common import bus, events, subjects

from ..chat_clients import ChatClient, bearer

#: PubAcks awaited at once while publishing (in order: one connection keeps the order).
WINDOW = 512


def spread(count: int, first: datetime, last: datetime) -> list[datetime]:
    """``count`` times from ``first`` to ``last``, evenly spaced, oldest first."""
    if count == 1:
        return [first]
    step = (last - first) / (count - 1)
    return [first + step * i for i in range(count)]


async def publish_history(
    nats_url: str,
    room_id: str,
    times: Sequence[datetime],
    senders: Sequence[str],
    contents: Sequence[str],
) -> list[str]:
    """Publish one ``MessageSent`` per time (oldest first); the event ids, in order."""
    made = [
        events.MessageSent(actor=sender, at=at, room_id=room_id, sender=sender, content=content)
        for at, sender, content in zip(times, senders, contents, strict=True)
    ]
    subject = subjects.message_subject(room_id)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for start in range(0, len(made), WINDOW):
            window = made[start : start + WINDOW]
            await asyncio.gather(*(bus.publish_event(js, subject, e, timeout=30) for e in window))
    finally:
        await nc.drain()
    return [e.id for e in made]


async def send_live(client: ChatClient, room_id: str, contents: Sequence[str]) -> list[str]:
    """Send through Socket.IO one after another (each acked); the stored ids, in order."""
    ids = []
    for content in contents:
        ack = await client.send(room_id, content)
        assert ack["ok"], ack
        ids.append(ack["id"])
    return ids


async def wait_stored(
    http: httpx.AsyncClient, token: str, room_id: str, last_id: str, timeout: float = 120
) -> None:
    """Until the room's newest history entry is ``last_id`` (the persister has caught up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        page = await http.get(
            f"/api/chatrooms/{room_id}/messages", params={"limit": 1}, headers=bearer(token)
        )
        if page.status_code == 200 and page.json() and page.json()[-1]["id"] == last_id:
            return
        assert loop.time() < deadline, f"history of {room_id} never reached {last_id}"
        await asyncio.sleep(0.2)


def day_starts(now: datetime, days: int) -> list[datetime]:
    """Midnight (of ``now``'s zone) of each of the ``days`` days before ``now``'s, oldest first."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=d) for d in range(days, 0, -1)]
