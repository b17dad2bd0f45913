"""Settings shared by every service. Each service's own ``config.py`` inherits these.

Every setting is read from the environment with the ``MINITALK_`` prefix (``MINITALK_NATS_URL``),
except the standard ``OTEL_*`` and ``DD_*`` variables, which their libraries read themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .origins import DEV_ORIGINS, OriginPolicy


class NatsSettings(BaseSettings):
    """How to reach NATS JetStream and how the streams are shaped."""

    model_config = SettingsConfigDict(env_prefix="MINITALK_", extra="ignore")

    #: NATS server URL(s), comma separated for a cluster.
    nats_url: str = "nats://127.0.0.1:4222"
    #: Replicas of every stream and bucket: 1 on one machine, 3 on a JetStream cluster.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    #: Age limit of the MESSAGES stream in seconds (0: no limit); the room files are the archive.
    messages_max_age_s: float = Field(default=30 * 24 * 3600, ge=0)
    #: Window in which JetStream drops a resend with the same Nats-Msg-Id.
    duplicate_window_s: float = Field(default=120, gt=0)

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.nats_url.split(",") if s.strip()]


class TelemetrySettings(BaseSettings):
    """Service identity for logs and traces (the OTLP endpoint itself is ``OTEL_*``)."""

    model_config = SettingsConfigDict(env_prefix="MINITALK_", extra="ignore")

    #: ``development`` allows generated dev keys; ``production`` refuses unsafe defaults.
    env: Literal["development", "production", "test"] = "development"
    #: Log level of the service's own loggers.
    log_level: str = "INFO"


class OriginSettings(BaseSettings):
    """Which browser origins may use the REST API and Socket.IO (``origins.py``)."""

    model_config = SettingsConfigDict(env_prefix="MINITALK_", extra="ignore")

    #: Origins allowed besides the page's own (always allowed: the web app the edge serves),
    #: comma separated (``https://chat.example.com,https://admin.example.com``; ``*``: any).
    #: Unset: the local edge's own addresses ``http://localhost:<MINITALK_HTTP_PORT>`` and
    #: ``http://127.0.0.1:<port>`` and the dev origins (Vite ``http://localhost:5173``, the
    #: original MiniTalk client ``http://localhost:3000``) - none of them in production.
    allowed_origins: str | None = None
    #: The local edge's port (`./taskw up`), for the default above.
    http_port: int = Field(default=3000, ge=1, le=65535)
    env: Literal["development", "production", "test"] = "development"

    @property
    def origin_list(self) -> list[str]:
        if self.allowed_origins is not None and self.allowed_origins.strip():
            return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]
        if self.env == "production":
            return []
        edge = [f"http://localhost:{self.http_port}", f"http://127.0.0.1:{self.http_port}"]
        return [*edge, *DEV_ORIGINS]

    @property
    def origin_policy(self) -> OriginPolicy:
        return OriginPolicy(self.origin_list)


class ServiceSettings(NatsSettings, TelemetrySettings, OriginSettings):
    """The base of every service's settings: NATS, telemetry, data folder and HTTP bind."""

    #: Where a service keeps files (dev key pair, room files). Created on start.
    data_dir: Path = Path("data")
    #: HTTP bind address and port of the service.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: Proxies whose X-Forwarded-For/-Proto are trusted (comma separated, or ``*``): the edge.
    forwarded_allow_ips: str = "127.0.0.1"
    #: Seconds an idle HTTP keep-alive connection stays open. Must exceed the idle timeout of
    #: the proxy in front (edge 30 s, ingress-nginx and ALB 60 s), so the proxy closes first.
    keep_alive_s: int = Field(default=75, ge=1)

    @model_validator(mode="after")
    def _absolute_data_dir(self) -> ServiceSettings:
        self.data_dir = self.data_dir.resolve()
        return self

    @property
    def production(self) -> bool:
        return self.env == "production"
