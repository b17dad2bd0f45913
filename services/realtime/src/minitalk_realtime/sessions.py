"""The sockets this process holds: socket id -> user, user -> socket ids."""

from __future__ import annotations


class Sessions:
    def __init__(self) -> None:
        self._user_of: dict[str, str] = {}
        self._sids_of: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._user_of)

    def add(self, sid: str, username: str) -> None:
        self._user_of[sid] = username
        self._sids_of.setdefault(username, set()).add(sid)

    def remove(self, sid: str) -> str | None:
        username = self._user_of.pop(sid, None)
        if username is not None:
            sids = self._sids_of[username]
            sids.discard(sid)
            if not sids:
                del self._sids_of[username]
        return username

    def user_of(self, sid: str) -> str | None:
        return self._user_of.get(sid)

    def sids_of(self, username: str) -> set[str]:
        return set(self._sids_of.get(username, ()))
