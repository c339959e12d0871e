"""Recording a protected witness at a terminal without losing work or showing the name: the recipients are checked
before the first question, the real identity is typed without echo, and Ctrl-C at any question leaves nothing on
disk and says so."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from conftest import LedgerDir
from test_identity import shared
from typer.testing import CliRunner

from ledger.cli import app

pexpect = pytest.importorskip("pexpect")
EXE = str(Path(sys.executable).with_name("ledger"))
CANARY = "Zhanbolat Canarybekov"


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "records").rglob("*") if p.is_file()}


def spawn(root: Path, env: dict[str, str], *args: str) -> tuple[object, io.StringIO]:
    child = pexpect.spawn(EXE, ["add", "person", "--protected", *args], cwd=str(root), encoding="utf-8", timeout=30,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env})
    seen = io.StringIO()
    child.logfile_read = seen
    return child, seen


@pytest.fixture
def team(ledger_dir: LedgerDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LedgerDir, dict[str, str]]:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LEDGER_IDENTITY": ""}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    recipient, signer = shared(runner.invoke(app, ["keys", "init"], catch_exceptions=False).output)
    added = runner.invoke(app, ["keys", "add", "researcher-1", recipient, "--signs", signer, "--ledger",
                                str(ledger_dir.root)])
    assert added.exit_code == 0, added.output
    return ledger_dir, env


def test_no_recipients_no_question(ledger_dir: LedgerDir, tmp_path: Path) -> None:
    before = files(ledger_dir.root)
    child, seen = spawn(ledger_dir.root, {"XDG_CONFIG_HOME": str(tmp_path / "config"), "LEDGER_IDENTITY": ""})
    child.expect(pexpect.EOF)  # type: ignore[attr-defined]
    child.close()  # type: ignore[attr-defined]
    assert child.exitstatus == 2  # type: ignore[attr-defined]
    assert "lists no recipients" in seen.getvalue() and "nothing was asked or written" in seen.getvalue()
    assert "pseudonym" not in seen.getvalue() and files(ledger_dir.root) == before


def _answer_until(child: object, stop: str) -> None:
    """Enter at every question (yes to "Write ...?") until the question that holds `stop` is asked."""
    for _ in range(60):
        child.expect(r"([^\r\n]*): $")  # type: ignore[attr-defined]  # a question: the last thing printed
        asked = child.match.group(1)  # type: ignore[attr-defined]
        if stop in asked:
            return
        child.sendline("y" if asked.startswith("Write ") else "")  # type: ignore[attr-defined]
    raise AssertionError(f"never asked {stop!r}")


def test_the_real_name_is_typed_without_echo(team: tuple[LedgerDir, dict[str, str]]) -> None:
    ledger_dir, env = team
    child, seen = spawn(ledger_dir.root, env, "--interactive", "--set", "pseudonym=Aigul A.")
    _answer_until(child, "real name (not shown as you type)")
    child.sendline(CANARY)  # type: ignore[attr-defined]
    child.expect(r"detail \(not shown\)")  # type: ignore[attr-defined]
    child.sendline("contact: canary-contact-77")  # type: ignore[attr-defined]
    child.expect(r"detail \(not shown\)")  # type: ignore[attr-defined]
    child.sendline("")  # type: ignore[attr-defined]
    child.expect("wrote records/people/")  # type: ignore[attr-defined]
    child.expect(pexpect.EOF)  # type: ignore[attr-defined]
    assert "Canarybekov" not in seen.getvalue() and "canary-contact-77" not in seen.getvalue()
    written = next((ledger_dir.root / "records" / "people").glob("aigul-a*.yaml")).read_text()
    assert "BEGIN AGE ENCRYPTED FILE" in written and "Canarybekov" not in written


@pytest.mark.parametrize("at", ["real name (not shown as you type)", "roles", "Write records"])
def test_ctrl_c_at_any_question_leaves_nothing(team: tuple[LedgerDir, dict[str, str]], at: str) -> None:
    ledger_dir, env = team
    before = files(ledger_dir.root)
    child, seen = spawn(ledger_dir.root, env, "--interactive", "--set", "pseudonym=Aigul A.")
    _answer_until(child, at)
    child.sendintr()  # type: ignore[attr-defined]
    child.expect("interrupted; nothing was written")  # type: ignore[attr-defined]
    child.expect(pexpect.EOF)  # type: ignore[attr-defined]
    child.close()  # type: ignore[attr-defined]
    assert child.exitstatus == 130 and files(ledger_dir.root) == before  # type: ignore[attr-defined]
    assert "Traceback" not in seen.getvalue()
