"""Issue 12, fuzzing: Socket.IO frames over a raw WebSocket through the edge, every client
event with arbitrary JSON, and malformed Engine.IO / Socket.IO packets.

Checks, per case: the server answers an acked client event, never with ``internal error`` (ack
or ``error`` event); after the case the socket still acks a valid ``send_message``, or, when
the server closed it for a malformed packet (never for a well-formed event), a new connection
works; the realtime process is alive. After the run: each room's history holds exactly the
messages that were acked or delivered (nothing refused stored, nothing acked lost).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from typing import Any

import pytest
import requests
from hypothesis import example, given, settings
from websockets.exceptions import InvalidStatus

from .conftest import FuzzStack
from .ledger import Finding, Tally
from .sio import Closed, RawSocket, Refused
from .socket_cases import EVENTS, Rooms, SocketCase, explicit_cases, socket_cases

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(600)]

ACK_TIMEOUT = 5.0
INTERNAL = "internal error"


class Driver:
    """One fuzz user's socket, re-opened when a case ends it, and what the server confirmed."""

    def __init__(self, stack: FuzzStack, username: str, token: str, rooms: Rooms) -> None:
        self.stack, self.username, self.token, self.rooms = stack, username, token, rooms
        self.tally = Tally("socket")
        #: room id -> message ids acked {ok: true} / delivered to the sender's own socket
        self.accepted: dict[str, set[str]] = defaultdict(set)
        self.acked: dict[str, set[str]] = defaultdict(set)
        self.tracebacks = 0
        self._controls = 0
        self.sock = self._open()

    def _open(self) -> RawSocket:
        for attempt in range(5):  # a connection rate limit may ask for a pause
            try:
                return RawSocket(self.stack.url, self.token).open()
            except Refused as exc:
                if "rate" not in str(exc).lower() or attempt == 4:
                    raise
            except InvalidStatus as exc:
                if exc.response.status_code != 429 or attempt == 4:
                    raise
            time.sleep(1.0)
        raise AssertionError("unreachable")

    def harvest(self) -> list[Any]:
        """Note the messages the socket received (the sender's own are delivered to it too);
        return the ``error`` events, and forget both."""
        errors = [data for name, data in self.sock.events if name == "error"]
        for name, data in self.sock.events:
            if name == "message" and isinstance(data, dict) and data.get("sender") == self.username:
                self.accepted[str(data.get("roomId"))].add(str(data.get("id")))
        self.sock.events.clear()
        return errors

    def reconnect(self, case: SocketCase) -> None:
        self.harvest()
        self.sock.close()
        try:
            self.sock = self._open()
        except (Closed, Refused, TimeoutError, OSError, InvalidStatus) as exc:
            self.find(case, "a new connection fails after the case", repr(exc))
            time.sleep(1.0)
            self.sock = self._open()  # fails the test if the server stays unreachable

    def find(self, case: SocketCase, symptom: str, log: str = "") -> None:
        self.tally.find(Finding(self.where(case), symptom, case.describe(), log))

    @staticmethod
    def where(case: SocketCase) -> str:
        if case.kind == "event":
            name = case.event if case.event in EVENTS else "other event"
            return f"socket {name}"
        return f"socket {case.kind} frames"

    def control(self) -> dict[str, Any]:
        """A valid ``send_message`` in the control room, acked; retried when rate limited."""
        for _ in range(5):
            self._controls += 1
            payload = {
                "roomId": self.rooms.control,
                "content": f"control {self._controls}",
                "clientMsgId": f"ctl-{uuid.uuid4().hex}",
            }
            ack = self.sock.call("send_message", payload, ACK_TIMEOUT)
            if isinstance(ack, dict) and ack.get("ok") is True:
                self.acked[self.rooms.control].add(ack["id"])
                self.accepted[self.rooms.control].add(ack["id"])
                return ack
            if isinstance(ack, dict) and ack.get("error") == "rate limited, try again":
                time.sleep(min(float(ack.get("retryAfterMs", 1000)) / 1000, 5.0))
                continue
            return ack if isinstance(ack, dict) else {"ok": False, "error": repr(ack)}
        return {"ok": False, "error": "rate limited five times"}

    def run(self, case: SocketCase) -> None:
        mark = self.stack.tap.mark()
        outcome = self._handshake(case) if case.kind == "handshake" else self._on_socket(case)
        self.tally.count(self.where(case), outcome)
        self.tracebacks += sum("Traceback" in line for line in self.stack.tap.since(mark))
        dead = self.stack.alive()
        if dead:
            self.find(case, f"process died: {dead}", self.stack.tap.problem_since(mark, 1.0))
            raise AssertionError(self.tally.report())

    def _on_socket(self, case: SocketCase) -> str:
        mark = self.stack.tap.mark()
        try:
            for frame in case.frames:
                self.sock.send(frame)
            if case.kind == "bye":
                self.reconnect(case)
                return "closed by the client"
            ack = self.control()
        except Closed:
            if case.well_formed:
                self.find(case, "the server closed the socket on a well-formed event")
            self.reconnect(case)
            return "closed by the server"
        except TimeoutError:
            log = self.stack.tap.problem_since(mark)
            self.find(case, "stuck socket: a valid send_message got no ack after the case", log)
            self.reconnect(case)
            return "stuck"
        outcome = self._check_answers(case, mark)
        if ack.get("ok") is not True:
            log = self.stack.tap.problem_since(mark, 1.0)
            self.find(case, f"the socket is broken: a valid send_message got {ack}", log)
            self.reconnect(case)  # the next case starts on a working socket
            return "broken socket"
        return outcome

    def _check_answers(self, case: SocketCase, mark: int) -> str:
        """The case's own ack and error events, and the messages the socket received."""
        errors = self.harvest()
        outcome = "answered"
        for ack_id, room in case.more_sends.items():
            more = self.sock.acks.pop(ack_id, None)
            if isinstance(more, dict) and more.get("ok") is True:
                self.acked[room].add(str(more.get("id")))
                self.accepted[room].add(str(more.get("id")))
        if case.ack_id is not None and case.event in EVENTS:
            ack = self.sock.acks.pop(case.ack_id, None)
            if ack is None:
                self.find(case, "no ack for an acked event (the socket answered the next one)")
                return "no ack"
            if isinstance(ack, dict) and ack.get("error") == INTERNAL:
                log = self.stack.tap.problem_since(mark, 1.0)
                self.find(case, f"ack {ack}", log)
                return INTERNAL
            if case.event == "send_message" and isinstance(ack, dict) and ack.get("ok") is True:
                room = str(case.payload.get("roomId")) if isinstance(case.payload, dict) else ""
                self.acked[room].add(str(ack.get("id")))
                self.accepted[room].add(str(ack.get("id")))
            outcome = "acked ok" if isinstance(ack, dict) and ack.get("ok") else "acked refusal"
        elif any(isinstance(e, dict) and e.get("message") == INTERNAL for e in errors):
            self.find(case, "error event 'internal error'", self.stack.tap.problem_since(mark, 1.0))
            return INTERNAL
        self.sock.acks.clear()
        return outcome

    def _handshake(self, case: SocketCase) -> str:
        mark = self.stack.tap.mark()
        other = RawSocket(self.stack.url, case.token)
        try:
            other.open(ACK_TIMEOUT, connect_frame=case.connect_frame)
            outcome = "connected"
        except Refused as exc:
            outcome = "refused"
            if INTERNAL in str(exc) or "rejected by server" in str(exc):
                log = self.stack.tap.problem_since(mark, 1.0)
                self.find(case, f"handshake refused without a reason: {exc}", log)
        except Closed:
            outcome = "closed by the server"
        except InvalidStatus as exc:  # refused at the WebSocket upgrade (HTTP status)
            outcome = f"upgrade refused {exc.response.status_code}"
            if exc.response.status_code >= 500:
                log = self.stack.tap.problem_since(mark, 1.0)
                self.find(case, f"WebSocket upgrade answered {exc.response.status_code}", log)
        except (TimeoutError, OSError) as exc:
            outcome = "no answer"
            self.find(case, f"handshake not answered: {exc!r}", self.stack.tap.problem_since(mark))
        finally:
            other.close()
        try:
            self.control()
        except (Closed, TimeoutError):
            self.find(case, "the fuzz user's socket broke during another connection's handshake")
            self.reconnect(case)
        return outcome


def history(stack: FuzzStack, token: str, room_id: str) -> list[dict[str, Any]]:
    """Every message of the room, through the edge, page by page."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = requests.get(
            f"{stack.url}/api/chatrooms/{room_id}/messages",
            params={"after": after, "limit": 100},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert page.status_code == 200, page.text
        messages = page.json()
        found += messages
        if len(messages) < 100:
            return found
        after = messages[-1]["seq"]


def check_histories(driver: Driver, peer_token: str) -> None:
    """Each room holds exactly the accepted messages; the foreign room none of ours."""
    stack, rooms, tally = driver.stack, driver.rooms, driver.tally
    for room in (rooms.mine, rooms.control):
        deadline = time.monotonic() + 20
        while True:  # the persister writes history a moment after the ack
            stored = {m["id"] for m in history(stack, driver.token, room)}
            if driver.acked[room] <= stored or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for message_id in sorted(stored - driver.accepted[room]):
            tally.find(Finding(f"history of {room}", "stored but refused", message_id))
        for message_id in sorted(driver.acked[room] - stored):
            tally.find(Finding(f"history of {room}", "acked but not stored", message_id))
        print(f"fuzz socket: room {room}: {len(stored)} stored, {len(driver.acked[room])} acked")
    ours = [m for m in history(stack, peer_token, rooms.foreign) if m["sender"] == driver.username]
    for message in ours:
        tally.find(Finding("history of a room not ours", "stored but refused", message["id"]))


def create_room(stack: FuzzStack, token: str, name: str) -> str:
    made = requests.post(
        f"{stack.url}/api/chatrooms",
        json={"name": name},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["roomId"])


def test_socket_fuzz(fuzz_stack: FuzzStack) -> None:
    username, token = fuzz_stack.users["fzsock"]
    _, peer_token = fuzz_stack.users["fzsockpeer"]
    rooms = Rooms(
        mine=create_room(fuzz_stack, token, "fuzz"),
        control=create_room(fuzz_stack, token, "control"),
        foreign=create_room(fuzz_stack, peer_token, "not yours"),
    )
    driver = Driver(fuzz_stack, username, token, rooms)
    scale = settings().max_examples / 50  # the ci profile: 400 generated cases in all
    explicit = explicit_cases(rooms)
    for kind, (share, cases) in socket_cases(rooms, token).items():

        @given(case=cases)
        @settings(max_examples=max(1, round(share * scale)))
        def one(case: SocketCase) -> None:
            driver.run(case)

        for case in explicit.get(kind, []):
            one = example(case=case)(one)
        one()
    driver.harvest()
    driver.sock.close()
    check_histories(driver, peer_token)
    driver.tally.outcomes["tracebacks logged (not a check)"] = driver.tracebacks
    print(driver.tally.report())
    assert not driver.tally.findings, driver.tally.report()
