"""Reading YAML: 1.2 meanings, positions, and every real YAML edge case giving a finding, never a crash."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir, findings_of

from ledger.yamlio import parse_bytes, parse_text

SUITE = REPO.parent / "shared" / "yaml-test-suite"
if not SUITE.is_dir():  # CI lays shared/ beside the clone
    SUITE = Path(__file__).resolve().parents[2] / "shared" / "yaml-test-suite"


@pytest.mark.parametrize(("text", "value"), [
    ("no", "no"), ("on", "on"), ("yes", "yes"), ("1:20", "1:20"), ("0777", 777), ("0o17", 15), ("0x1f", 31),
    ("true", True), ("False", False), ("~", None), ("null", None), ("1e3", 1000.0), ("-12", -12),
    ("2011-12-16", "2011-12-16"), ("'64'", "64"), ("!!str 12", "12"), ("!!int '12'", 12), (".inf", math.inf),
])
def test_yaml_12_core_schema(text: str, value: object) -> None:
    parsed = parse_text(f"v: {text}\n", "f.yaml")
    assert parsed.findings == []
    assert parsed.documents[0].data == {"v": value}


def test_block_scalars_read_as_their_text() -> None:
    data = parse_text("a: >-\n  one\n  two\n\n  three\nb: |\n  x\n  y\n", "f.yaml").documents[0].data
    assert data == {"a": "one two\nthree", "b": "x\ny\n"}


def test_positions_of_keys_and_values() -> None:
    doc = parse_text("kind: claim\nscope:\n  place: zhanaozen\nquotes:\n  - text: a\n", "f.yaml").documents[0]
    assert doc.locate(("scope", "place")) == (3, 10)
    assert doc.locate(("scope", "place"), key=True) == (3, 3)
    assert doc.locate(("quotes", 0, "text")) == (5, 11)
    assert doc.locate(("scope", "missing")) == (3, 3)  # the nearest parent


def test_duplicate_key_names_both_lines() -> None:
    parsed = parse_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    [f] = parsed.findings
    assert (f.code, f.line, f.column) == ("yaml-duplicate-key", 3, 1)
    assert "line 1" in f.message
    assert parsed.documents[0].data == {"a": 1, "b": 2}


def test_billion_laughs_is_refused_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    parsed = parse_text("\n".join(lines) + "\n", "bomb.yaml")
    assert [f.code for f in parsed.findings] == ["yaml-alias-bomb"]
    assert parsed.documents == []


def test_syntax_error_message_does_not_echo_the_file() -> None:
    parsed = parse_bytes(b"kind: person\nsummary: Secret Name said\n  - oops: [\n", "f.yaml")
    [f] = parsed.findings
    assert f.code == "yaml-syntax" and "Secret" not in f.message


CASES = sorted((SUITE / "cases").glob("*")) if SUITE.is_dir() else []


@pytest.mark.skipif(not CASES, reason="shared/yaml-test-suite is not beside the repo")
def test_every_yaml_test_suite_case_gets_a_finding(ledger_dir: LedgerDir) -> None:
    """All 406 cases at once, under records/, beside a valid ledger: one finding at least for each file."""
    assert len(CASES) == len(json.loads((SUITE / "cases.json").read_text())) == 406
    target = ledger_dir.root / "records" / "suite"
    target.mkdir()
    for case in CASES:
        shutil.copyfile(case, target / f"{case.stem}.yaml")
    found = findings_of(ledger_dir.root)
    by_file: dict[str, list[str]] = {}
    for f in found:
        by_file.setdefault(f.file, []).append(f.code)
        assert f.code != "internal-error", f
    missing = [c.stem for c in CASES if f"records/suite/{c.stem}.yaml" not in by_file]
    assert missing == []
    # the valid records beside them are still read and still clean
    assert not [f for f in found if not f.file.startswith("records/suite/")]


@pytest.mark.skipif(not CASES, reason="shared/yaml-test-suite is not beside the repo")
def test_yaml_test_suite_through_the_cli(ledger_dir: LedgerDir, runner) -> None:  # type: ignore[no-untyped-def]
    from ledger.cli import app

    target = ledger_dir.root / "records" / "suite"
    target.mkdir()
    for case in CASES:
        shutil.copyfile(case, target / f"{case.stem}.yaml")
    for fmt in ("text", "json", "github"):
        result = runner.invoke(app, ["check", "--ledger", str(ledger_dir.root), "--format", fmt])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_libyaml_places_every_key_and_value_where_the_precise_parser_does() -> None:
    """Positions of a valid file are taken from libyaml's nodes: they must be the precise parser's, to the column,
    on the shipped ledger and on every YAML test suite case both read alike (or libyaml must hand over)."""
    from ledger.yamlio import _libyaml_positions, fast_parse

    files = [*sorted((REPO / "records").rglob("*.yaml")), REPO / "ledger.yaml", *CASES]
    compared = 0
    for path in files:
        raw = path.read_bytes()
        if fast_parse(raw, path.name) is None:
            continue
        text = raw.decode("utf-8-sig")
        precise = parse_text(text, path.name)
        for doc in precise.documents:
            fast = _libyaml_positions(text, doc.index)
            if fast is not None:
                assert fast == (doc.positions, doc.key_positions), (path.name, doc.index)
                compared += 1
    assert compared >= 166
