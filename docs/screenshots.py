"""Screenshots of the steward console for the README: docs/inbox.png and docs/conflict.png.

    .venv/bin/python docs/screenshots.py

The same way as the browser tests (tests/test_console_browser.py): the real `reconcile run` of the bundled
sources into a temporary folder with its own RECONCILE_HOME, the real `reconcile serve` on a free loopback
port, a steward signed in through the form, and Debian's Chromium driven by Playwright at laptop width.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from browser_helpers import (  # noqa: E402
    ServedConsole,
    add_users,
    chromium_missing,
    launch_chromium,
    reconcile,
    sign_in,
)

DOCS = REPO / "docs"
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "a screenshot passphrase"
# The conflict shown: the bundled sources' OpenAI valuation (~$730B in the report, $830B in the blog).
CONFLICT = ("OpenAI", "valuation")


def conflict_id(out: Path) -> str:
    import pandas as pd

    conflicts = pd.read_csv(out / "conflicts.csv", dtype=str, keep_default_na=False)
    found = conflicts[(conflicts["entity"] == CONFLICT[0]) & (conflicts["metric"] == CONFLICT[1])]
    return str(found["conflict_id"].iloc[0])


def shoot(page, path: Path, height: int) -> None:
    """The page from its top, at most `height` pixels of it."""
    full = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(full, height)},
                    full_page=True)
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size // 1024} KB)")


def main() -> int:
    missing = chromium_missing()
    if missing:
        print(f"screenshots: {missing}", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="reconcile-shots-") as tmp:
        base = Path(tmp)
        out, home = base / "out", base / "home"
        reconcile(home, "run", "--sources", str(REPO / "sources"), "--out", str(out))
        add_users(home, {"ana": "steward"}, PASSWORD)
        with ServedConsole(out, REPO / "sources", home, base / "serve.log") as served, \
                sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in(page, served.url, "ana", PASSWORD)
            page.goto(f"{served.url}/")
            shoot(page, DOCS / "inbox.png", 1100)
            page.goto(f"{served.url}/conflicts/{conflict_id(out)}")
            shoot(page, DOCS / "conflict.png", 1400)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
