"""The REST routes of issue 16: edit, delete and react to a message, and moderation.

- ``PATCH /api/chatrooms/:roomId/messages/:id`` {content} -> {ok, id, seq, editedAt}
- ``DELETE /api/chatrooms/:roomId/messages/:id`` -> {ok, id, seq}
- ``PUT`` / ``DELETE /api/chatrooms/:roomId/messages/:id/reactions/:emoji`` -> {ok: true}
- ``DELETE /api/messages/delete-all`` {confirmationCode: "DELETE_ALL_MESSAGES_CONFIRM"} (admin)
  -> {message, deletedCount, filesCleared, timestamp}
- ``DELETE /api/messages/rooms/:roomId`` (admin) -> {message, roomId, deletedCount, timestamp}

The same rules as the socket events (``minitalk_common.chat.editing``); a refusal is
``{error}`` with its status (``chat.changes.STATUS``).
"""

# No ``from __future__ import annotations``: FastAPI reads the signatures at run time.

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Header
from minitalk_common import subjects, text
from minitalk_common.chat.changes import Refused
from minitalk_common.errors import ApiError, BadInput

from .moderation import DELETE_ALL_MESSAGES, now_text, require_admin, require_code
from .routes import writer
from .runtime import Runtime

Json = dict[str, Any]
T = TypeVar("T")


async def _refusals(work: Awaitable[T]) -> T:
    try:
        return await work
    except Refused as exc:
        raise ApiError(exc.message, exc.status) from exc


def _content(body: Any, max_chars: int) -> str:
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise BadInput("content must be a non-empty string")
    if len(content) > max_chars:
        raise BadInput(f"content is longer than {max_chars} characters")
    if reason := text.problem(content):
        raise BadInput(f"content {reason}")
    return content


def message_router(runtime: Runtime) -> APIRouter:
    async def caller(authorization: Annotated[str | None, Header()] = None) -> str:
        return runtime.caller(authorization)

    Caller = Annotated[str, Depends(caller)]
    Editor = Annotated[str, Depends(writer(runtime, "edit"))]
    Reactor = Annotated[str, Depends(writer(runtime, "react"))]
    AnyBody = Annotated[Any, Body()]
    router = APIRouter(prefix="/api")
    base = "/chatrooms/{room_id}/messages/{message_id}"

    @router.patch(base)
    async def edit(room_id: str, message_id: str, actor: Editor, body: AnyBody = None) -> Json:
        await runtime.commands.member_room(actor, room_id)
        content = _content(body, runtime.settings.max_message_chars)
        return await _refusals(runtime.editor.edit(actor, room_id, message_id, content))

    @router.delete(base)
    async def delete(room_id: str, message_id: str, actor: Editor) -> Json:
        room = await runtime.commands.member_room(actor, room_id)
        work = runtime.editor.delete(actor, room_id, message_id, room.created_by)
        return await _refusals(work)

    @router.put(base + "/reactions/{emoji}")
    async def react(room_id: str, message_id: str, emoji: str, actor: Reactor) -> Json:
        await runtime.commands.member_room(actor, room_id)
        return await _refusals(runtime.editor.react(actor, room_id, message_id, emoji, True))

    @router.delete(base + "/reactions/{emoji}")
    async def unreact(room_id: str, message_id: str, emoji: str, actor: Reactor) -> Json:
        await runtime.commands.member_room(actor, room_id)
        return await _refusals(runtime.editor.react(actor, room_id, message_id, emoji, False))

    @router.delete("/messages/delete-all")
    async def delete_all(actor: Caller, body: AnyBody = None) -> Json:
        require_admin(actor, runtime.settings.admins)
        require_code(body, DELETE_ALL_MESSAGES)
        purged = await runtime.moderator.purge_all(actor)
        return {
            "message": "All messages deleted",
            "deletedCount": sum(p.events for p in purged),
            "filesCleared": len(purged),
            "timestamp": now_text(),
        }

    @router.delete("/messages/rooms/{room_id}")
    async def purge_room(room_id: str, actor: Caller) -> Json:
        require_admin(actor, runtime.settings.admins)
        runtime.commands  # noqa: B018 - ready
        try:
            subjects.token(room_id)
        except subjects.BadSubjectToken as exc:
            raise BadInput("invalid roomId") from exc
        purged = await runtime.moderator.purge_room(actor, room_id)
        return {
            "message": "Room history purged",
            "roomId": room_id,
            "deletedCount": purged.events,
            "timestamp": now_text(),
        }

    return router
