"""`ledger export KIND`: rows a spreadsheet opens as they are, and nothing that may not be shown."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import LedgerDir

LEDGER_EXE = str(Path(sys.executable).with_name("ledger"))


def export(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEDGER_EXE, "export", *args, "--ledger", str(root)], capture_output=True, text=True,
                          check=False, timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})


def test_claims_with_what_diff_figures_resolves(shipped: LedgerDir) -> None:
    done = export(shipped.root, "claim")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 41
    pgo = next(r for r in rows if r["voice.id"] == "org:pgo" and r["value"] == "64")
    assert pgo["scope.place"] == "zhanaozen" and pgo["scope.period"] == "2011-12-16..2011-12-17"
    assert (pgo["interval.low"], pgo["interval.high"], pgo["voice.official"]) == ("64", "64", "true")
    assert pgo["source.date"] == "2012-01-25" and pgo["file"].startswith("records/claims/")
    unbounded = next(r for r in rows if r["value"] == ">700")
    assert unbounded["interval.low"] == "701" and unbounded["interval.high"] == ""


def test_nothing_that_may_not_be_shown(shipped: LedgerDir) -> None:
    shipped.record("testimonies/t-secret.yaml", "kind: testimony\nid: t-secret\nwitness: hospital-worker\n"
                   "date: 2011-12-30\nmode: in-person\nconsent: confidential\nsummary: S.\n"
                   "quotes:\n  - text: canary words of the witness\n")
    shipped.record("claims/c-secret.yaml", "kind: claim\nid: c-secret\nsource: t-secret\nmeasure: detained\n"
                   "value: 12\nscope: {place: zhanaozen, period: 2011-12-16}\nquote: canary count of the witness\n")
    everything = "".join(export(shipped.root, kind).stdout for kind in ("testimony", "claim", "person"))
    assert "c-secret" in everything and "t-secret" in everything  # counted
    assert "canary" not in everything  # never quoted, by the testimony nor by the claim that counts it
    secret = next(r for r in csv.DictReader(io.StringIO(export(shipped.root, "claim").stdout)) if r["id"] == "c-secret")
    assert secret["quote"] == "(withheld: the words of a confidential testimony)"  # quoted, so not the analyst's sum
    assert "identity" not in export(shipped.root, "person").stdout.splitlines()[0]
    assert "BEGIN AGE" not in everything


def test_formulas_are_text_and_a_bom_on_request(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("orgs/evil.yaml", "kind: org\nid: evil\nname: '=HYPERLINK(\"http://x\",\"y\")'\n"
                      "summary: '+1 and -2 and @3'\n")
    done = export(ledger_dir.root, "org")
    row = next(r for r in csv.DictReader(io.StringIO(done.stdout)) if r["id"] == "evil")
    assert row["name"].startswith("'=") and row["summary"].startswith("'+")
    assert export(ledger_dir.root, "org", "--bom").stdout.startswith("\ufeff")
    lines = export(ledger_dir.root, "org", "--format", "jsonl").stdout.splitlines()
    assert any(json.loads(line)["id"] == "evil" for line in lines)


def test_written_to_a_file_or_refused(ledger_dir: LedgerDir) -> None:
    out = ledger_dir.root / "orgs.csv"
    done = export(ledger_dir.root, "org", "--out", str(out))
    assert done.returncode == 0 and done.stdout.startswith(f"wrote {out}: 2 org records")
    assert out.read_text(encoding="utf-8").startswith("kind,id,")
    assert export(ledger_dir.root, "org", "--format", "xlsx").returncode == 2
