"""Sign-up and login against a running auth process: answers, statuses and error messages."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest
from minitalk_common import bus, events, subjects
from minitalk_common.config import NatsSettings
from minitalk_common.tokens import TokenVerifier
from nats.js.errors import KeyNotFoundError

from .conftest import RunningAuth

USERNAME_RULE = "username must be 3-64 characters: letters, digits, '_' or '-'"


async def signup(client: httpx.AsyncClient, username: Any, password: Any) -> httpx.Response:
    return await client.post("/api/auth/signup", json={"username": username, "password": password})


async def login(client: httpx.AsyncClient, username: Any, password: Any) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def test_signup_then_login_gives_a_token_the_public_key_verifies(
    client: httpx.AsyncClient,
) -> None:
    created = await signup(client, "alice", "correct horse")
    assert created.status_code == 201
    assert created.json() == {"message": "User created successfully", "username": "alice"}

    logged_in = await login(client, "alice", "correct horse")
    assert logged_in.status_code == 200
    assert logged_in.json()["username"] == "alice"

    key = (await client.get("/api/auth/public-key")).json()
    assert key["algorithm"] == "EdDSA"
    identity = TokenVerifier(key["publicKey"]).verify(logged_in.json()["token"])
    assert identity.username == "alice"


async def test_jwks_holds_the_key_that_signs_tokens(client: httpx.AsyncClient) -> None:
    await signup(client, "jwks-user", "password1")
    token = (await login(client, "jwks-user", "password1")).json()["token"]
    (jwk,) = (await client.get("/api/auth/jwks.json")).json()["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"], audience="minitalk")
    assert claims["sub"] == "jwks-user"


async def test_signup_publishes_user_registered_without_the_hash(auth: RunningAuth) -> None:
    async with httpx.AsyncClient(base_url=auth.url) as client:
        assert (await signup(client, "bus-user", "password1")).status_code == 201
    async with bus.connect(NatsSettings(nats_url=auth.nats_url), "tests") as nc:
        msg = await nc.jetstream().get_last_msg(subjects.USERS_STREAM, "users.bus-user")
    assert b"password" not in msg.data
    event = events.decode(msg.data)
    assert isinstance(event, events.UserRegistered)
    assert (event.user_id, event.username, event.actor) == ("bus-user", "bus-user", "bus-user")


async def test_taken_username_is_a_conflict(client: httpx.AsyncClient) -> None:
    assert (await signup(client, "taken", "password1")).status_code == 201
    again = await signup(client, "taken", "another password")
    assert again.status_code == 409
    assert again.json() == {"error": "username already taken"}
    assert (await login(client, "taken", "password1")).status_code == 200  # not overwritten


@pytest.mark.parametrize(
    ("username", "password"),
    [("bob", "wrong password"), ("nobody-here", "password1"), ("x", "password1"), ("bob", "")],
    ids=["wrong-password", "unknown-user", "impossible-username", "empty-password"],
)
async def test_bad_login_is_401_with_one_message(
    client: httpx.AsyncClient, username: str, password: str
) -> None:
    await signup(client, "bob", "bobs password")
    answer = await login(client, username, password)
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid username or password"}


@pytest.mark.parametrize(
    "password",
    ["12345678", "é" * 36, "x" * 72, "pass word 🙂"],
    ids=["8-bytes", "72-bytes-utf8", "72-ascii", "emoji"],
)
async def test_passwords_of_8_to_72_bytes_work(client: httpx.AsyncClient, password: str) -> None:
    username = f"pw-{len(password.encode())}-{len(password)}"
    assert (await signup(client, username, password)).status_code == 201
    assert (await login(client, username, password)).status_code == 200
    assert (await login(client, username, password[:-1])).status_code == 401


@pytest.mark.parametrize(
    "username",
    ["abc", "A" * 64, "under_score", "dash-ed", "MiXeD123"],
    ids=["3-chars", "64-chars", "underscore", "dash", "mixed-case-digits"],
)
async def test_usernames_of_the_allowed_shape_work(
    client: httpx.AsyncClient, username: str
) -> None:
    assert (await signup(client, username, "password1")).status_code == 201


BAD_SIGNUPS: list[tuple[str, Any, str]] = [
    ("not-json", b'{"username": "x",', "request body is not valid JSON"),
    ("empty-body", b"", "request body is required"),
    ("array-body", [], "Input should be a valid dictionary"),
    ("missing-password", {"username": "carol"}, "password: Field required"),
    ("missing-username", {"password": "password1"}, "username: Field required"),
    ("number-username", {"username": 12345, "password": "password1"}, "username: Input should"),
    ("null-password", {"username": "carol", "password": None}, "password: Input should"),
    ("short-username", {"username": "ab", "password": "password1"}, USERNAME_RULE),
    ("long-username", {"username": "a" * 65, "password": "password1"}, USERNAME_RULE),
    ("space-username", {"username": "car ol", "password": "password1"}, USERNAME_RULE),
    ("dot-username", {"username": "car.ol", "password": "password1"}, USERNAME_RULE),
    ("unicode-username", {"username": "carölyn", "password": "password1"}, USERNAME_RULE),
    ("newline-username", {"username": "carol\n", "password": "password1"}, USERNAME_RULE),
    ("short-password", {"username": "carol", "password": "1234567"}, "at least 8 bytes"),
    ("73-byte-password", {"username": "carol", "password": "x" * 73}, "at most 72 bytes"),
    ("73-byte-utf8", {"username": "carol", "password": "é" * 36 + "x"}, "at most 72 bytes"),
    ("lone-surrogate", b'{"username": "carol", "password": "\\ud800abcdefgh"}', "Unicode"),
]


@pytest.mark.parametrize(
    ("body", "error"), [c[1:] for c in BAD_SIGNUPS], ids=[c[0] for c in BAD_SIGNUPS]
)
async def test_bad_signup_is_400_with_a_clear_error(
    client: httpx.AsyncClient, auth: RunningAuth, body: Any, error: str
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = await client.post(
        "/api/auth/signup", content=content, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert error in answer.json()["error"]
    async with bus.connect(NatsSettings(nats_url=auth.nats_url), "tests") as nc:
        kv = await nc.jetstream().key_value(subjects.CREDENTIALS_BUCKET)
        with pytest.raises(KeyNotFoundError):  # nothing was stored
            await kv.get("carol")


async def test_body_over_one_mib_is_413(client: httpx.AsyncClient) -> None:
    huge = {"username": "huge", "password": "password1", "padding": "x" * (1 << 20)}
    answer = await client.post("/api/auth/signup", json=huge)
    assert answer.status_code == 413
    assert "request body over" in answer.json()["error"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
