"""What a stored message is now, over NATS request-reply (``minitalk.message.<partition>``).

realtime and rooms ask before they publish an edit, a deletion or a reaction: who sent the
message, whether it is deleted, its reactions and its version (``minitalk_common.chat.changes``).
The persister holds that already (the room's overlay, ``changes.py``), so nothing else keeps a
copy of every message. Read-your-writes as for history: the answer waits (bounded) until the
room's last stored event is in its file, so a change made a moment ago is seen; an id the
room does not have waits for the whole stream once, so a message sent a moment ago to another
room is answered ``other-room``, not ``unknown-message``.

Request ``{roomId, id}``; reply the ``MessageState`` JSON, or ``{error}`` with the header
``Minitalk-Error: <changes.Code>`` (``unknown-message``, ``other-room``, ``bad-request``,
``wrong-partition``, ``unavailable``).
"""

from __future__ import annotations

from minitalk_common import subjects
from minitalk_common.chat import changes
from minitalk_common.chat.history import ERROR_HEADER

from .responder import Reply, Responder


class LookupResponder(Responder):
    """Answers ``minitalk.message.<partition>``."""

    what = "message lookup"

    def subject(self) -> str:
        return subjects.lookup_subject(self._settings.persister_partition)

    async def reply(self, data: bytes) -> Reply:
        try:
            return changes.encode(await self.lookup(data)), None
        except changes.Refused as exc:
            return _refusal(exc)

    def unavailable(self) -> Reply:
        return _refusal(changes.Refused(changes.Code.UNAVAILABLE))

    async def lookup(self, data: bytes) -> changes.MessageState:
        request = changes.decode_request(data)
        try:
            subjects.token(request.room_id)
        except subjects.BadSubjectToken as exc:
            raise changes.Refused(changes.Code.BAD_REQUEST, "invalid roomId") from exc
        partitions = self._settings.persister_partitions
        if subjects.partition_of(request.room_id, partitions) != (
            self._settings.persister_partition
        ):
            raise changes.Refused(changes.Code.WRONG_PARTITION)
        await self._room_written(request.room_id)
        try:
            return await self._store.lookup(request.room_id, request.id)
        except changes.Refused as exc:
            if exc.code is not changes.Code.UNKNOWN:
                raise
        # Not in this room: it may be a message of another room whose write is still on its
        # way (sent a moment ago), and then the answer is ``other-room``. Wait for the whole
        # stream once; an unknown id costs one stream-info round trip more.
        await self._stream_written()
        return await self._store.lookup(request.room_id, request.id)


def _refusal(exc: changes.Refused) -> tuple[bytes, dict[str, str]]:
    return changes.encode({"error": exc.message}), {ERROR_HEADER: exc.code.value}
