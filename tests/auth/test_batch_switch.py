"""Issue 12: in production the batch endpoints are off unless a setting turns them on."""

from __future__ import annotations

import httpx
import pytest
from minitalk_local.system import LocalSystem

USERS = {"users": [{"username": "prod-user", "password": "password1"}]}
DISABLED = {
    "error": "batch endpoints are disabled in production "
    "(MINITALK_BATCH_ENDPOINTS=true enables them)"
}


async def test_production_refuses_batches_by_default(system: LocalSystem) -> None:
    system.start_service("auth", env={"MINITALK_ENV": "production"})
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as http:
        for path in ("/api/auth/signup-batch", "/api/auth/login-batch"):
            answer = await http.post(path, json=USERS)
            assert (answer.status_code, answer.json()) == (403, DISABLED)
        single = {"username": "prod-user", "password": "password1"}
        assert (await http.post("/api/auth/signup", json=single)).status_code == 201
        assert (await http.post("/api/auth/login", json=single)).status_code == 200


@pytest.mark.parametrize("env", ["production", "test"])
async def test_the_setting_turns_batches_on(system: LocalSystem, env: str) -> None:
    system.start_service("auth", env={"MINITALK_ENV": env, "MINITALK_BATCH_ENDPOINTS": "true"})
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as http:
        created = await http.post("/api/auth/signup-batch", json=USERS)
        assert created.status_code == 201, created.text
        logged_in = await http.post("/api/auth/login-batch", json=USERS)
        assert [r["username"] for r in logged_in.json()["results"]] == ["prod-user"]


async def test_the_batch_size_is_a_setting(system: LocalSystem) -> None:
    system.start_service("auth", env={"MINITALK_BATCH_MAX_USERS": "10"})
    async with httpx.AsyncClient(base_url=system.http("auth"), timeout=30) as http:
        users = [{"username": f"size-{i:02d}", "password": "password1"} for i in range(11)]
        answer = await http.post("/api/auth/signup-batch", json={"users": users})
        assert (answer.status_code, answer.json()) == (
            413,
            {"error": "a batch holds at most 10 users"},
        )
