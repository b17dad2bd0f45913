"""History page latency of a room with edits and reactions beside the same room without (issue 16).

Builds two room files of ``--messages`` messages through the persister's own writer
(``RoomFile.append``, batches of ``--batch`` lines, each with its write and fsync): "plain", and
"changed" where ``--edits`` edits and ``--reactions`` reactions of random earlier messages are
interleaved with the messages (as they arrive on the room's subject). Then it times random pages
as the history responder reads them - the page through the index, then each message folded from
the room's overlay (``changes.RoomChanges``) - and, apart, the one scan that builds the overlay
when the persister opens the room:

    .venv/bin/python services/persister/bench/changes_bench.py [--messages 100000] [--pages 2000]

No NATS needed. The files go to a temporary folder (``--dir``) that is removed afterwards.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minitalk_common import events, subjects
from minitalk_persister.changes import RoomChanges
from minitalk_persister.history import HistoryQuery, read_page
from minitalk_persister.reader import RoomReader
from minitalk_persister.room import RoomFile
from minitalk_persister.roomfile import MESSAGES, Entry, make_entry

T0 = datetime(2024, 1, 1, tzinfo=UTC)
EMOJI = ("👍", "🎉", "❤️", ":tada:", ":+1:", "😂")


def entry(room_id: str, seq: int, event: events.Event) -> Entry:
    subject = subjects.message_subject(room_id)
    return make_entry(MESSAGES, subject, seq, events.encode(event), None)


def stream(room_id: str, messages: int, edits: int, reactions: int, seed: int) -> list[Entry]:
    """The room's subject: messages with the changes of earlier ones mixed in at random."""
    rng = random.Random(seed)
    total = messages + edits + reactions
    kinds = ["m"] * messages + ["e"] * edits + ["r"] * reactions
    rng.shuffle(kinds)
    kinds.insert(0, kinds.pop(kinds.index("m")))  # a change needs a message before it
    out: list[Entry] = []
    sent: list[tuple[int, str]] = []
    for seq, kind in enumerate(kinds, start=1):
        at = T0 + timedelta(seconds=seq)
        if kind == "m" or not sent:
            ev = events.MessageSent(
                actor="alice",
                room_id=room_id,
                sender="alice",
                content=f"message number {seq} with a little text to make it look like chat",
                at=at,
            )
            sent.append((seq, ev.id))
            out.append(entry(room_id, seq, ev))
            continue
        target_seq, target_id = sent[rng.randrange(len(sent))]
        if kind == "e":
            change: events.Event = events.MessageEdited(
                actor="alice",
                room_id=room_id,
                message_id=target_id,
                message_seq=target_seq,
                at=at,
                content=f"edited at {seq}, fixing a typo",
            )
        else:
            user = f"user{rng.randrange(50)}"
            change = events.ReactionAdded(
                actor=user,
                room_id=room_id,
                message_id=target_id,
                message_seq=target_seq,
                at=at,
                emoji=rng.choice(EMOJI),
                username=user,
            )
        out.append(entry(room_id, seq, change))
    assert len(out) == total
    return out


def build(directory: Path, room_id: str, entries: list[Entry], batch: int) -> RoomFile:
    room = RoomFile.open(directory, room_id, MESSAGES)
    for start in range(0, len(entries), batch):
        room.append(entries[start : start + batch])
    return room


def page_ms(room: RoomFile, changes: RoomChanges, q: HistoryQuery) -> float:
    assert room.index_path is not None
    started = time.perf_counter_ns()
    with RoomReader(room.path, room.index_path, room.count) as reader:
        page = [changes.fold(m) for m in read_page(reader, q)]
    elapsed = (time.perf_counter_ns() - started) / 1e6
    assert page
    return elapsed


def measure(room: RoomFile, changes: RoomChanges, pages: int, limit: int) -> list[float]:
    rng = random.Random(7)
    last = room.last_seq
    out = []
    for i in range(pages):
        before = None if i % 2 == 0 else rng.randint(limit + 1, last)  # latest, or scrolled back
        q = HistoryQuery(room.room_id, limit, before, None, None)
        out.append(page_ms(room, changes, q))
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def overlay(room: RoomFile) -> tuple[RoomChanges, float, float]:
    """The overlay built as the persister builds it on first use: time (s) and memory (MB)."""
    room.changes = None
    tracemalloc.start()
    started = time.perf_counter()
    changes = room.load_changes()
    seconds = time.perf_counter() - started
    memory = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    return changes, seconds, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--reactions", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=2_000, help="random pages per room")
    parser.add_argument("--limit", type=int, default=50, help="messages per page")
    parser.add_argument("--batch", type=int, default=1_000, help="lines per append (fsync)")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="changes-bench-", dir=args.dir) as tmp:
        plans = {
            "plain": stream("plain", args.messages, 0, 0, seed=1),
            "changed": stream("changed", args.messages, args.edits, args.reactions, seed=1),
        }
        print(f"history pages of {args.limit}, {args.pages} random pages per room")
        print("| room | lines | file | overlay build | overlay memory | page p50 | page p99 |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, entries in plans.items():
            room = build(Path(tmp), name, entries, args.batch)
            changes, seconds, memory = overlay(room)
            timings = measure(room, changes, args.pages, args.limit)
            size = room.path.stat().st_size / 1e6
            print(
                f"| {name} | {len(entries):,} | {size:.1f} MB | {seconds * 1000:.0f} ms"
                f" | {memory:.1f} MB | {pct(timings, 50):.3f} ms | {pct(timings, 99):.3f} ms |"
            )


if __name__ == "__main__":
    main()
