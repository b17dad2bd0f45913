"""The NATS connection, JetStream streams and buckets, and event publishing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, BadRequestError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from . import events, revocation, subjects
from .config import NatsSettings
from .telemetry import inject_headers, producer_span

log = logging.getLogger("minitalk.bus")

#: JetStream's error code for a failed ``Nats-Expected-Last-Subject-Sequence``.
WRONG_LAST_SEQUENCE = 10071
__all__ = ["WRONG_LAST_SEQUENCE", "KeyWrongLastSequenceError", "connect", "ensure_streams"]


@asynccontextmanager
async def connect(
    settings: NatsSettings, name: str, *, no_echo: bool = False, reconnects: int = -1
) -> AsyncIterator[NATS]:
    """Connect with endless reconnects and logged state changes; drain on exit.

    ``no_echo``: the server does not send this connection's own publishes back to its
    subscriptions. ``reconnects``: attempts before giving up (-1, services: never; a one-shot
    tool fails after a few).
    """

    closing = False

    async def disconnected() -> None:
        log.log(logging.INFO if closing else logging.WARNING, "nats: disconnected")

    async def reconnected() -> None:
        log.warning("nats: reconnected to %s", nc.connected_url)

    async def error(exc: Exception) -> None:
        log.warning("nats: %s", exc)

    nc = await nats.connect(
        servers=settings.servers,
        name=name,
        max_reconnect_attempts=reconnects,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
        no_echo=no_echo,
    )
    try:
        yield nc
    finally:
        closing = True
        if not nc.is_closed:
            try:
                await asyncio.wait_for(nc.drain(), timeout=10)
            except Exception as exc:  # draining a dead connection must not hide the real error
                log.warning("nats: drain failed: %s", exc)
                await nc.close()


def stream_configs(settings: NatsSettings) -> list[api.StreamConfig]:
    def config(name: str, max_age: float | None = None) -> api.StreamConfig:
        return api.StreamConfig(
            name=name,
            subjects=[subjects.all_of(name)],
            storage=api.StorageType.FILE,
            num_replicas=settings.stream_replicas,
            duplicate_window=settings.duplicate_window_s,
            allow_direct=True,
            max_age=max_age,
        )

    return [
        config(subjects.USERS_STREAM),
        config(subjects.ROOMS_STREAM),
        config(subjects.MESSAGES_STREAM, settings.messages_max_age_s or None),
        config(subjects.READS_STREAM),
    ]


async def ensure_streams(js: JetStreamContext, settings: NatsSettings) -> None:
    """Create or update the streams and KV buckets; safe to run from every process at once."""
    for config in stream_configs(settings):
        try:
            await js.add_stream(config)
        except BadRequestError as exc:
            if exc.err_code != 10058:  # exists with another configuration
                raise
            await js.update_stream(config)
    for bucket in (subjects.CREDENTIALS_BUCKET, subjects.KEYS_BUCKET):
        await ensure_bucket(js, bucket, settings.stream_replicas)
    # auth sets the revocation bucket's age to its token lifetime: the others only create it
    await ensure_bucket(
        js,
        subjects.REVOKED_BUCKET,
        settings.stream_replicas,
        age_if_new=revocation.DEFAULT_MAX_AGE_S,
    )


async def ensure_bucket(
    js: JetStreamContext,
    bucket: str,
    replicas: int,
    max_age: float | None = None,
    *,
    age_if_new: float | None = None,
) -> KeyValue:
    """Create the KV bucket (history 1), or bring an existing one to ``replicas`` and, when
    given, ``max_age`` (e.g. after moving from R1 to R3, or a changed setting); safe to run
    from every process at once. ``age_if_new`` is the age of a bucket this call creates, left
    alone on an existing one (another service owns it)."""
    ttl = max_age if max_age is not None else age_if_new
    try:
        return await js.create_key_value(bucket=bucket, history=1, ttl=ttl, replicas=replicas)
    except BadRequestError as exc:
        if exc.err_code != 10058:  # exists with another configuration
            raise
    config = (await js.stream_info(f"KV_{bucket}")).config
    reshape = config.num_replicas != replicas
    if max_age is not None and config.max_age != max_age:
        config.max_age = max_age
        # JetStream refuses a duplicate window longer than the max age
        config.duplicate_window = min(config.duplicate_window or max_age, max_age)
        reshape = True
    if reshape:
        config.num_replicas = replicas
        await js.update_stream(config)
    return await js.key_value(bucket)


@contextmanager
def event_headers(
    subject: str,
    event: events.Event,
    *,
    expected_last_subject_seq: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """Inside ``event``'s producer span, the headers to publish it with: its id as
    ``Nats-Msg-Id`` (JetStream's deduplication), the expected last subject sequence when given,
    and the current trace context."""
    hdrs = dict(headers or {})
    hdrs["Nats-Msg-Id"] = event.id
    if expected_last_subject_seq is not None:
        hdrs["Nats-Expected-Last-Subject-Sequence"] = str(expected_last_subject_seq)
    with producer_span(subject, event.id):
        inject_headers(hdrs)
        yield hdrs


async def publish_event(
    js: JetStreamContext,
    subject: str,
    event: events.Event,
    *,
    expected_last_subject_seq: int | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> api.PubAck:
    """Publish ``event`` with its id as ``Nats-Msg-Id`` and the current trace context."""
    with event_headers(
        subject, event, expected_last_subject_seq=expected_last_subject_seq, headers=headers
    ) as hdrs:
        return await js.publish(subject, events.encode(event), timeout=timeout, headers=hdrs)


def is_wrong_last_sequence(exc: APIError) -> bool:
    return exc.err_code == WRONG_LAST_SEQUENCE


async def last_seq(js: JetStreamContext, stream: str, subject: str) -> int:
    """The stream sequence of the last event stored on ``subject`` (0: none); NATS errors
    (timeouts included) are raised."""
    try:
        raw = await js.get_last_msg(stream, subject, direct=True)
    except NotFoundError:
        return 0
    return raw.seq or 0
