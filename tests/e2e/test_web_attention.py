"""Issue 17 in a real browser (Debian's Chromium via Playwright): desktop notifications, the
unread total in the tab title, per-room mute, the composer (Enter / Shift+Enter, drafts per
room across reloads, the length limit), the phone layout and the dark theme."""

from __future__ import annotations

import re
from collections.abc import Callable

from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, Page, expect

from .web_support import ARTIFACTS, Shots, messages_with, open_room, room_item, send, sign_up

# Records what the app hands to the browser's Notification API (a headless browser shows
# nothing on a desktop), then lets the real constructor run.
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__shown = [];
  window.Notification = class extends Real {
    constructor(title, options) {
      window.__shown.push({ title, body: options && options.body, tag: options && options.tag });
      super(title, options);
      window.__last = this;
    }
  };
})();
"""

# The Page Visibility API as when the user switches to another tab (a headless page stays
# "visible"): the document says hidden and fires visibilitychange; False undoes it.
SET_HIDDEN = """
(hidden) => {
  for (const [name, value] of [['visibilityState', 'hidden'], ['hidden', true]]) {
    if (hidden) Object.defineProperty(document, name, { configurable: true, get: () => value });
    else delete document[name];
  }
  document.dispatchEvent(new Event('visibilitychange'));
}
"""


async def shown(page: Page) -> list[dict[str, str]]:
    result: list[dict[str, str]] = await page.evaluate("window.__shown")
    return result


async def test_notifications_title_mute_composer_and_layout(
    stack: LocalSystem, browser: Browser, unique: Callable[[str], str]
) -> None:
    shots = Shots(ARTIFACTS / "web-attention")
    alice, bob = unique("alice"), unique("bob")
    ctx_a = await browser.new_context(viewport={"width": 1180, "height": 760})
    ctx_b = await browser.new_context(viewport={"width": 1180, "height": 760}, color_scheme="dark")
    await ctx_b.grant_permissions(["notifications"], origin=stack.url)
    await ctx_b.add_init_script(RECORD_NOTIFICATIONS)
    page_a = await sign_up(ctx_a, stack.url, alice)
    page_b = await sign_up(ctx_b, stack.url, bob)

    # never asked on load: alice is offered the button, bob (granted) is told they are on
    await expect(page_a.get_by_role("button", name="Enable notifications")).to_be_visible()
    assert await page_a.evaluate("Notification.permission") == "default"
    await expect(page_b.get_by_test_id("notifications")).to_have_attribute(
        "data-permission", "granted"
    )
    # the dark theme follows the system setting
    assert await page_b.evaluate("getComputedStyle(document.body).backgroundColor") == (
        "rgb(15, 20, 27)"
    )
    assert await page_a.evaluate("getComputedStyle(document.body).backgroundColor") == (
        "rgb(244, 245, 247)"
    )

    for name in ("Plans", "Random"):
        await page_a.get_by_label("Room name").fill(name)
        await page_a.get_by_label("Participants").fill(bob)
        await page_a.get_by_role("button", name="Create room").click()
        await expect(room_item(page_b, name)).to_be_visible()
    await open_room(page_b, "Plans")
    await open_room(page_a, "Random")

    # a message in another room: a notification, a badge, the title
    await send(page_a, "anyone for coffee?")
    await expect(room_item(page_b, "Random").get_by_test_id("unread-badge")).to_have_attribute(
        "data-count", "1"
    )
    await expect(page_b).to_have_title("(1) MiniTalk")
    [note] = await shown(page_b)
    assert note["title"] == f"{alice} in Random"
    assert note["body"] == "anyone for coffee?"
    assert note["tag"].startswith("minitalk-room-")
    await shots.take(page_b, "bob-dark-notified-title-badge")

    # clicking the notification opens its room
    await page_b.evaluate("window.__last.dispatchEvent(new Event('click'))")
    await expect(page_b.get_by_test_id("room-title")).to_have_text("Random")
    await expect(page_b).to_have_title("MiniTalk")

    # muted: no notification, not in the title, the badge still there (dimmed)
    mute = page_b.get_by_role("button", name="Mute")
    await expect(mute).to_have_attribute("aria-pressed", "false")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await open_room(page_b, "Plans")
    await send(page_a, "second coffee call")
    random_b = room_item(page_b, "Random")
    await expect(random_b.get_by_test_id("unread-badge")).to_have_attribute("data-count", "1")
    await expect(random_b).to_have_attribute("data-muted", "true")
    await expect(page_b).to_have_title("MiniTalk")
    assert len(await shown(page_b)) == 1
    await shots.take(page_b, "bob-dark-muted-room")

    # the open room: no notification while the tab is visible, the live region reads it
    await open_room(page_a, "Plans")
    await send(page_a, "see you at 8")
    await expect(messages_with(page_b, "see you at 8")).to_have_count(1)
    await expect(page_b.get_by_test_id("live-announcer")).to_contain_text(f"{alice}: see you at 8")
    assert len(await shown(page_b)) == 1

    # the tab hidden: the open room's messages notify too, and count in the title
    await page_b.evaluate(SET_HIDDEN, True)
    await send(page_a, "are you there?")
    await page_b.wait_for_function("window.__shown.length === 2")
    assert (await shown(page_b))[1]["title"] == f"{alice} in Plans"
    await expect(page_b).to_have_title("(1) MiniTalk")
    await page_b.evaluate(SET_HIDDEN, False)
    await expect(page_b).to_have_title("MiniTalk")

    # composer: Shift+Enter is a new line, Enter sends
    composer = page_b.get_by_label("Message", exact=True)
    await composer.fill("line one")
    await composer.press("Shift+Enter")
    await composer.press_sequentially("line two")
    await composer.press("Enter")
    two_lines = page_b.get_by_test_id("message").filter(has_text="line two")
    await expect(two_lines).to_have_attribute("data-status", "sent")
    # innerText is "" while the list measures the row (rendered, not yet shown): wait for it
    content = two_lines.get_by_test_id("message-content")
    await expect(content).to_be_visible()
    await expect(content).to_contain_text("line two")
    assert "line one\nline two" in await content.inner_text()

    # a draft per room, kept across a room switch and a reload
    await composer.fill("half a thought")
    await open_room(page_b, "Random")
    await expect(composer).to_have_value("")
    await open_room(page_b, "Plans")
    await expect(composer).to_have_value("half a thought")
    await page_b.reload()
    await expect(composer).to_have_value("half a thought")

    # over the limit: the counter says so, nothing is cut, nothing is sent
    too_long = "overlong " + "x" * 4111
    await composer.fill(too_long)
    await expect(page_b.get_by_test_id("composer-count")).to_contain_text("4,120 / 4,000")
    await expect(page_b.get_by_test_id("composer-too-long")).to_have_text(
        "Too long to send: the limit is 4,000 characters."
    )
    await expect(page_b.get_by_role("button", name="Send")).to_be_disabled()
    await composer.press("Enter")
    await expect(composer).to_have_value(too_long)
    await shots.take(page_b, "bob-dark-over-the-limit")
    fits = "fits " + "x" * 3945
    await composer.fill(fits)
    await expect(page_b.get_by_test_id("composer-count")).to_contain_text("3,950 / 4,000")
    await expect(page_b.get_by_test_id("composer-too-long")).to_have_count(0)
    await composer.press("Enter")
    await expect(messages_with(page_b, "fits ")).to_have_attribute("data-status", "sent")
    await expect(messages_with(page_b, "overlong")).to_have_count(0)
    await page_b.reload()
    await expect(composer).to_have_value("")  # sent: the draft is gone
    # the reloaded page is whole before the layout changes: its room open, its list loaded
    # (a CI run once found the list pane shown and empty here, the room not open; these say
    # which part was missing if it happens again)
    await expect(page_b).to_have_url(re.compile(r"/rooms/[^/]+$"))
    await expect(page_b.get_by_test_id("room-title")).to_have_text("Plans")
    await expect(room_item(page_b, "Random")).to_have_count(1)

    # phone width: one pane at a time, "Back to rooms" returns to the list. Loaded at that
    # width: headless Chromium sometimes kept the desktop layout after a live resize for
    # good (matchMedia said phone, the styles and a screenshot did not)
    await page_b.set_viewport_size({"width": 360, "height": 740})
    await page_b.reload()
    await expect(page_b).to_have_url(re.compile(r"/rooms/[^/]+$"))
    await expect(page_b.get_by_test_id("room-title")).to_have_text("Plans")
    await expect(page_b.get_by_role("navigation", name="Rooms")).to_be_hidden()
    await shots.take(page_b, "bob-dark-phone-room")
    await page_b.get_by_role("button", name="Back to rooms").click()
    await expect(page_b.get_by_role("navigation", name="Rooms")).to_be_visible()
    await expect(composer).to_be_hidden()
    await expect(room_item(page_b, "Plans").get_by_role("link")).to_be_focused()
    await shots.take(page_b, "bob-dark-phone-room-list")
    await page_b.keyboard.press("Enter")
    await expect(page_b.get_by_test_id("room-title")).to_have_text("Plans")
    await expect(page_b.get_by_role("navigation", name="Rooms")).to_be_hidden()
    await ctx_a.close()
    await ctx_b.close()
