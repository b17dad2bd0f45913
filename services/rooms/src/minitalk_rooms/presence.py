"""Who of a room's members is online: asked of realtime, which alone knows the sockets.

Core NATS request-reply on ``minitalk.presence.query`` (queue group ``realtime``: any replica
answers, each follows every replica's socket counts). Request ``{"users": [...]}``, reply
``{"online": [...]}`` in the request's order. No realtime process at all means no socket:
nobody is online.
"""

from __future__ import annotations

import logging

import msgspec
from minitalk_common import subjects
from minitalk_common.chat import presence
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from . import errors

log = logging.getLogger("minitalk.rooms.presence")


class PresenceClient:
    def __init__(self, nc: NATS, timeout: float) -> None:
        self._nc = nc
        self._timeout = timeout

    async def online(self, users: list[str]) -> list[str]:
        data = presence.encode(presence.PresenceQuery(users))
        try:
            reply = await self._nc.request(subjects.PRESENCE_QUERY, data, timeout=self._timeout)
        except NoRespondersError:
            return []
        except (NatsTimeout, TimeoutError) as exc:
            log.warning("presence query: %r", exc)
            raise errors.PresenceUnavailable() from exc
        try:
            return presence.decode_reply(reply.data).online
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            log.error("presence query: bad reply %r: %s", reply.data[:200], exc)
            raise errors.PresenceUnavailable() from exc
