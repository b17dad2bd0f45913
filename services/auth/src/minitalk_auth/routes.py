"""HTTP routes of auth: decode the request, call the handler, encode the answer.

The shapes are the original MiniTalk's (see DESIGN.md, wire contracts). A batch holds 1..1000
users; more is a 413. In a batch, an entry that is malformed or fails goes to ``errors`` and the
others proceed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from minitalk_common import text
from pydantic import BaseModel, ConfigDict

from .handlers import AuthService, BatchReport, Credentials, Rejected
from .keys import KeyPair

PREFIX = "/api/auth"


class CredentialsIn(BaseModel):
    model_config = ConfigDict(strict=True)

    username: text.Text
    password: text.Text


class BatchIn(BaseModel):
    model_config = ConfigDict(strict=True)

    #: Decoded entry by entry, so one malformed entry does not fail the others.
    users: list[Any]


def decode_entry(raw: Any) -> Credentials | Rejected:
    if not isinstance(raw, dict):
        return Rejected(None, "each user must be an object {username, password}")
    username, password = raw.get("username"), raw.get("password")
    name = text.readable(username)  # what the answer may echo back
    if isinstance(username, str) and isinstance(password, str):
        for field, value in (("username", username), ("password", password)):
            if reason := text.problem(value):
                return Rejected(name, f"{field} {reason}")
        return Credentials(username, password)
    return Rejected(name, "username and password are required and must be strings")


def errors_out(report: BatchReport) -> list[dict[str, str | None]]:
    return [{"username": r.username, "error": r.error} for r in report.errors]


def service(request: Request) -> AuthService:
    auth: AuthService = request.app.state.auth
    return auth


def auth_router(keys: KeyPair) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.post("/signup", status_code=201)
    async def signup(body: CredentialsIn, request: Request) -> dict[str, str]:
        username = await service(request).signup(Credentials(body.username, body.password))
        return {"message": "User created successfully", "username": username}

    @router.post("/login")
    async def login(body: CredentialsIn, request: Request) -> dict[str, str]:
        token = await service(request).login(Credentials(body.username, body.password))
        return {"token": token, "username": body.username}

    @router.post("/signup-batch", status_code=201)
    async def signup_batch(body: BatchIn, request: Request) -> dict[str, Any]:
        report = await service(request).signup_batch([decode_entry(u) for u in body.users])
        return {
            "message": f"Created {len(report.succeeded)} of {len(body.users)} users",
            "created": [{"username": name} for name, _ in report.succeeded],
            "errors": errors_out(report),
        }

    @router.post("/login-batch")
    async def login_batch(body: BatchIn, request: Request) -> dict[str, Any]:
        report = await service(request).login_batch([decode_entry(u) for u in body.users])
        return {
            "message": f"Logged in {len(report.succeeded)} of {len(body.users)} users",
            "results": [{"username": name, "token": token} for name, token in report.succeeded],
            "errors": errors_out(report),
        }

    @router.get("/public-key")
    async def public_key() -> dict[str, str]:
        return {"algorithm": "EdDSA", "publicKey": keys.public_pem}

    @router.get("/jwks.json")
    async def jwks() -> dict[str, list[dict[str, str]]]:
        return {"keys": [keys.jwk]}

    return router
