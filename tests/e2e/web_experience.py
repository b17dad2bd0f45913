"""What tests/e2e/test_web_experience.py and the web benchmark share: a page that records its
CSP violations and desktop notifications, can be hidden, and is photographed in every look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minitalk_local.edge import ROOT
from playwright.async_api import BrowserContext, Page, expect

from ..chat_clients import PASSWORD

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"

# Runs before the app in every page of a context (Playwright's init script, which the page's CSP
# does not apply to). Records each `securitypolicyviolation` the page sees; wraps
# window.Notification so that each notification the app makes is recorded and still made by the
# browser's own constructor (`shown` once Chromium fires its `show` event); `__hide(bool)` makes
# the Page Visibility API say hidden/visible and fires `visibilitychange`, as switching tabs does;
# `__pwned` is what the hostile messages try to set.
INIT = """
(() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
    {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
     source: e.sourceFile, line: e.lineNumber}));
  window.__pwned = false;
  window.__notes = [];
  const Real = window.Notification;
  if (typeof Real === 'function') {
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        const note = {title, body: options && options.body, shown: false, failed: false};
        window.__notes.push(note);
        this.addEventListener('show', () => { note.shown = true; });
        this.addEventListener('error', () => { note.failed = true; });
      }
    }
    window.Notification = Recorded;
  }
  window.__hide = (hidden) => {
    Object.defineProperty(document, 'visibilityState',
      {configurable: true, get: () => (hidden ? 'hidden' : 'visible')});
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
    document.dispatchEvent(new Event('visibilitychange'));
  };
})();
"""

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOOKS = [("desktop", DESKTOP), ("phone", PHONE)]
SCHEMES = ["light", "dark"]


async def watched_context(browser: Any, **options: Any) -> BrowserContext:
    """A context whose pages run INIT; UTC, so that day separators fall where the seed put them."""
    context: BrowserContext = await browser.new_context(
        viewport=DESKTOP, timezone_id="UTC", locale="en-US", **options
    )
    await context.add_init_script(INIT)
    return context


async def violations(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate("window.__csp")
    return found


class Looks:
    """Screenshots of a test's steps at desktop (1280x800) and phone (390x844) width, light and
    dark, named ``<test>-<n>-<step>-<width>-<scheme>.png``; the page is put back to
    desktop/light afterwards."""

    def __init__(self, folder: Path, test: str) -> None:
        self.folder = folder
        self.test = test
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    async def take(self, page: Page, name: str) -> None:
        self.count += 1
        for look, size in LOOKS:
            await page.set_viewport_size(size)
            for scheme in SCHEMES:
                await page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
                await settle(page)
                path = self.folder / f"{self.test}-{self.count}-{name}-{look}-{scheme}.png"
                await page.screenshot(path=path)
        await page.set_viewport_size(DESKTOP)
        await page.emulate_media(color_scheme="light")
        await settle(page)


async def settle(page: Page) -> None:
    """Two animation frames: layout and paint after a change of size or scheme."""
    await page.evaluate(
        "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))"
    )


async def sign_in(context: BrowserContext, base: str, username: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_test_id("current-user")).to_contain_text(username)
    return page


async def axe_serious(page: Page) -> list[str]:
    """axe-core's serious and critical violations of the page as it is, one line each."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
            .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
        }"""
    )
    return [f"{v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in found]
