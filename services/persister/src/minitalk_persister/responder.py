"""History over NATS request-reply: decode the request, wait for the writes, read, reply."""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from minitalk_common import bus, subjects, telemetry
from minitalk_common.chat import history
from minitalk_common.chat.messages import Message
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from .config import PersisterSettings
from .consumer import StreamConsumer
from .errors import HistoryError, HistoryUnavailable, WrongPartition
from .history import parse_request
from .store import RoomStore

log = logging.getLogger("minitalk.persister.history")

#: Queue group of every persister answering the same partition.
QUEUE = "persister"


class HistoryResponder:
    """Answers ``minitalk.history.<partition>``; each request runs in its own task."""

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
        subject = subjects.history_subject(self._settings.persister_partition)
        self._sub = await self._nc.subscribe(subject, queue=QUEUE, cb=self._on_request)

    async def stop(self) -> None:
        """Stop taking requests and finish the ones in progress."""
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
            await self._answer_traced(msg)

    async def _answer_traced(self, msg: Msg) -> None:
        headers = None
        try:
            reply = history.encode_page(await self.history(msg.data))
        except HistoryError as exc:
            reply, headers = history.encode_refusal(exc.code, exc.message)
        except Exception:
            log.exception("history request %r failed", msg.data[:200])
            failed = HistoryUnavailable()
            reply, headers = history.encode_refusal(failed.code, failed.message)
        if msg.reply:
            try:
                await self._nc.publish(msg.reply, reply, headers=headers)
            except nats.errors.Error as exc:
                log.warning("cannot answer a history request: %s", exc)

    async def history(self, data: bytes) -> list[Message]:
        """The page a request asks for, once the room's last stored message is written."""
        query = parse_request(data)
        partition = self._settings.persister_partition
        if subjects.partition_of(query.room_id, self._settings.persister_partitions) != partition:
            raise WrongPartition(query.room_id, partition)
        await self._caught_up(query.room_id)
        return await self._store.history(query)

    async def _caught_up(self, room_id: str) -> None:
        """Read-your-writes: wait (bounded) until the room's last stored message is written."""
        last = await self._last_stored(room_id)
        if await self._messages.wait_durable(last, self._settings.history_wait_s):
            return
        if self._messages.disk_failing:  # said once in the log already (disk.py)
            log.debug(
                "history of %s: seq %d not written (the disk is refusing writes)", room_id, last
            )
        else:
            log.warning(
                "history of %s: seq %d not written after %.1fs, answering with what is",
                *(room_id, last, self._settings.history_wait_s),
            )

    async def _last_stored(self, room_id: str) -> int:
        subject = subjects.message_subject(room_id)
        try:
            return await bus.last_seq(self._js, subjects.MESSAGES_STREAM, subject)
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("history of %s: cannot read the last stored seq: %r", room_id, exc)
            return 0
