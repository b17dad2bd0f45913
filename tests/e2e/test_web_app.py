"""Issue 4: two people use the web app in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

from collections.abc import Callable

from minitalk_local.system import LocalSystem
from playwright.async_api import Browser, expect

from .web_support import ARTIFACTS, Shots, messages_with, sign_up


async def test_two_people_chat_through_a_network_blip(
    stack: LocalSystem, browser: Browser, unique: Callable[[str], str]
) -> None:
    shots = Shots(ARTIFACTS / "web")
    alice, bob = unique("alice"), unique("bob")
    ctx_a = await browser.new_context(viewport={"width": 1280, "height": 800})
    ctx_b = await browser.new_context(viewport={"width": 360, "height": 740})
    page_a = await sign_up(ctx_a, stack.url, alice)
    page_b = await sign_up(ctx_b, stack.url, bob)
    await shots.take(page_b, "bob-signed-up-phone")

    await page_a.get_by_label("Room name").fill("New Year")
    await page_a.get_by_label("Participants").fill(bob)
    await page_a.get_by_role("button", name="Create room").click()
    room_b = page_b.get_by_test_id("room-item").filter(has_text="New Year")
    await expect(room_b).to_be_visible()  # appeared for bob without a reload
    await shots.take(page_b, "room-appears-for-bob")

    await page_a.get_by_test_id("room-item").filter(has_text="New Year").click()
    await room_b.click()
    await page_a.get_by_label("Message", exact=True).fill("hello bob")
    await page_a.get_by_label("Message", exact=True).press("Enter")
    await expect(messages_with(page_b, "hello bob")).to_have_count(1)
    await page_b.get_by_label("Message", exact=True).fill("hi alice")
    await page_b.get_by_role("button", name="Send").click()
    await expect(messages_with(page_a, "hi alice")).to_have_count(1)
    await expect(messages_with(page_a, "hello bob")).to_have_attribute("data-status", "sent")
    await shots.take(page_a, "live-exchange")

    await ctx_b.set_offline(True)
    await expect(page_b.get_by_test_id("connection-banner")).to_be_visible()
    for i in range(5):
        await page_a.get_by_label("Message", exact=True).fill(f"while offline {i}")
        await page_a.get_by_label("Message", exact=True).press("Enter")
    for i in range(5):
        await expect(messages_with(page_a, f"while offline {i}")).to_have_attribute(
            "data-status", "sent"
        )
    await shots.take(page_b, "bob-offline")
    await ctx_b.set_offline(False)
    for i in range(5):
        await expect(messages_with(page_b, f"while offline {i}")).to_have_count(1)
    await expect(page_b.get_by_test_id("connection-banner")).to_have_count(0)
    await shots.take(page_b, "bob-caught-up")

    await page_b.reload()
    await expect(messages_with(page_b, "while offline 4")).to_have_count(1)
    await expect(messages_with(page_b, "hello bob")).to_have_count(1)
    await expect(page_b.get_by_test_id("message")).to_have_count(7)
    await shots.take(page_b, "history-after-reload")
    await ctx_a.close()
    await ctx_b.close()
