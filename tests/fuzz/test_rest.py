"""Issue 12, fuzzing: schemathesis against the auth and rooms OpenAPI documents, every case
sent through the edge as a real HTTP request, with a valid token most of the time.

Checks, per case: no status >= 500; every 4xx is JSON ``{"error": "..."}``. After the run:
what the services hold is exactly what the 2xx answers said (the fuzz user's rooms and their
members as ``GET /api/chatrooms`` lists them; every stored credential was answered 2xx).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import nats
import pytest
import requests
import schemathesis
from hypothesis import example, given
from hypothesis import strategies as st
from minitalk_common import subjects
from minitalk_common.kvfollow import live_keys
from schemathesis import GenerationMode

from .conftest import FuzzStack
from .ledger import Finding, Tally
from .rest_cases import NO_BODY, Request, World, explicit_requests, mutated

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(600)]


def _short(value: Any, limit: int = 600) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def describe(request: Request) -> str:
    parts = [f"path={request.path_parameters}" if request.path_parameters else ""]
    parts.append(f"query={_short(request.params)}" if request.params else "")
    auth = next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)
    if auth is not None and not str(auth).startswith("Bearer ey"):
        parts.append(f"authorization={_short(auth, 60)}")
    if request.body is not NO_BODY:
        parts.append(f"body={_short(request.body)}")
    return " ".join(p for p in parts if p)


def is_error_shape(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), str) and bool(body["error"])


def send_and_check(
    stack: FuzzStack, http: requests.Session, request: Request, world: World, tally: Tally
) -> None:
    where = request.where
    mark = stack.tap.mark()
    try:
        response = request.send(http, stack.url)
    except (UnicodeError, ValueError) as exc:  # the client cannot put it on the wire
        tally.count(where, f"unsendable {type(exc).__name__}")
        return
    except requests.RequestException as exc:
        tally.count(where, "no answer")
        tally.find(Finding(where, f"no answer: {exc!r}"[:200], describe(request)))
        return
    status = response.status_code
    tally.count(where, str(status))
    if status >= 500:
        log = stack.tap.problem_since(mark, wait=1.0)
        tally.find(Finding(where, f"{status} {response.text[:120]!r}", describe(request), log))
    elif status >= 400 and not is_error_shape(response):
        kind = response.headers.get("content-type", "?")
        found = f"{status} not {{error}} JSON ({kind}): {response.text[:80]!r}"
        tally.find(Finding(where, found, describe(request)))
    elif status < 300:
        try:
            body = response.json()
        except ValueError:
            found = f"{status} not JSON: {response.text[:80]!r}"
            tally.find(Finding(where, found, describe(request)))
        else:
            world.record(request, status, body)


def fuzz_operation(stack: FuzzStack, operation: Any, world: World, tally: Tally) -> None:
    requests_ = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ).flatmap(lambda case: mutated(case, world))
    http = requests.Session()

    @given(request=requests_)
    def one(request: Request) -> None:
        send_and_check(stack, http, request, world, tally)

    for request in explicit_requests(operation.method.upper(), operation.path, world):
        one = example(request=request)(one)
    one()
    http.close()


def credential_keys(nats_url: str) -> set[str]:
    async def keys() -> set[str]:
        nc = await nats.connect(nats_url)
        try:
            return await live_keys(nc.jetstream(), subjects.CREDENTIALS_BUCKET)
        finally:
            await nc.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop
        return pool.submit(asyncio.run, keys()).result(60)


@pytest.fixture(scope="module")
def world(fuzz_stack: FuzzStack) -> World:
    username, token = fuzz_stack.users["fzrest"]
    others = [fuzz_stack.users[role][0] for role in ("fzpeer1", "fzpeer2")]
    return World(username, token, others, logout_token=fuzz_stack.users["fzlogout"][1])


def check_rooms(stack: FuzzStack, world: World, tally: Tally) -> None:
    """The fuzz user's rooms are exactly those a 2xx made, with the members it said."""
    listed = requests.get(
        f"{stack.url}/api/chatrooms", headers={"Authorization": f"Bearer {world.token}"}, timeout=30
    )
    assert listed.status_code == 200, listed.text
    held = {room["roomId"]: set(room["participants"]) for room in listed.json()}
    names = {room["roomId"]: room["name"] for room in listed.json()}
    for room_id in held.keys() - world.rooms.keys():
        room = f"{room_id} name={names[room_id]!r} participants={sorted(held[room_id])}"
        tally.find(Finding("rooms store", "stored but refused (no 2xx made it)", room))
    for room_id in world.rooms.keys() - held.keys():
        tally.find(Finding("rooms store", "answered 2xx but not stored", room_id))
    for room_id in held.keys() & world.rooms.keys():
        if held[room_id] != world.rooms[room_id]:
            answered = sorted(world.rooms[room_id])
            diff = f"{room_id}: held {sorted(held[room_id])} vs answered {answered}"
            tally.find(Finding("rooms store", "members differ from the 2xx answers", diff))
    print(f"fuzz REST rooms: {len(held)} rooms held, {len(world.rooms)} answered 2xx")


@pytest.mark.parametrize("service", ["auth", "rooms"])
def test_rest_fuzz(fuzz_stack: FuzzStack, world: World, service: str) -> None:
    spec = requests.get(f"{fuzz_stack.system.http(service)}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    every = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [op for op in every if op.path.startswith("/api/")]  # what the edge serves
    assert operations, "the OpenAPI document lists no /api/ operation"
    tally = Tally(f"REST {service}")
    before = credential_keys(fuzz_stack.nats.url)
    for operation in operations:
        fuzz_operation(fuzz_stack, operation, world, tally)
    assert not fuzz_stack.alive(), f"processes died: {fuzz_stack.alive()}"
    stored = credential_keys(fuzz_stack.nats.url)
    for name in sorted(stored - before - world.signed_up):
        tally.find(Finding("credentials store", "stored but refused (no 2xx made it)", name))
    if service == "rooms":
        check_rooms(fuzz_stack, world, tally)
    print(tally.report())
    assert not tally.findings, tally.report()
