"""The HTTP API of rooms: decode the request, call the commands, encode the answer."""

# No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run time,
# and ``Caller`` below is local to ``rooms_router``.

import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from minitalk_common.chat.history import MAX_LIMIT, HistoryRequest
from pydantic import WithJsonSchema

from . import batch
from .history import parse_since
from .runtime import Runtime
from .schemas import CreateRoom, CreateRooms, Invite, MarkRead, room_json

Json = dict[str, Any]
#: The largest stream sequence a cursor may name (JetStream's are 64-bit); more is a 400.
MAX_SEQ = 2**63 - 1
Cursor = Annotated[int | None, Query(gt=0, le=MAX_SEQ)]
#: ``after=0`` is "from the first message": what a client without a cursor sends.
AfterCursor = Annotated[int | None, Query(ge=0, le=MAX_SEQ)]
#: Documented as an RFC 3339 time; any ISO-8601 time is accepted (UTC when without offset).
Since = Annotated[
    Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})] | None,
    Query(description="messages at or after this ISO-8601 time"),
]


#: A ``POST /api/chatrooms-batch`` costs one ``rooms`` token per this many rooms (at least one).
ROOMS_PER_TOKEN = 100


def writer(runtime: Runtime, kind: str) -> Callable[..., Awaitable[str]]:
    """The caller of a write of ``kind``, charged to its budget (``Runtime.spend``): checked
    after the token (a 401 first) and before the body is read."""

    async def charged(authorization: Annotated[str | None, Header()] = None) -> str:
        actor = runtime.caller(authorization)
        runtime.spend(actor, kind)
        return actor

    return charged


def rooms_router(runtime: Runtime) -> APIRouter:
    async def caller(authorization: Annotated[str | None, Header()] = None) -> str:
        """Checked before the body, so a request without a valid token is a 401 first."""
        return runtime.caller(authorization)

    Caller = Annotated[str, Depends(caller)]
    RoomWriter = Annotated[str, Depends(writer(runtime, "rooms"))]
    Reader = Annotated[str, Depends(writer(runtime, "reads"))]
    router = APIRouter(prefix="/api")

    @router.post("/chatrooms", status_code=201)
    async def create_room(body: CreateRoom, actor: RoomWriter) -> Json:
        room = await runtime.commands.create(actor, body.name, body.participants)
        return room_json(room)

    @router.post("/chatrooms-batch", status_code=201)
    async def create_rooms(body: CreateRooms, actor: Caller) -> Json:
        runtime.spend(actor, "rooms", math.ceil(len(body.rooms) / ROOMS_PER_TOKEN) or 1)
        limit = runtime.settings.max_batch_rooms
        result = await batch.create_rooms(runtime.commands, actor, body.rooms, limit)
        return {
            "message": result.message,
            "created": [room_json(room, full=False) for room in result.created],
            "errors": [{"index": e.index, "name": e.name, "error": e.error} for e in result.errors],
        }

    @router.get("/chatrooms")
    async def my_rooms(actor: Caller) -> list[dict[str, Any]]:
        """Each room with ``lastReadSeq``, ``unread``, ``lastMessage``, ``lastActivityAt``;
        newest activity first."""
        rooms = runtime.commands.rooms_of(actor)
        return await runtime.summaries.room_list(actor, rooms, runtime.reads.positions)

    @router.post("/chatrooms/{room_id}/read")
    async def mark_read(room_id: str, body: MarkRead, actor: Reader) -> Json:
        """Move the caller's read position forward (clamped to the room's last message)."""
        seq = await runtime.reads.mark(actor, room_id, body.seq)
        return {"roomId": room_id, "lastReadSeq": seq}

    @router.get("/chatrooms/{room_id}/receipts")
    async def receipts(room_id: str, actor: Caller) -> list[dict[str, Any]]:
        return await runtime.reads.receipts(actor, room_id)

    @router.get("/chatrooms/{room_id}/presence")
    async def presence(room_id: str, actor: Caller) -> Json:
        room = await runtime.commands.member_room(actor, room_id)
        return {"roomId": room_id, "online": await runtime.presence.online(room.participants)}

    @router.post("/chatrooms/{room_id}/invite")
    async def invite(room_id: str, body: Invite, actor: RoomWriter) -> Json:
        members = await runtime.commands.invite(actor, room_id, body.participants)
        return {"message": "participants invited", "participants": members}

    @router.post("/chatrooms/{room_id}/leave")
    async def leave(room_id: str, actor: RoomWriter) -> dict[str, str]:
        deleted = await runtime.commands.leave(actor, room_id)
        return {"message": "left the room, which is now deleted" if deleted else "left the room"}

    @router.get("/chatrooms/{room_id}/messages", response_class=Response)
    async def messages(
        room_id: str,
        actor: Caller,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
        before: Cursor = None,
        after: AfterCursor = None,
        since: Since = None,
    ) -> Response:
        """The persister's page, passed on as it came (a JSON array, oldest first)."""
        await runtime.commands.member_room(actor, room_id)
        request = HistoryRequest(room_id, limit, before, after, parse_since(since))
        page = await runtime.history.page(request)
        return Response(page, media_type="application/json")

    return router
