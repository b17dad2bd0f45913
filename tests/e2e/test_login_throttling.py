"""Issue 12, login throttling, tried as an attacker would: through the edge, each "client" a
loopback address of its own (127.0.0.x), which nginx passes on in X-Forwarded-For and auth
trusts only from the edge. Default limits: 5 failures per (account, IP), 100 per IP."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from minitalk_local.system import LocalSystem

from ..chat_clients import PASSWORD

WRONG = "not the password"


@asynccontextmanager
async def client_at(stack: LocalSystem, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the edge whose connections come from ``address``."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=stack.url, transport=transport, timeout=30) as http:
        yield http


async def login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/api/auth/login", json={"username": username, "password": password})


async def signup(http: httpx.AsyncClient, username: str) -> None:
    body = {"username": username, "password": PASSWORD}
    assert (await http.post("/api/auth/signup", json=body)).status_code == 201


def assert_throttled(answer: httpx.Response, error: str) -> None:
    assert answer.status_code == 429, answer.text
    assert 1 <= int(answer.headers["retry-after"]) <= 900
    assert answer.json()["error"].startswith(error)


async def test_wrong_passwords_get_429_and_the_owner_still_logs_in_from_elsewhere(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    owner = unique("owner")
    await signup(client, owner)
    async with client_at(stack, "127.0.0.2") as attacker:
        answers = [(await login(attacker, owner, WRONG)) for _ in range(20)]
        assert [a.status_code for a in answers] == [401] * 5 + [429] * 15
        for answer in answers[5:]:
            assert_throttled(answer, "too many failed logins for this account")
        # the right password from the locked address waits too: the lock is not a hint
        assert (await login(attacker, owner, PASSWORD)).status_code == 429
    mine = await login(client, owner, PASSWORD)
    assert mine.status_code == 200, mine.text  # from 127.0.0.1
    async with client_at(stack, "127.0.0.3") as elsewhere:
        assert (await login(elsewhere, owner, PASSWORD)).status_code == 200


async def test_a_thousand_wrong_passwords_from_one_client(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    """Must show 3: a bounded brute force (1,000 guesses, one account, one client)."""
    owner = unique("victim")
    await signup(client, owner)
    started = time.monotonic()
    async with client_at(stack, "127.0.0.4") as attacker:
        statuses = Counter([(await login(attacker, owner, WRONG)).status_code for _ in range(1000)])
    took = time.monotonic() - started
    print(f"\n1000 wrong passwords in {took:.1f} s: {dict(statuses)}")
    assert statuses[200] == 0
    assert statuses[401] <= 5 + round(took / 30)  # one more guess per (doubling) lock at most
    assert statuses[429] == 1000 - statuses[401]
    async with client_at(stack, "127.0.0.5") as owner_device:
        assert (await login(owner_device, owner, PASSWORD)).status_code == 200


async def test_each_login_batch_entry_counts_as_an_attempt(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    owner = unique("batched")
    await signup(client, owner)
    async with client_at(stack, "127.0.0.6") as attacker:
        guess = {"users": [{"username": owner, "password": WRONG}]}
        batches = [await attacker.post("/api/auth/login-batch", json=guess) for _ in range(6)]
        assert [b.status_code for b in batches] == [200] * 5 + [429]
        assert batches[0].json()["errors"] == [
            {"username": owner, "error": "invalid username or password"}
        ]
        assert_throttled(batches[5], "too many failed logins for this account")
        assert_throttled(await login(attacker, owner, WRONG), "too many failed logins")

    async with client_at(stack, "127.0.0.7") as sprayer:  # one password, 120 accounts
        names = [unique("sprayed") for _ in range(120)]
        body = {"users": [{"username": name, "password": WRONG} for name in names]}
        answer = await sprayer.post("/api/auth/login-batch", json=body)
        assert answer.status_code == 200, answer.text
        errors = Counter(e["error"].split(";")[0] for e in answer.json()["errors"])
        # the per-IP count follows the failures: entries in flight when the 100th failed
        # (a few per bcrypt thread) still run
        assert 100 <= errors["invalid username or password"] <= 100 + 4 * (os.cpu_count() or 1)
        assert errors["too many failed logins from this address"] >= 1
        assert sum(errors.values()) == 120
        assert_throttled(await login(sprayer, owner, PASSWORD), "too many failed logins from")
    assert (await login(client, owner, PASSWORD)).status_code == 200


async def test_good_batch_logins_count_against_nothing(
    stack: LocalSystem, unique: Callable[[str], str]
) -> None:
    """A load test's traffic: sign-up and login batches with the right passwords pass, and
    leave the address's failure budget untouched."""
    names = [unique("load") for _ in range(300)]
    body = {"users": [{"username": name, "password": PASSWORD} for name in names]}
    async with client_at(stack, "127.0.0.8") as loadgen:
        for _ in range(2):  # twice the 100 failures an address may have
            created = await loadgen.post("/api/auth/signup-batch", json=body)
            assert created.status_code == 201, created.text
            logged_in = await loadgen.post("/api/auth/login-batch", json=body)
            assert logged_in.status_code == 200
            assert len(logged_in.json()["results"]) == 300
            body = {"users": [{"username": unique("load"), "password": PASSWORD} for _ in names]}
        assert (await login(loadgen, names[0], WRONG)).status_code == 401


async def test_sign_ups_per_address_are_limited(
    stack: LocalSystem, unique: Callable[[str], str]
) -> None:
    async with client_at(stack, "127.0.0.9") as farm:
        answers = [
            await farm.post(
                "/api/auth/signup", json={"username": unique("farm"), "password": PASSWORD}
            )
            for _ in range(52)
        ]
        assert [a.status_code for a in answers] == [201] * 50 + [429] * 2
        assert_throttled(answers[-1], "too many sign-ups from this address")
    async with client_at(stack, "127.0.0.10") as neighbour:
        await signup(neighbour, unique("neighbour"))


async def test_a_forwarded_for_header_from_a_client_is_not_its_address(
    stack: LocalSystem, client: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    """A client cannot pick the address it is counted under: the edge appends the real one,
    and auth takes the right-most address that is not the edge."""
    owner = unique("spoofed")
    await signup(client, owner)
    async with client_at(stack, "127.0.0.11") as attacker:
        for i in range(7):
            spoofed = {"x-forwarded-for": f"10.0.0.{i}", "x-real-ip": f"10.0.1.{i}"}
            body = {"username": owner, "password": WRONG}
            answer = await attacker.post("/api/auth/login", json=body, headers=spoofed)
            assert answer.status_code == (401 if i < 5 else 429)
