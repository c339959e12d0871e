"""The README is the user's manual: it must name every command and every finding code."""

from __future__ import annotations

import re

from conftest import REPO

from ledger.cli import app
from ledger.findings import CODES

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_finding_code_is_documented() -> None:
    documented = set(re.findall(r"`([a-z0-9-]+)`", README))
    assert sorted(set(CODES) - documented) == []


def test_every_command_is_documented() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        assert f"### `ledger {name}`" in README or f"`ledger {name}`" in README.split("## Commands")[1]
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            assert f"ledger {group.name} {command.name}" in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert command in README and command in ci
