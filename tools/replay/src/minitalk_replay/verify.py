"""``verify``: do the room files hold exactly what the streams hold?

Each room file is read once (its lines' seqs and a hash of each line, in file order; the index is
recomputed from the lines and compared), then each stream is read once, up to its last seq at that
moment, and every event's expected line (``roomfile.make_entry``) is matched with the file's line
of the same seq. Reported: a line missing, extra, duplicated, out of order or different; an
unreadable or torn line; an index that does not match its file. Not errors, only counted: lines
older than the stream's first seq (the age limit removed them from the stream; the file is the
archive) and events the persister has not acknowledged yet (still to be written).

Deleted messages (issue 16): a file line that is the stream's line redacted (``changes.redact``)
matches when the stream deletes that message; a redacted line whose seq the stream no longer
holds was erased there by ``minitalk-replay erase`` (counted, not an error).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

from minitalk_common import events, subjects
from minitalk_persister.changes import redact
from minitalk_persister.roomfile import (
    MESSAGES,
    RECORD,
    SUFFIXES,
    BadEntry,
    Entry,
    decode_line,
    index_path_of,
    make_entry,
    message_time_us,
)
from nats.aio.client import Client as NATS

from . import streams
from .console import Meter
from .files import RoomFileName, raw_lines, room_files, torn_tail
from .rebuild import WHOLE, Partition
from .streams import Stored


@dataclass
class Problem:
    room: str
    stream: str
    kind: str
    first: int | None
    last: int | None = None
    detail: str = ""
    count: int = 1

    @property
    def seqs(self) -> str:
        if self.first is None:
            return "-"
        if self.last is None or self.last == self.first:
            return str(self.first)
        return f"{self.first}..{self.last} ({self.count})"


@dataclass
class Summary:
    """One stream's check: its bounds, what was compared, what was only counted."""

    stream: str
    first: int = 0
    last: int = 0
    files: int = 0
    lines: int = 0
    events: int = 0
    matched: int = 0
    aged_out: int = 0
    pending: int = 0
    redacted: int = 0
    erased: int = 0
    problems: int = 0


@dataclass
class Report:
    summaries: list[Summary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _File:
    """One room file's lines, sorted by seq for matching (file order is checked while read)."""

    seqs: array[int] = field(default_factory=lambda: array("Q"))
    hashes: array[int] = field(default_factory=lambda: array("q"))
    #: Seqs of lines padded by a redaction (a deleted message's content).
    padded: set[int] = field(default_factory=set)
    #: (line seq, message seq) of lines that matched only once redacted.
    redacted: list[tuple[int, int]] = field(default_factory=list)
    at: int = 0
    run: Problem | None = None


class _Check:
    def __init__(self, stream: str, report: Report, partition: Partition) -> None:
        self.stream = stream
        self.report = report
        self.partition = partition
        self.summary = Summary(stream)
        self.files: dict[str, _File] = {}
        self.pending_above = 0
        #: (room, message seq) of every deletion in the stream.
        self.deleted: set[tuple[str, int]] = set()

    def problem(self, room: str, kind: str, seq: int | None, detail: str = "") -> None:
        self.report.problems.append(Problem(room, self.stream, kind, seq, detail=detail))
        self.summary.problems += 1

    def run_of(self, room: str, file: _File, kind: str, seq: int) -> None:
        """A missing or extra seq, merged with the previous one of the same kind."""
        run = file.run
        if run is not None and run.kind == kind:
            run.last, run.count = seq, run.count + 1
            return
        self.problem(room, kind, seq)
        file.run = self.report.problems[-1]

    # -- the files ------------------------------------------------------------------------------

    def scan(self, named: RoomFileName) -> None:
        if not self.partition.holds(named.room_id):
            return
        file = self.files.setdefault(named.room_id, _File())
        self.summary.files += 1
        index = bytearray()
        seen: set[int] | None = None
        key = previous = 0
        for raw in raw_lines(named.path):
            line = raw.line
            if line is None or line.stream != self.stream:
                self.problem(named.room_id, "unreadable line", None, f"at byte {raw.offset}")
                continue
            self.summary.lines += 1
            if line.seq <= previous:
                seen = seen if seen is not None else set(file.seqs)
                kind = "duplicate" if line.seq in seen else "out of order"
                self.problem(named.room_id, kind, line.seq, f"after seq {previous}")
            if seen is not None:
                seen.add(line.seq)
            previous = max(previous, line.seq)
            file.seqs.append(line.seq)
            file.hashes.append(hash(raw.data))
            if raw.data.endswith(b" \n"):
                file.padded.add(line.seq)
            time_key = message_time_us(line) if self.stream == MESSAGES else None
            if time_key is not None:
                key = max(key, time_key)
                index += RECORD.pack(line.seq, key, raw.offset, len(raw.data))
        if torn := torn_tail(named.path):
            self.problem(named.room_id, "torn last line", None, f"{torn} bytes without newline")
        if self.stream == MESSAGES:
            self._check_index(named, bytes(index))
        if seen is not None:  # out of order: sort the lines by seq for matching
            pairs = sorted(zip(file.seqs, file.hashes, strict=True))
            file.seqs = array("Q", (seq for seq, _ in pairs))
            file.hashes = array("q", (h for _, h in pairs))

    def _check_index(self, named: RoomFileName, expected: bytes) -> None:
        path = index_path_of(named.path.parent, named.room_id)
        actual = path.read_bytes() if path.exists() else b""
        if actual == expected:
            return
        size = RECORD.size
        at = next(
            (
                i
                for i in range(0, min(len(actual), len(expected)), size)
                if actual[i : i + size] != expected[i : i + size]
            ),
            min(len(actual), len(expected)),
        )
        seq = RECORD.unpack_from(expected, at)[0] if at < len(expected) else None
        records, lines = len(actual) // size, len(expected) // size
        detail = f"from record {at // size}: {records} records for {lines} lines"
        self.problem(named.room_id, "index differs", seq, detail)

    # -- the stream -----------------------------------------------------------------------------

    def take(self, msg: Stored) -> None:
        room = subjects.room_of(msg.subject)
        if not self.partition.holds(room):
            return
        try:
            entry = make_entry(self.stream, msg.subject, msg.seq, msg.data, msg.headers)
        except BadEntry:
            return  # the persister skips it too
        self.summary.events += 1
        file = self.files.setdefault(room, _File())
        self._pass_below(room, file, msg.seq)
        if entry.kind == "MessageDeleted":
            self.deleted.add((room, _message_seq(entry)))
        if file.at < len(file.seqs) and file.seqs[file.at] == msg.seq:
            if file.hashes[file.at] != hash(entry.line):
                self._differs(room, file, entry)
            self.summary.matched += 1
            file.run = None
            while file.at < len(file.seqs) and file.seqs[file.at] == msg.seq:
                file.at += 1  # a duplicate was reported while reading the file
        elif msg.seq > self.pending_above:
            self.summary.pending += 1
        else:
            self.run_of(room, file, "missing", msg.seq)

    def _differs(self, room: str, file: _File, entry: Entry) -> None:
        """A line that is not the stream's: fine if it is the stream's redacted (checked in
        ``finish``: the stream must delete that message)."""
        if file.hashes[file.at] == hash(redact(entry.line)):
            file.redacted.append((entry.seq, _message_seq(entry)))
            self.summary.redacted += 1
        else:
            self.problem(room, "line differs", entry.seq, "not the line the stream gives")

    def _pass_below(self, room: str, file: _File, seq: int) -> None:
        """File lines below ``seq`` that no event matched: aged out, or not in the stream."""
        while file.at < len(file.seqs) and file.seqs[file.at] < seq:
            line_seq = file.seqs[file.at]
            if line_seq < self.summary.first:
                self.summary.aged_out += 1
            elif line_seq in file.padded:
                self.summary.erased += 1
            else:
                self.run_of(room, file, "not in stream", line_seq)
            file.at += 1

    def finish(self) -> None:
        for room, file in sorted(self.files.items()):
            self._pass_below(room, file, self.summary.last + 1)
            for seq, message_seq in file.redacted:
                if (room, message_seq) not in self.deleted:
                    self.problem(room, "redacted, not deleted", seq, f"message {message_seq}")


def _message_seq(entry: Entry) -> int:
    """The seq of the message a line is or changes."""
    event = events.decode(bytes(decode_line(entry.line).event))
    return event.message_seq if isinstance(event, events.CHANGE_TYPES) else entry.seq


async def verify(nc: NATS, rooms_dir: Path, meter: Meter, partition: Partition = WHOLE) -> Report:
    """Check the room files in ``rooms_dir`` against the ROOMS, MESSAGES and READS streams."""
    report = Report()
    named = room_files(rooms_dir)
    for stream in SUFFIXES:
        check = _Check(stream, report, partition)
        mine = [n for n in named if n.stream == stream]
        tick = meter.counter(f"{stream} files", len(mine))
        for one in mine:
            check.scan(one)
            tick()
        await _check_stream(nc, check, meter)
        report.summaries.append(check.summary)
    return report


async def _check_stream(nc: NATS, check: _Check, meter: Meter) -> None:
    js = nc.jetstream()
    span = await streams.bounds(js, check.stream)
    check.summary.first, check.summary.last = span.first, span.last
    check.pending_above = await _acked_floor(nc, check.stream, span.last)
    tick = meter.counter(f"{check.stream} stream", span.messages)

    def take(msg: Stored) -> None:
        check.take(msg)
        tick()

    await streams.read(js, check.stream, subjects.all_of(check.stream), take, end=span.last)
    check.finish()


async def _acked_floor(nc: NATS, stream: str, last: int) -> int:
    """Every event up to this seq is in the files if the persister works: the lowest ack floor of
    its consumers (none: every event counts)."""
    prefix = f"persister-{stream.lower()}-"
    floors = [
        info.ack_floor.stream_seq if info.ack_floor else 0
        for info in await nc.jsm().consumers_info(stream)
        if info.name.startswith(prefix)
    ]
    return min(floors) if floors else last
