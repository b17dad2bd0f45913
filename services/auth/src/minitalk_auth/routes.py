"""HTTP routes of auth: decode the request, call the handler, encode the answer.

The shapes are the original MiniTalk's (see DESIGN.md, wire contracts). A batch holds 1..1000
users (``MINITALK_BATCH_MAX_USERS``); more is a 413. In a batch, an entry that is malformed or
fails goes to ``errors`` and the others proceed. With ``MINITALK_ENV=production`` the batch
routes answer 403 unless ``MINITALK_BATCH_ENDPOINTS=true``.

The client IP that the limits count is ``request.client``: uvicorn takes it from
``X-Forwarded-For`` only when the peer is a trusted proxy (``MINITALK_FORWARDED_ALLOW_IPS``,
the edge), as the right-most address that is not one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request
from minitalk_common import text, tokens
from pydantic import BaseModel, ConfigDict, WithJsonSchema

from .errors import BatchesDisabled
from .handlers import AuthService, BatchReport, Credentials, Rejected
from .keys import KeyPair
from .moderation import DELETE_ALL_USERS, UserRemover, WrongConfirmation, now_text

PREFIX = "/api/auth"


class CredentialsIn(BaseModel):
    model_config = ConfigDict(strict=True)

    username: text.Text
    password: text.Text


#: A batch entry as the OpenAPI document describes it ({username, password}); decoded as ``Any``.
UserEntry = Annotated[Any, WithJsonSchema(CredentialsIn.model_json_schema())]


class BatchIn(BaseModel):
    model_config = ConfigDict(strict=True)

    #: Decoded entry by entry, so one malformed entry does not fail the others.
    users: list[UserEntry]


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


def removal(request: Request) -> UserRemover:
    remover: UserRemover = request.app.state.remover
    return remover


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def auth_router(keys: KeyPair, batches_enabled: bool = True) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    def batches_allowed() -> None:
        if not batches_enabled:
            raise BatchesDisabled

    @router.post("/signup", status_code=201)
    async def signup(body: CredentialsIn, request: Request) -> dict[str, str]:
        credentials = Credentials(body.username, body.password)
        username = await service(request).signup(credentials, client_ip(request))
        return {"message": "User created successfully", "username": username}

    @router.post("/login")
    async def login(body: CredentialsIn, request: Request) -> dict[str, str]:
        credentials = Credentials(body.username, body.password)
        token = await service(request).login(credentials, client_ip(request))
        return {"token": token, "username": body.username}

    @router.post("/logout")
    async def logout(
        request: Request, authorization: str | None = Header(default=None)
    ) -> dict[str, str]:
        username = await service(request).logout(tokens.bearer(authorization))
        return {"message": "Logged out", "username": username}

    @router.post("/signup-batch", status_code=201)
    async def signup_batch(body: BatchIn, request: Request) -> dict[str, Any]:
        batches_allowed()
        entries = [decode_entry(u) for u in body.users]
        report = await service(request).signup_batch(entries, client_ip(request))
        return {
            "message": f"Created {len(report.succeeded)} of {len(body.users)} users",
            "created": [{"username": name} for name, _ in report.succeeded],
            "errors": errors_out(report),
        }

    @router.post("/login-batch")
    async def login_batch(body: BatchIn, request: Request) -> dict[str, Any]:
        batches_allowed()
        entries = [decode_entry(u) for u in body.users]
        report = await service(request).login_batch(entries, client_ip(request))
        return {
            "message": f"Logged in {len(report.succeeded)} of {len(body.users)} users",
            "results": [{"username": name, "token": token} for name, token in report.succeeded],
            "errors": errors_out(report),
        }

    @router.delete("/delete-all-users")
    async def delete_all_users(
        request: Request,
        body: Annotated[Any, Body()] = None,
        authorization: str | None = Header(default=None),
    ) -> dict[str, Any]:
        """The original client's danger zone: admins only, with the confirmation code."""
        remover = removal(request)
        actor = remover.admin(tokens.bearer(authorization))
        if not isinstance(body, dict) or body.get("confirmationCode") != DELETE_ALL_USERS:
            raise WrongConfirmation
        count = await remover.delete_all(actor)
        return {"message": "All users deleted", "deletedCount": count, "timestamp": now_text()}

    @router.delete("/users/{username}")
    async def delete_user(
        username: str, request: Request, authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        remover = removal(request)
        actor = remover.admin(tokens.bearer(authorization))
        await remover.delete(actor, username)
        return {"message": "User deleted", "username": username, "timestamp": now_text()}

    @router.get("/public-key")
    async def public_key() -> dict[str, str]:
        return {"algorithm": "EdDSA", "publicKey": keys.public_pem}

    @router.get("/jwks.json")
    async def jwks() -> dict[str, list[dict[str, str]]]:
        return {"keys": [keys.jwk]}

    return router
