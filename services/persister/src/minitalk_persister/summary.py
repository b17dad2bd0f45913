"""Room summaries over NATS request-reply: a user's whole room list in one request per partition.

``minitalk.summary.<partition>`` (queue group ``persister``), the contract in
``minitalk_common.chat.summary``. Read-your-writes for the whole list at once: before answering,
wait (bounded) until every MESSAGES event stored when the request came is in the files (one
stream-info round trip, not one lookup per room).
"""

from __future__ import annotations

import logging

import msgspec
import nats.errors
from minitalk_common import subjects
from minitalk_common.chat import history, summary

from .errors import BadHistoryRequest, HistoryError, WrongPartition
from .responder import Reply, Responder

log = logging.getLogger("minitalk.persister.summary")


class SummaryResponder(Responder):
    """Answers ``minitalk.summary.<partition>``."""

    what = "summary request"

    def subject(self) -> str:
        return subjects.summary_subject(self._settings.persister_partition)

    async def reply(self, data: bytes) -> Reply:
        try:
            return summary.encode_reply(await self.summaries(data)), None
        except HistoryError as exc:
            return history.encode_refusal(exc.code, exc.message)

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
