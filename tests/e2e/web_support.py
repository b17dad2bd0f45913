"""What the browser tests share: Debian's Chromium through Playwright, screenshots, sign-up."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from minitalk_local.edge import ROOT
from playwright.async_api import Browser, BrowserContext, Locator, Page, async_playwright, expect

from ..chat_clients import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


class Shots:
    """Numbered full-page screenshots in one folder, in the order the test takes them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    async def take(self, page: Page, name: str) -> None:
        self.count += 1
        await page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png", full_page=True)


async def sign_up(context: BrowserContext, base: str, username: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{base}/signup")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_test_id("current-user")).to_contain_text(username)
    return page


def messages_with(page: Page, text: str) -> Locator:
    return page.get_by_test_id("message").filter(has_text=re.compile(f"^.*{re.escape(text)}.*$"))


def room_item(page: Page, name: str) -> Locator:
    """The room list's entry of the room of that name."""
    return page.get_by_test_id("room-item").filter(has_text=name)


async def send(page: Page, text: str) -> None:
    """Type ``text`` into the composer, press Enter, and wait until it is acked (sent)."""
    composer = page.get_by_label("Message", exact=True)
    await composer.fill(text)
    await composer.press("Enter")
    await expect(messages_with(page, text)).to_have_attribute("data-status", "sent")


async def open_room(page: Page, name: str) -> None:
    """Open the room from the list and wait for its page: typing before the switch has
    rendered can land in the composer of the room left (a flaky send in test_web_presence)."""
    await room_item(page, name).get_by_role("link").click()
    await expect(page.get_by_test_id("room-title")).to_have_text(name)
