"""`ledger add --from` a file of several records (`---`, or a JSON array): each checked against the ledger and
the ones before it, then all written or none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import LedgerDir, findings_of

LEDGER_EXE = str(Path(sys.executable).with_name("ledger"))


def add(root: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEDGER_EXE, "add", *args, "--from", "-", "--ledger", str(root)], input=stdin,
                          capture_output=True, text=True, check=False, timeout=60, env={**os.environ, "NO_COLOR": "1"})


def records(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "records").rglob("*.yaml")}


STATEMENTS = """\
kind: statement
issuer: pgo
date: 2012-01-25
summary: The office gave the toll.
---
kind: statement
issuer: pgo
date: 2012-02-10
summary: The office revised the toll.
"""


def test_a_batch_of_statements(ledger_dir: LedgerDir) -> None:
    done = add(ledger_dir.root, "statement", stdin=STATEMENTS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("wrote records/statements/") == 2
    assert {"records/statements/2012-01-25-pgo.yaml", "records/statements/2012-02-10-pgo.yaml"} <= records(
        ledger_dir.root)
    assert findings_of(ledger_dir.root) == []


def test_a_json_array_and_references_between_the_records(ledger_dir: LedgerDir) -> None:
    assert add(ledger_dir.root, "statement", "--set", "id=s-1", stdin=STATEMENTS.split("---")[0]).returncode == 0
    claims = [{"id": "c-a", "source": "s-1", "measure": "killed", "value": 10,
               "scope": {"place": "zhanaozen", "period": "2011-12-16"}},
              {"id": "c-b", "source": "s-1", "measure": "killed", "value": 4,
               "scope": {"place": "zhanaozen", "period": "2011-12-16"}},
              {"id": "c-total", "source": "s-1", "measure": "killed", "value": 14, "sum_of": ["c-a", "c-b"],
               "scope": {"place": "zhanaozen", "period": "2011-12-16"}}]
    done = add(ledger_dir.root, "claim", stdin=json.dumps(claims))
    assert done.returncode == 0, done.stderr
    assert {"records/claims/c-a.yaml", "records/claims/c-b.yaml", "records/claims/c-total.yaml"} <= records(
        ledger_dir.root)
    assert findings_of(ledger_dir.root) == []


def test_one_bad_record_and_nothing_is_written(ledger_dir: LedgerDir) -> None:
    before = records(ledger_dir.root)
    bad = STATEMENTS + "---\nkind: statement\nissuer: no-such-org\ndate: 2012-02-11\nsummary: S.\n"
    done = add(ledger_dir.root, "statement", stdin=bad)
    assert done.returncode == 1 and "record 3: `issuer` names `no-such-org`" in done.stderr
    assert "nothing was written" in done.stderr and records(ledger_dir.root) == before
    twice = "kind: org\nid: same\nname: One\n---\nkind: org\nid: same\nname: Two\n"
    done = add(ledger_dir.root, "org", stdin=twice)
    assert done.returncode == 1 and "record 2:" in done.stderr and records(ledger_dir.root) == before
    missing = "kind: org\nid: fine\nname: Fine\n---\nkind: org\nid: nameless\n"
    done = add(ledger_dir.root, "org", stdin=missing)
    assert done.returncode == 1 and "record 2: missing required field `name`" in done.stderr
    assert records(ledger_dir.root) == before


def test_a_dry_run_writes_none(ledger_dir: LedgerDir) -> None:
    before = records(ledger_dir.root)
    done = add(ledger_dir.root, "statement", "--dry-run", stdin=STATEMENTS)
    assert done.returncode == 0 and done.stdout.count("kind: statement") == 2 and records(ledger_dir.root) == before
