"""auth as real processes: two racing for the same names, a restart, and a production start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
from minitalk_common import bus, subjects
from minitalk_common.config import NatsSettings
from minitalk_common.tokens import TokenVerifier
from minitalk_local.edge import ROOT
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext

NAMES = [f"racer-{i:02d}" for i in range(50)]


async def test_two_processes_racing_for_the_same_names_register_each_once(
    system: LocalSystem, js: JetStreamContext
) -> None:
    many_signups = {"MINITALK_SIGNUPS_PER_IP": "1000"}  # 100 sign-ups from 127.0.0.1
    system.start_service("auth", name="auth-a", env=many_signups)
    system.start_service("auth", name="auth-b", env=many_signups)
    async with (
        httpx.AsyncClient(base_url=system.http("auth-a"), timeout=60) as a,
        httpx.AsyncClient(base_url=system.http("auth-b"), timeout=60) as b,
    ):

        async def both(name: str) -> list[httpx.Response]:
            return list(
                await asyncio.gather(
                    a.post("/api/auth/signup", json={"username": name, "password": "password-a"}),
                    b.post("/api/auth/signup", json={"username": name, "password": "password-b"}),
                )
            )

        answers = await asyncio.gather(*map(both, NAMES))
        for name, (from_a, from_b) in zip(NAMES, answers, strict=True):
            assert sorted([from_a.status_code, from_b.status_code]) == [201, 409], name
            winner = "password-a" if from_a.status_code == 201 else "password-b"
            loser = "password-b" if winner == "password-a" else "password-a"
            body = {"users": [{"username": name, "password": p} for p in (winner, loser)]}
            logins = (await a.post("/api/auth/login-batch", json=body)).json()
            assert [r["username"] for r in logins["results"]] == [name]  # the winner's password
            assert len(logins["errors"]) == 1
    info = await js.stream_info(subjects.USERS_STREAM)
    assert info.state.messages == len(NAMES)  # one UserRegistered per name


async def test_restart_keeps_users_and_the_signing_key(
    system: LocalSystem, js: JetStreamContext
) -> None:
    from_key_file = {"MINITALK_JWT_PRIVATE_KEY": ""}  # the key comes from <data_dir>/keys
    system.start_service("auth", env=from_key_file)
    alice = {"username": "alice", "password": "password1"}
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=60) as client:
        assert (await client.post("/api/auth/signup", json=alice)).status_code == 201
        old_token = (await client.post("/api/auth/login", json=alice)).json()["token"]
        old_key = (await client.get("/api/auth/public-key")).json()["publicKey"]
    assert (system.data_dir / "keys" / "jwt-ed25519.pem").exists()

    system.stop("auth")
    system.start_service("auth", env=from_key_file)
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=60) as client:
        again = await client.post("/api/auth/login", json=alice)
        assert again.status_code == 200
        taken = await client.post("/api/auth/signup", json=alice)
        assert taken.status_code == 409
        new_key = (await client.get("/api/auth/public-key")).json()["publicKey"]
    assert new_key == old_key
    assert TokenVerifier(new_key).verify(old_token).username == "alice"
    published = await (await js.key_value(subjects.KEYS_BUCKET)).get(subjects.JWT_PUBLIC_KEY)
    assert published.value is not None
    assert published.value.decode() == new_key


async def test_a_signup_whose_event_cannot_be_stored_is_503_and_frees_the_name(
    system: LocalSystem, js: JetStreamContext, nats_settings: NatsSettings
) -> None:
    system.start_service("auth")
    await js.delete_stream(subjects.USERS_STREAM)  # UserRegistered now has nowhere to go
    dana = {"username": "dana", "password": "password1"}
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=60) as client:
        failed = await client.post("/api/auth/signup", json=dana)
        assert failed.status_code == 503
        assert "retry" in failed.json()["error"]
        assert (await client.post("/api/auth/login", json=dana)).status_code == 401

        await bus.ensure_streams(js, nats_settings)
        assert (await client.post("/api/auth/signup", json=dana)).status_code == 201
        assert (await client.post("/api/auth/login", json=dana)).status_code == 200


def test_production_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINITALK_")}
    env |= {
        "MINITALK_ENV": "production",
        "MINITALK_DATA_DIR": str(tmp_path),
        "MINITALK_NATS_URL": "nats://127.0.0.1:1",  # never reached: the key check comes first
    }
    done = subprocess.run(
        [sys.executable, "-m", "minitalk_auth"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "refusing to start" in done.stderr
    assert "MINITALK_JWT_PRIVATE_KEY" in done.stderr
    assert not (tmp_path / "keys").exists()  # no key was generated
