"""Close the crash gap of sign-up: a credential whose ``UserRegistered`` never reached the bus.

Sign-up creates the credential, then publishes the event. A process that dies in between leaves
a user who can log in but whom rooms never heard of. At start, auth compares the credentials
bucket with the subjects of the USERS stream and publishes the missing events. A sign-up in
flight on another auth process may get its event twice; consumers apply it idempotently.
"""

from __future__ import annotations

import logging

from minitalk_common import bus, events, subjects
from minitalk_common.kvfollow import live_keys
from nats.js import JetStreamContext

log = logging.getLogger("minitalk.auth.reconcile")


async def registered_names(js: JetStreamContext) -> set[str]:
    info = await js.stream_info(
        subjects.USERS_STREAM, subjects_filter=subjects.all_of(subjects.USERS_STREAM)
    )
    return {subject.split(".", 1)[1] for subject in info.state.subjects or {}}


async def publish_missing_registrations(js: JetStreamContext) -> list[str]:
    """Publish ``UserRegistered`` for every credential the USERS stream does not know."""
    names = await live_keys(js, subjects.CREDENTIALS_BUCKET)
    known = await registered_names(js)
    missing = sorted(set(names) - known)
    for name in missing:
        event = events.UserRegistered(actor=name, user_id=name, username=name)
        await bus.publish_event(js, subjects.user_subject(name), event)
    if missing:
        log.warning("published %d missing UserRegistered events: %s", len(missing), missing)
    return missing
