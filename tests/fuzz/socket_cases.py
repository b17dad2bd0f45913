"""Socket.IO fuzz cases: what a case sends on an authenticated socket, as hypothesis builds it.

Kinds: ``event`` (a well-formed ``42[event, ...]`` with arbitrary JSON arguments, with or
without an ack id: the server must answer it and keep the socket), ``raw`` (malformed text
frames: bad packet types, bad JSON, odd ack ids and namespaces), ``binary`` (binary frames and
binary-attachment headers), ``bye`` (the client's own disconnect or close) and ``handshake``
(a new connection with a bad token or CONNECT payload).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from . import values
from .wire import json_text

EVENTS = (
    "join_room",
    "leave_room",
    "send_message",
    "typing",
    "edit_message",
    "delete_message",
    "react",
)
OTHER_EVENTS = ("connect", "disconnect", "message", "error", "joined_room", "", "__proto__")
#: ack ids a case asks for; the client's own count from 900,000,000
CASE_ACK_IDS = st.integers(1, 899_999_999)
#: realtime's frame limit (MINITALK_MAX_FRAME_BYTES default): a longer frame is a protocol
#: violation the server may close the socket for
MAX_FRAME = 65_536


@dataclass(frozen=True)
class Rooms:
    """Room ids a payload may name: the fuzz user's, one they are not in, one that is not."""

    mine: str
    control: str
    foreign: str
    missing: str = "0" * 32


@dataclass
class SocketCase:
    kind: str
    frames: list[str | bytes]
    #: event name and first argument of a well-formed event
    event: str | None = None
    payload: Any = None
    ack_id: int | None = None
    #: handshake cases: the token and the CONNECT frame of the new connection
    token: str | None = None
    connect_frame: str = "40"
    #: further acked ``send_message`` frames of the case: ack id -> the roomId they name
    more_sends: dict[int, str] = field(default_factory=dict)

    @property
    def well_formed(self) -> bool:
        """A valid packet under the frame limit: the server must answer it, socket kept."""
        raw = [f.encode("utf-8", "surrogatepass") if isinstance(f, str) else f for f in self.frames]
        size = sum(len(f) for f in raw)
        return self.kind == "event" and size <= MAX_FRAME

    def describe(self) -> str:
        shown = [f if len(f) <= 240 else f"{f[:240]!r}... ({len(f)} long)" for f in self.frames]
        text = f"{self.kind}: {shown!r}"[:900]
        if self.kind == "handshake":
            text += f" token={self.token!r:.80} connect={self.connect_frame!r:.200}"
        return text


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each as often as its weight says (``one_of`` is not uniform)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def room_id(rooms: Rooms) -> st.SearchStrategy[Any]:
    return weighted(
        (6, st.just(rooms.mine)),
        (1, st.just(rooms.control)),
        (1, st.sampled_from([rooms.foreign, rooms.missing])),
        (2, values.nasty_value),
    )


def payloads(rooms: Rooms) -> st.SearchStrategy[Any]:
    """Payload objects with the fields the events read, each good or nasty, or anything."""
    content = weighted(
        (1, st.just("hello")),
        (1, st.text(max_size=20)),
        (3, values.surrogate_text),
        (1, values.nul_text),
        (1, values.huge_text),
        (2, values.nasty_text),
    )
    fields = st.fixed_dictionaries(
        {},
        optional={
            "roomId": room_id(rooms),
            "content": content | values.nasty_value,
            "clientMsgId": st.sampled_from(["m1", "m2", "c-1"]) | values.nasty_value,
            "isTyping": st.booleans() | values.nasty_value,
            # issue 16: edit_message, delete_message, react
            "id": st.sampled_from(["m1", "0" * 32]) | values.nasty_value,
            "emoji": st.sampled_from(["👍", ":tada:", "👨‍👩‍👧", "ab"]) | values.nasty_value,
            "on": st.booleans() | values.nasty_value,
        },
    )
    core = st.fixed_dictionaries({"roomId": room_id(rooms), "content": content})
    anything = st.recursive(
        st.none() | st.booleans() | values.huge_number | values.nasty_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    )
    return weighted((4, core), (3, fields), (1, anything))


@st.composite
def event_case(draw: st.DrawFn, rooms: Rooms, event: str | None) -> SocketCase:
    """``event`` with arbitrary arguments; ``None``: an event the server does not handle."""
    if event is None:
        event = draw(st.sampled_from(OTHER_EVENTS) | values.nasty_text)
    args = [draw(payloads(rooms))]
    args += draw(st.lists(payloads(rooms), max_size=2))
    if draw(st.integers(0, 15)) == 7:
        args = []
    ack_id = draw(CASE_ACK_IDS) if draw(st.booleans()) else None
    return make_event(event, args, ack_id, ascii_only=draw(st.booleans()))


def make_event(
    event: str, args: list[Any], ack_id: int | None = 7, ascii_only: bool = False
) -> SocketCase:
    text = json_text([event, *args], ascii_only=ascii_only)
    frame = f"42{'' if ack_id is None else ack_id}{text}"
    return SocketCase("event", [frame], event, args[0] if args else None, ack_id)


def explicit_cases(rooms: Rooms) -> dict[str, list[SocketCase]]:
    """The inputs the issue names, sent every run before the generated ones."""
    mine = rooms.mine
    bad_text = ["\ud800", "a\udfffb", "\udbff", "\x00", "a\x00b"]
    bad_room = ["\ud800", f"{mine}\ud800", "a\x00", 10**30, None, [mine], "", "a.b", "*"]
    send: list[Any] = [{"roomId": mine, "content": text} for text in bad_text]
    send += [{"roomId": mine, "content": "x" * 4001}, {"roomId": mine, "content": 10**400}]
    send += [{"roomId": mine, "content": "ok", "clientMsgId": cid} for cid in bad_text]
    send += [{"roomId": room, "content": "ok"} for room in [*bad_room, rooms.foreign]]
    send += [[mine, "hello"], "hello", 10**30]
    typing: list[Any] = [{"roomId": mine, "isTyping": v} for v in ["\ud800", 1, None, "true"]]
    typing += [{"roomId": room, "isTyping": True} for room in [*bad_room, rooms.foreign]]
    rooms_: list[Any] = [{"roomId": room} for room in [*bad_room, rooms.foreign, rooms.missing]]
    other = [make_event(name, [{"roomId": mine}]) for name in ("disconnect", "connect", "")]
    # one clientMsgId in two rooms: two messages, each acked once stored (issue 12)
    again = make_event("send_message", [{"roomId": mine, "content": "one", "clientMsgId": "d1"}])
    second = {"roomId": rooms.control, "content": "two", "clientMsgId": "d1"}
    again.frames.append(f"4211{json_text(['send_message', second])}")
    again.more_sends[11] = rooms.control
    return {
        "send_message": [make_event("send_message", [p]) for p in send] + [again],
        "typing": [make_event("typing", [p]) for p in typing],
        "join_room": [make_event("join_room", [p]) for p in rooms_],
        "leave_room": [make_event("leave_room", [p]) for p in rooms_],
        "other event": other,
        "raw frames": [SocketCase("raw", [frame]) for frame in RAW_TEXT],
        "binary frames": [SocketCase("binary", [header]) for header in BINARY_HEADERS],
        "bye": [SocketCase("bye", [frame]) for frame in ("41", "1")],
    }


RAW_TEXT = (
    "",
    "4",
    "42",
    "42[",
    '42["send_message"',
    "42{}",
    "42null",
    "42[]",
    "42[1]",
    "42[null]",
    '42["send_message",]',
    '42["send_message",NaN]',
    '42["send_message",{"roomId":"\\ud800"}]',
    '42["send_message",{"content":"\\uDFFF"}]',
    '42["send_message",{"roomId":1' + "0" * 5000 + "}]",
    "42" + "[" * 5000 + "]" * 5000,
    '4-1["typing",{}]',
    '42-1["typing",{}]',
    '4299999999999999999999999999["typing",{}]',
    '421a["typing",{}]',
    '43["x"]',
    '431["x"]',
    "43999999999999999999",
    "40",
    '40{"token":"x"}',
    "40/nope,",
    '40/nope,{"token":"x"}',
    '42/nope,["send_message",{}]',
    '42/,["send_message",{}]',
    '42/admin#x,["send_message",{}]',
    "44",
    '44{"message":"x"}',
    "47",
    "49[]",
    "4\x00",
    "0",
    '0{"sid":"x"}',
    "2",
    "2probe",
    "3",
    "5",
    "6",
    "7",
    "8",
    "x",
    "\x00",
    "\ufeff42[]",
)
BINARY_HEADERS = (
    '451-["send_message",{"_placeholder":true,"num":0}]',
    '452-["send_message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
    '451-1["send_message",{"_placeholder":true,"num":0}]',
    '459999999-["send_message",{"_placeholder":true,"num":0}]',
    '45-1-["send_message",{}]',
    '45x-["send_message",{}]',
    '451-["send_message",{"_placeholder":true,"num":7}]',
    '461-1[{"_placeholder":true,"num":0}]',
    '45["send_message",{}]',
)


@st.composite
def raw_case(draw: st.DrawFn, rooms: Rooms) -> SocketCase:
    # a WebSocket text frame is UTF-8: no lone surrogate (the JSON escape is in RAW_TEXT)
    sendable = st.characters(categories=("L", "N", "P", "S", "Z", "Cc", "Co"))
    garbage = st.text(sendable, max_size=30).map(lambda t: "4" + t)
    frames = draw(st.lists(st.sampled_from(RAW_TEXT) | garbage, min_size=1, max_size=3))
    return SocketCase("raw", list(frames))


@st.composite
def binary_case(draw: st.DrawFn, rooms: Rooms) -> SocketCase:
    frames: list[str | bytes] = []
    if draw(st.booleans()):
        frames.append(draw(st.sampled_from(BINARY_HEADERS)))
    blobs = st.binary(max_size=64) | st.sampled_from([b"\x04" + b"x" * 100_000, b"4", b"\x00"])
    frames += draw(st.lists(blobs, max_size=3))
    return SocketCase("binary", frames or [b""])


@st.composite
def bye_case(draw: st.DrawFn, rooms: Rooms) -> SocketCase:
    return SocketCase("bye", [draw(st.sampled_from(["41", "1", "41/nope,"]))])


@st.composite
def handshake_case(draw: st.DrawFn, rooms: Rooms, token: str) -> SocketCase:
    bad_tokens = st.sampled_from(["", "x", "x.y.z", token + "x", token[:-3], "Bearer " + token])
    query_token = draw(st.none() | st.just(token) | bad_tokens | values.url_text)
    auth = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({"token": values.nasty_value | bad_tokens | st.just(token)}),
            values.nasty_value,
        )
    )
    connect = "40" if auth is None else f"40{json_text(auth)}"
    return SocketCase("handshake", [], token=query_token, connect_frame=connect)


def socket_cases(rooms: Rooms, token: str) -> dict[str, tuple[int, st.SearchStrategy[Any]]]:
    """Each kind of case with its share of the examples (per 100), so that every event gets
    its own run rather than what a random pick would leave it."""
    return {
        "send_message": (20, event_case(rooms, "send_message")),
        "join_room": (10, event_case(rooms, "join_room")),
        "leave_room": (10, event_case(rooms, "leave_room")),
        "typing": (10, event_case(rooms, "typing")),
        "edit_message": (5, event_case(rooms, "edit_message")),
        "delete_message": (5, event_case(rooms, "delete_message")),
        "react": (5, event_case(rooms, "react")),
        "other event": (10, event_case(rooms, None)),
        "raw frames": (15, raw_case(rooms)),
        "binary frames": (6, binary_case(rooms)),
        "bye": (3, bye_case(rooms)),
        "handshake": (8, handshake_case(rooms, token)),
    }
