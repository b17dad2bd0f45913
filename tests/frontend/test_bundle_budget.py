"""Issue 17's performance budget for the first load: the JavaScript that index.html makes the
browser fetch before the app can start (its module scripts and modulepreloads, as `npm run
build` wrote them into frontend/dist; `./taskw setup` builds it), gzip-compressed (level 9, as
a server precompressing it would), stays under BUDGET. Figures: docs/benchmarks.md, "Web app"."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from minitalk_local.edge import ROOT

DIST = ROOT / "frontend" / "dist"
#: Bytes of gzip-compressed JavaScript on the first load (React, the router, socket.io-client,
#: styled-components, react-virtuoso and the app are ~140 KB in December 2026).
BUDGET = 160 * 1024
FIRST_LOAD = re.compile(
    r'<script[^>]*type="module"[^>]*src="([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"'
)


def first_load_scripts(dist: Path) -> list[Path]:
    html = (dist / "index.html").read_text()
    return [dist / (a or b).lstrip("/") for a, b in FIRST_LOAD.findall(html)]


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def test_the_first_load_javascript_is_under_budget() -> None:
    scripts = first_load_scripts(DIST)
    assert scripts, "frontend/dist/index.html loads no module script: run `./taskw setup`"
    sizes = {p.name: gzip_size(p) for p in scripts}
    total = sum(sizes.values())
    assert total <= BUDGET, f"{total} gzip bytes of first-load JavaScript > {BUDGET}: {sizes}"


def test_the_scripts_are_found_as_vite_writes_them(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "index-a.js").write_bytes(b"x" * 1000)
    (tmp_path / "assets" / "vendor-b.js").write_bytes(b"y")
    (tmp_path / "index.html").write_text(
        '<script type="module" crossorigin src="/assets/index-a.js"></script>\n'
        '<link rel="modulepreload" crossorigin href="/assets/vendor-b.js">\n'
    )
    found = first_load_scripts(tmp_path)
    assert [p.name for p in found] == ["index-a.js", "vendor-b.js"]
    assert gzip_size(found[0]) < 100
