"""``GuardedServer._handle_plain_event`` answers every event frame as python-socketio would:
raw frames over a real WebSocket, against realtime as a process, each answer compared with
the ``Packet`` the library builds for it."""

from __future__ import annotations

import json
from collections.abc import Callable

import socketio
from nats.js import JetStreamContext
from socketio import packet

from .conftest import StartRealtime, create_room
from .rawsocket import RawSocket

Token = Callable[..., str]


def library_ack(ack_id: int, answer: object) -> str:
    encoded = (
        socketio.AsyncServer(json=None)
        .packet_class(packet.ACK, namespace="/", id=ack_id, data=[answer])
        .encode()
    )
    assert isinstance(encoded, str)
    return "4" + encoded  # an Engine.IO MESSAGE


async def test_event_frames_are_answered_as_by_the_library(
    js: JetStreamContext, start_realtime: StartRealtime, make_token: Token
) -> None:
    await create_room(js, "r1", ("alice", "bob"))
    url = start_realtime()
    alice = await RawSocket.connect(url, make_token("alice"))
    await alice.login()

    def acked(ack_id: int) -> Callable[[str], bool]:
        return lambda f: f.startswith(f"43{ack_id}[")

    # with an ack id (leading zeros read as the number, as the library's int() does)
    for frame, ack_id in (
        ('427["send_message",{"roomId":"r1","content":"one","clientMsgId":"c1"}]', 7),
        ('42007["send_message",{"roomId":"r1","content":"two","clientMsgId":"c2"}]', 7),
        ('4212345678901234["join_room",{"roomId":"r1"}]', 12345678901234),
    ):
        await alice.ws.send(frame)
        answer = await alice.next_frame(acked(ack_id))
        decoded = json.loads(answer[len(str(ack_id)) + 2 :])
        assert answer == library_ack(ack_id, decoded[0])
        assert decoded[0]["ok"] is True, decoded
    # without one: handled, nothing answered; the message is delivered
    await alice.ws.send('42["send_message",{"roomId":"r1","content":"three"}]')
    delivered = await alice.next_frame(lambda f: '"content":"three"' in f)
    assert delivered.startswith('42["message",')
    # refused ones: the ack {ok: false, error} and an ``error`` event, as before
    await alice.ws.send('429["send_message",{"roomId":"nope","content":"x"}]')
    answer = await alice.next_frame(acked(9))
    assert answer == library_ack(9, {"ok": False, "error": "unknown room"})
    # what the fast path leaves to the library: an unknown event (the catch-all), a reserved
    # name, the catch-all's own name, an object instead of an array, another namespace
    await alice.ws.send('4211["no_such_event",{}]')
    assert await alice.next_frame(acked(11)) == library_ack(
        11, {"ok": False, "error": "unknown event"}
    )
    await alice.ws.send('4212["disconnect",{}]')
    assert await alice.next_frame(acked(12)) == library_ack(
        12, {"ok": False, "error": "unknown event"}
    )
    await alice.ws.send('42/other,14["send_message",{}]')  # not connected there: ignored
    await alice.ws.send('4213["send_message",{"roomId":"r1","content":"after"}]')
    answer = await alice.next_frame(acked(13))
    assert json.loads(answer[4:])[0]["ok"] is True
