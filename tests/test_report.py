"""`ledger report`: the page a colleague opens. What it says, what it withholds, what it never loads or runs; the
browser tests (headless Chromium) are in test_report_browser.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir
from test_figures_over_time import CONFIG, write_ledger

LEDGER_EXE = str(Path(sys.executable).with_name("ledger"))


def run(root: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([LEDGER_EXE, *args], check=False, cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def report(root: Path, *args: str) -> str:
    done = run(root, "report", "--out", "-", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def text_of(html: str) -> str:
    """What a reader sees of the page: no tags, no charts' code, entities read."""
    from html import unescape

    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_shipped_report_says_the_findings_of_the_letter(shipped: LedgerDir) -> None:
    done = run(shipped.root, "report")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote report.html: 4 findings")
    html = (shipped.root / "report.html").read_text(encoding="utf-8")
    seen = text_of(html)
    assert "75 among civilians" in seen and "11 more (17% more) than the 64 of the Prosecutor General's Office" in seen
    assert "more than 570 more (more than 5.4 times as many) than the 130 of the Kazakh authorities" in seen
    sections = re.findall(r'<section class="question".*?</section>', html, flags=re.DOTALL)
    assert len(sections) == len(re.findall(r'<li><a href="#q-\d+">', html)) == 2
    for section in sections:  # every question several voices answer has its chart and its table
        assert "<svg" in section and "<table>" in section and "<td>" in section
    others = re.findall(r'<section class="others".*?</section>', html, flags=re.DOTALL)  # one voice each
    assert len(others) == 1 and len(re.findall(r"<tr", others[0])) > 25


def test_the_summary_says_what_the_ledger_holds(shipped: LedgerDir) -> None:
    seen = text_of(report(shipped.root))
    assert "records in all 165" in seen and "claim 41" in seen and "findings 4" in seen
    assert re.search(r"made on \d+ \w+ \d{4}, \d\d:\d\d UTC \(not from a git repository\)", seen)


def test_the_report_names_its_commit(shipped: LedgerDir) -> None:
    git = ["git", "-C", str(shipped.root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "ledger"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    assert f"from commit {head.stdout.strip()}" in text_of(report(shipped.root))


HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>](javascript:alert(1)) & \"q\""


def test_record_text_is_escaped_everywhere(shipped: LedgerDir) -> None:
    shipped.record("orgs/evil.yaml", f"kind: org\nid: evil\nname: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\n"
                   "type: ngo\n")
    shipped.record("documents/evil.yaml", "kind: document\nid: evil-doc\ntype: ngo-report\nauthor: evil\n"
                   f"date: 2012-01-30\ntitle: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\n"
                   f"url: 'https://example.org/\"><script>alert(1)</script>'\n"
                   f"quotes:\n  - text: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\n")
    shipped.record("claims/evil.yaml", "kind: claim\nid: evil-claim\nsource: evil-doc\nmeasure: detained\n"
                   f"value: 999\nscope: {{place: zhanaozen, period: 2011-12-16..2011-12-18}}\n"
                   f"quote: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\n")
    assert run(shipped.root, "check").returncode == 0
    html = report(shipped.root)
    assert "<script" not in html and "<img" not in html and not re.search(r"(href|src)=[\"']?\s*javascript:", html)
    assert "&lt;script&gt;" in html and "999" in text_of(html)
    assert 'href="https://example.org/' not in html  # a URL that is not one is not linked


def test_the_page_loads_nothing(shipped: LedgerDir) -> None:
    html = report(shipped.root)
    assert not re.search(r"<(script|link|iframe|object|embed|img)\b", html)
    assert not re.search(r"\b(src|srcset|xlink:href)=", html)
    assert "@import" not in html and not re.search(r"url\(", html)
    assert "default-src 'none'" in html  # the browser refuses whatever else a page might ask
    links = re.findall(r'href="([^"#][^"]*)"', html)
    assert links and all(link.startswith("https://www.hrw.org/") for link in links)  # only the sources' own


def test_figures_over_time_are_marked_on_the_chart_and_in_the_table(tmp_path: Path) -> None:
    ld = write_ledger(tmp_path / "january")
    html = report(ld.root)
    kazakhstan = next(s for s in re.findall(r'<section class="question".*?</section>', html, flags=re.DOTALL)
                      if ">People killed in Kazakhstan" in s)
    svg = re.findall(r"<svg.*?</svg>", kazakhstan, flags=re.DOTALL)[0]
    assert ">withdrawn<" in svg and "fill: white" in svg  # the withdrawn figure: hollow, and labelled
    assert "Prosecutor General&#x27;s Office (official)" in svg or "Prosecutor General's Office (official)" in svg
    seen = text_of(kazakhstan)
    assert "withdrawn by the Ministry of Health on 10 January 2022" in seen
    assert "225 on 15 January 2022, 230 on 14 March, 232 in May and 238 on 16 August" in seen
    almaty = next(s for s in re.findall(r'<section class="question".*?</section>', html, flags=re.DOTALL)
                  if ">People killed in Almaty" in s)
    assert ">unverified<" in almaty and ">disputed<" in almaty  # on the chart
    assert "▲" in almaty  # "more than 150": a range to the top of the chart under an arrow
    assert "attribution disputed" in text_of(almaty) and "unverified" in text_of(almaty)
    ranges = re.findall(r'<figure class="chart ranges">.*?</figure>', almaty, flags=re.DOTALL)
    assert ranges and "(lowest)" in ranges[0] and "(highest)" in ranges[0]


def test_a_protected_witness_is_never_named(shipped: LedgerDir, tmp_path: Path) -> None:
    from test_attacks import new_team

    env = new_team(shipped.root, tmp_path)
    pid = next(p.stem for p in (shipped.root / "records" / "people").glob("*.yaml") if "Temir X." in p.read_text())
    sealed = (shipped.root / "records" / "people" / f"{pid}.yaml").read_text()
    shipped.record("testimonies/t-canary.yaml", f"kind: testimony\nid: t-canary\nwitness: {pid}\ndate: 2011-12-29\n"
                   "mode: in-person\nconsent: anonymous\nsummary: S.\nquotes:\n  - text: I saw it.\n")
    shipped.record("claims/c-canary.yaml", "kind: claim\nid: c-canary\nsource: t-canary\nmeasure: detained\n"
                   "value: 900\nscope: {place: zhanaozen, period: 2011-12-16..2011-12-18}\n")
    done = run(shipped.root, "report", "--out", "-", env=env)
    assert done.returncode == 0, done.stderr
    assert "Temir X." in done.stdout and "900" in done.stdout
    assert "canarybekov" not in done.stdout.lower() and "zhanbolat" not in done.stdout.lower()
    blob = re.search(r"identity:\s*(\S{40,})", sealed)
    assert blob is None or blob[1][:40] not in done.stdout


def test_a_confidential_testimony_is_counted_never_quoted(shipped: LedgerDir) -> None:
    html = report(shipped.root)
    confidential = [p for p in (REPO / "records" / "testimonies").glob("*.yaml") if "consent: confidential" in
                    p.read_text()]
    assert confidential
    seen = text_of(html)
    assert "a witness whose testimony is confidential" in seen
    for path in confidential:
        for quote in re.findall(r"text: [\"']?(.{30})", path.read_text()):
            assert quote not in seen


def test_filters_and_errors(shipped: LedgerDir) -> None:
    only = report(shipped.root, "--kind", "gap")
    assert len(re.findall(r'<section class="question"', only)) == 1 and "People detained in Zhanaozen" in only
    done = run(shipped.root, "report", "--measure", "detaned")
    assert done.returncode == 2 and "did you mean `detained`" in done.stderr and done.stdout == ""
    assert not (shipped.root / "report.html").exists()
    done = run(shipped.root, "report", "--out", str(shipped.root / "no" / "such" / "folder" / "r.html"))
    assert done.returncode == 2 and done.stderr.startswith("ledger report: cannot write")
    capped = report(shipped.root, "--charts", "1")
    assert capped.count('<figure class="chart timeline">') == 1 and "Charts are drawn for the first 1" in capped


@pytest.mark.parametrize("name", ["report.html", "out/report.html"])
def test_the_report_is_written_whole(shipped: LedgerDir, name: str) -> None:
    (shipped.root / "out").mkdir()
    (shipped.root / name).write_text("old")
    assert run(shipped.root, "report", "--out", name).returncode == 0
    written = (shipped.root / name).read_text(encoding="utf-8")
    assert written.startswith("<!DOCTYPE html>") and written.rstrip().endswith("</html>")


# --- one witness, several testimonies of different consent ------------------------------------------------------

def _one_witness_three_consents(root: Path) -> LedgerDir:
    """Nurlan Abenov (a public name) gives a public testimony, an anonymous one and a confidential one."""
    def claim(cid: str, source: str, value: int) -> str:
        return (f"kind: claim\nid: {cid}\nsource: {source}\nmeasure: killed\nvalue: {value}\n"
                "scope: {place: almaty, period: 2022-01}\n")

    ld = write_ledger(root)
    ld.record("people/nurlan.yaml", "kind: person\nid: nurlan-abenov\nname: Nurlan Abenov\nroles: [witness]\n")
    for tid, day, consent in (("t-n1", "2022-01-13", "public"), ("t-n2", "2022-01-21", "anonymous"),
                              ("t-n3", "2022-01-22", "confidential")):
        ld.record(f"testimonies/{tid}.yaml", f"kind: testimony\nid: {tid}\nwitness: nurlan-abenov\ndate: {day}\n"
                  f"mode: in-person\nconsent: {consent}\nsummary: S.\n")
    ld.record("claims/cn1.yaml", claim("cn1", "t-n1", 120))
    ld.record("claims/cn2.yaml", claim("cn2", "t-n2", 170))
    ld.record("claims/cn3.yaml", claim("cn3", "t-n3", 190))
    assert run(ld.root, "check").returncode == 0
    return ld


def test_an_anonymous_testimony_is_never_tied_to_its_witness_s_public_name(tmp_path: Path) -> None:
    ld = _one_witness_three_consents(tmp_path / "ledger")
    html = report(ld.root)
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL):  # 170 and 190 are not on Nurlan Abenov's line
        assert "Nurlan Abenov: 170" not in svg and "Nurlan Abenov: 190" not in svg
        assert "Nurlan Abenov (official)" not in svg
    almaty = next(s for s in re.findall(r'<section class="question".*?</section>', html, flags=re.DOTALL)
                  if ">People killed in Almaty" in s)
    ranges = re.findall(r'<figure class="chart ranges">.*?</figure>', almaty, flags=re.DOTALL)[0]
    assert "a witness who asked not to be named: 170" in ranges
    assert "a witness whose testimony is confidential: 190" in ranges
    markdown = run(ld.root, "diff-figures", "--format", "markdown").stdout
    assert "later figure of a witness who asked not to be named" not in markdown


def test_a_hidden_witness_s_voice_id_cannot_be_confirmed_by_hashing_a_guess(tmp_path: Path) -> None:
    import hashlib
    import json

    ld = _one_witness_three_consents(tmp_path / "ledger")
    data = json.loads(run(ld.root, "diff-figures", "--format", "json").stdout)
    voices = {cid: c["voice"]["id"] for cid, c in data["claims"].items()}
    assert voices["cn1"] == "witness:nurlan-abenov"
    assert len({voices["cn1"], voices["cn2"], voices["cn3"]}) == 3
    for cid in ("cn2", "cn3"):
        assert "nurlan" not in voices[cid]
        assert hashlib.sha256(b"nurlan-abenov").hexdigest()[:8] not in voices[cid]


def test_a_url_with_controls_that_reorder_or_drive_a_terminal_is_not_shown(tmp_path: Path) -> None:
    ld = write_ledger(tmp_path / "ledger")
    ld.record("documents/hrw-report.yaml", "kind: document\nid: hrw-report\ntype: ngo-report\ntitle: Kazakhstan "
              "report\nauthor: hrw\ndate: 2022-01-26\nurl: \"https://www.hrw.org/\\u202egpj.exe\\x9b2J\"\n")
    assert run(ld.root, "check").returncode == 0  # `url` is `https?://\S+`: neither is white space
    markdown = run(ld.root, "diff-figures", "--format", "markdown").stdout
    html = report(ld.root)
    for out in (markdown, html):
        assert "Kazakhstan report" in out
        assert "\u202e" not in out and "\x9b" not in out


def test_a_bracketed_number_in_a_record_is_not_made_a_citation(tmp_path: Path) -> None:
    ld = write_ledger(tmp_path / "ledger")
    ld.record("claims/almaty-hrw.yaml", "kind: claim\nid: almaty-hrw\nsource: hrw-report\nmeasure: killed\n"
              "value: 180\nscope: {place: almaty, period: 2022-01}\nquote: 'at least 180 [9] were killed'\n")
    assert run(ld.root, "check").returncode == 0
    html = report(ld.root)
    assert "at least 180 [9] were killed" in text_of(html)
    assert not re.search(r"at least 180 \[<a ", html)  # the source's own footnote, not a link to source 9


def test_a_confidential_witness_is_not_said_to_be_an_official(tmp_path: Path) -> None:
    ld = write_ledger(tmp_path / "ledger")
    ld.record("people/officer.yaml", "kind: person\nid: officer-b\nname: Bolat Officer\nroles: [police]\n")
    ld.record("testimonies/t-officer.yaml", "kind: testimony\nid: t-officer\nwitness: officer-b\ndate: 2022-01-22\n"
              "mode: in-person\nconsent: confidential\nsummary: S.\n")
    ld.record("claims/c-officer.yaml", "kind: claim\nid: c-officer\nsource: t-officer\nmeasure: killed\nvalue: 300\n"
              "scope: {place: almaty, period: 2022-01}\n")
    assert run(ld.root, "check").returncode == 0
    html = report(ld.root)
    assert "300" in text_of(html)
    assert "a witness whose testimony is confidential (official)" not in html  # the table and the charts
    markdown = run(ld.root, "diff-figures", "--format", "markdown").stdout
    assert "For January 2022, a witness whose testimony is confidential gave" not in markdown  # an official series


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_figures_given_on_one_day_at_either_end_of_the_calendar_are_charted(tmp_path: Path, day: str) -> None:
    ld = write_ledger(tmp_path / "ledger")  # `check` takes any ISO day; a chart of one day pads it by three
    for org, value in (("hrw", 10), ("amnesty", 500)):
        ld.record(f"documents/{org}-edge.yaml", f"kind: document\nid: {org}-edge\ntype: ngo-report\ntitle: T\n"
                  f"author: {org}\ndate: {day}\n")
        ld.record(f"claims/{org}-edge.yaml", f"kind: claim\nid: c-{org}-edge\nsource: {org}-edge\nmeasure: wounded\n"
                  f"value: {value}\nscope: {{place: almaty, period: {day}}}\n")
    (ld.root / "ledger.yaml").write_text(CONFIG.replace("  injured:", "  wounded: {label: people wounded}\n  injured:"))
    assert run(ld.root, "check").returncode == 0
    section = next(s for s in re.findall(r'<section class="question".*?</section>', report(ld.root), flags=re.DOTALL)
                   if ">People wounded in Almaty" in s)
    assert '<figure class="chart timeline">' in section


def test_a_confidential_testimony_s_id_is_never_shown(shipped: LedgerDir) -> None:
    """Its id may describe its witness (`t-2011-12-28-kenzhebaev-relative-threats`): neither the page nor the
    Markdown's source list names it, though its figures are counted."""
    confidential = [p.stem for p in (REPO / "records" / "testimonies").glob("*.yaml")
                    if "consent: confidential" in p.read_text()]
    markdown = run(shipped.root, "diff-figures", "--format", "markdown").stdout
    html = report(shipped.root)
    assert "a witness whose testimony is confidential" in text_of(html).lower()
    for rid in confidential:
        assert rid not in html and rid not in markdown
