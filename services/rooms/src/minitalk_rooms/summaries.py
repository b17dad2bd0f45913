"""The room list with what each room holds for its user: ``lastReadSeq``, ``unread``,
``lastMessage`` and ``lastActivityAt``, newest activity first.

The unread counts and last messages come from the persister partitions, one request per
partition for the whole list (``minitalk_common.chat.summary``): a user in 500 rooms costs
P round trips in parallel, not 500. A partition that does not answer leaves its rooms with
``unread`` 0 and no ``lastMessage`` (logged): the list itself, which the original clients need,
never fails because of the counts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from minitalk_common import subjects, telemetry
from minitalk_common.chat import history, summary
from minitalk_common.errors import ApiError
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from .projection import Room
from .reads import ReadDirectory
from .schemas import room_json

log = logging.getLogger("minitalk.rooms.summaries")


class SummaryClient:
    def __init__(self, nc: NATS, partitions: int, timeout: float) -> None:
        self._nc = nc
        self._partitions = partitions
        self._timeout = timeout

    async def room_list(
        self, username: str, rooms: list[Room], positions: ReadDirectory
    ) -> list[dict[str, Any]]:
        """``rooms`` as the list answers them, newest activity first."""
        asks: dict[int, list[summary.RoomAsk]] = {}
        for room in rooms:
            ask = summary.RoomAsk(room.room_id, positions.of(room.room_id, username))
            asks.setdefault(subjects.partition_of(room.room_id, self._partitions), []).append(ask)
        found: dict[str, summary.RoomSummary] = {}
        for part in await asyncio.gather(
            *(self._ask(p, username, chunk) for p, some in asks.items() for chunk in _chunks(some))
        ):
            found.update((s.room_id, s) for s in part)
        items = [_item(room, positions.of(room.room_id, username), found) for room in rooms]
        items.sort(key=lambda item: item["lastActivityAt"], reverse=True)
        return items

    async def _ask(
        self, partition: int, username: str, asks: list[summary.RoomAsk]
    ) -> list[summary.RoomSummary]:
        subject = subjects.summary_subject(partition)
        data = summary.encode_request(summary.SummaryRequest(username, asks))
        with telemetry.producer_span(subject):
            try:
                reply = await self._nc.request(
                    subject, data, timeout=self._timeout, headers=telemetry.traced_headers()
                )
                if reply.headers and history.ERROR_HEADER in reply.headers:
                    raise history.failure(reply.headers[history.ERROR_HEADER], str(reply.data))
                return summary.decode_reply(reply.data)
            except (NoRespondersError, NatsTimeout, TimeoutError, ApiError) as exc:
                log.warning("room summaries of partition %d: %r", partition, exc)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                log.error("room summaries of partition %d: bad reply: %s", partition, exc)
        return []


def _chunks(asks: list[summary.RoomAsk]) -> list[list[summary.RoomAsk]]:
    size = summary.MAX_ROOMS
    return [asks[i : i + size] for i in range(0, len(asks), size)]


def _item(room: Room, last_read: int, found: dict[str, summary.RoomSummary]) -> dict[str, Any]:
    body = room_json(room)
    got = found.get(room.room_id)
    last = got.last_message if got is not None else None
    body["lastReadSeq"] = last_read
    body["unread"] = got.unread if got is not None else 0
    body["lastMessage"] = msgspec.to_builtins(last) if last is not None else None
    body["lastActivityAt"] = last.timestamp if last is not None else body["createdAt"]
    return body
