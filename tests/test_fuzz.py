"""A bounded fuzz test: shipped records, mutated as a careless hand or an attacker would, checked with and without
the cache, and cross-checked. Never an internal error, never an exception; the cache never changes a finding.

`LEDGER_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py` runs a longer campaign with fresh random examples.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "100"))
SHIPPED = ["ledger.yaml", *sorted(p.relative_to(REPO).as_posix() for p in (REPO / "records").rglob("*.yaml"))]

# what YAML and the record format give meaning to, and values that once broke something
TOKENS = [": ", "- ", "[", "]", "{", "}", ",", "\"", "'", "&a ", "*a", "!", "!!int ", "|", ">", "#", "\t", "? ",
          "---\n", "...\n", "%YAML 1.1\n", "~", "null", "\x00", "\x1b[2K", "\u202e", "\ufeff", "\\", "\n", "  ",
          "[claim]", "{a: 1}", "1" + "0" * 309, "-5", "\"4,578\"", ".inf", "2011-02-30", "2011-12-16..2011-12-01",
          "0x1F", "0o17", "1e3", "<<: *a", "kind: claim\n", "id: pgo\n", "sum_of: [" + "c-x, " * 50 + "c-y]",
          "[" * 40, "{a: " * 40, "- " * 40]

Mutation = tuple[str, int, int, str]


def mutations() -> st.SearchStrategy[list[Mutation]]:
    kind = st.sampled_from(["insert", "delete", "replace-line", "duplicate-line", "swap-lines", "indent"])
    return st.lists(st.tuples(kind, st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(TOKENS)),
                    min_size=1, max_size=3)


def mutate(text: str, steps: list[Mutation]) -> bytes:
    for kind, a, b, token in steps:
        lines = text.split("\n")
        i, j = a % max(len(lines), 1), b % max(len(lines), 1)
        if kind == "insert":
            at = a % (len(text) + 1)
            text = text[:at] + token + text[at:]
        elif kind == "delete":
            at = a % (len(text) + 1)
            text = text[:at] + text[at + b % 12:]
        elif kind == "replace-line":
            key = lines[i].split(":")[0] if ":" in lines[i] else lines[i]
            lines[i] = f"{key}: {token}"
            text = "\n".join(lines)
        elif kind == "duplicate-line":
            lines.insert(j, lines[i])
            text = "\n".join(lines)
        elif kind == "swap-lines":
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            lines[i] = " " * (b % 5) + lines[i]
            text = "\n".join(lines)
    return text.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def ledger_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "ledger"
    shutil.copytree(REPO / "records", root / "records")
    shutil.copy(REPO / "ledger.yaml", root / "ledger.yaml")
    return root


def _findings(root: Path, use_cache: bool) -> list[tuple[str, int, int, str, str]]:
    from ledger.checker import check

    result = check(root, use_cache=use_cache)
    return [(f.file, f.line, f.column, f.code, f.message) for f in result.findings]


@settings(max_examples=EXAMPLES, deadline=None, derandomize="LEDGER_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(SHIPPED), steps=mutations())
def test_mutated_records_give_findings_never_failures(ledger_copy: Path, name: str, steps: list[Mutation]) -> None:
    from ledger.crosscheck import crosscheck, select
    from ledger.diff_report import Vocab, render_json, render_markdown
    from ledger.display import markdown
    from ledger.load import load_ledger

    path = ledger_copy / name
    original = (REPO / name).read_bytes()
    path.write_bytes(original)
    _findings(ledger_copy, use_cache=True)  # the cache as it was before the edit
    path.write_bytes(mutate(original.decode("utf-8"), steps))
    try:
        cached = _findings(ledger_copy, use_cache=True)
        full = _findings(ledger_copy, use_cache=False)
        assert cached == full
        assert not [f for f in full if f[3] == "internal-error"], full
        loaded, _ = load_ledger(ledger_copy)
        report = crosscheck(loaded)
        found, breakdowns = select(report, loaded)
        render_json(found, breakdowns)
        render_markdown(report, found, breakdowns, Vocab(loaded.config, markdown), "t")
    finally:
        path.write_bytes(original)
