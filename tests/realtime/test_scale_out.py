"""Several realtime processes serve one room; every socket gets every message exactly once, in
seq order (each process follows the MESSAGES stream)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext

from .clients import Client
from .conftest import StartRealtime, create_room

OpenClient = Callable[..., Awaitable[Client]]


async def test_two_processes_deliver_every_message_once_to_every_socket(
    js: JetStreamContext, start_realtime: StartRealtime, open_client: OpenClient
) -> None:
    users = ("alice", "bob", "carol", "dave")
    await create_room(js, "big", users)
    await create_room(js, "other", ("alice", "bob"))
    urls = [start_realtime("realtime"), start_realtime("realtime2")]
    sockets = [await open_client(urls[i % 2], user) for i, user in enumerate(users)]
    senders = sockets[:3]  # on both processes

    async def send_many(client: Client, count: int) -> list[str]:
        acks = [await client.send("big", f"{client.username} {i}") for i in range(count)]
        assert all(ack["ok"] for ack in acks)
        return [ack["id"] for ack in acks]

    sent = await asyncio.gather(
        *(send_many(c, n) for c, n in zip(senders, (70, 70, 60), strict=True))
    )
    other = await sockets[0].send("other", "elsewhere")
    every_id = {message_id for ids in sent for message_id in ids}
    assert len(every_id) == 200

    for client in sockets:
        await client.wait_until(lambda c=client: len(c.messages("big")) >= 200)
    await sockets[1].wait_until(lambda: len(sockets[1].messages("other")) == 1)
    await asyncio.sleep(0.3)  # room for a duplicate to show up, if there were one
    for client in sockets:
        received = [m["id"] for m in client.messages("big")]
        assert len(received) == 200
        assert set(received) == every_id
        for ids in sent:  # each sender's messages arrive in the order sent
            assert [i for i in received if i in set(ids)] == ids
        seqs = [m["seq"] for m in client.messages("big")]
        assert seqs == sorted(seqs)  # every socket sees the room in stream order
    assert [m["id"] for m in sockets[1].messages("other")] == [other["id"]]
    assert sockets[2].messages("other") == []
    assert sockets[3].messages("other") == []
