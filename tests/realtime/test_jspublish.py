"""``jspublish.Publisher`` answers as ``js.publish`` does: the PubAck's seq, a duplicate
``Nats-Msg-Id`` as a duplicate of the first seq, JetStream's errors and timeouts as nats-py's
errors; and every publish gets its own answer, however many are in flight."""

from __future__ import annotations

import asyncio

import nats.errors
import nats.js.errors
import pytest
from minitalk_common import subjects
from minitalk_realtime.jspublish import Publisher
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext


async def test_stored_as_by_js_publish_and_a_duplicate_is_the_first_seq(
    nc: NATS, js: JetStreamContext
) -> None:
    publisher = Publisher(nc, 5.0)
    subject = subjects.message_subject("r1")
    seq, duplicate = await publisher.publish(subject, b'{"a":1}', {"Nats-Msg-Id": "m1"})
    assert not duplicate
    stored = await js.get_msg(subjects.MESSAGES_STREAM, seq)
    assert stored.data == b'{"a":1}'
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"] == "m1"
    assert await publisher.publish(subject, b'{"a":2}', {"Nats-Msg-Id": "m1"}) == (seq, True)
    library = await js.publish(subject, b"{}", headers={"Nats-Msg-Id": "m2"})
    assert await publisher.publish(subject, b"{}", {"Nats-Msg-Id": "m3"}) == (
        library.seq + 1,
        False,
    )


async def test_many_in_flight_each_get_their_own_ack_in_order(
    nc: NATS, js: JetStreamContext
) -> None:
    publisher = Publisher(nc, 5.0)
    subject = subjects.message_subject("r2")
    results = await asyncio.gather(
        *(publisher.publish(subject, str(i).encode(), {"Nats-Msg-Id": f"x{i}"}) for i in range(500))
    )
    seqs = [seq for seq, _ in results]
    assert seqs == sorted(seqs)  # sent in this order, stored so
    assert len(set(seqs)) == 500
    for i in (0, 250, 499):
        assert (await js.get_msg(subjects.MESSAGES_STREAM, seqs[i])).data == str(i).encode()
    assert not publisher._pending


async def test_no_stream_is_no_stream_response(nc: NATS, js: JetStreamContext) -> None:
    with pytest.raises(nats.js.errors.NoStreamResponseError):
        await Publisher(nc, 5.0).publish("nostream.x", b"{}", {"Nats-Msg-Id": "n1"})


async def test_a_jetstream_error_is_an_api_error(nc: NATS, js: JetStreamContext) -> None:
    subject = subjects.message_subject("r3")
    publisher = Publisher(nc, 5.0)
    await publisher.publish(subject, b"{}", {"Nats-Msg-Id": "e1"})
    with pytest.raises(nats.js.errors.APIError) as raised:
        await publisher.publish(
            subject, b"{}", {"Nats-Msg-Id": "e2", "Nats-Expected-Last-Subject-Sequence": "1000"}
        )
    assert raised.value.err_code == 10071


async def test_unanswered_publishes_time_out_each_at_its_deadline(nc: NATS) -> None:
    """A responder that answers only some: the others fail as nats-py's timeout, each about
    ``timeout`` after it was sent (one timer serves them all), and the answered ones succeed."""
    answered = 0

    async def answer_every_other(msg: Msg) -> None:
        nonlocal answered
        if msg.data == b"yes":
            answered += 1
            await nc.publish(msg.reply, b'{"stream":"S","seq":%d}' % answered)

    await nc.subscribe("silent.*", cb=answer_every_other)
    publisher = Publisher(nc, 0.3)
    loop = asyncio.get_running_loop()

    async def one(i: int) -> tuple[object, float]:
        await asyncio.sleep(0.05 * i)
        started = loop.time()
        try:
            result: object = await publisher.publish(f"silent.{i}", b"yes" if i % 2 else b"no", {})
        except nats.errors.TimeoutError as exc:
            result = exc
        return result, loop.time() - started

    outcomes = await asyncio.gather(*(one(i) for i in range(6)))
    for i, (result, took) in enumerate(outcomes):
        if i % 2:
            assert isinstance(result, tuple)
            assert took < 0.25
        else:
            assert isinstance(result, nats.errors.TimeoutError)
            assert 0.29 <= took < 0.6, took
    assert not publisher._pending
    assert publisher._timer is None


async def test_publishes_close_together_are_written_together_in_order(
    nc: NATS, js: JetStreamContext
) -> None:
    """With ``coalesce_s``: the first publish goes at once, the ones that follow within the
    window wait for its end and go together, in the order they came; a cancelled one costs the
    others nothing."""
    publisher = Publisher(nc, 5.0, coalesce_s=0.1)
    subject = subjects.message_subject("r4")
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def at(delay: float, i: int) -> tuple[int, float]:
        await asyncio.sleep(delay)
        seq, _ = await publisher.publish(subject, str(i).encode(), {"Nats-Msg-Id": f"c{i}"})
        return seq, loop.time() - started

    first = asyncio.create_task(at(0, 0))
    waiting = [asyncio.create_task(at(0.02 + 0.01 * i, i)) for i in range(1, 5)]
    cancelled = asyncio.create_task(at(0.03, 99))
    await asyncio.sleep(0.05)
    cancelled.cancel()
    (seq0, took0), *rest = await asyncio.gather(first, *waiting)
    assert took0 < 0.09
    assert [seq for seq, _ in rest] == list(range(seq0 + 1, seq0 + 5))
    assert all(0.095 <= took < 0.3 for _, took in rest), rest
    later, _ = await at(0.2, 5)  # the window is long past: at once
    assert later == seq0 + 5
    assert not publisher._pending
