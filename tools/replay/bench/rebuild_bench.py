"""``minitalk-replay rebuild`` throughput: events per second from the streams to room files.

Starts its own nats-server (JetStream store in a temporary folder, never the one on 4222),
publishes ``--events`` small ``MessageSent`` events (with their ``Nats-Msg-Id``) across
``--rooms`` rooms with a pipelined publisher (``--window`` acks outstanding), then times
``rebuild`` of every room file into an empty folder, and ``verify`` of the result:

    .venv/bin/python tools/replay/bench/rebuild_bench.py [--events 1000000] [--rooms 100]

Everything (store, files) is removed afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_local.system import NatsServer
from minitalk_replay.console import Quiet
from minitalk_replay.rebuild import rebuild
from minitalk_replay.verify import verify
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

T0 = datetime(2024, 1, 1, tzinfo=UTC)


async def publish(nc: NATS, total: int, rooms: list[str], window: int) -> float:
    """Publish ``total`` messages round-robin over ``rooms``; returns the seconds it took."""
    acked = 0
    failed: list[bytes] = []
    room_acked = asyncio.Event()

    async def on_ack(msg: Msg) -> None:
        nonlocal acked
        acked += 1
        if b'"error"' in msg.data:
            failed.append(msg.data)
        room_acked.set()

    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, cb=on_ack, pending_msgs_limit=-1, pending_bytes_limit=-1)
    started = time.perf_counter()
    for i in range(total):
        while i - acked >= window:
            room_acked.clear()
            await room_acked.wait()
        room = rooms[i % len(rooms)]
        event = events.MessageSent(
            actor="alice",
            room_id=room,
            sender="alice",
            content=f"message {i} says hello",
            at=T0 + timedelta(milliseconds=i),
        )
        headers = {"Nats-Msg-Id": event.id}
        await nc.publish(subjects.message_subject(room), events.encode(event), inbox, headers)
        if i % 100_000 == 0 and i:
            print(f"  published {i:,} ({i / (time.perf_counter() - started):,.0f}/s)", flush=True)
    while acked < total:
        room_acked.clear()
        await room_acked.wait()
    elapsed = time.perf_counter() - started
    await sub.unsubscribe()
    if failed:
        raise SystemExit(f"{len(failed)} publishes failed, e.g. {failed[0]!r}")
    return elapsed


def start_server(root: Path) -> NatsServer:
    """A nats-server whose log goes to ``root/nats.log``."""
    log = (root / "nats.log").open("w")
    return NatsServer(store=root / "nats", sink=log).start()


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="rebuild-bench-"))
    server = start_server(root)
    try:
        nc = await nats.connect(server.url, max_reconnect_attempts=3)
        js = nc.jetstream()
        await bus.ensure_streams(js, NatsSettings(nats_url=server.url, messages_max_age_s=0))
        rooms = [f"room-{i}" for i in range(args.rooms)]
        for room in rooms:
            created = events.RoomCreated(actor="alice", room_id=room, name=room, participants=())
            await bus.publish_event(js, subjects.room_subject(room), created)
        print(f"publishing {args.events:,} messages over {args.rooms} rooms ...", flush=True)
        took = await publish(nc, args.events, rooms, args.window)
        print(f"published {args.events:,} in {took:.1f}s: {args.events / took:,.0f} events/s")

        out = root / "data" / "rooms"
        started = time.perf_counter()
        tallies = await rebuild(js, out, Quiet())
        took = time.perf_counter() - started
        read = sum(t.events for t in tallies.values())
        size = sum(p.stat().st_size for p in out.iterdir())
        print(
            f"rebuild: {read:,} events in {took:.1f}s: {read / took:,.0f} events/s "
            f"({len(list(out.iterdir()))} files, {size / 1e6:,.0f} MB)"
        )
        started = time.perf_counter()
        report = await verify(nc, out, Quiet())
        took = time.perf_counter() - started
        rate = read / took
        print(f"verify: {read:,} events in {took:.1f}s: {rate:,.0f} events/s, ok={report.ok}")
        await nc.drain()
    finally:
        server.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--window", type=int, default=1000, help="publishes awaiting their ack")
    parser.add_argument("--keep", action="store_true", help="keep the store and the files")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
