"""The room files the persister process writes, byte for byte: one file per room and stream."""

from __future__ import annotations

from minitalk_common import bus, events, subjects
from minitalk_local.system import LocalSystem
from minitalk_persister.roomfile import RECORD, time_us
from nats.js import JetStreamContext

from .support import start_persister, wait_acked

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_each_event_is_one_line_with_its_stream_seq_trace_id_and_event(
    system: LocalSystem, js: JetStreamContext
) -> None:
    created = events.RoomCreated(actor="ann", room_id="lobby", name="Lobby", participants=("ann",))
    said = events.MessageSent(actor="ann", room_id="lobby", sender="ann", content="hi ✓")
    other = events.MessageSent(actor="bob", room_id="attic", sender="bob", content="elsewhere")
    await start_persister(system)
    await bus.publish_event(js, subjects.room_subject("lobby"), created)
    await bus.publish_event(
        js, subjects.message_subject("lobby"), said, headers={"traceparent": TRACEPARENT}
    )
    await bus.publish_event(js, subjects.message_subject("attic"), other)
    await wait_acked(js)

    rooms = system.data_dir / "rooms"
    assert sorted(p.name for p in rooms.iterdir()) == [
        "attic.idx",
        "attic.jsonl",
        "lobby.events.jsonl",
        "lobby.idx",
        "lobby.jsonl",
    ]
    assert (rooms / "lobby.events.jsonl").read_bytes() == (
        b'{"stream":"ROOMS","seq":1,"trace_id":null,"event":' + events.encode(created) + b"}\n"
    )
    assert (rooms / "lobby.jsonl").read_bytes() == (
        b'{"stream":"MESSAGES","seq":1,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","event":'
        + events.encode(said)
        + b"}\n"
    )
    assert (rooms / "attic.jsonl").read_bytes() == (
        b'{"stream":"MESSAGES","seq":2,"trace_id":null,"event":' + events.encode(other) + b"}\n"
    )
    said_line = (rooms / "lobby.jsonl").stat().st_size
    assert (rooms / "lobby.idx").read_bytes() == RECORD.pack(1, time_us(said.at), 0, said_line)
