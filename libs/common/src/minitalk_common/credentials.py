"""auth's credential record: the contract between auth, which writes it, and the replay tool,
which backs it up and restores it.

One KV entry per username in the bucket ``subjects.CREDENTIALS_BUCKET``; the value is JSON
``{username, password_hash, created_at}`` (a bcrypt hash, never a password). A KV bucket is a
JetStream stream (``stream()``) whose subjects are ``subject_prefix()`` + key: a backup reads it
as a stream to keep each entry's revision.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from . import subjects

#: Header of a KV delete or purge marker (NATS's KV convention).
KV_OPERATION = "KV-Operation"


class Credential(msgspec.Struct, frozen=True):
    username: str
    password_hash: str
    created_at: datetime


class NotACredential(ValueError):
    """A value that is not a credential record with a bcrypt hash."""


_decoder = msgspec.json.Decoder(Credential)
_encoder = msgspec.json.Encoder()


def encode(record: Credential) -> bytes:
    return _encoder.encode(record)


def decode(value: bytes) -> Credential:
    """The record in ``value``; ``NotACredential`` when it is none, or holds no bcrypt hash."""
    try:
        record = _decoder.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NotACredential(f"is not a credential record: {exc}") from exc
    if not record.password_hash.startswith("$2"):
        raise NotACredential("holds no bcrypt hash")
    return record


def stream() -> str:
    """The JetStream stream behind the credentials bucket."""
    return f"KV_{subjects.CREDENTIALS_BUCKET}"


def subject_prefix() -> str:
    """The stream's subject of key K is this + K."""
    return f"$KV.{subjects.CREDENTIALS_BUCKET}."
