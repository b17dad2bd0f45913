"""REST fuzz cases: schemathesis generates a case from the service's OpenAPI document, then a
hypothesis mutation puts an attacker's values into it (``values.py``), mostly with a valid
token and real ids, so the cases get past authentication and lookups to the code that uses
the values. ``World`` remembers what each 2xx answer said was stored."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import requests
from hypothesis import strategies as st
from schemathesis import Case

from . import values
from .wire import json_bytes

#: ``Request.body`` of an operation without one
NO_BODY: Any = object()

AUTH_HEADERS = (
    "",
    "Bearer",
    "Bearer ",
    "Bearer x.y.z",
    "Basic YWxpY2U6c2VjcmV0",
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
    "bearer  ",
    "Bearer " + "a" * 9000,
)


@dataclass
class World:
    """The fuzz user, the users and rooms that exist, and what the answers said was stored."""

    username: str
    token: str
    others: list[str]
    #: the valid token logout cases send: logging out revokes it, so never the fuzz user's own
    logout_token: str = ""
    #: every username a 2xx sign-up answer said was created
    signed_up: set[str] = field(default_factory=set)
    #: room id -> participants, as the last 2xx answer about the room said
    rooms: dict[str, set[str]] = field(default_factory=dict)
    #: rooms the fuzz user left with a 2xx (it is no longer theirs)
    left: set[str] = field(default_factory=set)

    def room_ids(self) -> list[str]:
        return sorted(self.rooms) + sorted(self.left)

    def record(self, request: Request, status: int, body: Any) -> None:
        """Note what a 2xx answer stored."""
        if not 200 <= status < 300 or not isinstance(body, dict | list):
            return
        path, method = request.operation, request.method
        if path == "/api/auth/signup" and isinstance(body, dict):
            self.signed_up.add(body["username"])
        elif path == "/api/auth/signup-batch" and isinstance(body, dict):
            self.signed_up.update(entry["username"] for entry in body["created"])
        elif path == "/api/chatrooms" and method == "POST" and isinstance(body, dict):
            self.rooms[body["roomId"]] = set(body["participants"])
        elif path == "/api/chatrooms-batch" and isinstance(body, dict):
            for room in body["created"]:
                self.rooms[room["roomId"]] = set(room["participants"])
        elif path.endswith("/invite") and isinstance(body, dict):
            room_id = unquote(str(request.path_parameters.get("room_id")))
            self.rooms[room_id] = set(body["participants"])
        elif path.endswith("/leave"):
            room_id = unquote(str(request.path_parameters.get("room_id")))
            self.rooms.pop(room_id, None)
            self.left.add(room_id)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that a mutation may replace (the root included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:20]):
            found += _paths(item, (*prefix, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _field_value(world: World) -> st.SearchStrategy[Any]:
    """Values for a known field: good ones (to get past the checks) or nasty ones."""
    good_name = st.sampled_from([*world.others, world.username]) | st.from_regex(
        r"[A-Za-z0-9_-]{3,12}", fullmatch=True
    )
    return st.one_of(
        good_name,
        st.lists(good_name | values.nasty_text, max_size=4),
        values.nasty_text,
        values.nasty_value,
    )


GOOD_NAME = st.from_regex(r"[A-Za-z0-9_-]{3,12}", fullmatch=True)


@st.composite
def valid_body(draw: st.DrawFn, operation: str, world: World) -> Any:
    """A body the operation accepts (new user names, known participants), or None."""
    user = {"username": draw(GOOD_NAME), "password": "pw123456"}
    known = draw(st.lists(st.sampled_from(world.others), max_size=2, unique=True))
    room = {"name": draw(st.sampled_from(["room", " general ", "x" * 100])), "participants": known}
    return {
        "/api/auth/signup": user,
        "/api/auth/login": user,
        "/api/auth/signup-batch": {"users": [user, {**user, "username": draw(GOOD_NAME)}]},
        "/api/auth/login-batch": {"users": [user, {**user, "username": draw(GOOD_NAME)}]},
        "/api/chatrooms": room,
        "/api/chatrooms-batch": {"rooms": [room, {"name": "second", "participants": []}]},
        "/api/chatrooms/{room_id}/invite": {"participants": known or world.others[:1]},
        "/api/chatrooms/{room_id}/messages/{message_id}": {"content": "fixed"},
        "/api/messages/delete-all": {"confirmationCode": "DELETE_ALL_MESSAGES_CONFIRM"},
        "/api/auth/delete-all-users": {"confirmationCode": "DELETE_ALL_USERS_CONFIRM"},
    }.get(operation)


@st.composite
def _body(draw: st.DrawFn, body: Any, world: World, operation: str) -> Any:
    how = draw(
        st.sampled_from(
            ["keep", "one-off", "one-off", "one-off", "leaves", "fields", "whole", "raw"]
        )
    )
    if how == "keep":
        return body
    if how == "one-off":
        # a body the operation accepts with exactly one value made nasty: what gets furthest
        good = draw(valid_body(operation, world))
        if good is None:
            return body
        place = draw(st.sampled_from([p for p in _paths(good) if p]))
        return _replace(good, place, draw(values.nasty_value))
    if how == "raw":
        return draw(values.raw_body)
    if how == "whole":
        return draw(values.nasty_value)
    if how == "fields":
        # the fields the services read, each good or nasty, in the body and in batch entries
        some = _field_value(world)
        entry = {
            "username": draw(some),
            "password": draw(st.just("pw123456") | values.nasty_value),
            "name": draw(st.just("room") | values.nasty_text),
            "participants": draw(st.lists(some, max_size=3)),
        }
        batch = draw(st.lists(st.just(entry) | values.nasty_value, min_size=1, max_size=5))
        return {**entry, "users": batch, "rooms": batch}
    paths = _paths(body)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)):
        # an earlier replacement may have removed that place
        with contextlib.suppress(KeyError, IndexError, TypeError):
            body = _replace(body, path, draw(values.nasty_value))
    return body


@dataclass
class Request:
    """One fuzz request: what schemathesis generated, with the mutation applied."""

    method: str
    #: the operation's path template, e.g. ``/api/chatrooms/{room_id}/invite``
    operation: str
    path_parameters: dict[str, Any]
    params: dict[str, Any]
    headers: dict[str, Any]
    body: Any = NO_BODY

    @property
    def where(self) -> str:
        return f"{self.method} {self.operation}"

    def url(self, base_url: str) -> str:
        path = self.operation
        for name, value in self.path_parameters.items():
            path = path.replace("{" + name + "}", str(value))
        return base_url + path

    def send(self, http: requests.Session, base_url: str) -> requests.Response:
        data = None if self.body is NO_BODY else json_bytes(self.body)
        return http.request(
            self.method,
            self.url(base_url),
            params=self.params,
            headers=self.headers,
            data=data,
            timeout=60,
            allow_redirects=False,
        )


@st.composite
def mutated(draw: st.DrawFn, case: Case[Any], world: World) -> Request:
    """The request of ``case`` with a token (mostly valid), real room ids and nasty values."""
    generated = case.as_transport_kwargs(base_url="")
    names = {p.name for p in case.operation.iter_parameters()}
    request = Request(
        case.method.upper(),
        case.operation.path,
        dict(case.path_parameters or {}),
        dict(generated.get("params") or {}),
        {k: v for k, v in generated["headers"].items() if not k.startswith("X-Schemathesis")},
    )
    if "authorization" in names:
        request.headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        choice = draw(st.sampled_from(["valid"] * 8 + ["generated", "nasty"]))
        if choice == "valid":
            logout = case.operation.path.endswith("/logout") and world.logout_token
            token = world.logout_token if logout else world.token
            request.headers["Authorization"] = f"Bearer {token}"
        elif choice == "nasty":
            request.headers["Authorization"] = draw(st.sampled_from(AUTH_HEADERS))
        elif "authorization" in generated["headers"]:
            request.headers["authorization"] = generated["headers"]["authorization"]
    if "room_id" in names:
        real = world.room_ids()
        choice = draw(st.sampled_from(["real"] * 6 + ["generated", "nasty"]))
        if choice == "real" and real:
            request.path_parameters = {"room_id": draw(st.sampled_from(real))}
        elif choice == "nasty":
            request.path_parameters = {"room_id": quote(draw(values.url_text), safe="")}
    if "since" in names:
        for name, strategy in (
            ("since", values.since_value),
            ("before", values.cursor_text),
            ("after", values.cursor_text),
            ("limit", values.cursor_text),
        ):
            if draw(st.booleans()):
                request.params[name] = draw(strategy)
    if case.operation.body:
        body = case.body if type(case.body).__name__ != "NotSet" else {}
        request.body = draw(_body(body, world, case.operation.path))
        request.headers["Content-Type"] = "application/json"
    return request


#: the values the issue names, put in every place of a valid body, every run
EXPLICIT_VALUES = ("\ud800", "a\udfffb", "a\x00b", 10**400, 2**64, None, ["x"], {"a": 1})


def explicit_requests(method: str, operation: str, world: World) -> list[Request]:
    """Requests sent before the generated ones: a valid body with one of ``EXPLICIT_VALUES``
    in each place; for history, ``since`` at the ends of the time range and huge cursors."""
    logout = operation.endswith("/logout") and world.logout_token
    token = world.logout_token if logout else world.token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rooms = world.room_ids()
    path = {"room_id": rooms[0]} if "{room_id}" in operation and rooms else {}
    if "{room_id}" in operation and not rooms:
        return []
    found: list[Request] = []
    user = {"username": "fzexplicit", "password": "pw123456"}
    room = {"name": "room", "participants": world.others[:1]}
    good = {
        "/api/auth/signup": user,
        "/api/auth/login": user,
        "/api/auth/signup-batch": {"users": [user]},
        "/api/auth/login-batch": {"users": [user]},
        "/api/chatrooms": room,
        "/api/chatrooms-batch": {"rooms": [{"name": "first"}, room]},
        "/api/chatrooms/{room_id}/invite": {"participants": world.others[:1]},
    }.get(operation)
    if good is not None:
        for place in (p for p in _paths(good) if p):
            for value in EXPLICIT_VALUES:
                body = _replace(good, place, value)
                found.append(Request(method, operation, path, {}, headers, body))
    if operation.endswith("/messages"):
        queries: list[dict[str, Any]] = [{"since": d} for d in values.EDGE_DATES]
        queries += [{"before": str(n)} for n in (2**63, 2**64, 10**30)]
        queries += [{"after": str(n)} for n in (2**63, 2**64, 10**30)]
        found += [Request(method, operation, path, q, headers) for q in queries]
    return found
