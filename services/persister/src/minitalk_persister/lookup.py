"""What a stored message is now, over NATS request-reply (``minitalk.message.<partition>``).

realtime and rooms ask before they publish an edit, a deletion or a reaction: who sent the
message, whether it is deleted, its reactions and its version (``minitalk_common.chat.changes``).
The persister holds that already (the room's overlay, ``changes.py``), so nothing else keeps a
copy of every message. Read-your-writes as for history: the answer waits (bounded) until the
room's last stored event is in its file, so a change made a moment ago is seen.

Request ``{roomId, id}``; reply the ``MessageState`` JSON, or ``{error}`` with the header
``Minitalk-Error: <changes.Code>`` (``unknown-message``, ``other-room``, ``bad-request``,
``wrong-partition``, ``unavailable``).
"""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from minitalk_common import bus, subjects, telemetry
from minitalk_common.chat import changes
from minitalk_common.chat.history import ERROR_HEADER
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from .config import PersisterSettings
from .consumer import StreamConsumer
from .responder import QUEUE
from .store import RoomStore

log = logging.getLogger("minitalk.persister.lookup")


class LookupResponder:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        settings: PersisterSettings,
        store: RoomStore,
        messages: StreamConsumer,
    ) -> None:
        self._nc = nc
        self._js = js
        self._settings = settings
        self._store = store
        self._messages = messages
        self._sub: Subscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        subject = subjects.lookup_subject(self._settings.persister_partition)
        self._sub = await self._nc.subscribe(subject, queue=QUEUE, cb=self._on_request)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
        if self._tasks:
            await asyncio.wait(self._tasks)

    async def _on_request(self, msg: Msg) -> None:
        task = asyncio.create_task(self._answer(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, msg: Msg) -> None:
        with telemetry.consumer_span(msg.subject, msg.headers):
            headers = None
            try:
                reply = changes.encode(await self.lookup(msg.data))
            except changes.Refused as exc:
                reply, headers = _refusal(exc)
            except Exception:
                log.exception("message lookup %r failed", msg.data[:200])
                reply, headers = _refusal(changes.Refused(changes.Code.UNAVAILABLE))
            if msg.reply:
                try:
                    await self._nc.publish(msg.reply, reply, headers=headers)
                except nats.errors.Error as exc:
                    log.warning("cannot answer a message lookup: %s", exc)

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
        await self._caught_up(request.room_id)
        return await self._store.lookup(request.room_id, request.id)

    async def _caught_up(self, room_id: str) -> None:
        try:
            subject = subjects.message_subject(room_id)
            last = await bus.last_seq(self._js, subjects.MESSAGES_STREAM, subject)
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("lookup in %s: cannot read the last stored seq: %r", room_id, exc)
            return
        if not await self._messages.wait_durable(last, self._settings.history_wait_s):
            log.warning("lookup in %s: seq %d not written in time", room_id, last)


def _refusal(exc: changes.Refused) -> tuple[bytes, dict[str, str]]:
    return changes.encode({"error": exc.message}), {ERROR_HEADER: exc.code.value}
