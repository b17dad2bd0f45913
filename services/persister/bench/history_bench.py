"""History page latency on a room of 1,000,000 messages and one of 1,000, in one run.

Builds both room files through the persister's own writer (``RoomFile.append``, batches of
``--batch`` lines, each with its write and fsync), then times random pages the way the history
responder reads them (open, binary search, read records and lines, decode, close):

    .venv/bin/python services/persister/bench/history_bench.py [--big 1000000] [--pages 1000]

No NATS needed. The files go to a temporary folder (``--dir``) that is removed afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minitalk_common import events, subjects
from minitalk_persister.history import HistoryQuery, read_page
from minitalk_persister.reader import RoomReader
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import MESSAGES, Entry, make_entry

T0 = datetime(2024, 1, 1, tzinfo=UTC)
KINDS = ("latest", "before", "after", "since")


def build(directory: Path, room_id: str, count: int, batch: int) -> RoomFile:
    room = RoomFile.open(directory, room_id, MESSAGES)
    for start in range(1, count + 1, batch):
        room.append([message(room_id, seq) for seq in range(start, min(start + batch, count + 1))])
    return room


def message(room_id: str, seq: int) -> Entry:
    event = events.MessageSent(
        actor="alice",
        room_id=room_id,
        sender="alice",
        content=f"message number {seq} with a little text to make it look like chat",
        at=T0 + timedelta(seconds=seq),
    )
    return make_entry(MESSAGES, subjects.message_subject(room_id), seq, events.encode(event), None)


def query(room: RoomFile, kind: str, rng: random.Random, limit: int) -> HistoryQuery:
    seq = rng.randint(1, room.last_seq)
    since = int((T0 + timedelta(seconds=seq)).timestamp() * 1_000_000)
    return HistoryQuery(
        room_id=room.room_id,
        limit=limit,
        before=seq if kind == "before" else None,
        after=seq if kind == "after" else None,
        since_us=since if kind == "since" else None,
    )


def page_ms(room: RoomFile, q: HistoryQuery) -> float:
    assert room.index_path is not None
    started = time.perf_counter_ns()
    with RoomReader(room.path, room.index_path, room.count) as reader:
        messages = read_page(reader, q)
    elapsed = (time.perf_counter_ns() - started) / 1e6
    assert messages or q.after is not None or q.before == 1
    return elapsed


def measure(room: RoomFile, pages: int, limit: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for i in range(pages):
        kind = KINDS[i % len(KINDS)]
        timings[kind].append(page_ms(room, query(room, kind, rng, limit)))
    return timings


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def report(name: str, room: RoomFile, timings: dict[str, list[float]]) -> None:
    every = [t for values in timings.values() for t in values]
    size_mb = room.path.stat().st_size / 1e6
    print(f"{name}: {room.count:>9,} messages, {size_mb:8.1f} MB file")
    print(
        f"  all {len(every):>5} pages: p50 {pct(every, 50):.3f} ms  p99 {pct(every, 99):.3f} ms"
        f"  mean {statistics.fmean(every):.3f} ms"
    )
    for kind, values in timings.items():
        p50, p99 = pct(values, 50), pct(values, 99)
        print(f"  {kind:>6} ({len(values)}): p50 {p50:.3f} ms  p99 {p99:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", type=int, default=1_000_000, help="messages in the big room")
    parser.add_argument("--small", type=int, default=1_000, help="messages in the small room")
    parser.add_argument("--pages", type=int, default=1_000, help="random pages per room")
    parser.add_argument("--limit", type=int, default=50, help="messages per page")
    parser.add_argument("--batch", type=int, default=10_000, help="lines per append (fsync)")
    parser.add_argument("--dir", type=Path, default=None, help="where the temporary files go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="history-bench-", dir=args.dir) as tmp:
        rooms = {}
        for name, count in (("big", args.big), ("small", args.small)):
            started = time.perf_counter()
            rooms[name] = build(Path(tmp), name, count, args.batch)
            print(f"built {name} ({count:,} messages) in {time.perf_counter() - started:.1f} s")
        results = {
            name: measure(room, args.pages, args.limit, seed=7) for name, room in rooms.items()
        }
        print(f"\nhistory pages of {args.limit} messages, {args.pages} random pages per room:")
        for name, room in rooms.items():
            report(name, room, results[name])


if __name__ == "__main__":
    main()
