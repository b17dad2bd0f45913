"""A room's message history, asked of the persister partition that owns the room.

Request on ``minitalk.history.<crc32(roomId) % P>``: ``{"roomId", "limit", "before", "after",
"since"}`` (``before``/``after`` stream-sequence cursors or null, ``since`` an ISO-8601 UTC time or
null). Reply: ``{"messages": [...]}`` oldest first, or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from minitalk_common import subjects, telemetry
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from . import errors

log = logging.getLogger("minitalk.rooms.history")

MAX_LIMIT = 100


@dataclass(frozen=True)
class HistoryQuery:
    room_id: str
    limit: int = MAX_LIMIT
    before: int | None = None
    after: int | None = None
    since: str | None = None

    def to_json(self) -> bytes:
        body = {"roomId": self.room_id, "limit": self.limit, "before": self.before}
        body |= {"after": self.after, "since": self.since}
        return json.dumps(body).encode()


def parse_since(raw: str | None) -> str | None:
    """``since`` as a normalised ISO-8601 UTC time (a time without zone is taken as UTC)."""
    if raw is None or raw == "":
        return None
    try:
        at = datetime.fromisoformat(raw.strip())
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        utc = at.astimezone(UTC)
    except ValueError as exc:
        raise errors.BadHistoryQuery("since must be an ISO-8601 time") from exc
    except OverflowError as exc:  # 9999-12-31T23:59:59-01:00 is past year 9999 in UTC
        raise errors.BadHistoryQuery("since is out of range (years 0001-9999 in UTC)") from exc
    return utc.isoformat().replace("+00:00", "Z")


class HistoryClient:
    def __init__(self, nc: NATS, partitions: int, timeout: float) -> None:
        self._nc = nc
        self._partitions = partitions
        self._timeout = timeout

    async def messages(self, query: HistoryQuery) -> list[dict[str, Any]]:
        """The messages the persister holds for the query, oldest first."""
        subject = subjects.history_subject(subjects.partition_of(query.room_id, self._partitions))
        with telemetry.producer_span(subject):
            try:
                reply = await self._nc.request(
                    subject,
                    query.to_json(),
                    timeout=self._timeout,
                    headers=telemetry.traced_headers(),
                )
            except (NoRespondersError, NatsTimeout, TimeoutError) as exc:
                log.warning("history of %s on %s: %r", query.room_id, subject, exc)
                raise errors.HistoryUnavailable() from exc
        return _messages_of(query.room_id, reply.data)


def _messages_of(room_id: str, data: bytes) -> list[dict[str, Any]]:
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        messages: list[dict[str, Any]] = body["messages"]
        return messages
    reason = body.get("error") if isinstance(body, dict) else None
    log.warning("history of %s: the persister answered %s", room_id, reason or data[:200])
    raise errors.HistoryUnavailable()
