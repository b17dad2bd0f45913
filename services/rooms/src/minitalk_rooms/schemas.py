"""The JSON bodies that rooms accepts (pydantic) and the shape of a room in answers."""

from __future__ import annotations

from typing import Any

from minitalk_common.text import Text
from pydantic import BaseModel, ConfigDict, Field

from .projection import Room


class CreateRoom(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Text
    participants: list[Text] = Field(default_factory=list)


class CreateRooms(BaseModel):
    #: Each entry is checked on its own, so one bad entry fails only itself.
    rooms: list[Any]


class Invite(BaseModel):
    participants: list[Text] = Field(min_length=1)


def room_json(room: Room, full: bool = True) -> dict[str, Any]:
    """``{roomId, name, participants}`` and, when ``full``, ``createdBy`` and ``createdAt``."""
    body: dict[str, Any] = {
        "roomId": room.room_id,
        "name": room.name,
        "participants": list(room.participants),
    }
    if full:
        body["createdBy"] = room.created_by
        body["createdAt"] = room.created_at.isoformat().replace("+00:00", "Z")
    return body
