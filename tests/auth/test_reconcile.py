"""A sign-up interrupted between the credential and its event is completed at the next start."""

from __future__ import annotations

import msgspec
from minitalk_auth.store import Credential
from minitalk_common import events, subjects
from minitalk_local.system import LocalSystem
from nats.js import JetStreamContext


async def test_start_publishes_the_event_a_crash_left_out(
    system: LocalSystem, js: JetStreamContext
) -> None:
    kv = await js.key_value(subjects.CREDENTIALS_BUCKET)
    orphan = Credential(username="orphan", password_hash="$2b$04$x", created_at=events.utcnow())
    await kv.create("orphan", msgspec.json.encode(orphan))

    system.start_service("auth")
    stored = await js.get_last_msg(subjects.USERS_STREAM, subjects.user_subject("orphan"))
    event = events.decode(stored.data or b"")
    assert isinstance(event, events.UserRegistered)
    assert event.username == "orphan"

    system.stop("auth")
    system.start_service("auth")  # a second start finds nothing missing
    info = await js.stream_info(subjects.USERS_STREAM)
    assert info.state.messages == 1
