"""What an attack on `ledger` found, each case as it was reported: nothing lost, nothing injected, nothing hangs.

The ledger is a repository anyone may commit to; these are the files, records and environments an attacker (or
bad luck) can hand it. Each must end in a finding or a one-line error, quickly, with nothing written by halves.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir
from typer.testing import CliRunner

from ledger.cli import app

LEDGER_EXE = str(Path(sys.executable).with_name("ledger"))
SHIPPED_RECORDS = sorted((REPO / "records").rglob("*.yaml"))


def run(root: Path, *args: str, timeout: float = 30, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in a subprocess: a hang is a failed test, not a hung test run."""
    return subprocess.run([LEDGER_EXE, *args], check=False, cwd=root, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})},
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)


def timed(root: Path, *args: str, **kwargs: object) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    done = run(root, *args, **kwargs)  # type: ignore[arg-type]
    return done, time.perf_counter() - start


def codes(done: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return sorted((f["file"], f["code"]) for f in json.loads(done.stdout))


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr and "internal-error" not in done.stdout, done.stderr


# A start-up of the installed command costs about a quarter of a second here, and each of these runs takes under
# half a second in all; the bound on a whole command leaves room for a slow CI machine. The check itself, timed in
# the test's own process once the subprocess has shown it does not hang, must take under a second.
QUICK = 5.0


def check_seconds(root: Path) -> float:
    """How long a full check of `root` takes in this process (no interpreter start-up, no cache)."""
    from ledger.checker import check

    start = time.perf_counter()
    check(root, use_cache=False)
    return time.perf_counter() - start


# 2. Committable files that hung the check or exhausted its memory ------------------------------------------------

def test_two_links_to_the_folder_itself_finish_at_once(shipped: LedgerDir) -> None:
    records = shipped.root / "records"
    (records / "a.yaml").symlink_to(".")
    (records / "b.yaml").symlink_to(".")
    for args in (["check", "--no-cache"], ["check"], ["check"]):
        done, seconds = timed(shipped.root, *args, "--format", "json")
        assert done.returncode == 1 and seconds < QUICK, (seconds, done.stderr)
        assert codes(done) == [("records/a.yaml", "not-regular-file"), ("records/b.yaml", "not-regular-file")]
        no_traceback(done)
    assert check_seconds(shipped.root) < 1


def test_one_link_to_a_folder_is_no_second_copy_of_its_records(shipped: LedgerDir) -> None:
    (shipped.root / "records" / "again.yaml").symlink_to("claims")
    done = run(shipped.root, "check", "--format", "json")
    assert codes(done) == [("records/again.yaml", "not-regular-file")]  # no duplicate-id at all
    assert "a link to a folder" in done.stdout


def test_a_link_to_dev_zero_and_a_fifo_are_never_read(shipped: LedgerDir) -> None:
    records = shipped.root / "records"
    (records / "z.yaml").symlink_to("/dev/zero")
    os.mkfifo(records / "x.yaml")
    for args in (["check", "--no-cache", "--format", "json"], ["check", "--format", "json"],
                 ["check", "--format", "json"]):
        done, seconds = timed(shipped.root, *args)
        assert seconds < QUICK and done.returncode == 1
        assert codes(done) == [("records/x.yaml", "not-regular-file"), ("records/z.yaml", "not-regular-file")]
        no_traceback(done)
    assert check_seconds(shipped.root) < 1
    messages = {f["file"]: f["message"] for f in json.loads(done.stdout)}
    assert "a link that leaves the ledger" in messages["records/z.yaml"]
    assert "FIFO" in messages["records/x.yaml"]
    # the commands that read the ledger otherwise read it the same way
    figures, seconds = timed(shipped.root, "diff-figures", "--format", "json")
    assert figures.returncode == 0 and seconds < QUICK and json.loads(figures.stdout)["findings"]
    added, seconds = timed(shipped.root, "add", "org", "--set", "name=Amnesty International")
    assert added.returncode == 0 and seconds < QUICK, added.stderr
    for args in (["keys", "list"], ["schema", "--check"]):
        done, seconds = timed(shipped.root, *args)
        assert seconds < QUICK
        no_traceback(done)


def test_links_inside_the_ledger_are_followed_and_links_out_are_not(shipped: LedgerDir, tmp_path: Path) -> None:
    records = shipped.root / "records"
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: org\nid: from-outside\nname: Outside\n")
    (records / "outside.yaml").symlink_to(outside)
    (records / "extra").mkdir()
    (records / "extra" / "amnesty.yaml").write_text("kind: org\nid: amnesty-2\nname: Amnesty International\n")
    (records / "linked.yaml").symlink_to("extra/amnesty.yaml")  # the same file twice: the same id twice
    (records / "folder.yaml").mkdir()  # a real folder named like a record is looked into
    (records / "folder.yaml" / "org.yaml").write_text("kind: org\nid: in-a-folder\nname: In a folder\n")
    done = run(shipped.root, "check", "--format", "json")
    assert codes(done) == [("records/linked.yaml", "duplicate-id"), ("records/outside.yaml", "not-regular-file")]
    assert "leaves the ledger" in done.stdout


def test_the_ledger_yaml_and_schemas_as_hostile_files(shipped: LedgerDir) -> None:
    shutil.copytree(REPO / "schemas", shipped.root / "schemas")
    (shipped.root / "schemas" / "claim.schema.json").unlink()
    os.mkfifo(shipped.root / "schemas" / "claim.schema.json")
    done, seconds = timed(shipped.root, "check", "--format", "json")
    assert seconds < QUICK and codes(done) == [("schemas/claim.schema.json", "schema-stale")]
    (shipped.root / "ledger.yaml").unlink()
    (shipped.root / "ledger.yaml").symlink_to("/dev/zero")
    done, seconds = timed(shipped.root, "check", "--ledger", ".", "--format", "json")
    assert seconds < QUICK
    no_traceback(done)


def test_evidence_that_is_a_fifo_is_never_read(shipped: LedgerDir) -> None:
    (shipped.root / "evidence").mkdir()
    os.mkfifo(shipped.root / "evidence" / "audio.ogg")
    shipped.record("documents/audio.yaml", "kind: document\nid: audio\ntype: other\ntitle: An audio file\nfiles:\n"
                   "  - path: evidence/audio.ogg\n    sha256: " + "a" * 64 + "\n")
    done, seconds = timed(shipped.root, "check", "--format", "json")
    assert seconds < QUICK and codes(done) == [("records/documents/audio.yaml", "not-regular-file")]


# 3. A folder that cannot be listed ----------------------------------------------------------------------------

BROKEN_RECORD = "kind: testimony\nid: t-broken\nwitness: nobody-at-all\ndate: 2011-12-28\n"


def test_an_unlistable_folder_is_a_finding_not_a_clean_bill(shipped: LedgerDir, runner: CliRunner,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    shipped.record("extra/broken.yaml", BROKEN_RECORD)
    hidden = str(shipped.root / "records" / "extra")
    listdir = os.listdir

    def denied(path: object = ".") -> list[str]:  # what chmod 000 does to another user (root reads anyway)
        if str(path) == hidden:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return listdir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "listdir", denied)
    for args in (["--no-cache"], [], []):
        result = runner.invoke(app, ["check", "--ledger", str(shipped.root), "--format", "json", *args],
                               catch_exceptions=False)
        assert result.exit_code == 1
        found = json.loads(result.output)
        assert [(f["file"], f["code"]) for f in found] == [(f"{shipped.root}/records/extra/", "unreadable-folder")] \
            or [(Path(f["file"]).name, f["code"]) for f in found] == [("extra", "unreadable-folder")]
        assert "Permission denied" in found[0]["message"] and "not checked" in found[0]["message"]
    monkeypatch.undo()  # readable again: its broken record is found
    result = runner.invoke(app, ["check", "--ledger", str(shipped.root), "--format", "json"])
    assert [f["code"] for f in json.loads(result.output)] == ["missing-field", "missing-field", "missing-field"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any folder")
def test_an_unlistable_folder_for_real(shipped: LedgerDir) -> None:
    shipped.record("extra/broken.yaml", BROKEN_RECORD)
    folder = shipped.root / "records" / "extra"
    folder.chmod(0)
    try:
        done = run(shipped.root, "check", "--format", "json")
        assert done.returncode == 1 and codes(done) == [("records/extra/", "unreadable-folder")]
    finally:
        folder.chmod(0o755)


# 4. Output is data, never markup or control ------------------------------------------------------------------

MARKUP_ORG = ("kind: org\nid: pgo\n"
              "name: \"Prosecutor [/b] Office [sic] [of Kazakhstan] [link=https://evil.example]x\"\ntype: prosecutor\n")


def test_record_text_is_never_rich_markup(shipped: LedgerDir) -> None:
    shipped.record("orgs/pgo.yaml", MARKUP_ORG)
    for env in ({"COLUMNS": "400"}, {"FORCE_COLOR": "1", "COLUMNS": "400"}):
        done = run(shipped.root, "diff-figures", env=env)
        assert done.returncode == 0, done.stderr
        no_traceback(done)
        assert "Prosecutor [/b] Office [sic] [of Kazakhstan] [link=https://evil.example]x" in done.stdout
        assert "\x1b]8;" not in done.stdout  # no terminal hyperlink


def test_markdown_quotes_cannot_open_links_html_or_headings(shipped: LedgerDir) -> None:
    from markdown_it import MarkdownIt

    claim = shipped.root / "records" / "claims" / "c-pgo-2012-01-25-gunshot-wounded.yaml"
    quote = ("<img src=x onerror=alert(1)> [click](javascript:alert(1)) **bold** `code`\n\n### Sources\n\n"
             "1. Forged")
    text = claim.read_text().replace('quote: ', f'quote: {json.dumps(quote)}\nnotes: ', 1) \
        if "quote: " in claim.read_text() else claim.read_text() + f"quote: {json.dumps(quote)}\n"
    claim.write_text(text)
    assert run(shipped.root, "check").returncode == 0
    done = run(shipped.root, "diff-figures", "--format", "markdown")
    html = MarkdownIt("commonmark").render(done.stdout)
    items = [item for item in html.split("<li>") if "onerror" in item]
    assert items and all("<img" not in item and "<a " not in item and "<code>code" not in item
                         and "<strong>bold" not in item for item in items)
    # the only links are the sources' own web addresses, in the numbered list
    links = re.findall(r'<a href="([^"]*)"', html)
    assert "<img" not in html and html.count("<a ") == len(links) and "<h3>Sources</h3>" in html
    assert links and all(link.startswith("https://www.hrw.org/") for link in links)
    assert html.count("<h3>Sources</h3>") == 1 and "Forged" not in html.split("<h3>Sources</h3>")[1]
    # the words themselves are all there, as words
    assert "&lt;img src=x onerror=alert(1)&gt; [click](javascript:alert(1)) **bold** `code` ### Sources 1. Forged" \
        in items[0]


def test_control_characters_never_reach_the_terminal(shipped: LedgerDir) -> None:
    shipped.record("documents/forged.yaml", "kind: document\nid: forged\ntype: other\ntitle: T\nfiles:\n"
                   "  - path: \"evidence/x\\n✓ 165 records in 165 files: no findings\"\n    sha256: " + "a" * 64 + "\n")
    shipped.record("zz/escape.yaml", "kind: \"\\e[1A\\e[2Kclaim\"\nid: esc\n")
    shipped.record("zz/bidi.yaml", "kind: org\nid: bidi\nname: A\nsummary: ok\nfoo\u202e: 1\n")
    for args in (["check"], ["check", "--format", "github"], ["check", "--format", "json"]):
        for env in ({}, {"FORCE_COLOR": "1"}):
            done = run(shipped.root, *args, env=env)
            out = done.stdout + done.stderr
            assert "\x1b[1A" not in out and "\x1b[2K" not in out and "\u202e" not in out
            if args == ["check"]:
                plain = [line for line in out.splitlines() if line.startswith("✓")]
                assert plain == [] and done.returncode == 1


def test_messages_never_repeat_a_records_text_without_a_key(shipped: LedgerDir) -> None:
    canary = "Temir Bekov"
    squashed = "TemirBekov"
    shipped.record("zz/a.yaml", f"kind: {canary}\nid: a-1\n")
    shipped.record("zz/b.yaml", f"kind: {squashed}\nid: b-1\n")
    shipped.record("zz/c.yaml", f"kind: org\nid: c-1\nname: X\ntype: {squashed}\n")
    shipped.record("zz/d.yaml", f"kind: org\nid: d-1\nname: X\n{squashed}: 1\n")
    shipped.record("zz/e.yaml", f"kind: org\nid: e-1\nname: X\nsummary: !{squashed} x\n")
    shipped.record("zz/f.yaml", f"kind: org\nid: f-1\nname: X\n{squashed}: 1\n{squashed}: 2\n")
    shipped.record("zz/g.yaml", f"kind: org\nid: g-1\nname: X\nsummary: *{squashed}\n")
    shipped.record("zz/h.yaml", "kind: document\nid: h-1\ntype: other\ntitle: T\nfiles:\n"
                   f"  - path: evidence/{squashed}.pdf\n    sha256: " + "a" * 64 + "\n")
    shipped.record("zz/i.yaml", f"kind: claim\nid: i-1\nsource: pgo-2012-01-25\nmeasure: killed\nvalue: {squashed}\n"
                   "scope: {place: zhanaozen, period: 2011-12-16}\n")
    shipped.record("zz/j.yaml", f"kind: org\nid: j-1\nname: X\n%TAG !{squashed}! tag:x,2000:\n")
    done = run(shipped.root, "check", "--format", "json")
    assert len(json.loads(done.stdout)) >= 10
    assert "temir" not in done.stdout.lower() and "bekov" not in done.stdout.lower()


def test_a_forged_identity_cannot_inject_into_messages_or_reveal(tmp_path: Path, ledger_dir: LedgerDir,
                                                                runner: CliRunner,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import pyrage

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEDGER_IDENTITY", raising=False)
    init = runner.invoke(app, ["keys", "init"], catch_exceptions=False)
    recipient = init.output.split("your public recipient: ")[1].split()[0]
    assert runner.invoke(app, ["keys", "add", "r-1", recipient, "--ledger", str(ledger_dir.root)]).exit_code == 0

    def forged(payload: dict[str, object]) -> str:  # what anyone holding the public recipient can make
        raw = json.dumps(payload).encode()
        return pyrage.encrypt(raw, [pyrage.x25519.Recipient.from_str(recipient)], armored=True).decode()

    copied = forged({"format": 1, "record": "x\n\x1b[2K✓ no findings", "field": "identity", "identity": {}})
    escaped = forged({"format": 1, "record": "ulan-u", "field": "identity",
                      "identity": {"name": "\x1b]8;;https://evil\x07U\x1b[2K", "note\x1b[1A": "a\nb"}})
    for pid, armour in (("temir-t", copied), ("ulan-u", escaped)):
        ledger_dir.record(f"people/{pid}.yaml", f"kind: person\nid: {pid}\npseudonym: P.\nprotected: true\n"
                          f"identity: {json.dumps(armour)}\n")
    check = runner.invoke(app, ["check", "--ledger", str(ledger_dir.root)], catch_exceptions=False)
    assert "identity-unreadable" in check.output and "\x1b" not in check.output
    assert [line for line in check.output.splitlines() if "no findings" in line] == []
    revealed = runner.invoke(app, ["reveal", "ulan-u", "--ledger", str(ledger_dir.root), "--force"],
                             catch_exceptions=False)
    assert revealed.exit_code == 0 and "\x1b" not in revealed.output
    assert revealed.stdout.count("\n") == 2 and "\\x1b" in revealed.stdout
    assert "warning: the identity of `ulan-u` is not signed" in revealed.stderr  # anyone could have sealed it


# 5. Crashes where a clean error belongs ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["[claim]", "{a: 1}", "[[x]]", "{claim: claim}"])
def test_a_kind_that_is_a_list_or_a_mapping(ledger_dir: LedgerDir, runner: CliRunner, kind: str) -> None:
    ledger_dir.record("zz/k.yaml", f"kind: {kind}\nid: k-1\n")
    result = runner.invoke(app, ["check", "--ledger", str(ledger_dir.root), "--format", "json"],
                           catch_exceptions=False)
    assert [f["code"] for f in json.loads(result.output)] == ["unknown-kind"]


def test_a_figure_of_310_digits(shipped: LedgerDir) -> None:
    claim = shipped.root / "records" / "claims" / "c-pgo-2012-01-25-killed.yaml"
    text = claim.read_text()
    claim.write_text("\n".join("value: 1" + "0" * 309 if line.startswith("value:") else line
                               for line in text.splitlines()) + "\n")
    done = run(shipped.root, "check", "--format", "json")
    assert codes(done) == [("records/claims/c-pgo-2012-01-25-killed.yaml", "invalid-value")]
    for fmt in ("text", "markdown", "json"):
        figures = run(shipped.root, "diff-figures", "--format", fmt)
        assert figures.returncode == 0
        no_traceback(figures)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    no_traceback(done)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2 and lines, done.stderr  # the problem, and "nothing was written"
    return lines[0]


def record_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "records").rglob("*"))
            if p.is_file() or p.is_symlink()}


ADD_ORG = ["add", "org", "--set", "name=Amnesty International"]
FAILING_WRITE = """
import errno, os, sys
def failing(*args, **kwargs):
    raise OSError(errno.{errno}, os.strerror(errno.{errno}))
os.{call} = failing
from ledger.cli import main
sys.argv = ["ledger", *{args!r}]
main()
"""


@pytest.mark.parametrize("call, error", [("fsync", "ENOSPC"), ("link", "EROFS"), ("fdopen", "EACCES")])
def test_add_on_a_full_disk_or_a_read_only_folder(shipped: LedgerDir, call: str, error: str) -> None:
    assert run(shipped.root, "check").returncode == 0  # .ledger/ is there, as in any ledger checked once
    before = record_tree(shipped.root)
    script = FAILING_WRITE.format(errno=error, call=call, args=ADD_ORG)
    done = subprocess.run([sys.executable, "-c", script], check=False, cwd=shipped.root, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    line = one_error_line(done)
    assert line.startswith("ledger add: cannot write records/orgs/amnesty-international.yaml: ")
    assert os.strerror(getattr(errno, error)) in line and "nothing was written" in done.stderr
    assert record_tree(shipped.root) == before
    assert list((shipped.root / ".ledger" / "tmp").iterdir()) == []


def test_add_where_the_state_folder_is_a_file(shipped: LedgerDir) -> None:
    (shipped.root / ".ledger").write_text("not a folder\n")
    done = run(shipped.root, *ADD_ORG)
    assert done.returncode == 2
    assert ".ledger in the ledger root is not a folder" in one_error_line(done)
    assert not (shipped.root / "records" / "orgs" / "amnesty-international.yaml").exists()


def test_add_while_another_holds_the_lock_names_the_holder(shipped: LedgerDir) -> None:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from ledger.lock import writer_lock
        with writer_lock(Path({str(shipped.root)!r}), "ledger keys rotate"):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        holder.stdout.close()
        done, seconds = timed(shipped.root, *ADD_ORG, env={"LEDGER_LOCK_TIMEOUT": "1"})
        assert done.returncode == 2 and 1 <= seconds < QUICK + 1
        line = one_error_line(done)
        assert "write lock for over 1 s" in line and "`ledger keys rotate`" in line and f"{holder.pid}" in line
        assert "LEDGER_LOCK_TIMEOUT" in line
    finally:
        holder.kill()
        holder.wait()
    assert run(shipped.root, *ADD_ORG).returncode == 0  # free again


def test_add_from_a_hostile_file(shipped: LedgerDir, tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("kind: org\nname: " + "[" * 3000 + "]" * 3000 + "\n")
    for source in (str(deep), "/dev/zero", str(tmp_path)):
        done, seconds = timed(shipped.root, "add", "org", "--from", source)
        assert done.returncode == 2 and seconds < QUICK, (source, done.stderr)
        one_error_line(done)
    bomb = subprocess.run([LEDGER_EXE, "add", "org", "--from", "-"], check=False, cwd=shipped.root, capture_output=True,
                          timeout=30, input=b"x" * (3 << 20))
    assert bomb.returncode == 2 and b"more than 1,048,576 bytes" in bomb.stderr


def test_invalid_utf8_in_set_is_refused(shipped: LedgerDir) -> None:
    done = subprocess.run([LEDGER_EXE.encode(), b"add", b"org", b"--set", b"name=Amnesty \xff International"],
                          check=False, cwd=shipped.root, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and b"not UTF-8" in done.stderr and b"Traceback" not in done.stderr
    assert not list((shipped.root / "records" / "orgs").glob("amnesty-international*"))


def test_schema_out_naming_a_file(shipped: LedgerDir) -> None:
    target = shipped.root / "a-file"
    target.write_text("x")
    done = run(shipped.root, "schema", "--out", str(target))
    assert done.returncode == 2 and "cannot write the schemas" in one_error_line(done)
    assert target.read_text() == "x"


# 6. Slow inputs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, code", [
    ("kind: org\nid: deep\nname: " + "[" * 5000 + "]" * 5000 + "\n", "yaml-too-deep"),  # 10 KB
    ("kind: org\nid: deep\nname: " + "[" * 20000 + "]" * 20000 + "\n", "yaml-too-deep"),  # 40 KB
    # 3,000 block mappings, each indented one more space: 4.5 MB
    ("kind: org\nid: deep\nx:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 3000)) + " " * 3000 + "v: 1\n",
     "file-too-large"),
    ("kind: org\nid: deep\nx:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 600)) + " " * 600 + "v: 1\n",
     "yaml-too-deep"),
    ("kind: org\nid: deep\nname:\n" + "- " * 3000 + "x\n", "yaml-too-deep"),
    ("kind: org\nid: deep\nname: " + "{a: " * 5000 + "b" + "}" * 5000 + "\n", "yaml-too-deep"),
], ids=["10k-flow", "40k-flow", "3000-mappings", "600-mappings", "3000-sequences", "5000-flow-mappings"])
def test_deep_nesting_is_refused_quickly(shipped: LedgerDir, text: str, code: str) -> None:
    shipped.record("zz/deep.yaml", text)
    done, seconds = timed(shipped.root, "check", "--no-cache", "--format", "json")
    assert seconds < QUICK and codes(done) == [("records/zz/deep.yaml", code)]
    assert check_seconds(shipped.root) < 1


def test_an_oversized_record_file_is_refused_unread(shipped: LedgerDir) -> None:
    shipped.record("zz/big.yaml", "kind: org\nid: big\nname: X\nsummary: " + "x" * (2 << 20) + "\n")
    done, seconds = timed(shipped.root, "check", "--format", "json")
    assert seconds < QUICK and codes(done) == [("records/zz/big.yaml", "file-too-large")]


# 7. Small things ----------------------------------------------------------------------------------------------

KILLED_MID_WRITE = """
import os, signal, sys
real_fsync = os.fsync
def die(fd):
    os.kill(os.getpid(), signal.SIGKILL)
os.fsync = die
from ledger.cli import main
sys.argv = ["ledger", *{args!r}]
main()
"""


def test_a_writer_killed_mid_write_leaves_nothing_git_would_see(shipped: LedgerDir) -> None:
    git = ["git", "-C", str(shipped.root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "ledger"], check=True)
    before = record_tree(shipped.root)
    for _ in range(3):
        killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE.format(args=ADD_ORG)], check=False,
                                cwd=shipped.root, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert killed.returncode == -signal.SIGKILL
    assert record_tree(shipped.root) == before
    left = list((shipped.root / ".ledger" / "tmp").iterdir())
    assert left  # what the killed writers left, where git ignores it
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert run(shipped.root, *ADD_ORG).returncode == 0  # the next write sweeps them away
    assert list((shipped.root / ".ledger" / "tmp").iterdir()) == []


def test_the_cache_forgets_names_that_left_the_ledger(shipped: LedgerDir) -> None:
    name = "temir-bekov"
    shipped.record(f"people/{name}.yaml", "kind: person\nid: p-1\npseudonym: P.\n")
    shipped.record("documents/d.yaml", "kind: document\nid: d-1\ntype: other\ntitle: T\nfiles:\n"
                   f"  - path: evidence/{name}.txt\n    sha256: " + "a" * 64 + "\n")
    assert run(shipped.root, "check").returncode == 1

    def cached() -> bytes:
        return b"".join(p.read_bytes() for p in (shipped.root / ".ledger" / "cache").iterdir())

    assert name.encode() in cached()
    (shipped.root / "records" / "people" / f"{name}.yaml").unlink()
    shipped.record("documents/d.yaml", "kind: document\nid: d-1\ntype: other\ntitle: T\n")
    assert run(shipped.root, "check").returncode == 0
    assert name.encode() not in cached()
    assert run(shipped.root, "check").returncode == 0  # and the cache still serves


def test_add_never_writes_through_a_link(shipped: LedgerDir, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(shipped.root / "records" / "orgs")
    (shipped.root / "records" / "orgs").symlink_to(outside)
    done = run(shipped.root, *ADD_ORG)
    assert done.returncode == 2 and "records/orgs is a link" in one_error_line(done)
    assert list(outside.iterdir()) == []


def test_a_key_file_that_is_a_device_or_huge(shipped: LedgerDir, tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"#" * (1 << 20))
    for key in ("/dev/zero", str(huge), str(tmp_path)):
        done, seconds = timed(shipped.root, "check", "--identity", key)
        assert done.returncode == 2 and seconds < QUICK
        assert one_error_line(done).startswith("ledger: ")


def test_the_leak_check_reads_no_fifo_and_no_huge_file(tmp_path: Path, ledger_dir: LedgerDir, runner: CliRunner,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger import leaks

    monkeypatch.setattr(leaks, "SEARCH_LIMIT", 1 << 16)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEDGER_IDENTITY", raising=False)
    init = runner.invoke(app, ["keys", "init"], catch_exceptions=False)
    recipient = init.output.split("your public recipient: ")[1].split()[0]
    signer = init.output.split("your signing key: ")[1].split()[0]
    root = str(ledger_dir.root)
    assert runner.invoke(app, ["keys", "add", "r-1", recipient, "--signs", signer, "--ledger", root]).exit_code == 0
    added = runner.invoke(app, ["add", "person", "--protected", "--set", "pseudonym=Temir T.", "--identity-from", "-",
                                "--ledger", root], input="name: Zhanbolat Canarybekov\n")
    assert added.exit_code == 0, added.output
    (ledger_dir.root / "evidence").mkdir()
    os.mkfifo(ledger_dir.root / "evidence" / "pipe.txt")
    (ledger_dir.root / "evidence" / "video.mp4").write_bytes(b"\x00" * (1 << 17))
    result = runner.invoke(app, ["check", "--ledger", root, "--format", "json"], catch_exceptions=False)
    found = [(Path(f["file"]).name, f["code"]) for f in json.loads(result.output)]
    assert found == [("video.mp4", "identity-leak-skipped")]


@pytest.mark.parametrize("what", ["file", "dangling-link", "link-out"])
def test_records_that_is_not_a_folder_is_a_finding(shipped: LedgerDir, tmp_path: Path, what: str) -> None:
    records = shipped.root / "records"
    shutil.rmtree(records)
    if what == "file":
        records.write_text("kind: org\nid: x\nname: X\n")
    elif what == "dangling-link":
        records.symlink_to("nowhere")
    else:
        (tmp_path / "elsewhere").mkdir()
        records.symlink_to(tmp_path / "elsewhere")
    done = run(shipped.root, "check", "--format", "json")
    assert done.returncode == 1 and codes(done) == [("records", "unreadable-folder")]


def test_an_id_renamed_in_place_leaves_the_cache(shipped: LedgerDir, monkeypatch: pytest.MonkeyPatch) -> None:
    """An id may be a name: once no record has it, the cache keeps it no more than a file or evidence name."""
    from ledger import checker

    monkeypatch.setattr(checker, "REBUILD_MIN_FILES", 10**9)  # a large ledger's cache: a base, edits in a delta
    shipped.record("people/p.yaml", "kind: person\nid: zhanbolat-canarybekov\npseudonym: P.\n")
    checker.check(shipped.root)
    monkeypatch.setattr(checker, "REBUILD_MIN_FILES", 0)
    checker.check(shipped.root)  # a base that holds the id
    monkeypatch.setattr(checker, "REBUILD_MIN_FILES", 10**9)
    shipped.record("people/p.yaml", "kind: person\nid: p-renamed\npseudonym: P.\n")
    assert checker.check(shipped.root).findings == checker.check(shipped.root, use_cache=False).findings
    cached = b"".join(p.read_bytes() for p in (shipped.root / ".ledger" / "cache").iterdir())
    assert b"canarybekov" not in cached


def test_evidence_in_the_ledgers_own_folders_is_a_bad_path(shipped: LedgerDir) -> None:
    assert run(shipped.root, "check").returncode == 0  # .ledger/cache/ is there
    shipped.record("documents/x.yaml", "kind: document\nid: x-1\ntype: other\ntitle: T\nfiles:\n"
                   "  - path: .ledger/cache/check.bin\n    sha256: " + "a" * 64 + "\n")
    for args in (["check", "--no-cache"], ["check"], ["check"]):
        assert codes(run(shipped.root, *args, "--format", "json")) == [("records/documents/x.yaml", "bad-path")]
