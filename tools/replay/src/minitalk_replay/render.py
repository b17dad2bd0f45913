"""The tables and panels the commands print."""

from __future__ import annotations

from minitalk_common.chat.messages import timestamp as wire_time
from rich.table import Table
from rich.text import Text

from .backup import BackupTally
from .rebuild import Tally
from .restore import RestoreTally
from .timeline import At, RoomView
from .verify import Report

#: Problems listed one by one; beyond, only counted.
MAX_PROBLEMS = 200


def rebuild_table(tallies: dict[str, Tally], seconds: float) -> Table:
    table = Table(title="rebuild")
    for column in ("stream", "events read", "lines written", "rooms", "invalid", "elsewhere"):
        table.add_column(column, justify="left" if column == "stream" else "right")
    for stream, t in tallies.items():
        row = (t.events, t.written, len(t.rooms), t.invalid, t.other_partition)
        table.add_row(stream, *(f"{n:,}" for n in row))
    total = sum(t.events for t in tallies.values())
    table.caption = (
        f"{total:,} events in {seconds:.1f}s: {total / max(seconds, 1e-9):,.0f} events/s"
    )
    return table


def verify_tables(report: Report) -> list[Table]:
    summary = Table(title="verify: room files against the streams")
    columns = ("stream", "seqs", "files", "lines", "events", "matched", "aged out", "pending")
    for column in (*columns, "problems"):
        summary.add_column(column, justify="left" if column in ("stream", "seqs") else "right")
    for s in report.summaries:
        counts = (s.files, s.lines, s.events, s.matched, s.aged_out, s.pending)
        style = "red" if s.problems else "green"
        summary.add_row(
            s.stream,
            f"{s.first}..{s.last}",
            *(f"{n:,}" for n in counts),
            Text(f"{s.problems:,}", style=style),
        )
    tables = [summary]
    if report.problems:
        problems = Table(title="differences", title_style="bold red")
        for column in ("room", "stream", "problem", "seq", "detail"):
            problems.add_column(column)
        ordered = sorted(report.problems, key=lambda p: (p.stream, p.room, p.first or 0))
        for p in ordered[:MAX_PROBLEMS]:
            problems.add_row(p.room, p.stream, Text(p.kind, style="red"), p.seqs, p.detail)
        if len(report.problems) > MAX_PROBLEMS:
            problems.caption = f"... and {len(report.problems) - MAX_PROBLEMS:,} more"
        tables.append(problems)
    return tables


def backup_table(tally: BackupTally) -> Table:
    table = Table(title="backup")
    table.add_column("part")
    table.add_column("written", justify="right")
    table.add_row("users (USERS stream)", f"{tally.users:,}")
    table.add_row("credentials (bcrypt hashes)", f"{tally.credentials:,}")
    table.add_row("room files", f"{tally.room_files:,} ({tally.room_lines:,} lines)")
    return table


def restore_table(tallies: list[RestoreTally]) -> Table:
    table = Table(title="restore")
    for column in ("part", "published", "there already", "invalid", "sequences"):
        table.add_column(column, justify="left" if column in ("part", "sequences") else "right")
    for t in tallies:
        seqs = (
            "kept"
            if t.renumbered_from is None
            else "changed from old seq {} (now {})".format(*t.renumbered_from)
        )
        if t.stream == "credentials":
            seqs = "-"
        table.add_row(t.stream, f"{t.published:,}", f"{t.present:,}", f"{t.invalid:,}", seqs)
    return table


def room_table(room: RoomView) -> Table:
    title = f"room {room.room_id} as of {room.at.text}"
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    if not room.exists:
        table.add_row("state", "no such room" if room.at == At() else "not created yet")
        return table
    created = wire_time(room.created_at) if room.created_at else "?"
    table.add_row("name", room.name or "")
    table.add_row("created", f"by {room.created_by} at {created}")
    table.add_row("state", "deleted" if room.deleted else "live")
    table.add_row("members", ", ".join(room.members) or "(none)")
    table.add_row("log", f"ROOMS seq {room.rooms_seq}, MESSAGES seq {room.messages_seq}")
    table.add_row("messages", f"{room.message_count:,}")
    return table


def messages_table(room: RoomView) -> Table:
    table = Table(title=f"last {len(room.last_messages)} messages")
    for column in ("seq", "time", "sender", "content", "changes"):
        table.add_column(column, justify="right" if column == "seq" else "left")
    for seq, message in room.last_messages:
        note = Text(room.notes.get(seq, ""))
        table.add_row(str(seq), wire_time(message.at), message.sender, Text(message.content), note)
    return table
