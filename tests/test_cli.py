"""The command line as a user meets it: exit codes, the three formats, colour, and the installed command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LedgerDir
from typer.testing import CliRunner

from ledger.cli import app

BROKEN = ("kind: testimony\nid: t-broken\nwitness: gaukhar\ndate: 2011-12-28\nmode: in-person\nconsent: public\n"
          "summary: S.\n")


def test_clean_ledger_exits_0(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "--ledger", str(ledger_dir.root)])
    assert result.exit_code == 0
    assert "10 records in 10 files: no findings" in result.output


def test_findings_exit_1_with_location_and_summary(ledger_dir: LedgerDir, runner: CliRunner,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    monkeypatch.chdir(ledger_dir.root)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == ("records/testimonies/t-broken.yaml:3:10: error[unknown-ref]: `witness` names `gaukhar`, "
                        "but no record has that id; did you mean `gaukhar-g`?")
    assert lines[-1] == "✗ 1 error in 1 file (11 records in 11 files read)"
    assert "\x1b[" not in result.output  # not a terminal: no colour


def test_root_is_found_from_a_subfolder(ledger_dir: LedgerDir, runner: CliRunner,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    monkeypatch.chdir(ledger_dir.root / "records" / "testimonies")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert result.output.startswith("t-broken.yaml:3:10: error[unknown-ref]")


def test_json_format_is_a_list_of_findings(ledger_dir: LedgerDir, runner: CliRunner,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    monkeypatch.chdir(ledger_dir.root)
    result = runner.invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == [{
        "code": "unknown-ref", "severity": "error",
        "message": "`witness` names `gaukhar`, but no record has that id; did you mean `gaukhar-g`?",
        "file": "records/testimonies/t-broken.yaml", "line": 3, "column": 10,
    }]
    ledger_dir.remove("testimonies/t-broken.yaml")
    clean = runner.invoke(app, ["check", "--format", "json"])
    assert (clean.exit_code, json.loads(clean.output)) == (0, [])


def test_github_format(ledger_dir: LedgerDir, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    ledger_dir.record("z.yaml", "kind: org\nid: multi\nname: A\nname: B\n")
    monkeypatch.chdir(ledger_dir.root)
    result = runner.invoke(app, ["check", "-f", "github"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "::error file=records/testimonies/t-broken.yaml,line=3,col=10,title=ledger unknown-ref::`witness` names "
        "`gaukhar`, but no record has that id; did you mean `gaukhar-g`?",
        "::error file=records/z.yaml,line=4,col=1,title=ledger yaml-duplicate-key::duplicate key `name`: it is "
        "already set on line 3; a key may appear once per mapping (the first one is kept)",
    ]


def test_no_ledger_is_a_usage_error(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "no ledger.yaml" in result.output
    assert runner.invoke(app, ["check", "--ledger", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["check", "--format", "xml"]).exit_code == 2


def test_schema_writes_then_checks(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    root = str(ledger_dir.root)
    assert runner.invoke(app, ["schema", "--check", "--ledger", root]).exit_code == 1
    written = runner.invoke(app, ["schema", "--ledger", root])
    assert written.exit_code == 0 and "claim.schema.json" in written.output
    first = {p.name: p.read_bytes() for p in (ledger_dir.root / "schemas").iterdir()}
    assert set(first) == {f"{k}.schema.json" for k in
                          ("person", "org", "event", "testimony", "statement", "document", "claim", "record",
                           "ledger")}
    assert runner.invoke(app, ["schema", "--ledger", root]).exit_code == 0
    assert {p.name: p.read_bytes() for p in (ledger_dir.root / "schemas").iterdir()} == first  # same bytes
    assert runner.invoke(app, ["schema", "--check", "--ledger", root]).exit_code == 0
    (ledger_dir.root / "schemas" / "org.schema.json").write_text("{}\n")
    stale = runner.invoke(app, ["schema", "--check", "--ledger", root])
    assert stale.exit_code == 1 and "org.schema.json" in stale.output


def test_colour_on_a_terminal_and_no_color(ledger_dir: LedgerDir, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from ledger.checks import check_ledger
    from ledger.cli import _console
    from ledger.report import render_text

    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    findings = check_ledger(ledger_dir.root)[1]

    def rendered() -> str:
        console = _console()
        console.file = io.StringIO()
        render_text(findings, console, "summary")
        return console.file.getvalue()

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[31" in rendered()
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[31" not in rendered()


def test_plain_text_is_what_rich_prints_without_colour(ledger_dir: LedgerDir,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from ledger.checks import check_ledger
    from ledger.cli import _console
    from ledger.output import Output
    from ledger.report import render_text, text_lines

    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    ledger_dir.record("orgs/[x].yaml", "kind: org\nid: x\nname: [Казахстан]\nnotes: 1\n")
    findings = check_ledger(ledger_dir.root)[1]
    assert len(findings) >= 3
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    console = _console()
    console.file = io.StringIO()
    render_text(findings, console, "✗ [summary] — ü")
    assert console.file.getvalue() == "\n".join(text_lines(findings, "✗ [summary] — ü")) + "\n"
    assert Output(io.StringIO()).plain
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not Output(io.StringIO()).plain


def _installed_ledger() -> str:
    exe = shutil.which("ledger") or str(Path(sys.executable).with_name("ledger"))
    assert Path(exe).exists(), "the `ledger` console script is not installed"
    return exe


def test_installed_command_in_a_subprocess(ledger_dir: LedgerDir) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    ok = subprocess.run([_installed_ledger(), "check"], cwd=ledger_dir.root, capture_output=True, text=True, env=env,
                        stdin=subprocess.DEVNULL)
    assert ok.returncode == 0, ok.stderr
    closed = subprocess.run(["sh", "-c", f'"{_installed_ledger()}" check >&-'], cwd=ledger_dir.root,
                            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert (closed.returncode, closed.stderr) == (0, "")  # no standard output at all: nothing to say, no crash
    ledger_dir.record("bad.yaml", b"\x00\x01binary")  # type: ignore[arg-type]
    bad = subprocess.run([sys.executable, "-m", "ledger", "check"], cwd=ledger_dir.root, capture_output=True,
                         text=True, env=env, stdin=subprocess.DEVNULL)
    assert bad.returncode == 1
    assert "records/bad.yaml:1:1: error[binary-file]" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr


def test_help_and_version(runner: CliRunner) -> None:
    assert "check" in runner.invoke(app, ["--help"]).output
    assert runner.invoke(app, ["--version"]).output.startswith("ledger ")


def test_every_format_of_every_command_has_one_renderer() -> None:
    from ledger.output import FORMATS, renderers

    for command, names in FORMATS.items():
        assert sorted(renderers(command)) == sorted(names)


def test_the_library_call_is_what_the_command_prints(ledger_dir: LedgerDir, runner: CliRunner,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`checking.run` gives the findings and the summary line that `ledger check` prints, leak note included."""
    from ledger.checking import run
    from ledger.report import text_lines

    ledger_dir.record("testimonies/t-broken.yaml", BROKEN)
    monkeypatch.chdir(ledger_dir.root)
    monkeypatch.delenv("LEDGER_IDENTITY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(ledger_dir.root / "no-config"))
    report = run(ledger_dir.root).seen_from(ledger_dir.root)
    printed = runner.invoke(app, ["check"]).output
    assert printed == "\n".join(text_lines(report.findings, report.summary())) + "\n"
    assert report.exit_code == 1 and report.summary().startswith("✗ 1 error in 1 file")


def test_a_warm_check_imports_neither_pydantic_nor_rich(ledger_dir: LedgerDir) -> None:
    """What makes a check of an unchanged ledger fast: it answers from the cache without building the models."""
    import time

    env = {**os.environ, "NO_COLOR": "1"}
    time.sleep(2.1)  # files changed within two seconds of a run are hashed again by the next (the clock's tick)
    first = subprocess.run([sys.executable, "-m", "ledger", "check"], cwd=ledger_dir.root, capture_output=True,
                           text=True, env=env, stdin=subprocess.DEVNULL)
    assert first.returncode == 0
    warm = subprocess.run([sys.executable, "-X", "importtime", "-m", "ledger", "check"], cwd=ledger_dir.root,
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    imported = {line.split("|")[-1].strip() for line in warm.stderr.splitlines() if line.startswith("import time")}
    assert warm.returncode == 0 and "ledger.checker" in imported
    assert not {name for name in imported if name.split(".")[0] in ("pydantic", "rich", "ruamel", "yaml")}
