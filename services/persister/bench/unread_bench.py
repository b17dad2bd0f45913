"""``unread`` on a room of 1,000,000 messages (and one of 1,000): first load and per query.

Builds the room files through the persister's own writer (``RoomFile.append``), 10 senders
taking turns, then: the one-time scan that builds the room's counters (``RoomCounts.scan``,
what the first summary of a room costs), and ``--queries`` random ``unread(after, user)`` +
``last_message()`` calls, which is what one room of a ``GET /api/chatrooms`` costs the persister:

    .venv/bin/python services/persister/bench/unread_bench.py [--big 1000000] [--queries 10000]

No NATS needed; the files go to a temporary folder (``--dir``) removed afterwards.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minitalk_common import events, subjects
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import MESSAGES, Entry, make_entry
from minitalk_persister.unread import RoomCounts

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SENDERS = [f"user{i}" for i in range(10)]


def message(room_id: str, seq: int) -> Entry:
    sender = SENDERS[seq % len(SENDERS)]
    event = events.MessageSent(
        actor=sender,
        room_id=room_id,
        sender=sender,
        content=f"message number {seq} with a little text to make it look like chat",
        at=T0 + timedelta(seconds=seq),
    )
    return make_entry(MESSAGES, subjects.message_subject(room_id), seq, events.encode(event), None)


def build(directory: Path, room_id: str, count: int, batch: int) -> RoomFile:
    room = RoomFile.open(directory, room_id, MESSAGES)
    for start in range(1, count + 1, batch):
        room.append([message(room_id, seq) for seq in range(start, min(start + batch, count + 1))])
    return room


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def measure(name: str, room: RoomFile, queries: int) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    counts = RoomCounts()
    counts.scan(room.path, room.size)
    load_s = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    rng = random.Random(7)
    timings = []
    for _ in range(queries):
        after, user = rng.randint(0, room.last_seq), rng.choice([*SENDERS, "reader"])
        t = time.perf_counter_ns()
        counts.unread(after, user)
        counts.last_message()
        timings.append((time.perf_counter_ns() - t) / 1000)
    print(
        f"{name}: {len(counts):>9,} messages; first load (scan) {load_s:.2f} s,"
        f" max RSS +{grown_mb:.0f} MB; unread + lastMessage over {queries:,} queries:"
        f" p50 {pct(timings, 50):.1f} us  p99 {pct(timings, 99):.1f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="unread-bench-", dir=args.dir) as tmp:
        for name, count in (("small", args.small), ("big", args.big)):
            started = time.perf_counter()
            room = build(Path(tmp), name, count, args.batch)
            print(f"built {name} ({count:,} messages) in {time.perf_counter() - started:.1f} s")
            measure(name, room, args.queries)


if __name__ == "__main__":
    main()
