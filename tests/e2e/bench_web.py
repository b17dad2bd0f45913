"""Web app benchmark (issue 17, must-show 2; not a test, CI does not run it):

    flock /tmp/minitalk-heavy.lock uv run --frozen python -m tests.e2e.bench_web \\
        [--messages 100000] [--back 1000] [--loads 5]

Starts the system as `./taskw up` does (tests/e2e/conftest.py ``running_stack``), then measures
in Debian's Chromium:

1. time to interactive of the first load, ``--loads`` times in a fresh context (cold cache):
   from navigation start to the login form rendered and enabled, and the end of the last long
   task (> 50 ms) up to then (PerformanceObserver 'longtask'); the later of the two is the figure;
2. a room of ``--messages`` messages (seeded through the bus contract realtime publishes on,
   tests/e2e/seeding.py; seeding and storing times are reported) opened at its newest message,
   then scrolled back with the mouse wheel (500 px per animation frame, as fast as frames come)
   until the message ``--back`` messages older than the newest is on screen. Measured while
   scrolling: every frame's duration (requestAnimationFrame deltas), the Long Animation Frames
   API's frames ('long-animation-frame', Chromium >= 123) and, from a Chromium performance trace
   of the scroll (``browser.start_tracing``), the longest task on the renderer's main thread.

Results: printed as JSON and written to test-artifacts/web-bench/; docs/benchmarks.md "Web app".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from ..chat_clients import bearer, signup_login
from .conftest import running_stack
from .seeding import publish_history, spread, wait_stored
from .web_experience import DESKTOP, sign_in, watched_context
from .web_support import ARTIFACTS, chromium

OUT = ARTIFACTS / "web-bench"

TTI = """
(() => {
  window.__tti = {longtasks: [], form: null};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__tti.longtasks.push([e.startTime, e.duration]);
  }).observe({type: 'longtask', buffered: true});
  const ready = () => {
    const input = document.querySelector('input[name="username"], input#login-username, input');
    const button = document.querySelector('button[type="submit"]');
    if (input && button && !input.disabled && !button.disabled && window.__tti.form === null)
      window.__tti.form = performance.now();
  };
  new MutationObserver(ready).observe(document, {childList: true, subtree: true});
})();
"""

FRAMES = """
() => {
  window.__frames = {deltas: [], loaf: [], running: true};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__frames.loaf.push(e.duration);
  }).observe({type: 'long-animation-frame'});
  let last = performance.now();
  const tick = (t) => {
    window.__frames.deltas.push(t - last);
    last = t;
    if (window.__frames.running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  performance.mark('bench-scroll-start');
}
"""

# The number of each rendered message (contents are "m#<number>") and the oldest rendered.
OLDEST = """
() => Math.min(...[...document.querySelectorAll('[data-testid="message"]')]
  .map((m) => Number((m.textContent.match(/m#(\\d+)/) || [0, Infinity])[1])))
"""


async def time_to_interactive(browser: Browser, base: str) -> dict[str, float]:
    context = await browser.new_context(viewport=DESKTOP)
    await context.add_init_script(TTI)
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await expect(page.get_by_role("button", name="Log in")).to_be_enabled()
    await page.wait_for_timeout(1000)  # long tasks that follow the form still count
    seen: dict[str, Any] = await page.evaluate(
        """() => ({form: window.__tti.form, longtasks: window.__tti.longtasks,
             dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
             load: performance.getEntriesByType('navigation')[0].loadEventEnd})"""
    )
    await context.close()
    form = float(seen["form"])
    last_long = max((s + d for s, d in seen["longtasks"] if s <= form), default=0.0)
    return {
        "form_ms": round(form, 1),
        "last_long_task_end_ms": round(last_long, 1),
        "tti_ms": round(max(form, last_long), 1),
        "dom_content_loaded_ms": round(float(seen["dcl"]), 1),
        "long_tasks": len(seen["longtasks"]),
    }


async def seed(stack_url: str, nats_url: str, count: int) -> dict[str, Any]:
    reader, writer = (f"{p}_{uuid.uuid4().hex[:6]}" for p in ("reader", "writer"))
    async with httpx.AsyncClient(base_url=stack_url, timeout=60) as http:
        token = await signup_login(http, reader)
        await signup_login(http, writer)
        made = await http.post(
            "/api/chatrooms", json={"name": "Long", "participants": [writer]}, headers=bearer(token)
        )
        room_id = made.json()["roomId"]
        now = datetime.now(UTC)
        times = spread(count, now - timedelta(days=60), now - timedelta(minutes=1))
        senders = [writer if (i // 4) % 2 == 0 else reader for i in range(count)]
        contents = [f"m#{i} - a message of the long room, {i} of {count}" for i in range(count)]
        began = time.monotonic()
        ids = await publish_history(nats_url, room_id, times, senders, contents)
        published = time.monotonic() - began
        await wait_stored(http, token, room_id, ids[-1], timeout=900)
        stored = time.monotonic() - began
    return {
        "reader": reader,
        "room_id": room_id,
        "publish_s": round(published, 1),
        "published_and_stored_s": round(stored, 1),
    }


async def scroll_back(browser: Browser, base: str, reader: str, newest: int, back: int) -> Any:
    context = await watched_context(browser)
    page = await sign_in(context, base, reader)
    await page.get_by_test_id("room-item").filter(has_text="Long").click()
    await expect(page.get_by_test_id("message").last).to_contain_text(f"m#{newest} ")
    await page.get_by_role("log", name="Messages").hover()
    await page.wait_for_timeout(500)
    await browser.start_tracing(page=page, path=str(OUT / "scroll-trace.json"))
    await page.evaluate(FRAMES)
    began = time.monotonic()
    target = newest - back
    steps = 0
    while await page.evaluate(OLDEST) > target:
        await page.mouse.wheel(0, -500)
        await next_frame(page)
        steps += 1
        assert time.monotonic() - began < 300, "scrolling back took over 5 minutes"
    took = time.monotonic() - began
    frames: dict[str, list[float]] = await page.evaluate(
        "window.__frames.running = false, performance.mark('bench-scroll-end'), window.__frames"
    )
    await browser.stop_tracing()
    violations = await page.evaluate("window.__csp")
    await context.close()
    deltas = frames["deltas"][1:]
    return {
        "scrolled_back_messages": back,
        "wheel_steps": steps,
        "seconds": round(took, 1),
        "frames": len(deltas),
        "longest_frame_ms": round(max(deltas), 1),
        "p99_frame_ms": round(statistics.quantiles(deltas, n=100)[98], 1),
        "median_frame_ms": round(statistics.median(deltas), 1),
        "frames_over_50ms": sum(d > 50 for d in deltas),
        "frames_over_100ms": sum(d > 100 for d in deltas),
        "long_animation_frames": len(frames["loaf"]),
        "longest_animation_frame_ms": round(max(frames["loaf"], default=0.0), 1),
        "trace_longest_main_thread_task_ms": longest_task(OUT / "scroll-trace.json"),
        "csp_violations": len(violations),
    }


async def next_frame(page: Page) -> None:
    await page.evaluate("new Promise((r) => requestAnimationFrame(() => r(null)))")


def longest_task(trace: Path) -> float:
    """The longest RunTask on the renderer's main thread in a Chromium trace between the
    bench-scroll-start and bench-scroll-end marks (performance.mark, in the trace), in ms."""
    events = json.loads(trace.read_text())["traceEvents"]
    marks = {e["name"]: e["ts"] for e in events if e.get("name", "").startswith("bench-scroll-")}
    start, end = marks["bench-scroll-start"], marks["bench-scroll-end"]
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }
    durations = [
        e.get("dur", 0)
        for e in events
        if e.get("name") == "RunTask"
        and e.get("ph") == "X"
        and (e["pid"], e["tid"]) in main
        and start <= e["ts"] <= end
    ]
    return round(max(durations, default=0) / 1000, 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--back", type=int, default=1_000)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as system:
        async with chromium() as browser:
            loads = [await time_to_interactive(browser, system.url) for _ in range(args.loads)]
            result["first_load"] = loads
            result["tti_median_ms"] = statistics.median(x["tti_ms"] for x in loads)
            room = await seed(system.url, system.nats_url, args.messages)
            result["seed"] = {k: room[k] for k in ("publish_s", "published_and_stored_s")}
            result["messages"] = args.messages
            result["scroll"] = await scroll_back(
                browser, system.url, room["reader"], args.messages - 1, args.back
            )
    result["load_average_after"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    (OUT / "result.json").write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
