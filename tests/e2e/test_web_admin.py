"""Issue 16, Must show 3: the original MiniTalk client's admin panel ("danger zone") against
MiniTalk. Admin users are named by a setting; the two endpoints keep the original's paths, bodies
and answers, and need an admin token *and* the confirmation code; everyone else gets 403 {error}.

- ``test_the_panels_requests_from_a_page_of_our_edge``: always. A page served by our edge makes
  the panel's exact requests (method, path, JSON body, Bearer header, as its api.js with axios
  sends them), as a normal user and as the admin; the original's code is not needed.
- ``test_the_original_panel``: only where ``MINITALK_ORIGINAL_WEB`` names a build of the
  original's frontend (we may not ship its code or a build of it; frontend/README.md says how to
  build it). Its own pages, served same-origin by a second edge over the same services, log in and
  press "Delete All Messages" once as a normal user (403 shown) and once as the admin (wiped).
Screenshots under test-artifacts/web-admin/.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, Dialog, Page, expect

from ..chat_clients import PASSWORD, ChatClient, bearer, signup_login
from .conftest import running_stack
from .edge_support import Edge
from .web_support import ARTIFACTS, Shots

#: The setting naming the admin users (comma-separated usernames; services/auth/README.md).
ADMIN_SETTING = "MINITALK_ADMIN_USERS"
ADMIN = f"ops_{uuid.uuid4().hex[:6]}"
USERS_CODE = "DELETE_ALL_USERS_CONFIRM"
MESSAGES_CODE = "DELETE_ALL_MESSAGES_CONFIRM"
ORIGINAL = os.environ.get("MINITALK_ORIGINAL_WEB", "")
#: The headers the original's api.js sends (axios: Accept, and its Content-Type default).
AXIOS_FETCH = """async ([method, path, body, token]) => {
  const headers = {'Accept': 'application/json, text/plain, */*'};
  headers['Content-Type'] = 'application/json';
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const r = await fetch('/api' + path, {method, headers, body: JSON.stringify(body)});
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return {status: r.status, data};
}"""


@pytest.fixture(scope="module")
def admin_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    env = {ADMIN_SETTING: ADMIN}
    with running_stack(tmp_path_factory.mktemp("admin-stack"), **env) as system:
        yield system


async def a_room_with_messages(url: str, tag: str, count: int) -> tuple[str, str, str]:
    """A user, a room and ``count`` messages in it: (username, token, roomId)."""
    owner = f"{tag}_{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        token = await signup_login(http, owner)
        made = await http.post("/api/chatrooms", json={"name": tag}, headers=bearer(token))
        assert made.status_code == 201, made.text
        room_id: str = made.json()["roomId"]
    client = await ChatClient(owner, token).connect(url)
    try:
        for i in range(count):
            ack = await client.send(room_id, f"{tag} message {i}")
            assert ack["ok"] is True, ack
    finally:
        await client.close()
    return owner, token, room_id


async def history(url: str, token: str, room_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        page = await http.get(f"/api/chatrooms/{room_id}/messages", headers=bearer(token))
        assert page.status_code == 200, page.text
        items: list[dict[str, Any]] = page.json()
        return items


async def wiped(url: str, token: str, room_id: str, timeout: float = 30.0) -> None:
    """History shows no message content any more (gone, or deleted placeholders)."""
    deadline = time.monotonic() + timeout
    while True:
        items = await history(url, token, room_id)
        if all(m.get("deleted") is True and not m.get("content") for m in items):
            return
        assert time.monotonic() < deadline, items


async def call(page: Page, method: str, path: str, body: dict[str, str], token: str | None) -> Any:
    return await page.evaluate(AXIOS_FETCH, [method, path, body, token])


async def login_token(url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        body = {"username": username, "password": PASSWORD}
        created = await http.post("/api/auth/signup", json=body)
        assert created.status_code in (201, 409, 400), created.text
        login = await http.post("/api/auth/login", json=body)
        assert login.status_code == 200, login.text
        token: str = login.json()["token"]
        return token


async def refused_to_all_but_admins(page: Page, path: str, code: str, user_token: str) -> None:
    """A normal user with the right code: 403 {error}; no token at all (the original's hole on
    delete-all-users): 403, or 401 (which the panel's axios turns into a log-in)."""
    for token, statuses in ((user_token, (403,)), (None, (401, 403))):
        answer = await call(page, "DELETE", path, {"confirmationCode": code}, token)
        assert answer["status"] in statuses, answer
        assert answer["data"]["error"], answer


async def test_the_panels_requests_from_a_page_of_our_edge(
    admin_stack: LocalSystem, browser: Browser
) -> None:
    url = admin_stack.url
    _, user_token, room_id = await a_room_with_messages(url, "panel", 3)
    admin_token = await login_token(url, ADMIN)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/login")  # any page of our edge: the requests are same-origin

    await refused_to_all_but_admins(page, "/messages/delete-all", MESSAGES_CODE, user_token)
    wrong = await call(
        page, "DELETE", "/messages/delete-all", {"confirmationCode": "nope"}, admin_token
    )
    assert 400 <= wrong["status"] < 500, wrong  # the admin without the code: refused too
    assert [m["content"] for m in await history(url, user_token, room_id)] == [
        f"panel message {i}" for i in range(3)
    ]

    done = await call(
        page, "DELETE", "/messages/delete-all", {"confirmationCode": MESSAGES_CODE}, admin_token
    )
    assert done["status"] == 200, done
    assert done["data"]["deletedCount"] >= 3, done
    assert done["data"]["message"], done
    assert done["data"]["timestamp"], done
    await wiped(url, user_token, room_id)

    await context.close()


async def test_delete_all_users_as_the_panel_calls_it(
    admin_stack: LocalSystem, browser: Browser
) -> None:
    url = admin_stack.url
    user, user_token, _ = await a_room_with_messages(url, "users", 1)
    admin_token = await login_token(url, ADMIN)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/login")
    await refused_to_all_but_admins(page, "/auth/delete-all-users", USERS_CODE, user_token)
    gone = await call(
        page, "DELETE", "/auth/delete-all-users", {"confirmationCode": USERS_CODE}, admin_token
    )
    assert gone["status"] == 200, gone
    assert gone["data"]["deletedCount"] >= 1, gone
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        login = await http.post("/api/auth/login", json={"username": user, "password": PASSWORD})
        assert login.status_code == 401, login.text  # the user is gone
        rooms = await http.get("/api/chatrooms", headers=bearer(user_token))
        assert rooms.status_code == 401, rooms.text  # and their token revoked
    await context.close()


class Dialogs:
    """Accepts the panel's confirm() and records what its alert() says."""

    def __init__(self, page: Page) -> None:
        self.alerts: list[str] = []
        page.on("dialog", self.handle)

    async def handle(self, dialog: Dialog) -> None:
        if dialog.type == "alert":
            self.alerts.append(dialog.message)
        await dialog.accept()


async def original_login(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_placeholder("Enter your username").fill(username)
    await page.get_by_placeholder("Enter your password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign In").click()
    await expect(page).to_have_url(f"{base}/rooms")


async def press_delete_all_messages(page: Page, base: str, dialogs: Dialogs) -> tuple[str, int]:
    """Open /admin, press "Delete All Messages", accept the confirm(): (its alert, HTTP status)."""
    await page.goto(f"{base}/admin")
    await expect(page.get_by_text("Danger Zone")).to_be_visible()
    before = len(dialogs.alerts)
    async with page.expect_response(lambda r: r.url.endswith("/api/messages/delete-all")) as sent:
        await page.get_by_role("button", name="Delete All Messages").click()
    answer = await sent.value
    assert answer.request.method == "DELETE"
    deadline = time.monotonic() + 30
    while len(dialogs.alerts) == before:  # the answer's alert()
        assert time.monotonic() < deadline, "the panel said nothing"
        await asyncio.sleep(0.1)
    return dialogs.alerts[-1], answer.status


async def show_alert(page: Page, text: str) -> None:
    """The alert() was answered by the test; put its words on the page for the screenshot."""
    await page.evaluate(
        """(text) => {
          const note = document.createElement('div');
          note.textContent = 'alert(): ' + text;
          note.setAttribute('style', 'position:fixed;left:50%;bottom:24px;'
            + 'transform:translateX(-50%);background:#1d2330;color:#fff;padding:12px 18px;'
            + 'border-radius:8px;font:15px sans-serif;box-shadow:0 6px 18px rgba(0,0,0,.3);'
            + 'z-index:9999');
          document.body.appendChild(note);
        }""",
        text,
    )


@pytest.mark.skipif(
    not ORIGINAL, reason="MINITALK_ORIGINAL_WEB (a build of the original's frontend) not set"
)
async def test_the_original_panel(
    admin_stack: LocalSystem, browser: Browser, tmp_path: Path
) -> None:
    shots = Shots(ARTIFACTS / "web-admin")
    edge = Edge(
        prefix=tmp_path / "original-edge",
        auth=admin_stack.replica_ports("auth")[0],
        rooms=admin_stack.replica_ports("rooms")[0],
        realtime=admin_stack.replica_ports("realtime")[0],
        webroot=Path(ORIGINAL),
    ).start()
    try:
        base = edge.url
        user, user_token, room_id = await a_room_with_messages(base, "original", 3)
        await login_token(base, ADMIN)  # signed up: the original's page logs in only

        context = await browser.new_context(viewport={"width": 1000, "height": 760})
        page = await context.new_page()
        dialogs = Dialogs(page)
        await original_login(page, base, user)
        said, status = await press_delete_all_messages(page, base, dialogs)
        assert status == 403, said
        assert said.startswith("Delete failed: "), said
        assert said != "Delete failed: Unknown error occurred.", said  # the server's {error}
        await show_alert(page, f"{said}   (HTTP {status})")
        await shots.take(page, "original-panel-normal-user-403")
        assert len(await history(base, user_token, room_id)) == 3
        await context.close()

        context = await browser.new_context(viewport={"width": 1000, "height": 760})
        page = await context.new_page()
        dialogs = Dialogs(page)
        await original_login(page, base, ADMIN)
        said, status = await press_delete_all_messages(page, base, dialogs)
        assert status == 200, said
        assert said.startswith("Successfully deleted "), said
        await expect(page.get_by_text("Message Deletion Complete")).to_be_visible()
        await show_alert(page, f"{said}   (HTTP {status})")
        await shots.take(page, "original-panel-admin-wiped")
        await wiped(base, user_token, room_id)
        await context.close()
    finally:
        edge.stop()
