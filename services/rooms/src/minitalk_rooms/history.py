"""A room's message history, asked of the persister partition that owns the room.

The request and reply are the shared contract (``minitalk_common.chat.history``): the reply's
bytes are the page as the HTTP answer carries it, so they go out as they came, undecoded.
"""

from __future__ import annotations

import logging

from minitalk_common import subjects, telemetry
from minitalk_common.chat import history
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from . import errors

log = logging.getLogger("minitalk.rooms.history")


def parse_since(raw: str | None) -> str | None:
    """``since`` as a normalised ISO-8601 UTC time (a time without zone is taken as UTC)."""
    if raw is None or raw == "":
        return None
    try:
        return history.since_text(history.parse_since(raw))
    except ValueError as exc:
        raise errors.BadHistoryQuery("since must be an ISO-8601 time") from exc
    except OverflowError as exc:  # 9999-12-31T23:59:59-01:00 is past year 9999 in UTC
        raise errors.BadHistoryQuery("since is out of range (years 0001-9999 in UTC)") from exc


class HistoryClient:
    def __init__(self, nc: NATS, partitions: int, timeout: float) -> None:
        self._nc = nc
        self._partitions = partitions
        self._timeout = timeout

    async def page(self, request: history.HistoryRequest) -> bytes:
        """The page the persister holds for the request: JSON, oldest first."""
        room_id = request.room_id
        subject = subjects.history_subject(subjects.partition_of(room_id, self._partitions))
        with telemetry.producer_span(subject):
            try:
                reply = await self._nc.request(
                    subject,
                    history.encode_request(request),
                    timeout=self._timeout,
                    headers=telemetry.traced_headers(),
                )
            except (NoRespondersError, NatsTimeout, TimeoutError) as exc:
                log.warning("history of %s on %s: %r", room_id, subject, exc)
                raise errors.HistoryUnavailable() from exc
        return history.page_of(reply.data, reply.headers)
