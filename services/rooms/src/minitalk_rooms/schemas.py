"""The JSON bodies that rooms accepts (pydantic) and the shape of a room in answers."""

from __future__ import annotations

from typing import Annotated, Any

from minitalk_common.chat.messages import timestamp
from minitalk_common.text import Text
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from .projection import Room


class CreateRoom(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Text
    participants: list[Text] = Field(default_factory=list)


#: A batch entry as the OpenAPI document describes it (a CreateRoom); decoded as ``Any`` so a
#: bad entry fails only itself, in ``batch.py``.
RoomEntry = Annotated[Any, WithJsonSchema(CreateRoom.model_json_schema())]


class CreateRooms(BaseModel):
    #: Each entry is checked on its own, so one bad entry fails only itself.
    rooms: list[RoomEntry]


class Invite(BaseModel):
    participants: list[Text] = Field(min_length=1)


class MarkRead(BaseModel):
    """``{seq}``: the MESSAGES seq of the last message read; a whole number from 0."""

    seq: Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)]


def room_json(room: Room, full: bool = True) -> dict[str, Any]:
    """``{roomId, name, participants}`` and, when ``full``, ``createdBy`` and ``createdAt``."""
    body: dict[str, Any] = {
        "roomId": room.room_id,
        "name": room.name,
        "participants": list(room.participants),
    }
    if full:
        body["createdBy"] = room.created_by
        body["createdAt"] = timestamp(room.created_at)
    return body
