"""`ledger init`: a new ledger that passes `ledger check` at once, in a git repository, and never a file
overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LEDGER_EXE = str(Path(sys.executable).with_name("ledger"))


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEDGER_EXE, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120,
                          stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})


def test_a_new_ledger_passes_check_at_once(tmp_path: Path) -> None:
    done = run(tmp_path, "init", "field-notes", "--title", "January 2022: Kazakhstan")
    assert done.returncode == 0, done.stderr
    root = tmp_path / "field-notes"
    assert done.stdout.startswith(f"made a ledger in {root}: a git repository, .gitignore, .pre-commit-config.yaml, "
                                  "ledger.yaml, records/, schemas/")
    assert "cd field-notes && ledger check" in done.stdout
    assert (root / ".git").is_dir() and (root / "records").is_dir()
    assert (root / "schemas" / "claim.schema.json").is_file()
    assert ".ledger/" in (root / ".gitignore").read_text()
    assert "id: ledger-check" in (root / ".pre-commit-config.yaml").read_text()
    check = run(root, "check")
    assert check.returncode == 0 and "no findings" in check.stdout, check.stdout + check.stderr
    assert run(root, "schema", "--check").returncode == 0
    import yaml

    assert yaml.safe_load((root / "ledger.yaml").read_text())["title"] == "January 2022: Kazakhstan"
    # the first records, straight away
    assert run(root, "add", "org", "--set", "name=Prosecutor General's Office", "--set", "type=prosecutor",
               "--set", "id=pgo").returncode == 0
    assert run(root, "check").returncode == 0
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True,
                            check=True).stdout
    assert ".ledger" not in status and "ledger.yaml" in status


def test_init_never_overwrites(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".git" not in p.parts}
    again = run(tmp_path, "init", "--title", "Other")
    assert again.returncode == 2 and again.stderr.startswith("ledger init: ") and "ledger already" in again.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".git" not in p.parts} == before
    other = tmp_path / "other"
    other.mkdir()
    (other / ".gitignore").write_text("mine\n")
    done = run(other, "init")
    assert done.returncode == 2 and ".gitignore already in" in done.stderr
    assert (other / ".gitignore").read_text() == "mine\n" and not (other / "ledger.yaml").exists()


def test_init_inside_a_repository_makes_no_second_one(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = run(tmp_path, "init", "ledgers/kz")
    assert done.returncode == 0 and "a git repository" not in done.stdout
    assert not (tmp_path / "ledgers" / "kz" / ".git").exists()
