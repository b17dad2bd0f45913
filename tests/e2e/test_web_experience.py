"""Issue 17, must-show 1: the web app as its users meet it, in Debian's Chromium (Playwright)
against the system as `./taskw up` runs it (conftest ``running_stack``: nats-server, the four
services and the nginx edge serving frontend/dist).

Shown: the edge's Content-Security-Policy and the app running under it with no violation; a room
of 1,000 messages over six days scrolled back to its first message, with day separators and
grouped messages; hostile messages rendered inert and readable; a desktop notification for a
message in another room while the tab is hidden, and the unread total in the tab title;
keyboard-only sign-in -> open a room -> send; axe-core with no serious or critical violation on
every page. Each step is photographed at desktop and phone width, light and dark, into
test-artifacts/web-experience/.

How the 1,000 messages get there (tests/e2e/seeding.py): MiniTalk has no backdating API, so the
900 older ones (five earlier days) are ``MessageSent`` events published on the room's MESSAGES
subject with a past ``at`` - the contract realtime itself publishes on - and stored, served and
counted by the real persister and rooms; the last 100 are sent by a real Socket.IO client
through the edge today.

How the notification is seen: Chromium is granted the ``notifications`` permission; an init
script wraps ``window.Notification`` so each notification the app makes is recorded and still
made by the browser's constructor; the tab is hidden by making the Page Visibility API report
``hidden`` and firing ``visibilitychange`` (headless Chromium keeps every page visible), so the
app's own code path decides to notify.

axe-core (a pinned frontend devDependency) is injected with ``add_script_tag``, which the app's
CSP refuses (an inline script): the axe pages run in a context with ``bypass_csp=True``, and only
there; every other page runs under the edge's policy and is checked for violations.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, Page, expect

from ..chat_clients import ChatClient, bearer, signup_login
from .seeding import day_starts, publish_history, send_live, spread, wait_stored
from .web_experience import (
    DESKTOP,
    PHONE,
    Looks,
    axe_serious,
    settle,
    sign_in,
    violations,
    watched_context,
)
from .web_support import ARTIFACTS, chromium

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "web-experience"
OLD_DAYS, PER_DAY, LIVE = 5, 180, 100
TOTAL = OLD_DAYS * PER_DAY + LIVE


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@dataclass
class History:
    """A room of 1,000 messages between ``reader`` and ``writer``; ``ids`` oldest first."""

    reader: str
    writer: str
    token: str
    room_id: str
    ids: list[str]
    days: list[str]


def content(i: int) -> str:
    extra = " with *bold*, _italic_ and `code`" if i % 50 == 0 else ""
    return f"message #{i:04d} of {TOTAL}{extra}"


@pytest.fixture(scope="module")
async def history(stack: LocalSystem, unique_module: Callable[[str], str]) -> History:
    reader, writer = unique_module("reader"), unique_module("writer")
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        tr, tw = await signup_login(http, reader), await signup_login(http, writer)
        made = await http.post(
            "/api/chatrooms", json={"name": "History", "participants": [writer]}, headers=bearer(tr)
        )
        room_id = made.json()["roomId"]
        now = datetime.now(UTC)
        times = [
            t
            for start in day_starts(now, OLD_DAYS)
            for t in spread(PER_DAY, start + timedelta(hours=8), start + timedelta(hours=20))
        ]
        # runs of three by one sender, four minutes apart: grouped (same sender, < 5 minutes)
        senders = [writer if (i // 3) % 2 == 0 else reader for i in range(len(times))]
        ids = await publish_history(
            stack.nats_url, room_id, times, senders, [content(i + 1) for i in range(len(times))]
        )
        client = await ChatClient(writer, tw).connect(stack.url)
        try:
            ids += await send_live(
                client, room_id, [content(i) for i in range(len(times) + 1, TOTAL + 1)]
            )
        finally:
            await client.close()
        await wait_stored(http, tr, room_id, ids[-1])
    days = sorted({t.date().isoformat() for t in times} | {now.date().isoformat()})
    return History(reader, writer, tr, room_id, ids, days)


@pytest.fixture(scope="module")
def unique_module() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}_{uuid.uuid4().hex[:8]}"


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {words[0]: words[1:] for words in parts}


async def test_the_edge_serves_a_strict_csp_that_the_app_runs_under(
    stack: LocalSystem, client: httpx.AsyncClient, browser: Browser, unique: Callable[[str], str]
) -> None:
    looks = Looks(SHOTS, "csp")
    for path in ("/", "/login", "/rooms/anything"):
        answer = await client.get(path)
        assert answer.status_code == 200
        policy = csp_directives(answer.headers["content-security-policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["connect-src"] == ["'self'"]
        assert set(policy["img-src"]) == {"'self'", "data:"}
        assert "'unsafe-inline'" not in policy["style-src"]
        assert "'unsafe-eval'" not in answer.headers["content-security-policy"]
        assert policy["require-trusted-types-for"] == ["'script'"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    script = re.search(r'src="(/assets/[^"]+\.js)"', (await client.get("/")).text)
    assert script is not None
    asset = await client.get(script.group(1))
    assert asset.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in asset.headers["cache-control"]

    context = await watched_context(browser)
    sockets: list[str] = []
    context.on("page", lambda p: p.on("websocket", lambda ws: sockets.append(ws.url)))
    errors: list[str] = []
    context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    user = unique("csp")
    page = await context.new_page()
    await page.goto(f"{stack.url}/signup")
    await looks.take(page, "signup")
    await page.get_by_label("Username").fill(user)
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_test_id("current-user")).to_contain_text(user)
    await page.get_by_label("Room name").fill("Under CSP")
    await page.get_by_role("button", name="Create room").click()
    await page.get_by_test_id("room-item").filter(has_text="Under CSP").click()
    await page.get_by_label("Message", exact=True).fill("styled, scripted, connected")
    await page.get_by_label("Message", exact=True).press("Enter")
    await expect(page.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    await looks.take(page, "csp-room")
    # styled-components' rules are applied (CSSOM into the empty <style> the policy allows)
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") != (
        "rgba(0, 0, 0, 0)"
    )
    assert any("/socket.io/" in url and url.startswith("ws://") for url in sockets), sockets
    assert await violations(page) == []
    assert not [e for e in errors if "Content Security Policy" in e or "Trusted Type" in e]
    await context.close()


async def test_scroll_back_through_1000_messages_to_the_first(
    stack: LocalSystem, browser: Browser, history: History
) -> None:
    looks = Looks(SHOTS, "history")
    context = await watched_context(browser)
    page = await sign_in(context, stack.url, history.reader)
    await page.get_by_test_id("room-item").filter(has_text="History").click()
    await expect(page.get_by_test_id("message").last).to_contain_text(f"#{TOTAL:04d}")
    await record_rendered(page)
    await looks.take(page, "history-latest")

    await scroll_to_start(page)
    await expect(page.get_by_test_id("message").first).to_contain_text("#0001")
    await looks.take(page, "history-first-message")

    seen: dict[str, Any] = await page.evaluate(
        "({ids: [...window.__ids], days: [...window.__days], grouped: window.__grouped})"
    )
    missing = [i for i, id_ in enumerate(history.ids, 1) if id_ not in set(seen["ids"])]
    assert missing == [], f"{len(missing)} messages never shown, e.g. #{missing[:5]}"
    assert sorted(seen["days"]) == history.days
    assert seen["grouped"] > 0
    assert await page.get_by_test_id("day-separator").first.is_visible()
    assert await violations(page) == []
    await context.close()


async def record_rendered(page: Page) -> None:
    """From now on, every message id, day separator and grouped message the list ever renders
    (a virtualized list keeps only the rows near the viewport in the DOM)."""
    await page.evaluate(
        """() => {
          window.__ids = new Set(); window.__days = new Set(); window.__grouped = 0;
          const scan = () => {
            for (const m of document.querySelectorAll('[data-testid="message"][data-id]')) {
              if (!window.__ids.has(m.dataset.id) && m.dataset.grouped === 'true')
                window.__grouped += 1;
              window.__ids.add(m.dataset.id);
            }
            for (const d of document.querySelectorAll('[data-testid="day-separator"]'))
              window.__days.add(d.dataset.day);
          };
          scan();
          new MutationObserver(scan).observe(document.body, {childList: true, subtree: true});
        }"""
    )


HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "[click me](javascript:window.__pwned='markdown')",
    "javascript:window.__pwned='bare'",
    "<a href=\"javascript:window.__pwned='a'\">a link</a>",
    "<b>not bold</b> *bold <i>tags stay text</i>*",
    "ab\u202ecod.exe - an RTL override",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffmark",
    "W" * 4000,
    "https://example.com/" + "a" * 3960,
]


async def test_hostile_messages_are_inert_and_readable(
    stack: LocalSystem, client: httpx.AsyncClient, browser: Browser, unique: Callable[[str], str]
) -> None:
    looks = Looks(SHOTS, "hostile")
    reader, writer = unique("reader"), unique("mallory")
    tr, tw = await signup_login(client, reader), await signup_login(client, writer)
    made = await client.post(
        "/api/chatrooms", json={"name": "Hostile", "participants": [writer]}, headers=bearer(tr)
    )
    room_id = made.json()["roomId"]
    mallory = await ChatClient(writer, tw).connect(stack.url)
    try:
        await send_live(mallory, room_id, HOSTILE)
    finally:
        await mallory.close()

    context = await watched_context(browser)
    page = await sign_in(context, stack.url, reader)
    await page.get_by_test_id("room-item").filter(has_text="Hostile").click()
    await expect(page.get_by_test_id("message").last).to_contain_text("https://example.com/")
    await record_contents(page)
    await looks.take(page, "hostile-latest")
    await scroll_to_start(page)
    await looks.take(page, "hostile-first")

    shown: dict[str, Any] = await page.evaluate("window.__hostile")
    assert shown["forbidden"] == [], f"elements from message text were rendered: {shown}"
    contents = shown["contents"]
    assert len(contents) == len(HOSTILE)
    texts = sorted(c["text"] for c in contents.values())
    # readable as sent; HOSTILE[5]'s *...* is bold: the asterisks go, the tags inside stay text
    assert texts == sorted(
        [*HOSTILE[:5], *HOSTILE[6:], "<b>not bold</b> bold <i>tags stay text</i>"]
    )
    hrefs = [h for c in contents.values() for h in c["hrefs"]]
    assert hrefs, "the https:// message shows no link"
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    bidi = {c["bidi"] for c in contents.values()}
    assert bidi <= {"isolate", "plaintext", "isolate-override"}, bidi
    bare = page.get_by_text("javascript:window.__pwned='bare'")
    await bare.scroll_into_view_if_needed()
    await bare.click()
    for size in (DESKTOP, PHONE):
        await page.set_viewport_size(size)
        await settle(page)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {size}"
    await page.set_viewport_size(DESKTOP)
    assert await page.evaluate("window.__pwned") is False
    assert page.url.startswith(stack.url)
    assert await violations(page) == []
    await context.close()


async def record_contents(page: Page) -> None:
    """From now on, each message's text, links and bidi isolation as rendered, and every element
    in the list that message text could have made (script, img, ...) or an inline handler."""
    await page.evaluate(
        """() => {
          window.__hostile = {contents: {}, forbidden: []};
          const scan = () => {
            const list = document.querySelector('[data-testid="message-list"]');
            if (!list) return;
            for (const el of list.querySelectorAll(
                'script, img, iframe, object, embed, svg, b, i, [onerror], [onclick]'))
              window.__hostile.forbidden.push(el.outerHTML.slice(0, 200));
            for (const m of list.querySelectorAll('[data-testid="message"][data-id]')) {
              const c = m.querySelector('[data-testid="message-content"]');
              if (!c) continue;
              window.__hostile.contents[m.dataset.id] = {
                text: c.textContent, bidi: getComputedStyle(c).unicodeBidi,
                hrefs: [...c.querySelectorAll('a')].map((a) => a.href)};
            }
          };
          scan();
          new MutationObserver(scan).observe(document.body, {childList: true, subtree: true});
        }"""
    )


async def scroll_to_start(page: Page) -> None:
    """Wheel up over the message list until its top: the start-of-room marker, scrolled to 0."""
    at_start = """() => {
      const list = document.querySelector('[role="log"][aria-label="Messages"]');
      return !!document.querySelector('[data-testid="start-of-room"]') && list.scrollTop <= 1;
    }"""
    await page.get_by_role("log", name="Messages").hover()
    for _ in range(600):
        if await page.evaluate(at_start):
            break
        await page.mouse.wheel(0, -600)
        await page.wait_for_timeout(40)
    assert await page.evaluate(at_start), "the list never reached the start of the room"
    await expect(page.get_by_test_id("start-of-room")).to_be_in_viewport()


async def test_notification_for_another_room_while_hidden_and_unread_in_the_title(
    stack: LocalSystem, client: httpx.AsyncClient, browser: Browser, unique: Callable[[str], str]
) -> None:
    looks = Looks(SHOTS, "attention")
    reader, writer = unique("reader"), unique("bob")
    tr, tw = await signup_login(client, reader), await signup_login(client, writer)
    rooms = {}
    for name in ("Front", "Elsewhere"):
        made = await client.post(
            "/api/chatrooms", json={"name": name, "participants": [writer]}, headers=bearer(tr)
        )
        rooms[name] = made.json()["roomId"]

    context = await watched_context(browser, permissions=["notifications"])
    page = await sign_in(context, stack.url, reader)
    await expect(page.get_by_test_id("notifications")).to_have_attribute(
        "data-permission", "granted"
    )
    await page.get_by_test_id("room-item").filter(has_text="Front").click()
    await expect(page).to_have_title("MiniTalk")
    bob = await ChatClient(writer, tw).connect(stack.url)
    try:
        await page.evaluate("window.__hide(true)")
        await send_live(bob, rooms["Elsewhere"], ["are you there? (sent while hidden)"])
        await expect(page).to_have_title("(1) MiniTalk")
        (note,) = await wait_notes(page, 1)
        assert note["title"] == f"{writer} in Elsewhere"
        assert note["body"] == "are you there? (sent while hidden)"
        assert not note["failed"]
        await send_live(bob, rooms["Elsewhere"], ["and again"])
        await expect(page).to_have_title("(2) MiniTalk")
        badge = page.get_by_test_id("room-item").filter(has_text="Elsewhere")
        await expect(badge.get_by_test_id("unread-badge")).to_have_attribute("data-count", "2")
        await page.evaluate("window.__hide(false)")
        await looks.take(page, "unread-in-title-and-list")
        await badge.click()
        await expect(page).to_have_title("MiniTalk")
        await send_live(bob, rooms["Elsewhere"], ["seen right away"])
        await expect(page.get_by_test_id("message").last).to_contain_text("seen right away")
    finally:
        await bob.close()
    assert len(await notes(page)) == 2  # nothing for the room on screen in a visible tab
    assert await violations(page) == []
    await context.close()


async def notes(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate("window.__notes")
    return found


async def wait_notes(page: Page, count: int) -> list[dict[str, Any]]:
    """The notifications made so far, once there are ``count`` (10 s at most)."""
    await page.wait_for_function(f"window.__notes.length >= {count}", timeout=10_000)
    return await notes(page)


async def test_keyboard_only_sign_in_open_room_and_send(
    stack: LocalSystem, client: httpx.AsyncClient, browser: Browser, unique: Callable[[str], str]
) -> None:
    looks = Looks(SHOTS, "keyboard")
    user, friend = unique("keys"), unique("friend")
    token = await signup_login(client, user)
    await signup_login(client, friend)
    await client.post(
        "/api/chatrooms", json={"name": "Keyboard", "participants": [friend]}, headers=bearer(token)
    )
    context = await watched_context(browser)
    page = await context.new_page()
    await page.goto(f"{stack.url}/login")
    keys = page.keyboard
    await tab_to(
        page,
        "el.id && document.querySelector(`label[for='${el.id}']`)"
        "?.textContent.trim() === 'Username'",
    )
    await keys.type(user)
    await keys.press("Tab")
    await keys.type("correct horse battery")
    await looks.take(page, "keyboard-sign-in")
    await keys.press("Enter")
    await expect(page.get_by_test_id("current-user")).to_contain_text(user)
    await tab_to(page, "el.tagName === 'A' && el.textContent.includes('Keyboard')")
    await looks.take(page, "keyboard-room-focused")
    await keys.press("Enter")
    await expect(page.get_by_role("heading", name="Keyboard")).to_be_visible()
    await tab_to(page, "el.id === 'message-input'")
    await keys.type("sent without a mouse")
    await keys.press("Enter")
    sent = page.get_by_test_id("message").filter(has_text="sent without a mouse")
    await expect(sent).to_have_attribute("data-status", "sent")
    await looks.take(page, "keyboard-sent")
    assert await violations(page) == []
    await context.close()


async def tab_to(page: Page, test: str, limit: int = 60) -> None:
    """Press Tab until the focused element ``el`` passes ``test`` (a JS expression); the focus
    must be visible there (an outline or a box shadow)."""
    check = f"(() => {{ const el = document.activeElement; return !!el && ({test}); }})()"
    for _ in range(limit):
        if await page.evaluate(check):
            ring = await page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0"
                " || s.boxShadow !== 'none'; })()"
            )
            assert ring, f"no visible focus on the element that passes {test}"
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"no element passing {test} within {limit} Tabs")


async def test_axe_finds_nothing_serious_on_any_page(
    stack: LocalSystem, browser: Browser, history: History
) -> None:
    # axe is injected as an inline script, which the app's CSP refuses: this context bypasses
    # the CSP (the other tests run under it)
    context = await browser.new_context(
        viewport=DESKTOP, timezone_id="UTC", locale="en-US", bypass_csp=True
    )
    page = await context.new_page()
    found: dict[str, list[str]] = {}

    async def check(name: str) -> None:
        for look, size in (("desktop", DESKTOP), ("phone", PHONE)):
            await page.set_viewport_size(size)
            for scheme in ("light", "dark"):
                await page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
                await settle(page)
                problems = await axe_serious(page)
                if problems:
                    found[f"{name} {look} {scheme}"] = problems
        await page.set_viewport_size(DESKTOP)
        await page.emulate_media(color_scheme="light")

    await page.goto(f"{stack.url}/login")
    await expect(page.get_by_label("Username")).to_be_visible()
    await check("login")
    await page.goto(f"{stack.url}/signup")
    await expect(page.get_by_label("Username")).to_be_visible()
    await check("signup")
    await page.goto(f"{stack.url}/login")
    await page.get_by_label("Username").fill(history.reader)
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_test_id("current-user")).to_contain_text(history.reader)
    await check("rooms")
    await page.get_by_test_id("room-item").filter(has_text="History").click()
    await expect(page.get_by_test_id("message").last).to_contain_text(f"#{TOTAL:04d}")
    await check("room")
    assert found == {}, found
    await context.close()
