"""``restore``: publish a backup (room files, users, credentials) into a NATS, in order.

Streams are restored in the order ``credentials``, USERS, ROOMS, MESSAGES, READS, each stream's
events in their original sequence order (room files are merged by seq). Read positions name
MESSAGES seqs: they stay right when MESSAGES keeps its seqs (the restore table says whether).
Every event keeps its id (``Nats-Msg-Id``) and its trace id (a ``traceparent`` with it), and
is conditional on the event
before it (``publisher.ChainPublisher``): an event is stored right after that one or not at all,
so an interrupted restore never leaves events out of order, and ``--resume`` goes on after the
events the stream already holds (found by their ids, whatever the duplicate window).

Sequences: the restored stream numbers its events 1, 2, 3, ...; where the old stream had gaps
(events removed by the MESSAGES age limit), sequences (the history cursors) change.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_persister.roomfile import MESSAGES, READS, ROOMS, Line, decode_line
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError

from . import streams
from .backup import CREDENTIALS_FILE, KV_STREAM, USERS, USERS_FILE, CredentialLine
from .console import Meter
from .files import lines, room_files
from .publisher import ChainPublisher
from .streams import ReplayError, Stored

#: Bytes of each room file read at a time while merging them (many files are open at once).
MERGE_CHUNK = 64 * 1024


@dataclass
class RestoreTally:
    stream: str
    published: int = 0
    present: int = 0
    invalid: int = 0
    #: The first event whose new sequence differs from its old one (None: all kept).
    renumbered_from: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where a backup's parts are: room files in ``rooms``, users and credentials files."""

    rooms: Path
    users: Path
    credentials: Path

    @classmethod
    def of(cls, directory: Path) -> Source:
        rooms = directory / "rooms"
        return cls(
            rooms if rooms.is_dir() else directory,
            directory / USERS_FILE,
            directory / CREDENTIALS_FILE,
        )


class _Id(msgspec.Struct):
    id: str


_decode_id = msgspec.json.Decoder(_Id).decode


async def restore(
    js: JetStreamContext, source: Source, settings: NatsSettings, resume: bool, meter: Meter
) -> list[RestoreTally]:
    await bus.ensure_streams(js, settings)
    await _check_empty(js, resume)
    tallies = [await _credentials(js, source.credentials, resume, meter)]
    plan = [
        (USERS, _file_events(source.users)),
        (ROOMS, _merged(source.rooms, ROOMS)),
        (MESSAGES, _merged(source.rooms, MESSAGES)),
        (READS, _merged(source.rooms, READS)),
    ]
    for stream, lines_in_order in plan:
        tallies.append(await _stream(js, stream, lines_in_order, resume, meter))
    return tallies


async def _check_empty(js: JetStreamContext, resume: bool) -> None:
    """Refuse a target that holds events already, unless resuming."""
    if resume:
        return
    full = [
        s
        for s in (KV_STREAM, USERS, ROOMS, MESSAGES, READS)
        if (await streams.bounds(js, s)).messages
    ]
    if full:
        raise ReplayError(
            f"not empty: {', '.join(full)}; restore into an empty NATS, "
            "or add --resume to go on with a restore that stopped"
        )


async def _credentials(
    js: JetStreamContext, path: Path, resume: bool, meter: Meter
) -> RestoreTally:
    tally = RestoreTally("credentials")
    records = [msgspec.json.decode(raw, type=CredentialLine) for raw in _lines_of(path)]
    if not records:
        return tally
    kv = await js.key_value(subjects.CREDENTIALS_BUCKET)
    tick = meter.counter("credentials", len(records))
    for record in records:
        try:
            await kv.create(record.key, bytes(record.value))
            tally.published += 1
        except KeyWrongLastSequenceError as exc:
            if not resume:
                raise ReplayError(f"credential {record.key!r} exists already") from exc
            tally.present += 1
        tick()
    return tally


async def _stream(
    js: JetStreamContext, stream: str, source: Iterable[Line], resume: bool, meter: Meter
) -> RestoreTally:
    tally = RestoreTally(stream)
    span = await streams.bounds(js, stream)
    present = await _ids(js, stream, meter) if resume and span.messages else set()
    tick = meter.counter(f"{stream} <- backup", None)
    moved: dict[int, int] = {}  # old seq -> new seq of the messages that were renumbered
    async with ChainPublisher(js, stream, span.last) as publisher:
        for line in source:
            tick()
            try:
                event = events.decode(bytes(line.event))
            except events.BadEvent:
                tally.invalid += 1  # no service could read it; the persister skipped it too
                continue
            if event.id in present:
                tally.present += 1
                continue
            present.add(event.id)  # a second copy would be dropped as a duplicate
            subject, headers = _subject(stream, event), _headers(line, event)
            data = bytes(line.event)
            if isinstance(event, events.CHANGE_TYPES) and event.message_seq in moved:
                # a change names its message by seq too: the message's new one
                new = msgspec.structs.replace(event, message_seq=moved[event.message_seq])
                data = events.encode(new)
            seq = await publisher.publish(subject, data, headers)
            if seq != line.seq:
                moved[line.seq] = seq
                if tally.renumbered_from is None:
                    tally.renumbered_from = (line.seq, seq)
            tally.published += 1
    return tally


async def _ids(js: JetStreamContext, stream: str, meter: Meter) -> set[str]:
    """The ids of the events ``stream`` holds."""
    tick = meter.counter(f"{stream} ids", (await streams.bounds(js, stream)).messages)
    found: set[str] = set()

    def take(msg: Stored) -> None:
        tick()
        with contextlib.suppress(msgspec.DecodeError):
            found.add(_decode_id(msg.data).id)

    await streams.read(js, stream, subjects.all_of(stream), take)
    return found


def _subject(stream: str, event: events.Event) -> str:
    if stream == USERS and isinstance(event, events.UserRegistered | events.UserDeleted):
        return subjects.user_subject(event.user_id)
    room_id = events.room_id_of(event)
    if room_id is None:
        raise ReplayError(f"{stream}: {type(event).__name__} {event.id} names no room")
    return (subjects.message_subject if stream == MESSAGES else subjects.room_subject)(room_id)


def _headers(line: Line, event: events.Event) -> dict[str, str]:
    headers = {"Nats-Msg-Id": event.id}
    if line.trace_id:  # the same trace id, so rebuilt room files show it again
        span = hashlib.blake2b(event.id.encode(), digest_size=8).hexdigest()
        headers["traceparent"] = f"00-{line.trace_id}-{span}-01"
    return headers


def _file_events(path: Path) -> Iterator[Line]:
    yield from (decode_line(raw) for raw in _lines_of(path))


def _lines_of(path: Path) -> Iterator[bytes]:
    """The non-empty lines of a file (none when it does not exist)."""
    if not path.exists():
        return
    with path.open("rb") as f:
        yield from (raw for raw in f if raw.strip())


def _merged(rooms_dir: Path, stream: str) -> Iterator[Line]:
    """Every room's lines of ``stream``, merged into one sequence order."""
    named = [n for n in room_files(rooms_dir) if n.stream == stream]
    per_room = [lines(n.path, MERGE_CHUNK) for n in named]
    for line in heapq.merge(*per_room, key=lambda line: line.seq):
        if line.stream == stream:
            yield line
