"""``minitalk-replay``: the command line of the replay tool (typer + rich).

Each command connects to ``--nats-url`` (default ``MINITALK_NATS_URL``) and works on the room
files under ``--data`` (default ``MINITALK_DATA_DIR`` or ``./data``; room files in
``<data>/rooms``). Exit codes: 0 done, 1 differences found (verify), 2 could not do it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from minitalk_common.config import NatsSettings

from . import render
from .backup import backup as run_backup
from .console import bars, err, out
from .erase import erase as run_erase
from .rebuild import Partition
from .rebuild import rebuild as run_rebuild
from .restore import Source
from .restore import restore as run_restore
from .streams import ReplayError, connect
from .tail import tail as run_tail
from .timeline import At, from_files, from_streams, view
from .verify import verify as run_verify

app = typer.Typer(
    name="minitalk-replay",
    help="Rebuild and verify room files from the streams, back up and restore, look back, tail.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")

NatsUrl = Annotated[
    str,
    typer.Option("--nats-url", envvar="MINITALK_NATS_URL", help="NATS server URL(s)."),
]
DataDir = Annotated[
    Path,
    typer.Option("--data", envvar="MINITALK_DATA_DIR", help="Data folder (room files in rooms/)."),
]
PartitionIndex = Annotated[
    int, typer.Option(min=0, help="Only this persister partition's rooms (with --partitions).")
]
Partitions = Annotated[int, typer.Option(min=1, help="How many persister partitions there are.")]
DEFAULT_URL = NatsSettings.model_fields["nats_url"].default
DEFAULT_DATA = Path("data")


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one command's coroutine; a ``ReplayError`` is one red line and exit code 2."""
    try:
        return asyncio.run(make())
    except ReplayError as exc:
        _fail(exc)


def _fail(exc: ReplayError) -> NoReturn:
    err.print(f"[red]error:[/] {exc}")
    raise typer.Exit(2) from exc


def _partition(partition: int, partitions: int) -> Partition:
    if partition >= partitions:
        raise typer.BadParameter("--partition must be below --partitions")
    return Partition(partition, partitions)


@app.command()
def rebuild(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the room files (fresh).")],
    room: Annotated[list[str] | None, typer.Option(help="Only this room (repeatable).")] = None,
    nats_url: NatsUrl = DEFAULT_URL,
    partition: PartitionIndex = 0,
    partitions: Partitions = 1,
) -> None:
    """Write the room files again from the streams, from their first event, byte for byte."""
    part = _partition(partition, partitions)

    async def go() -> None:
        async with connect(nats_url) as nc:
            started = time.perf_counter()
            with bars() as meter:
                tallies = await run_rebuild(nc.jetstream(), out_dir, meter, room or (), part)
            out.print(render.rebuild_table(tallies, time.perf_counter() - started))

    _run(go)


@app.command()
def verify(
    data: DataDir = DEFAULT_DATA,
    nats_url: NatsUrl = DEFAULT_URL,
    partition: PartitionIndex = 0,
    partitions: Partitions = 1,
) -> None:
    """Compare the room files with the streams; exit 1 on any difference."""
    part = _partition(partition, partitions)

    async def go() -> bool:
        async with connect(nats_url) as nc:
            with bars() as meter:
                report = await run_verify(nc, data / "rooms", meter, part)
        for table in render.verify_tables(report):
            out.print(table)
        return report.ok

    if not _run(go):
        raise typer.Exit(1)
    out.print("[green]the room files hold exactly what the streams hold[/]")


@app.command()
def backup(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the backup (fresh).")],
    rooms: Annotated[bool, typer.Option(help="Also copy the room files (whole lines).")] = True,
    data: DataDir = DEFAULT_DATA,
    nats_url: NatsUrl = DEFAULT_URL,
) -> None:
    """Back up the USERS stream and the credentials (bcrypt hashes), and the room files."""

    async def go() -> None:
        async with connect(nats_url) as nc:
            with bars() as meter:
                rooms_dir = data / "rooms" if rooms else None
                tally = await run_backup(nc.jetstream(), out_dir, rooms_dir, meter)
        out.print(render.backup_table(tally))

    _run(go)


@app.command()
def restore(
    from_dir: Annotated[
        Path, typer.Option("--from", help="A backup or data folder (room files in rooms/).")
    ],
    resume: Annotated[
        bool, typer.Option(help="Go on into non-empty streams, skipping the events there.")
    ] = False,
    nats_url: NatsUrl = DEFAULT_URL,
) -> None:
    """Publish a backup into a NATS: credentials, USERS, ROOMS, MESSAGES, in their order."""
    if not from_dir.is_dir():
        raise typer.BadParameter(f"{from_dir} is not a folder", param_hint="--from")

    async def go() -> None:
        settings = NatsSettings(nats_url=nats_url)
        async with connect(nats_url) as nc:
            with bars() as meter:
                tallies = await run_restore(
                    nc.jetstream(), Source.of(from_dir), settings, resume, meter
                )
        out.print(render.restore_table(tallies))
        if any(t.renumbered_from for t in tallies):
            out.print(
                "[yellow]sequences changed[/] (the old streams had gaps): history cursors differ; "
                "start the persister with an empty rooms folder so it writes the files anew."
            )

    _run(go)


@app.command()
def erase(
    room: Annotated[list[str] | None, typer.Option(help="Only this room (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be erased.")] = False,
    nats_url: NatsUrl = DEFAULT_URL,
) -> None:
    """Erase deleted messages' content from the MESSAGES stream (JetStream secure delete)."""

    async def go() -> None:
        async with connect(nats_url) as nc:
            tally = await run_erase(nc, room or (), dry_run)
        verb = "would erase" if dry_run else "erased"
        out.print(
            f"{tally.deleted_messages} deleted messages: {verb} {len(tally.erased)} events"
            f" (MESSAGES seqs {', '.join(map(str, tally.erased[:20]))}"
            f"{', ...' if len(tally.erased) > 20 else ''})"
        )

    _run(go)


@app.command()
def room(
    room_id: Annotated[str, typer.Argument(help="The room id.")],
    at: Annotated[str, typer.Option(help="ISO time, rooms:<seq>, messages:<seq> or now.")] = "now",
    last: Annotated[int, typer.Option(min=0, help="How many of the last messages.")] = 10,
    files: Annotated[
        bool, typer.Option("--files", help="Read the room files in --data, not the streams.")
    ] = False,
    data: DataDir = DEFAULT_DATA,
    nats_url: NatsUrl = DEFAULT_URL,
) -> None:
    """Show a room as it was at a point in the log: name, members, last messages."""
    try:
        point = At.parse(at)
    except ReplayError as exc:
        _fail(exc)

    async def go() -> None:
        if files:
            rooms, messages = from_files(data / "rooms", room_id)
        else:
            async with connect(nats_url) as nc:
                rooms, messages = await from_streams(nc.jetstream(), room_id, point)
        shown = view(room_id, point, rooms, messages, last)
        out.print(render.room_table(shown))
        if shown.exists and last:
            out.print(render.messages_table(shown))

    _run(go)


@app.command()
def tail(
    room_id: Annotated[str | None, typer.Option("--room", help="Only this room.")] = None,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many events.")] = None,
    nats_url: NatsUrl = DEFAULT_URL,
) -> None:
    """Follow ROOMS and MESSAGES live, one line per event; Ctrl-C stops."""

    async def go() -> None:
        async with connect(nats_url) as nc:

            def following() -> None:
                err.print(f"following {room_id or 'every room'} (Ctrl-C stops)")

            await run_tail(nc.jetstream(), _show, room_id, count, following)

    try:
        _run(go)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _show(line: str) -> None:
    out.print(line, markup=False, soft_wrap=True)
