"""The persister's settings (environment variables ``MINITALK_*``)."""

from __future__ import annotations

from pathlib import Path

from minitalk_common.config import ServiceSettings
from pydantic import Field, model_validator


class PersisterSettings(ServiceSettings):
    """Settings of ``python -m minitalk_persister``."""

    #: HTTP port of ``/healthz``, ``/readyz`` and ``/stats``.
    port: int = Field(default=8004, ge=0, le=65535)
    #: Most events written per batch (one fetch from a consumer).
    batch_size: int = Field(default=100, ge=1, le=10_000)
    #: Longest wait in milliseconds for a batch to fill before writing what came.
    batch_wait_ms: int = Field(default=100, ge=1, le=60_000)
    #: This process's partition: it writes and serves the rooms with
    #: ``crc32(roomId) % persister_partitions == persister_partition``.
    persister_partition: int = Field(default=0, ge=0)
    #: How many persister partitions share the rooms.
    persister_partitions: int = Field(default=1, ge=1, le=1024)
    #: Most delivered but unacknowledged events per consumer (at least one batch).
    max_ack_pending: int = Field(default=1000, ge=1)
    #: Seconds JetStream waits for an ack before it delivers an event again.
    ack_wait_s: float = Field(default=30, gt=0)
    #: First delay in seconds after a failed batch; it doubles on each failure in a row.
    retry_min_s: float = Field(default=0.5, gt=0)
    #: Longest delay in seconds between retries of a failing batch.
    retry_max_s: float = Field(default=30, gt=0)
    #: Longest delay in seconds between two attempts to write a batch the disk refused (full,
    #: quota, I/O error): the same batch is tried again, unacknowledged, from ``retry_min_s``
    #: doubling up to this (and to half of ``ack_wait_s``), so the files catch up at most this
    #: long after space returns.
    disk_retry_max_s: float = Field(default=5, gt=0)
    #: Longest wait in seconds for the file to hold a room's last stored message before a
    #: history answer (read-your-writes); after it the answer holds what is written. Below the
    #: rooms service's ``history_timeout_s`` (5 s), so that answer still reaches it.
    history_wait_s: float = Field(default=4, gt=0)
    #: Rooms whose state (positions, sizes) stays in memory; others are recovered on use.
    room_cache_size: int = Field(default=10_000, ge=1)
    #: Seconds between two INFO lines with the batch statistics (only when something changed).
    stats_log_interval_s: float = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _check(self) -> PersisterSettings:
        if self.persister_partition >= self.persister_partitions:
            raise ValueError("persister_partition must be below persister_partitions")
        if self.max_ack_pending < self.batch_size:
            raise ValueError("max_ack_pending must hold at least one batch (batch_size)")
        return self

    @property
    def rooms_dir(self) -> Path:
        """Where the room files live: ``<data_dir>/rooms``."""
        return self.data_dir / "rooms"

    @property
    def batch_wait_s(self) -> float:
        return self.batch_wait_ms / 1000
