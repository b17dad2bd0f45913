"""Stream, subject and bucket names. Built here, never typed by hand elsewhere."""

from __future__ import annotations

import re
import zlib

USERS_STREAM = "USERS"
ROOMS_STREAM = "ROOMS"
MESSAGES_STREAM = "MESSAGES"
#: Read positions (``ReadUpTo`` on ``reads.<roomId>``): no age limit, the record of who read what.
READS_STREAM = "READS"

CREDENTIALS_BUCKET = "credentials"
KEYS_BUCKET = "minitalk-keys"
JWT_PUBLIC_KEY = "jwt-public"
#: Revoked token ids (``jti`` -> expiry); written by auth's logout, watched by every verifier.
REVOKED_BUCKET = "minitalk-revoked"
#: ``<user>.<replica id>`` -> sockets that user holds on that realtime process; realtime only.
SOCKETS_BUCKET = "realtime-sockets"
#: Login and sign-up throttling state of auth (failure counters, locks); auth only.
THROTTLE_BUCKET = "auth-throttle"
#: ``<user>.<client ip>`` -> time of the last good login from there; auth only.
KNOWN_CLIENTS_BUCKET = "auth-known-clients"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class BadSubjectToken(ValueError):
    """An id that cannot stand as one NATS subject token."""


def token(value: str) -> str:
    """Check that ``value`` is safe as a single subject token (no dots, wildcards or spaces)."""
    if not _TOKEN.match(value):
        raise BadSubjectToken(f"not a valid id: {value!r}")
    return value


def user_subject(user_id: str) -> str:
    return f"users.{token(user_id)}"


def room_subject(room_id: str) -> str:
    return f"rooms.{token(room_id)}"


def message_subject(room_id: str) -> str:
    return f"messages.{token(room_id)}"


def reads_subject(room_id: str) -> str:
    return f"reads.{token(room_id)}"


def stream_subject(stream: str, room_id: str) -> str:
    """The subject of ``room_id``'s events in ``stream`` (ROOMS, MESSAGES or READS)."""
    return {
        ROOMS_STREAM: room_subject,
        MESSAGES_STREAM: message_subject,
        READS_STREAM: reads_subject,
    }[stream](room_id)


def typing_subject(room_id: str) -> str:
    """Core NATS subject for ephemeral typing notices, never stored."""
    return f"typing.{token(room_id)}"


def history_subject(partition: int) -> str:
    """Request-reply subject on which persister partition ``partition`` answers history."""
    return f"minitalk.history.{partition}"


def summary_subject(partition: int) -> str:
    """Request-reply subject on which persister partition ``partition`` answers room summaries
    (unread counts and last messages, ``minitalk_common.chat.summary``)."""
    return f"minitalk.summary.{partition}"


def lookup_subject(partition: int) -> str:
    """Request-reply subject on which persister partition ``partition`` answers what a stored
    message is now (``minitalk_common.chat.changes``: edits, deletion, reactions)."""
    return f"minitalk.message.{partition}"


#: Core NATS: each realtime process says it is alive here every ``presence_heartbeat_s``.
PRESENCE_HEARTBEAT = "minitalk.presence.alive"
#: Core NATS request-reply, queue group ``realtime``: which of these users are online.
PRESENCE_QUERY = "minitalk.presence.query"


def all_of(stream: str) -> str:
    """The wildcard subject that a whole stream holds."""
    return {
        USERS_STREAM: "users.>",
        ROOMS_STREAM: "rooms.>",
        MESSAGES_STREAM: "messages.>",
        READS_STREAM: "reads.>",
    }[stream]


def room_of(subject: str) -> str:
    """The room id of a ``rooms.<id>``, ``messages.<id>``, ``reads.<id>`` or ``typing.<id>``."""
    return subject.rsplit(".", 1)[-1]


def partition_of(room_id: str, partitions: int) -> int:
    """Stable partition of a room: the same on every machine and Python version."""
    return zlib.crc32(room_id.encode()) % partitions
