"""Login throttling across addresses, against auth processes with small limits. The test talks
to auth from 127.0.0.1, the trusted edge address, so ``X-Forwarded-For`` says which client each
request stands for (as nginx would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from minitalk_local.system import LocalSystem

PASSWORD = "the right one"
SMALL = {
    "MINITALK_LOGIN_FAILURES_PER_ACCOUNT_IP": "2",
    "MINITALK_LOGIN_FAILURES_PER_ACCOUNT": "6",
    "MINITALK_LOGIN_FAILURES_PER_IP": "1000",
}


@pytest.fixture
async def auth(system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    system.start_service("auth", env=SMALL)
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as http:
        body = {"username": "owner", "password": PASSWORD}
        assert (await http.post("/api/auth/signup", json=body)).status_code == 201
        yield http


async def login(http: httpx.AsyncClient, password: str, client: str) -> httpx.Response:
    body = {"username": "owner", "password": password}
    return await http.post("/api/auth/login", json=body, headers={"x-forwarded-for": client})


async def test_a_distributed_attack_locks_the_account_but_not_for_a_known_address(
    auth: httpx.AsyncClient,
) -> None:
    assert (await login(auth, PASSWORD, "203.0.113.1")).status_code == 200  # the owner's phone
    bots = [f"198.51.100.{i}" for i in range(1, 5)]
    statuses = [(await login(auth, "guess", bot)).status_code for bot in bots for _ in range(3)]
    # each bot: 2 guesses, then its own lock; the 6th failure overall locks the account
    assert statuses.count(401) == 6
    fresh = await login(auth, PASSWORD, "192.0.2.77")  # the owner on a new address waits...
    assert fresh.status_code == 429
    assert fresh.json()["error"].startswith("too many failed logins for this account")
    assert 1 <= int(fresh.headers["retry-after"]) <= 300
    assert (await login(auth, PASSWORD, "203.0.113.1")).status_code == 200  # ...the phone not


async def test_one_address_alone_cannot_lock_the_account(system: LocalSystem) -> None:
    """However long one address keeps guessing (its locks here end after 0.1 s), it adds at
    most its own threshold (2) to the account's count (6): the owner elsewhere is never
    refused."""
    quick_locks = {**SMALL, "MINITALK_LOGIN_LOCK_S": "0.05", "MINITALK_LOGIN_LOCK_MAX_S": "0.1"}
    system.start_service("auth", env=quick_locks)
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as http:
        body = {"username": "owner", "password": PASSWORD}
        assert (await http.post("/api/auth/signup", json=body)).status_code == 201
        failures = 0
        for _ in range(12):
            await asyncio.sleep(0.15)  # past the lock: every guess is checked
            failures += (await login(http, "guess", "198.51.100.9")).status_code == 401
        assert failures == 12
        assert (await login(http, PASSWORD, "192.0.2.78")).status_code == 200


async def test_parallel_guesses_cannot_slip_past_the_threshold(auth: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(login(auth, "guess", "198.51.100.10") for _ in range(40)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 2 + [429] * 38


async def test_logout_twice_is_401(auth: httpx.AsyncClient) -> None:
    token = (await login(auth, PASSWORD, "203.0.113.2")).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await auth.post("/api/auth/logout", headers=headers)).status_code == 200
    async with asyncio.timeout(5):
        while (again := await auth.post("/api/auth/logout", headers=headers)).status_code == 200:
            await asyncio.sleep(0.05)
    assert (again.status_code, again.json()) == (401, {"error": "token revoked"})
