"""Issue 15 in a real browser: unread badges and previews, the new-messages line, read
positions and who is online, between two people (Debian's Chromium via Playwright)."""

from __future__ import annotations

from collections.abc import Callable

from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, Locator, Page, expect

from .web_support import ARTIFACTS, Shots, open_room, room_item, send, sign_up

# generous: going offline waits the presence grace (a few seconds) on a loaded machine
PRESENCE_TIMEOUT_MS = 60_000
WEEKEND = ["Are we still on for Saturday?", "I can drive", "Leaving at 9 from the station"]


def member(page: Page, username: str) -> Locator:
    return page.locator(f'[data-testid="member"][data-username="{username}"]')


async def create_room(page: Page, name: str, participant: str) -> None:
    await page.get_by_label("Room name").fill(name)
    await page.get_by_label("Participants").fill(participant)
    await page.get_by_role("button", name="Create room").click()
    await expect(room_item(page, name)).to_be_visible()


async def test_unread_new_messages_line_and_presence(
    stack: LocalSystem, browser: Browser, unique: Callable[[str], str]
) -> None:
    shots = Shots(ARTIFACTS / "web-presence")
    alice, bob = unique("alice"), unique("bob")
    ctx_a = await browser.new_context(viewport={"width": 1180, "height": 760})
    ctx_b = await browser.new_context(viewport={"width": 1180, "height": 760})
    page_a = await sign_up(ctx_a, stack.url, alice)
    page_b = await sign_up(ctx_b, stack.url, bob)
    await create_room(page_a, "Weekend trip", bob)
    await create_room(page_a, "Lunch", bob)
    await expect(room_item(page_b, "Weekend trip")).to_be_visible()
    await expect(room_item(page_b, "Lunch")).to_be_visible()

    # bob closes the app: alice sees him go offline (after the grace)
    await page_b.close()
    await open_room(page_a, "Weekend trip")
    await expect(member(page_a, bob)).to_have_attribute(
        "data-online", "false", timeout=PRESENCE_TIMEOUT_MS
    )
    await expect(member(page_a, bob).get_by_role("img", name="offline")).to_be_visible()
    for text in WEEKEND:
        await send(page_a, text)
    await shots.take(page_a, "alice-sends-3-while-bob-is-offline")

    # bob comes back: 3 unread and the last message in his room list; alice sees him online
    page_b = await ctx_b.new_page()
    await page_b.goto(stack.url)
    weekend_b = room_item(page_b, "Weekend trip")
    await expect(weekend_b.get_by_test_id("unread-badge")).to_have_attribute("data-count", "3")
    await expect(weekend_b.get_by_test_id("room-preview")).to_contain_text(
        f"{alice}: Leaving at 9 from the station"
    )
    await expect(page_b.get_by_test_id("room-item").first).to_contain_text("Weekend trip")
    await shots.take(page_b, "bob-room-list-3-unread")
    await expect(member(page_a, bob)).to_have_attribute(
        "data-online", "true", timeout=PRESENCE_TIMEOUT_MS
    )
    await expect(member(page_a, bob).get_by_role("img", name="online")).to_be_visible()
    await shots.take(page_a, "alice-sees-bob-online")

    # bob opens the room: the line sits above the first unread message, the badge goes,
    # and alice learns he has read it
    await weekend_b.click()
    marker = page_b.get_by_test_id("new-messages-marker")
    await expect(marker).to_be_visible()
    await expect(
        page_b.locator('[data-testid="new-messages-marker"] + [data-testid="message"]')
    ).to_contain_text(WEEKEND[0])
    await expect(weekend_b.get_by_test_id("unread-badge")).to_have_count(0)
    await expect(member(page_b, alice)).to_have_attribute("data-online", "true")
    await shots.take(page_b, "bob-opens-room-new-messages-line")
    await expect(page_a.get_by_test_id("seen-by")).to_contain_text(f"Seen by {bob}")
    await shots.take(page_a, "alice-sees-seen-by-bob")

    # a message in another room raises its badge live and moves it to the top
    await open_room(page_a, "Lunch")
    await send(page_a, "Pizza at 1?")
    lunch_b = room_item(page_b, "Lunch")
    await expect(lunch_b.get_by_test_id("unread-badge")).to_have_attribute("data-count", "1")
    await expect(page_b.get_by_test_id("room-item").first).to_contain_text("Lunch")
    await shots.take(page_b, "bob-live-badge-in-other-room")

    # the read position is the server's: a reload keeps Weekend read and Lunch unread
    await page_b.goto(stack.url)
    await expect(lunch_b.get_by_test_id("unread-badge")).to_have_attribute("data-count", "1")
    await expect(weekend_b).to_be_visible()
    await expect(weekend_b.get_by_test_id("unread-badge")).to_have_count(0)
    await page_b.set_viewport_size({"width": 360, "height": 740})
    await expect(lunch_b.get_by_test_id("room-preview")).to_be_visible()
    await shots.take(page_b, "bob-room-list-after-reload-phone")

    # bob leaves for good: alice sees him offline after the grace
    await ctx_b.close()
    await expect(member(page_a, bob)).to_have_attribute(
        "data-online", "false", timeout=PRESENCE_TIMEOUT_MS
    )
    await expect(page_a.get_by_test_id("room-online")).to_contain_text("1 of 2 online")
    await shots.take(page_a, "alice-sees-bob-offline")
    await ctx_a.close()
