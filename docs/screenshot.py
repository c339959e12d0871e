"""Make docs/report.png, the picture of `ledger report` that the README shows: the shipped ledger's report, its
top (the summary and the first questions), in headless Chromium.

    .venv/bin/python docs/screenshot.py        # needs Chromium: apt-get install chromium (or LEDGER_CHROMIUM=path)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("LEDGER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        subprocess.run([str(Path(sys.executable).with_name("ledger")), "report", "--ledger", str(REPO), "--out",
                        str(out)], check=True, stdin=subprocess.DEVNULL)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1500}, device_scale_factor=1)
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else route.abort())
            page.goto(out.as_uri())
            page.locator("nav").evaluate("n => n.remove()")  # the list of questions: long, and not what is shown
            page.screenshot(path=str(REPO / "docs" / "report.png"))
            browser.close()
    print(f"wrote {REPO / 'docs' / 'report.png'}")


if __name__ == "__main__":
    main()
