"""Issue 14: replicas locally. With MINITALK_REALTIME_REPLICAS=2 (and two of auth and rooms,
two persister partitions)
`./taskw up` runs every replica on its own port behind the edge; WebSocket sockets opened
through the edge end up on both realtime replicas, and a message sent from a socket on one
reaches the sockets on the other. On a three-node JetStream cluster (MINITALK_NATS_CLUSTER=3)
every stream has three replicas, chat works, and SIGKILL of the stream leader's node keeps the
system serving while the runner restarts the node."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

import httpx
import nats
import pytest

from ..chat_clients import ChatClient, bearer, signup_login
from .support import Runner, chat_works

pytestmark = pytest.mark.runner

SOCKETS = 16
POLLING = 4
REALTIME = ("realtime-1", "realtime-2")
#: uvicorn's line for a WebSocket it took, prefixed by the runner with the replica's name.
ACCEPTED = r"^{name} \| .*WebSocket /socket\.io/.*\[accepted\]"


async def test_two_realtime_replicas_share_the_sockets_and_the_messages(tmp_path: Path) -> None:
    r = Runner(
        tmp_path,
        MINITALK_REALTIME_REPLICAS="2",
        MINITALK_ROOMS_REPLICAS="2",
        MINITALK_AUTH_REPLICAS="2",
        MINITALK_PERSISTER_PARTITIONS="2",
    ).start()
    try:
        await asyncio.to_thread(r.wait_up)
        for name in ("auth-1", "auth-2", "rooms-1", "rooms-2", *REALTIME):
            assert r.pid_of(name)
        for name in ("persister-0", "persister-1"):
            assert r.pid_of(name)
        for n in range(4):  # rooms on either partition: history through rooms-1/-2 is right
            await chat_works(r.url, f"partition{n}", timeout=30)
        users = [f"u{i}_{os.getpid()}" for i in range(SOCKETS)]
        async with httpx.AsyncClient(base_url=r.url, timeout=20) as http:
            tokens = {u: await signup_login(http, u) for u in users}
            made = await http.post(
                "/api/chatrooms",
                json={"name": "replicas", "participants": users[1:]},
                headers=bearer(tokens[users[0]]),
            )
            assert made.status_code == 201, made.text
            rid = made.json()["roomId"]
            mark = len(r.text())
            clients = [await ChatClient(u, tokens[u]).connect(r.url) for u in users]
            # as socket.io clients that start with long-polling do (then upgrade): the
            # handshake, the first polls and the upgrade, which carry the sid, must all reach
            # the replica that made the session. (A client that stays on long-polling closes
            # only when its open poll returns, up to the ping interval: too slow for a test.)
            polling = [
                await ChatClient(u, tokens[u]).connect(r.url, transports=["polling", "websocket"])
                for u in users[:POLLING]
            ]
            clients += polling
            try:
                log = r.text()[mark:]
                accepted = {
                    n: len(re.findall(ACCEPTED.format(name=n), log, re.MULTILINE)) for n in REALTIME
                }
                assert sum(accepted.values()) >= SOCKETS, accepted  # (+ the upgrades)
                assert min(accepted.values()) > 0, accepted  # on both replicas
                acks = [await c.send(rid, f"from {c.username}") for c in clients[:4]]
                assert all(a["ok"] for a in acks), acks
                acks += [await c.send(rid, f"polling {c.username}") for c in polling]
                assert all(a["ok"] for a in acks), acks
                for c in clients:  # on either replica, every sender's message arrives
                    await c.wait_for_count(rid, len(acks))
                    assert sorted(c.seqs(rid)) == sorted(a["seq"] for a in acks)
            finally:
                await asyncio.gather(*(c.close() for c in clients))
    finally:
        r.cleanup()


async def test_a_three_node_nats_cluster_with_r3_streams(tmp_path: Path) -> None:
    r = Runner(tmp_path, MINITALK_NATS_CLUSTER="3").start()
    try:
        await asyncio.to_thread(r.wait_up)
        await chat_works(r.url, "cluster", timeout=30)
        urls = [f"nats://127.0.0.1:{r.nats_port + k}" for k in range(3)]
        nc = await nats.connect(servers=urls, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        try:
            js = nc.jetstream()
            infos = [i async for i in _streams(js)]
            assert {i.config.name for i in infos} >= {"MESSAGES", "ROOMS", "USERS"}
            assert {i.config.name: i.config.num_replicas for i in infos} == {
                i.config.name: 3 for i in infos
            }
            leader = (await js.stream_info("MESSAGES")).cluster.leader  # type: ignore[union-attr]
            assert leader in ("nats-1", "nats-2", "nats-3")
            mark = len(r.text())
            began = time.monotonic()
            os.kill(r.pid_of(leader), signal.SIGKILL)
            await chat_works(r.url, "leaderdown", timeout=60)
            down = time.monotonic() - began
            await asyncio.to_thread(r.wait_log, rf"\| {leader} is back \(pid \d+\)", 60, mark)
            await chat_works(r.url, "leaderback", timeout=60)
            print(  # the figures in docs/reliability.md
                f"\nMESSAGES leader {leader} killed: chat works again after {down:.1f} s, "
                f"node back and chat after {time.monotonic() - began:.1f} s",
                file=sys.stderr,
            )
        finally:
            await nc.close()
    finally:
        r.cleanup()


async def _streams(js: nats.js.JetStreamContext):  # type: ignore[no-untyped-def]
    for info in await js.streams_info():
        yield info
