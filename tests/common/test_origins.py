"""MINITALK_ALLOWED_ORIGINS: the defaults, a list, production, and what counts as the same
origin (the CORS and Socket.IO behaviour itself is tried through the edge: tests/e2e)."""

from __future__ import annotations

import pytest
from minitalk_common.config import OriginSettings
from minitalk_common.origins import OriginPolicy


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> OriginSettings:
    for name in ("MINITALK_ALLOWED_ORIGINS", "MINITALK_HTTP_PORT", "MINITALK_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"MINITALK_{name}", value)
    return OriginSettings()


def test_the_default_is_the_local_edge_and_the_dev_origins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = settings(monkeypatch, HTTP_PORT="3300").origin_list
    assert found == [
        "http://localhost:3300",
        "http://127.0.0.1:3300",
        "http://localhost:5173",
        "http://localhost:3000",
    ]


def test_production_allows_only_its_own_origin_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = settings(monkeypatch, ENV="production").origin_policy
    assert not policy.allows("http://localhost:3000")
    assert policy.allows("https://chat.example.com", own="https://chat.example.com")
    told = settings(monkeypatch, ENV="production", ALLOWED_ORIGINS=" https://a.example/ ,")
    assert told.origin_list == ["https://a.example/"]
    assert told.origin_policy.allows("https://A.example")
    assert not told.origin_policy.allows("https://b.example")


def test_origins_compare_as_browsers_send_them() -> None:
    policy = OriginPolicy(["https://chat.example.com:443", "http://localhost:3000"])
    assert policy.allows("https://chat.example.com")
    assert policy.allows("http://LOCALHOST:3000")
    for other in ("http://chat.example.com", "http://localhost:3001", "null", ""):
        assert not policy.allows(other)
    assert not policy.allows("http://localhost:3001", own="http://localhost:3000")
    assert OriginPolicy(["*"]).allows("http://anything.example")


def test_socketio_same_origin_follows_the_forwarded_host() -> None:
    policy = OriginPolicy([])
    environ = {"HTTP_HOST": "realtime:8003", "wsgi.url_scheme": "http"}
    assert not policy.socketio("https://chat.example.com", environ)
    forwarded = {**environ, "HTTP_X_FORWARDED_HOST": "chat.example.com"}
    assert policy.socketio("http://chat.example.com", forwarded)
    forwarded["HTTP_X_FORWARDED_PROTO"] = "https"
    assert policy.socketio("https://chat.example.com", forwarded)
    assert policy.socketio(None, environ)  # not a browser: no Origin, nothing to check
