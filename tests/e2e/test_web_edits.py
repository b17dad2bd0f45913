"""Issue 16 in a real browser (Debian's Chromium via Playwright): A sends, edits (B sees the edit
live), deletes (B sees the placeholder), B reacts (A sees the bar), B has no edit or delete on
A's message; after a reload both see the same from history. Screenshots under
test-artifacts/web-edits/."""

from __future__ import annotations

from collections.abc import Callable

from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, Locator, Page, expect

from .web_support import ARTIFACTS, Shots, messages_with, open_room, sign_up


async def say(page: Page, text: str) -> str:
    """Send ``text``; its id once stored."""
    composer = page.get_by_label("Message", exact=True)
    await composer.fill(text)
    await composer.press("Enter")
    mine = messages_with(page, text)
    await expect(mine).to_have_attribute("data-status", "sent")
    message_id = await mine.get_attribute("data-id")
    assert message_id
    return message_id


def by_id(page: Page, message_id: str) -> Locator:
    """The message of that id (its text changes while edited)."""
    return page.locator(f"[data-testid='message'][data-id='{message_id}']")


async def test_edit_delete_and_react_live_in_two_browsers(
    stack: LocalSystem, browser: Browser, unique: Callable[[str], str]
) -> None:
    shots = Shots(ARTIFACTS / "web-edits")
    alice, bob = unique("alice"), unique("bob")
    ctx_a = await browser.new_context(viewport={"width": 1100, "height": 720})
    ctx_b = await browser.new_context(viewport={"width": 1100, "height": 720})
    page_a = await sign_up(ctx_a, stack.url, alice)
    page_b = await sign_up(ctx_b, stack.url, bob)
    await page_a.get_by_label("Room name").fill("Team lunch")
    await page_a.get_by_label("Participants").fill(bob)
    await page_a.get_by_role("button", name="Create room").click()
    await expect(page_b.get_by_test_id("room-item").filter(has_text="Team lunch")).to_be_visible()
    await open_room(page_a, "Team lunch")
    await open_room(page_b, "Team lunch")

    # A sends, then edits with the Up arrow: B sees the new text and "(edited)" live
    first_id = await say(page_a, "Lunch at 12 at the usual place?")
    oops_id = await say(page_a, "oops, this was meant for another room")
    who_id = await say(page_a, "Who is in?")
    await expect(messages_with(page_b, "Lunch at 12")).to_have_count(1)
    await expect(page_b.get_by_test_id("message")).to_have_count(3)
    who_a, who_b = by_id(page_a, who_id), by_id(page_b, who_id)
    await page_a.get_by_label("Message", exact=True).press("ArrowUp")
    editor = who_a.get_by_role("textbox", name="Edit message")
    await expect(editor).to_be_focused()
    await editor.fill("Who is in? Reply with a 👍")
    await shots.take(page_a, "a-edits-with-up-arrow")
    await editor.press("Enter")
    await expect(who_a.get_by_test_id("message-edited")).to_have_text("(edited)")
    await expect(page_a.get_by_label("Message", exact=True)).to_be_focused()
    await expect(who_b).to_contain_text("Reply with a 👍")
    await expect(who_b).to_have_attribute("data-edited", "true")
    await expect(who_b.get_by_test_id("message-edited")).to_be_visible()

    # and through the menu, keyboard only
    first_a = by_id(page_a, first_id)
    await first_a.get_by_role("button", name="Message actions").focus()
    await page_a.keyboard.press("Enter")
    await expect(page_a.get_by_role("menuitem", name="Edit")).to_be_focused()
    await shots.take(page_a, "a-message-menu")
    await page_a.keyboard.press("Enter")
    await first_a.get_by_role("textbox", name="Edit message").fill("Lunch at 1 at the usual place?")
    await page_a.keyboard.press("Enter")
    await expect(by_id(page_b, first_id)).to_contain_text("Lunch at 1 at the usual place?")
    await expect(by_id(page_b, first_id)).to_have_attribute("data-edited", "true")
    await expect(messages_with(page_b, "Lunch at 12")).to_have_count(0)
    await shots.take(page_b, "b-sees-edits-live")

    # a refusal (longer than the 4,000 characters a message may have) is shown, the text kept
    await first_a.get_by_role("button", name="Message actions").click()
    await page_a.get_by_role("menuitem", name="Edit").click()
    too_long = "Lunch at 1? " + "x" * 4000
    await first_a.get_by_role("textbox", name="Edit message").fill(too_long)
    await page_a.keyboard.press("Enter")
    await expect(first_a.get_by_role("alert")).not_to_be_empty()
    await expect(first_a.get_by_role("textbox", name="Edit message")).to_have_value(too_long)
    await shots.take(page_a, "a-edit-refused-text-kept")
    await first_a.get_by_role("textbox", name="Edit message").press("Escape")
    await expect(first_a.get_by_test_id("message-content")).to_have_text(
        "Lunch at 1 at the usual place?"
    )
    await expect(by_id(page_b, first_id)).to_contain_text("Lunch at 1 at the usual place?")

    # A deletes: B sees the placeholder in the same place
    oops_a = by_id(page_a, oops_id)
    await oops_a.get_by_role("button", name="Message actions").click()
    await page_a.get_by_role("menuitem", name="Delete").click()
    await shots.take(page_a, "a-confirms-delete")
    await oops_a.get_by_role("button", name="Delete message").click()
    await expect(oops_a).to_have_attribute("data-deleted", "true")
    deleted_b = by_id(page_b, oops_id)
    await expect(page_b.get_by_test_id("message").nth(1)).to_have_attribute("data-id", oops_id)
    await expect(deleted_b).to_have_attribute("data-deleted", "true")
    await expect(deleted_b.get_by_test_id("message-deleted")).to_have_text("message deleted")
    await expect(page_b.get_by_text("oops, this was meant")).to_have_count(0)
    await shots.take(page_b, "b-sees-placeholder")

    # B reacts: A sees the bar with the count and who reacted; B has no edit or delete on A's
    await expect(who_b.get_by_role("button", name="Message actions")).to_have_count(0)
    await expect(page_b.get_by_role("button", name="Message actions")).to_have_count(0)
    await page_b.get_by_label("Message", exact=True).press("ArrowUp")  # nothing of B's to edit
    await expect(page_b.get_by_role("textbox", name="Edit message")).to_have_count(0)
    await who_b.get_by_role("button", name="Add reaction").click()
    await shots.take(page_b, "b-reaction-picker")
    await page_b.get_by_role("menuitem", name="React with thumbs up 👍").click()
    thumbs_a = who_a.get_by_test_id("reaction").and_(who_a.locator("[data-emoji='👍']"))
    await expect(thumbs_a).to_have_attribute("data-count", "1")
    await expect(thumbs_a).to_have_attribute("title", f"{bob} reacted with 👍")
    await thumbs_a.click()  # A joins in: 2, and B sees it
    thumbs_b = who_b.get_by_test_id("reaction").and_(who_b.locator("[data-emoji='👍']"))
    await expect(thumbs_b).to_have_attribute("data-count", "2")
    await expect(thumbs_b).to_have_attribute("aria-pressed", "true")
    await who_b.get_by_role("button", name="Add reaction").click()
    await page_b.get_by_role("menuitem", name="React with party 🎉").click()
    await expect(who_a.locator("[data-emoji='🎉']")).to_have_attribute("data-count", "1")
    await shots.take(page_a, "a-sees-reactions")

    # history says the same after a reload: edits, the placeholder, the reactions
    await page_b.reload()
    await expect(page_b.get_by_test_id("message")).to_have_count(3)
    await expect(page_b.get_by_test_id("new-messages-marker")).to_have_count(0)  # B read them
    await expect(by_id(page_b, oops_id)).to_have_attribute("data-deleted", "true")
    await expect(by_id(page_b, first_id)).to_have_attribute("data-edited", "true")
    reloaded = by_id(page_b, who_id)
    await expect(reloaded).to_contain_text("Reply with a 👍")
    await expect(reloaded.locator("[data-emoji='👍']")).to_have_attribute("data-count", "2")
    await expect(reloaded.locator("[data-emoji='🎉']")).to_have_attribute("data-mine", "true")
    await shots.take(page_b, "b-history-after-reload")
    await ctx_a.close()
    await ctx_b.close()
