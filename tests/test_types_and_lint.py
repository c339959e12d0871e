"""Types and lint are part of the tests: `mypy --strict` on the package and ruff on the package and the tests, as
pyproject.toml configures them, must both be clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    if found.exists():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        pytest.fail(f"{name} is not installed: `pip install -e '.[test]'` installs it")
    return on_path


def test_mypy_strict_is_clean() -> None:
    done = subprocess.run([_tool("mypy")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_is_clean() -> None:
    done = subprocess.run([_tool("ruff"), "check", "ledger", "tests"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
