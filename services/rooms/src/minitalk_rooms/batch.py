"""Many rooms in one request: each entry is checked and created on its own."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pydantic
from minitalk_common import text
from minitalk_common.errors import ApiError, describe_validation

from . import errors
from .handlers import RoomCommands
from .projection import Room
from .schemas import CreateRoom

log = logging.getLogger("minitalk.rooms.batch")

#: Rooms created at the same time by one batch request.
CONCURRENCY = 32


@dataclass(frozen=True)
class EntryError:
    index: int
    name: str | None
    error: str


@dataclass
class BatchResult:
    created: list[Room] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)

    @property
    def message(self) -> str:
        return f"created {len(self.created)} rooms, {len(self.errors)} failed"


async def create_rooms(
    commands: RoomCommands, actor: str, entries: list[Any], limit: int
) -> BatchResult:
    """Create a room per entry (in entry order in the result); failures are reported per entry."""
    if not entries:
        raise errors.EmptyBatch()
    if len(entries) > limit:
        raise errors.BatchTooLarge(limit)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int, entry: Any) -> Room | EntryError:
        async with gate:
            return await _create_one(commands, actor, index, entry)

    outcomes = await asyncio.gather(*(one(i, entry) for i, entry in enumerate(entries)))
    result = BatchResult()
    for outcome in outcomes:
        if isinstance(outcome, EntryError):
            result.errors.append(outcome)
        else:
            result.created.append(outcome)
    return result


async def _create_one(
    commands: RoomCommands, actor: str, index: int, entry: Any
) -> Room | EntryError:
    name = text.readable(entry.get("name")) if isinstance(entry, dict) else None
    try:
        request = CreateRoom.model_validate(entry)
        return await commands.create(actor, request.name, request.participants)
    except pydantic.ValidationError as exc:
        return EntryError(index, name, describe_validation(exc.errors()))
    except ApiError as exc:
        return EntryError(index, name, exc.message)
    except Exception:  # the other entries go on: a batch never half-fails with a 500
        log.exception("batch entry %d of %s failed", index, actor)
        return EntryError(index, name, "internal error")
