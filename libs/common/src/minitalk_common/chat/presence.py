"""Presence between rooms and realtime: core NATS request-reply on ``minitalk.presence.query``
(``subjects.PRESENCE_QUERY``, queue group ``realtime``).

Request ``{"users": [...]}``; reply ``{"online": [...]}``: those of ``users`` who are online, in
the request's order, as the answering realtime process sees every replica's sockets (a user in
the grace after their last socket closed still counts as online).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

#: Most users one query may name (a room's member limit is 1,000 by default).
MAX_USERS = 10_000


class PresenceQuery(msgspec.Struct, frozen=True):
    users: Annotated[list[str], msgspec.Meta(max_length=MAX_USERS)]


class PresenceReply(msgspec.Struct, frozen=True):
    online: list[str]


_encoder = msgspec.json.Encoder()


def encode(value: PresenceQuery | PresenceReply) -> bytes:
    return _encoder.encode(value)


def decode_query(data: bytes) -> PresenceQuery:
    """Raises ``msgspec.ValidationError`` / ``msgspec.DecodeError`` for a bad query."""
    return msgspec.json.decode(data, type=PresenceQuery)


def decode_reply(data: bytes) -> PresenceReply:
    return msgspec.json.decode(data, type=PresenceReply)
