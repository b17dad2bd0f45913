"""Room summaries over NATS request-reply: a user's whole room list in one request per partition.

``minitalk.summary.<partition>`` (queue group ``persister``), the contract in
``minitalk_common.chat.summary``. Read-your-writes for the whole list at once: before answering,
wait (bounded) until every MESSAGES event stored when the request came is in the files (one
stream-info round trip, not one lookup per room).
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
import nats.errors
from minitalk_common import subjects, telemetry
from minitalk_common.chat import history, summary
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from .config import PersisterSettings
from .consumer import StreamConsumer
from .errors import BadHistoryRequest, HistoryError, HistoryUnavailable, WrongPartition
from .responder import QUEUE
from .store import RoomStore

log = logging.getLogger("minitalk.persister.summary")


class SummaryResponder:
    """Answers ``minitalk.summary.<partition>``; each request runs in its own task."""

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
        subject = subjects.summary_subject(self._settings.persister_partition)
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
        headers = None
        with telemetry.consumer_span(msg.subject, msg.headers):
            try:
                reply = summary.encode_reply(await self.summaries(msg.data))
            except HistoryError as exc:
                reply, headers = history.encode_refusal(exc.code, exc.message)
            except Exception:
                log.exception("summary request %r failed", msg.data[:200])
                failed = HistoryUnavailable()
                reply, headers = history.encode_refusal(failed.code, failed.message)
        if msg.reply:
            try:
                await self._nc.publish(msg.reply, reply, headers=headers)
            except nats.errors.Error as exc:
                log.warning("cannot answer a summary request: %s", exc)

    async def summaries(self, data: bytes) -> list[summary.RoomSummary]:
        try:
            request = summary.decode_request(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise BadHistoryRequest(f"invalid summary request: {exc}") from exc
        partition, partitions = (
            self._settings.persister_partition,
            self._settings.persister_partitions,
        )
        for ask in request.rooms:
            if not _is_token(ask.room_id):
                raise BadHistoryRequest(f"invalid roomId: {ask.room_id!r}")
            if subjects.partition_of(ask.room_id, partitions) != partition:
                raise WrongPartition(ask.room_id, partition)
        await self._caught_up()
        answers = []
        for ask in request.rooms:
            counts = await self._store.counts(ask.room_id)
            unread = counts.unread(ask.after, request.username)
            answers.append(summary.RoomSummary(ask.room_id, unread, counts.last_message()))
        return answers

    async def _caught_up(self) -> None:
        try:
            last = (await self._js.stream_info(subjects.MESSAGES_STREAM)).state.last_seq
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("summary: cannot read the last stored seq: %r", exc)
            return
        if not await self._messages.wait_durable(last, self._settings.history_wait_s):
            log.warning("summary: seq %d not written in time, answering with what is", last)


def _is_token(value: str) -> bool:
    try:
        subjects.token(value)
    except subjects.BadSubjectToken:
        return False
    return True
