"""Issue 17's conversation view in a real browser (Debian's Chromium via Playwright): a room of
three pages of history is scrolled back to its first message, each older page keeping the
reader's place; the list stays virtualized; "Jump to latest" comes back down; senders' runs
are grouped under a day separator; hostile messages stay inert text. Screenshots under
test-artifacts/web-conversation/."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, Page, expect

from ..chat_clients import PASSWORD, ChatClient, bearer, signup_login
from .web_support import ARTIFACTS, Shots, sign_up

TOTAL = 130  # pages of 50: the newest 50, then 50, then the first 30
HOSTILE = [  # the tall one first: the others are on screen when the room opens
    "w" * 4000,
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    "javascript:window.__pwned=1 and https://example.org/ok",
    "abc\u202edef evil \u2066x zero\u200bwidth",
]

# the messages whose top edge is inside the scroller, top first
VISIBLE_SEQS = """(log) => {
  const box = log.getBoundingClientRect();
  return [...log.querySelectorAll('[data-testid="message"]')]
    .filter((m) => {
      const r = m.getBoundingClientRect();
      return r.top >= box.top && r.top < box.bottom;
    })
    .map((m) => Number(m.dataset.seq));
}"""


async def seed(stack: LocalSystem, client: httpx.AsyncClient, alice: str, bob: str) -> str:
    """A room of TOTAL messages in runs of three per sender, then the hostile ones by bob."""
    login = await client.post("/api/auth/login", json={"username": alice, "password": PASSWORD})
    token_a = login.json()["token"]
    token_b = await signup_login(client, bob)
    room = await client.post(
        "/api/chatrooms", json={"name": "Long room", "participants": [bob]}, headers=bearer(token_a)
    )
    room_id: str = room.json()["roomId"]
    a = await ChatClient(alice, token_a).connect(stack.url)
    b = await ChatClient(bob, token_b).connect(stack.url)
    try:
        for i in range(1, TOTAL - len(HOSTILE) + 1):
            ack = await (a if (i - 1) // 3 % 2 == 0 else b).send(room_id, f"message {i}")
            assert ack["ok"] is True, ack
        for text in HOSTILE:
            assert (await b.send(room_id, text))["ok"] is True
    finally:
        await a.close()
        await b.close()
    return room_id


async def visible(page: Page) -> list[int]:
    seqs: list[int] = await page.get_by_role("log", name="Messages").evaluate(VISIBLE_SEQS)
    return seqs


async def test_scroll_back_to_the_first_message(
    stack: LocalSystem,
    client: httpx.AsyncClient,
    browser: Browser,
    unique: Callable[[str], str],
) -> None:
    shots = Shots(ARTIFACTS / "web-conversation")
    alice, bob = unique("alice"), unique("bob")
    context = await browser.new_context(viewport={"width": 1100, "height": 720})
    page = await sign_up(context, stack.url, alice)
    await seed(stack, client, alice, bob)
    await page.get_by_test_id("room-item").filter(has_text="Long room").click()
    log = page.get_by_role("log", name="Messages")
    messages = page.get_by_test_id("message")

    # opens at the newest message; runs of one sender grouped
    await expect(messages.last).to_have_attribute("data-seq", str(TOTAL))
    await expect(
        page.locator("[data-testid='message'][data-grouped='true']").first
    ).to_be_attached()
    await expect(page.get_by_test_id("jump-to-latest")).to_have_count(0)
    await shots.take(page, "opens-at-the-newest")

    # hostile content: inert, readable, and the layout does not widen
    contents = page.get_by_test_id("message-content")
    await expect(contents.filter(has_text="<script>")).to_have_count(1)
    assert await page.locator("[data-testid='message-content'] :is(script, img)").count() == 0
    assert await page.evaluate("window.__pwned") is None
    for href in await page.locator("[data-testid='message-content'] a").evaluate_all(
        "(links) => links.map((a) => a.href)"
    ):
        assert href.startswith("https://"), href
    assert await log.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    await shots.take(page, "hostile-content-inert")

    # scroll to the top, page by page (the oldest held: 81, then 31): the message that was
    # first stays where it was while the older page is put above it
    for oldest in (TOTAL - 49, TOTAL - 99):
        await log.evaluate("(el) => { el.scrollTop = 0; }")
        await expect(
            page.locator(f"[data-testid='message'][data-seq='{oldest - 1}']")
        ).to_be_attached()
        await expect(page.locator(f"[data-testid='message'][data-seq='{oldest}']")).to_be_visible()
        # kept within a few rows (the header above the list shrinks as the button becomes the
        # start marker); a list that lost the place would show the new page's top, 50 rows up
        on_screen = await visible(page)
        assert on_screen[0] - 5 <= oldest <= on_screen[-1], on_screen
        assert await messages.count() < 100, "every loaded message is in the DOM"
        await shots.take(page, f"older-page-before-{oldest}")
    await log.evaluate("(el) => { el.scrollTop = 0; }")
    await expect(page.get_by_test_id("start-of-room")).to_be_visible()
    await expect(messages.first).to_have_attribute("data-seq", "1")
    # the day's separator sits above its first message
    await expect(page.get_by_test_id("day-separator").first).to_have_text("Today")
    await shots.take(page, "start-of-the-room")

    # back down with the button, by keyboard
    jump = page.get_by_role("button", name="Jump to latest")
    await expect(jump).to_be_visible()
    await jump.focus()
    await page.keyboard.press("Enter")
    await expect(messages.last).to_have_attribute("data-seq", str(TOTAL))
    await expect(jump).to_have_count(0)
    assert TOTAL in await visible(page) or TOTAL - 1 in await visible(page)
    await shots.take(page, "jumped-to-latest")
    await context.close()
