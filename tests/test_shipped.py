"""The shipped Zhanaozen ledger: it passes every check, holds the letter's evidence, and other tools read it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir, findings_of
from typer.testing import CliRunner

from ledger.cli import app
from ledger.kinds import PLURALS
from ledger.load import load_ledger
from ledger.models import Claim, Person

LEDGER, _ = load_ledger(REPO)
SPEC = REPO.parent / "shared" / "spec" / "record-format.md"


def test_shipped_ledger_passes_check(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check", "--ledger", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output


def test_shipped_schemas_are_current(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--check", "--ledger", str(REPO)])
    assert result.exit_code == 0, result.output


def _count(kind: str) -> int:
    return sum(1 for e in LEDGER.entries if e.record.kind == kind)


@pytest.mark.parametrize(("kind", "minimum"), [("testimony", 12), ("statement", 8), ("document", 4),
                                               ("claim", 25), ("person", 10), ("org", 5), ("event", 3)])
def test_the_letter_is_coded_in_full(kind: str, minimum: int) -> None:
    assert _count(kind) >= minimum


def test_pseudonymous_witnesses_are_protected() -> None:
    people = {e.record.pseudonym: e.record for e in LEDGER.entries if isinstance(e.record, Person)}
    for pseudonym in ("Gaukhar G.", "Temir T.", "Zhanna Zh.", "Ulan U."):
        person = people[pseudonym]
        assert person.protected and person.name is None


def _claims() -> list[Claim]:
    return [e.record for e in LEDGER.entries if isinstance(e.record, Claim)]


def _values(measure_prefix: str) -> set[str]:
    return {str(c.value) for c in _claims() if c.measure.startswith(measure_prefix)}


def test_the_letters_figures_are_claims() -> None:
    assert {"64", "75"} <= _values("gunshot-wounded")
    assert {"14"} <= _values("killed")
    assert {"99"} <= _values("hospital")
    assert {"70", "60", "130", ">700"} <= _values("detained")
    assert {"23", "11", "34"} <= _values("arrested")


def test_sums_are_coded_with_their_parts() -> None:
    claims = {c.id: c for c in _claims()}
    totals = {str(c.value): sorted(str(claims[p].value) for p in c.sum_of) for c in claims.values() if c.sum_of}
    assert totals["130"] == ["60", "70"]
    assert totals["34"] == ["11", "23"]
    analysts_total = next(c for c in claims.values() if str(c.value) == "130" and c.sum_of)
    assert analysts_total.quote is None  # the letter does not add them up: the ledger does


def test_shetpe_is_not_within_zhanaozen() -> None:
    assert LEDGER.config is not None
    places = LEDGER.config.places
    assert places["shetpe"].within != "zhanaozen" and places["zhanaozen"].within != "shetpe"


def test_every_record_file_has_the_modeline_of_its_kind() -> None:
    for entry in LEDGER.entries:
        first = (REPO / entry.file).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../../schemas/{entry.record.kind}.schema.json", entry.file
        assert entry.file.startswith(f"records/{PLURALS[entry.record.kind]}/")


def _check_jsonschema() -> str:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    assert Path(exe).exists(), "check-jsonschema is a test dependency"
    return exe


def test_check_jsonschema_accepts_the_shipped_records() -> None:
    exe = _check_jsonschema()
    files = sorted({entry.file for entry in LEDGER.entries})
    done = subprocess.run([exe, "--schemafile", "schemas/record.schema.json", *files], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for kind, plural in PLURALS.items():
        done = subprocess.run([exe, "--schemafile", f"schemas/{kind}.schema.json",
                               *[f for f in files if f.startswith(f"records/{plural}/")]],
                              cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([exe, "--schemafile", "schemas/ledger.schema.json", "ledger.yaml"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("bad", ["value: lots", "vaule: 3", "scope: {place: zhanaozen}", "id: Not_A_Slug"])
def test_check_jsonschema_rejects_what_ledger_rejects(tmp_path: Path, bad: str) -> None:
    key = bad.split(":")[0]
    good = {"kind": "claim", "id": "c-1", "source": "s-1", "measure": "killed", "value": "3",
            "scope": "{place: zhanaozen, period: 2011-12-16}"}
    lines = [f"{k}: {v}" for k, v in good.items() if k != key and not (key == "vaule" and k == "value")]
    (tmp_path / "c.yaml").write_text("\n".join([*lines, bad]) + "\n")
    done = subprocess.run([_check_jsonschema(), "--schemafile", str(REPO / "schemas" / "claim.schema.json"),
                           str(tmp_path / "c.yaml")], capture_output=True, text=True)
    assert done.returncode == 1


@pytest.mark.skipif(not SPEC.is_file(), reason="shared/spec is not beside the repo")
def test_the_format_pages_own_ledger_yaml_is_valid(ledger_dir: LedgerDir) -> None:
    block = re.search(r"## ledger.yaml\s+```yaml\n(.*?)```", SPEC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    ledger_dir.write("ledger.yaml", block.group(1))
    assert [f.code for f in findings_of(ledger_dir.root)] == []


def test_no_control_characters_in_any_shipped_text() -> None:
    def texts(value: object):  # type: ignore[no-untyped-def]
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from texts(v)
        elif isinstance(value, list):
            for v in value:
                yield from texts(v)

    for entry in LEDGER.entries:
        for text in texts(entry.doc.data):
            assert not [c for c in text if ord(c) < 32 and c != "\n"], entry.file
