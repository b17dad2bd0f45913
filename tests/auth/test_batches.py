"""signup-batch and login-batch: good entries proceed, bad ones are reported one by one."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from minitalk_auth.handlers import Credentials, Rejected, answer_each

USERNAME_RULE = "username must be 3-64 characters: letters, digits, '_' or '-'"


async def signup_batch(client: httpx.AsyncClient, users: Any) -> httpx.Response:
    return await client.post("/api/auth/signup-batch", json={"users": users})


async def login_batch(client: httpx.AsyncClient, users: Any) -> httpx.Response:
    return await client.post("/api/auth/login-batch", json={"users": users})


async def test_signup_batch_creates_the_good_entries_and_reports_the_rest(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/auth/signup", json={"username": "b-old", "password": "password1"})
    answer = await signup_batch(
        client,
        [
            {"username": "b-ann", "password": "password1"},
            {"username": "b-ben", "password": "password2"},
            {"username": "no", "password": "password1"},
            {"username": "b-cat", "password": "short"},
            {"username": "b-ann", "password": "password3"},
            {"username": "b-old", "password": "password1"},
            {"username": "b-dan"},
            42,
            {"username": "b-eve", "password": "p" * 73},
        ],
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["created"] == [{"username": "b-ann"}, {"username": "b-ben"}]
    assert body["errors"] == [
        {"username": "no", "error": USERNAME_RULE},
        {"username": "b-cat", "error": "password must be at least 8 bytes"},
        {"username": "b-ann", "error": "username appears more than once in this batch"},
        {"username": "b-old", "error": "username already taken"},
        {"username": "b-dan", "error": "username and password are required and must be strings"},
        {"username": None, "error": "each user must be an object {username, password}"},
        {"username": "b-eve", "error": "password must be at most 72 bytes (UTF-8)"},
    ]
    assert body["message"] == "Created 2 of 9 users"


async def test_login_batch_gives_tokens_to_the_right_passwords_only(
    client: httpx.AsyncClient,
) -> None:
    users = [{"username": f"lb-{i}", "password": f"password-{i}"} for i in range(5)]
    assert len((await signup_batch(client, users)).json()["created"]) == 5
    answer = await login_batch(
        client,
        [
            *users,
            {"username": "lb-0", "password": "password-1"},
            {"username": "lb-unknown", "password": "password-1"},
            {"username": "lb-1", "password": 7},
        ],
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [r["username"] for r in body["results"]] == [u["username"] for u in users]
    tokens = {r["token"] for r in body["results"]}
    assert len(tokens) == 5
    assert all(token.count(".") == 2 for token in tokens)
    assert body["errors"] == [
        {"username": "lb-0", "error": "username appears more than once in this batch"},
        {"username": "lb-unknown", "error": "invalid username or password"},
        {"username": "lb-1", "error": "username and password are required and must be strings"},
    ]
    assert body["message"] == "Logged in 5 of 8 users"


async def test_login_batch_reports_a_wrong_password(client: httpx.AsyncClient) -> None:
    await signup_batch(client, [{"username": "lb-wrong", "password": "password1"}])
    body = (await login_batch(client, [{"username": "lb-wrong", "password": "password2"}])).json()
    assert body["results"] == []
    assert body["errors"] == [{"username": "lb-wrong", "error": "invalid username or password"}]


async def test_a_batch_of_1000_is_accepted(client: httpx.AsyncClient) -> None:
    users = [{"username": f"k-{i:04d}", "password": "password1"} for i in range(1000)]
    body = (await signup_batch(client, users)).json()
    assert len(body["created"]) == 1000
    assert body["errors"] == []


@pytest.mark.parametrize("path", ["/api/auth/signup-batch", "/api/auth/login-batch"])
async def test_a_batch_of_1001_is_413(client: httpx.AsyncClient, path: str) -> None:
    users = [{"username": f"m-{i:04d}", "password": "password1"} for i in range(1001)]
    answer = await client.post(path, json={"users": users})
    assert answer.status_code == 413
    assert answer.json() == {"error": "a batch holds at most 1000 users"}
    probe = await login_batch(client, [{"username": "m-0000", "password": "password1"}])
    assert probe.json()["results"] == []  # nothing of the refused batch was stored


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"users": []}, "users must hold at least one entry"),
        ({}, "users: Field required"),
        ({"users": {"username": "x"}}, "users: Input should be a valid list"),
        ([{"username": "abc", "password": "password1"}], "Input should be a valid dictionary"),
    ],
    ids=["empty", "missing-users", "users-not-a-list", "bare-list"],
)
@pytest.mark.parametrize("path", ["/api/auth/signup-batch", "/api/auth/login-batch"])
async def test_a_malformed_batch_is_400(
    client: httpx.AsyncClient, path: str, body: Any, error: str
) -> None:
    answer = await client.post(path, json=body)
    assert answer.status_code == 400
    assert error in answer.json()["error"]


async def test_an_entry_failing_unexpectedly_answers_alone_and_the_rest_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No honest way to make a real auth fail on one entry only: ``answer_each`` directly."""
    done: list[str] = []

    async def action(entry: Credentials) -> str:
        if entry.username == "b-bad":
            raise RuntimeError("an unexpected failure")
        done.append(entry.username)
        return entry.username

    entries: list[Credentials | Rejected] = [
        Credentials(name, "password1") for name in ("b-one", "b-bad", "b-two")
    ]
    caplog.set_level(logging.ERROR, logger="minitalk.auth")
    report = await answer_each(entries, action, concurrency=2)
    assert report.succeeded == [("b-one", "b-one"), ("b-two", "b-two")]
    assert report.errors == [Rejected("b-bad", "internal error")]
    assert done == ["b-one", "b-two"]
    failures = [r for r in caplog.records if r.exc_info]
    assert len(failures) == 1
    assert "b-bad" in failures[0].getMessage()
