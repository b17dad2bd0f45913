"""The realtime service's settings (environment variables ``MINITALK_*``)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from minitalk_common.budgets import Budget
from minitalk_common.config import ServiceSettings
from pydantic import Field, field_validator

from .presence import Timing


class RealtimeSettings(ServiceSettings):
    """Settings of ``python -m minitalk_realtime``."""

    #: HTTP port of the Socket.IO endpoint and the health routes (the edge routes
    #: ``/socket.io/*`` here).
    port: int = Field(default=8003, ge=0, le=65535)
    #: The Ed25519 public key (PEM) that verifies tokens. When unset, the key that auth
    #: publishes in the ``minitalk-keys`` bucket is used (the service waits for it, not ready).
    jwt_public_key: str | None = None
    #: Longest message content in characters; a longer one is refused with an ``error``.
    max_message_chars: int = Field(default=4000, ge=1, le=500_000)
    #: Largest Engine.IO packet accepted (bytes/characters). Engine.IO closes the connection of a
    #: client that sends a bigger frame; anything smaller but over ``max_message_chars`` gets a
    #: polite ``error`` instead. The longest message (4,000 characters, each a 6-byte
    #: ``\uXXXX`` escape at worst) is ~24 KB; a frame is copied ~5 times while it is decoded, so
    #: this is what one socket can hold for one frame (it was 1 MB: 50 sockets sending 0.9 MB
    #: frames took realtime from 80 to 370 MB).
    max_frame_bytes: int = Field(default=65_536, ge=16_384)
    #: How long to wait for JetStream to store a message before telling the sender to retry.
    publish_timeout_s: float = Field(default=5.0, gt=0)
    #: Messages are written to NATS at most once per this many milliseconds: a send that
    #: comes sooner after the last write waits for the next one, with every other send
    #: waiting then (``jspublish.py``; 0: each send written at once). Fewer wake-ups of
    #: nats-server per message, for at most this much more latency under load. 20 ms: the
    #: batches it makes carry on downstream (PubAcks, the live feed, the socket writes), and at
    #: medium 1,000 msgs/s the system's CPU per message went 0.87 -> 0.59 ms (1 ms -> 20 ms)
    #: for a median delivery of ~14 ms instead of ~1.4 (docs/benchmarks.md, "Round four").
    #: A send after a quiet spell is written at once.
    publish_coalesce_ms: float = Field(default=20.0, ge=0, le=50)
    #: Admission control (``admission.py``): writes (send, edit, delete, react, read) are
    #: refused with ``server busy, try again`` while the event loop runs more than this many
    #: milliseconds late, and for ``busy_hold_ms`` after (0: never refused for lag).
    busy_lag_ms: float = Field(default=200.0, ge=0, le=60_000)
    busy_hold_ms: float = Field(default=500.0, ge=0, le=60_000)
    #: ... counting only this many late ticks in a row (a tick every 25 ms): one long loop
    #: turn (a garbage collection) is not overload.
    busy_late_ticks: int = Field(default=2, ge=1, le=100)
    #: ... and while more than this many publishes wait for JetStream's PubAck.
    busy_max_pending: int = Field(default=5_000, ge=1)
    #: Sends of one socket whose PubAck may be awaited at once while its next events are read
    #: (``guards.py``, pipelined events); past it the socket's next event waits.
    max_in_flight_per_socket: int = Field(default=128, ge=1, le=10_000)
    #: Idle heartbeat of the consumer that follows the MESSAGES stream (the hub's ``Feed``,
    #: ``minitalk_common.feed``): with neither a message nor a heartbeat for three of them
    #: (``STALL_HEARTBEATS``) while no message is being handled, the consumer is made again
    #: from the last sequence handled. A NATS reconnect or a sequence gap makes it again at
    #: once, whatever this says.
    live_heartbeat_s: float = Field(default=2.0, ge=0.1, le=60)
    #: How long a connecting client waits for the service to become ready before it is refused.
    connect_ready_wait_s: float = Field(default=10.0, ge=0)
    #: Engine.IO heartbeat: seconds between pings, and seconds without a pong before a drop.
    ping_interval_s: float = Field(default=25.0, gt=0)
    ping_timeout_s: float = Field(default=20.0, gt=0)
    #: Per-user event budgets (token buckets, see ``limits.py``): sustained events per second
    #: and the burst allowed on top, for ``send_message``; over it the ack is ``{ok: false,
    #: error: "rate limited, try again", retryAfterMs}``. The defaults are far above real use
    #: (the load tests' busiest user sends ~70 msgs/s in ``medium``) and stop a script sending
    #: thousands.
    send_rate_per_s: float = Field(default=100.0, gt=0)
    send_burst: int = Field(default=200, ge=1)
    #: ``typing`` (the web app sends one when typing starts and one when it stops).
    typing_rate_per_s: float = Field(default=5.0, gt=0)
    typing_burst: int = Field(default=20, ge=1)
    #: ``join_room`` and ``leave_room`` together.
    room_events_rate_per_s: float = Field(default=10.0, gt=0)
    room_events_burst: int = Field(default=50, ge=1)
    #: Any other event name (none is handled: they only cost the server).
    other_events_rate_per_s: float = Field(default=5.0, gt=0)
    other_events_burst: int = Field(default=20, ge=1)
    #: ``edit_message`` and ``delete_message`` together (issue 16).
    edit_rate_per_s: float = Field(default=5.0, gt=0)
    edit_burst: int = Field(default=30, ge=1)
    #: ``react`` (each on or off).
    react_rate_per_s: float = Field(default=10.0, gt=0)
    react_burst: int = Field(default=50, ge=1)
    #: Most different reactions (emoji) one message may hold; one more is refused with "too
    #: many different reactions on this message". Set the same in rooms (REST).
    max_reactions_per_message: int = Field(default=20, ge=1, le=1000)
    #: Number of persister partitions: a message's state is asked of ``crc32(roomId) % P``.
    persister_partitions: int = Field(default=1, ge=1, le=1024)
    #: Sockets one user may hold at once on all realtime processes together (a browser tab is
    #: one); one more is refused with ``too many connections``. See ``socketcount.py``.
    max_sockets_per_user: int = Field(default=20, ge=1)
    #: Seconds between two refreshes of this process's per-user socket counts in the
    #: ``realtime-sockets`` bucket, whose entries live 3 of them (a killed process's sockets
    #: still count that long). A refresh is one KV put per user holding a socket here (10,000
    #: users: ~670 puts/s at 15 s), so it is not made shorter than needed.
    socket_count_refresh_s: float = Field(default=15.0, gt=0, le=3600)
    #: Seconds an Engine.IO session may stay open without sending the Socket.IO CONNECT (the
    #: handshake that carries the token); then it is closed.
    connect_deadline_s: float = Field(default=10.0, gt=0)
    #: Bytes queued for one socket that are not yet written (a client that stops reading);
    #: past it the socket is dropped at once, and nobody else waits for it.
    max_outgoing_bytes: int = Field(default=1_048_576, ge=65_536)
    #: Lines a socket's mistakes (malformed frames, refused events) may log per minute; the
    #: rest are counted and summed up in one line.
    mistake_log_lines_per_min: int = Field(default=5, ge=0)
    #: Seconds between ``gc.freeze()`` of what survived so far (0: leave the collector alone);
    #: see ``gcpolicy.py`` for why a process holding thousands of sockets needs it.
    gc_freeze_interval_s: float = Field(default=5.0, ge=0)
    #: Seconds between an unfreeze and full collection that reclaims frozen cyclic garbage.
    gc_full_interval_s: float = Field(default=600.0, ge=0)

    #: Per-user budget of ``mark_read`` (the web app marks a room read as messages arrive
    #: while it is open: a few a second at most).
    read_rate_per_s: float = Field(default=5.0, gt=0)
    read_burst: int = Field(default=30, ge=1)
    #: Seconds a user stays online after their last socket closed (a page reload or a
    #: reconnect storm must not flap); a socket back within it changes nothing.
    presence_grace_s: float = Field(default=5.0, ge=0, le=300)
    #: Seconds between two presence ticks: changes are collected and told once per tick.
    presence_tick_s: float = Field(default=0.25, gt=0, le=10)
    #: Seconds between two heartbeats of this process on core NATS (``presence.py``).
    presence_heartbeat_s: float = Field(default=1.0, gt=0, le=60)
    #: Seconds without a heartbeat after which another process is taken for dead: its sockets
    #: stop counting (its users go offline a grace later). Several heartbeats, so a busy
    #: process is not declared dead.
    presence_dead_after_s: float = Field(default=3.0, gt=0, le=600)

    @field_validator("jwt_public_key")
    @classmethod
    def _ed25519_pem(cls, value: str | None) -> str | None:
        if value:
            try:
                key = load_pem_public_key(value.encode())
            except ValueError as exc:
                raise ValueError("MINITALK_JWT_PUBLIC_KEY is not a PEM public key") from exc
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("MINITALK_JWT_PUBLIC_KEY must be an Ed25519 key (EdDSA)")
        return value or None

    def budgets(self) -> dict[str, Budget]:
        """The per-user event budgets by kind of event (``limits.py``)."""
        return {
            "send": Budget(self.send_rate_per_s, self.send_burst),
            "typing": Budget(self.typing_rate_per_s, self.typing_burst),
            "rooms": Budget(self.room_events_rate_per_s, self.room_events_burst),
            "other": Budget(self.other_events_rate_per_s, self.other_events_burst),
            "reads": Budget(self.read_rate_per_s, self.read_burst),
            "edit": Budget(self.edit_rate_per_s, self.edit_burst),
            "react": Budget(self.react_rate_per_s, self.react_burst),
        }

    def presence(self) -> Timing:
        """The presence timings (``presence.py``)."""
        return Timing(self.presence_grace_s, self.presence_tick_s, self.presence_heartbeat_s)
