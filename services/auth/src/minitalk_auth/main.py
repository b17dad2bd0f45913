"""The auth process: settings, key pair, NATS connection, HTTP app.

The key pair is loaded before anything else, so a production start without a key fails at once
with one clear log line. ``/readyz`` answers 200 once NATS is connected, the public key is in
the keys bucket, where the other services read it, and revocations are followed (again, after a
NATS restart).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from minitalk_common import bus, revocation, subjects, telemetry, tokens
from minitalk_common.http import create_app, serve
from minitalk_common.logs import setup_logging
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from pydantic import ValidationError

from .config import AuthSettings
from .handlers import AuthService
from .keys import KeyPair, MissingKey, TokenMinter, load_key_pair
from .moderation import UserRemover
from .passwords import Hasher
from .reconcile import publish_missing_registrations
from .routes import auth_router
from .store import CredentialStore
from .throttle import open_throttle

log = logging.getLogger("minitalk.auth")


class Readiness:
    def __init__(self) -> None:
        self.nc: NATS | None = None
        self.key_published = False
        self.revoked: revocation.Revocations | None = None

    def __call__(self) -> str | None:
        if self.nc is None or not self.nc.is_connected:
            return "not connected to NATS"
        if not self.key_published:
            return "public key not published yet"
        if self.revoked is not None and not self.revoked.current.is_set():
            return "following revocations again"
        return None


async def publish_public_key(js: JetStreamContext, keys: KeyPair) -> None:
    kv = await js.key_value(subjects.KEYS_BUCKET)
    await kv.put(subjects.JWT_PUBLIC_KEY, keys.public_pem.encode())
    log.info("published the JWT public key (kid %s)", keys.kid)


def build_app(settings: AuthSettings, keys: KeyPair) -> FastAPI:
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            nc = await stack.enter_async_context(bus.connect(settings, "minitalk-auth"))
            js = nc.jetstream()
            await bus.ensure_streams(js, settings)
            await publish_missing_registrations(js)
            hasher = Hasher(settings.bcrypt_cost, settings.hash_workers)
            stack.callback(hasher.close)
            kv = await js.key_value(subjects.CREDENTIALS_BUCKET)
            store = CredentialStore(kv)
            minter = TokenMinter(keys.private_pem, settings.token_ttl, kid=keys.kid)
            age = revocation.max_age(settings.token_ttl_s)  # before the key: see revocation.py
            await bus.ensure_bucket(js, subjects.REVOKED_BUCKET, settings.stream_replicas, age)
            revoked = await stack.enter_async_context(revocation.following(js))
            app.state.auth = AuthService(
                js,
                store,
                hasher,
                minter,
                await open_throttle(js, settings),
                tokens.TokenVerifier(keys.public_pem, revoked),
                settings.batch_max_users,
            )
            app.state.remover = UserRemover(
                js,
                kv,
                tokens.TokenVerifier(keys.public_pem, revoked),
                settings.admins,
                settings.token_ttl_s,
            )
            await publish_public_key(js, keys)
            readiness.nc, readiness.key_published, readiness.revoked = nc, True, revoked
            yield

    app = create_app("MiniTalk auth", lifespan, readiness)
    app.include_router(auth_router(keys, settings.batches_enabled))
    telemetry.instrument_app(app)
    return app


def main() -> None:
    try:
        settings = AuthSettings()
    except ValidationError as exc:
        sys.exit(f"minitalk-auth: invalid settings: {exc}")
    setup_logging("auth", settings.log_level)
    try:
        keys = load_key_pair(settings.jwt_private_key, settings.key_file, settings.production)
    except (MissingKey, ValueError) as exc:
        log.critical("refusing to start: %s", exc)
        sys.exit(2)
    with telemetry.telemetry("auth", settings.env):
        serve(build_app(settings, keys), settings)
