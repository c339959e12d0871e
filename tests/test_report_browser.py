"""`ledger report` as a person sees it: opened in headless Chromium (the distribution's package), with no network,
JavaScript on and off, on screen and printed to A4. Outside CI a machine without Chromium skips these with the
reason; in CI (`CI=true`) a missing browser fails them: `.ci/run` installs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LedgerDir
from test_figures_over_time import write_ledger
from test_report import HOSTILE

CHROMIUM = next((p for p in (os.environ.get("LEDGER_CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium") if p and Path(p).is_file()), None)
LEDGER_EXE = str(Path(sys.executable).with_name("ledger"))

if CHROMIUM is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("no Chromium: .ci/run installs Debian's chromium package")
    pytest.skip("no Chromium on this machine (Debian: apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

# as the probe of this machine runs it: no sandbox as root, and nothing that phones home
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def write_report(root: Path, *args: str) -> Path:
    out = root / "report.html"
    done = subprocess.run([LEDGER_EXE, "report", "--out", str(out), *args], cwd=root, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return out


class Visit:
    """A page opened from its file, with every request other than the file itself and every console message and
    page error recorded."""

    def __init__(self, browser: Any, path: Path, javascript: bool = True, width: int = 1200) -> None:
        self.context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        url = path.resolve().as_uri()
        self.page.on("request", lambda r: None if r.url == url else self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
        self.page.goto(url, wait_until="load")

    def close(self) -> None:
        self.context.close()


def test_the_shipped_report_in_a_browser(browser: Any, shipped: LedgerDir) -> None:
    visit = Visit(browser, write_report(shipped.root))
    page = visit.page
    try:
        assert visit.requests == [] and visit.errors == [] and visit.console == []
        sections = page.locator("section.question")
        assert sections.count() == 2
        assert page.locator("section#other-figures table tbody tr").count() > 25
        for i in range(sections.count()):
            section = sections.nth(i)
            svg = section.locator("figure.timeline svg")
            box = svg.bounding_box()
            assert svg.is_visible() and box is not None and box["width"] > 300 and box["height"] > 100
            assert section.locator("table tbody tr").count() >= 1
        body = page.inner_text("body")
        assert "11 more (17% more) than the 64 of the Prosecutor General's Office" in body
        assert "more than 570 more (more than 5.4 times as many) than the 130 of the Kazakh authorities" in body
    finally:
        visit.close()


def test_a_script_in_a_record_never_runs(browser: Any, shipped: LedgerDir) -> None:
    hostile = HOSTILE.replace("'", "''")
    shipped.record("documents/evil.yaml", "kind: document\nid: evil-doc\ntype: ngo-report\ndate: 2012-01-30\n"
                   f"title: '{hostile}'\nquotes:\n  - text: '{hostile}'\n")
    shipped.record("claims/evil.yaml", "kind: claim\nid: evil-claim\nsource: evil-doc\nmeasure: detained\n"
                   f"value: 999\nscope: {{place: zhanaozen, period: 2011-12-16..2011-12-18}}\nquote: '{hostile}'\n")
    visit = Visit(browser, write_report(shipped.root))
    try:
        assert visit.page.title().startswith("Figures:") and "pwned" not in visit.page.title()
        assert visit.errors == [] and visit.requests == []
        assert "<script>document.title='pwned'</script>" in visit.page.inner_text("body")  # shown as text
    finally:
        visit.close()


def test_the_page_works_without_javascript_and_prints_to_a4(browser: Any, tmp_path: Path) -> None:
    path = write_report(write_ledger(tmp_path / "january").root)
    visit = Visit(browser, path, javascript=False)
    try:
        page = visit.page
        assert page.locator("section.question figure.timeline svg").first.is_visible()
        assert "withdrawn by the Ministry of Health on 10 January 2022" in page.inner_text("body")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    finally:
        visit.close()
    printable = 680  # A4's width at 96 dots an inch (794) less 15 mm margins either side
    visit = Visit(browser, path, width=printable)  # measured with JavaScript; the page itself runs none
    try:
        visit.page.emulate_media(media="print")
        rights = visit.page.eval_on_selector_all("svg", "els => els.map(e => e.getBoundingClientRect().right)")
        assert rights and max(rights) <= printable  # no chart runs past the printed page
    finally:
        visit.close()


def test_the_screenshot_in_the_readme_is_of_this_report() -> None:
    """docs/report.png is made by docs/screenshot.py; the README shows it."""
    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/report.png" in readme and "docs/screenshot.py" in readme
    png = (REPO / "docs" / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    assert re.search(r"python docs/screenshot\.py", readme)
