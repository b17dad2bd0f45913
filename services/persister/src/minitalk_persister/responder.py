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


Reply = tuple[bytes, dict[str, str] | None]


class Responder:
    """Answers one request-reply subject of this persister's partition (queue group ``QUEUE``);
    each request runs in its own task, in a CONSUMER span parented on its headers. A subclass
    names its ``subject()`` and turns a request into its ``reply``; an unexpected exception is
    logged with the request and answered with ``unavailable()``."""

    #: What a request is, in log lines ("history request", ...).
    what = "request"

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

    def subject(self) -> str:
        raise NotImplementedError

    async def reply(self, data: bytes) -> Reply:
        raise NotImplementedError

    def unavailable(self) -> Reply:
        failed = HistoryUnavailable()
        return history.encode_refusal(failed.code, failed.message)

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(self.subject(), queue=QUEUE, cb=self._on_request)

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
            try:
                reply, headers = await self.reply(msg.data)
            except Exception:
                log.exception("%s %r failed", self.what, msg.data[:200])
                reply, headers = self.unavailable()
            if msg.reply:
                try:
                    await self._nc.publish(msg.reply, reply, headers=headers)
                except nats.errors.Error as exc:
                    log.warning("cannot answer a %s: %s", self.what, exc)

    async def _room_written(self, room_id: str) -> bool:
        """Read-your-writes: wait (bounded) until the room's last stored event is written."""
        try:
            subject = subjects.message_subject(room_id)
            last = await bus.last_seq(self._js, subjects.MESSAGES_STREAM, subject)
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("%s in %s: cannot read the last stored seq: %r", self.what, room_id, exc)
            return False
        return await self._written(last, room_id)

    async def _stream_written(self) -> bool:
        """Wait (bounded) until every event stored so far, in any room, is written."""
        try:
            last = (await self._js.stream_info(subjects.MESSAGES_STREAM)).state.last_seq
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("%s: cannot read the stream's last seq: %r", self.what, exc)
            return False
        return await self._written(last, "the stream")

    async def _written(self, last: int, where: str) -> bool:
        """Wait (bounded) until seq ``last`` is written; ``where`` (a room id, "the stream")
        names what was asked in the log line of a wait that ran out."""
        if await self._messages.wait_durable(last, self._settings.history_wait_s):
            return True
        if self._messages.disk_failing:  # said once in the log already (disk.py)
            log.debug(
                "%s in %s: seq %d not written (the disk refuses writes)", self.what, where, last
            )
        else:
            log.warning(
                "%s in %s: seq %d not written after %.1fs, answering with what is",
                *(self.what, where, last, self._settings.history_wait_s),
            )
        return False


class HistoryResponder(Responder):
    """Answers ``minitalk.history.<partition>``."""

    what = "history request"

    def subject(self) -> str:
        return subjects.history_subject(self._settings.persister_partition)

    async def reply(self, data: bytes) -> Reply:
        try:
            return history.encode_page(await self.history(data)), None
        except HistoryError as exc:
            return history.encode_refusal(exc.code, exc.message)

    async def history(self, data: bytes) -> list[Message]:
        """The page a request asks for, once the room's last stored message is written."""
        query = parse_request(data)
        partition = self._settings.persister_partition
        if subjects.partition_of(query.room_id, self._settings.persister_partitions) != partition:
            raise WrongPartition(query.room_id, partition)
        await self._room_written(query.room_id)
        return await self._store.history(query)
