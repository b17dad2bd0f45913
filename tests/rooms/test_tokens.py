"""Rooms verifies tokens with auth's public key only; anything else is a 401 {"error": ...}."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import jwt
from minitalk_auth.keys import KeyPair, TokenMinter
from minitalk_common import revocation
from nats.js import JetStreamContext

from .conftest import Register


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(username: str) -> str:
    """A token with ``alg: none`` that claims to be ``username``."""
    claims = jwt.decode(
        TokenMinter(KeyPair.generate().private_pem).mint(username),
        options={"verify_signature": False},
    )
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def hs256(username: str, secret: bytes) -> str:
    """A token signed with HMAC, using ``secret`` (the public key: the old alg-confusion attack)."""
    claims = {"sub": username, "iss": "minitalk-auth", "aud": "minitalk", "iat": 0, "exp": 2**40}
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def forged(token: str, username: str) -> str:
    """``token`` with its subject changed and the original signature kept."""
    header, _, rest = token.partition(".")
    payload, _, signature = rest.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims |= {"sub": username, "username": username}
    return f"{header}.{b64(claims)}.{signature}"


async def test_bad_tokens_get_401(
    rooms: httpx.AsyncClient,
    register: Register,
    make_token: Callable[..., str],
    key_pair: KeyPair,
) -> None:
    await register("alice", "mallory")
    good = make_token("alice")
    hmac_with_public_key = hs256("mallory", key_pair.public_pem.encode())
    refused = {
        "no header": {},
        "not bearer": {"Authorization": f"Basic {good}"},
        "empty bearer": {"Authorization": "Bearer"},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "forged": {"Authorization": f"Bearer {forged(good, 'mallory')}"},
        "other key": {
            "Authorization": f"Bearer {TokenMinter(KeyPair.generate().private_pem).mint('alice')}"
        },
        "expired": {"Authorization": f"Bearer {make_token('alice', ttl=timedelta(seconds=-5))}"},
        "alg none": {"Authorization": f"Bearer {unsigned('alice')}"},
        "hs256 with the public key": {"Authorization": f"Bearer {hmac_with_public_key}"},
    }
    for case, headers in refused.items():
        for method, path in (("GET", "/api/chatrooms"), ("POST", "/api/chatrooms")):
            resp = await rooms.request(method, path, headers=headers, json={"name": "x"})
            assert resp.status_code == 401, (case, method, resp.text)
            assert isinstance(resp.json()["error"], str), case
    resp = await rooms.post("/api/chatrooms", content=b"{not json")
    assert resp.status_code == 401, "the token is checked before the body"
    resp = await rooms.get(
        "/api/chatrooms",
        headers={"Authorization": f"Bearer {make_token('alice', ttl=timedelta(seconds=-5))}"},
    )
    assert resp.json() == {"error": "token expired"}


async def test_a_token_of_the_test_key_verifies_with_only_the_public_key(
    rooms: httpx.AsyncClient, register: Register, make_token: Callable[..., str]
) -> None:
    await register("alice")
    headers = {"Authorization": f"Bearer {make_token('alice')}"}
    resp = await rooms.post("/api/chatrooms", json={"name": "ok"}, headers=headers)
    assert resp.status_code == 201
    assert resp.json()["createdBy"] == "alice"
    resp = await rooms.get(
        "/api/chatrooms", headers={"Authorization": f"bearer {make_token('alice')}"}
    )
    assert [room["name"] for room in resp.json()] == ["ok"]


async def test_a_revoked_token_is_401_on_every_route(
    rooms: httpx.AsyncClient,
    register: Register,
    make_token: Callable[..., str],
    js: JetStreamContext,
) -> None:
    await register("alice")
    token, other = make_token("alice"), make_token("alice")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await rooms.get("/api/chatrooms", headers=headers)).status_code == 200
    claims = jwt.decode(token, options={"verify_signature": False})
    await revocation.revoke(js, claims["jti"], claims["exp"])  # what auth's logout does
    async with asyncio.timeout(5):  # one NATS message away
        while (resp := await rooms.get("/api/chatrooms", headers=headers)).status_code != 401:
            await asyncio.sleep(0.05)
    assert resp.json() == {"error": "token revoked"}
    resp = await rooms.post("/api/chatrooms", json={"name": "x"}, headers=headers)
    assert (resp.status_code, resp.json()) == (401, {"error": "token revoked"})
    other_headers = {"Authorization": f"Bearer {other}"}
    assert (await rooms.get("/api/chatrooms", headers=other_headers)).status_code == 200


async def test_a_restarted_rooms_knows_the_revoked_tokens_before_it_is_ready(
    start_rooms: Callable[..., str],
    register: Register,
    make_token: Callable[..., str],
    js: JetStreamContext,
) -> None:
    await register("alice")
    token = make_token("alice")
    claims = jwt.decode(token, options={"verify_signature": False})
    await revocation.revoke(js, claims["jti"], claims["exp"])
    async with httpx.AsyncClient(base_url=start_rooms(), timeout=30) as rooms:  # ready = started
        resp = await rooms.get("/api/chatrooms", headers={"Authorization": f"Bearer {token}"})
    assert (resp.status_code, resp.json()) == (401, {"error": "token revoked"})


async def test_a_token_without_an_id_is_401(
    rooms: httpx.AsyncClient, register: Register, key_pair: KeyPair
) -> None:
    await register("alice")
    claims = {"sub": "alice", "iss": "minitalk-auth", "aud": "minitalk", "iat": 0, "exp": 2**40}
    old = jwt.encode(claims, key_pair.private_pem, algorithm="EdDSA")
    resp = await rooms.get("/api/chatrooms", headers={"Authorization": f"Bearer {old}"})
    assert (resp.status_code, resp.json()) == (401, {"error": "invalid token"})
