"""Every finding code, triggered by a small bad ledger, with its file, line and message."""

from __future__ import annotations

import hashlib
import random

import pytest
from conftest import LedgerDir, findings_of
from hypothesis import given, settings
from hypothesis import strategies as st


def only(ld: LedgerDir, code: str):  # type: ignore[no-untyped-def]
    found = findings_of(ld.root)
    assert [f.code for f in found] == [code], found
    return found[0]


def test_base_ledger_is_clean(ledger_dir: LedgerDir) -> None:
    assert findings_of(ledger_dir.root) == []


LARGE_CLAIM = ("kind: claim\nid: c-1\nsource: letter\nmeasure: killed\nvalue: {value}\n"
               "scope: {{place: zhanaozen, period: 2011-12-16}}\n")
BAD_RECORDS = [
    # (code, file content, line, column, words the message must contain)
    ("yaml-syntax", "kind: org\nid: x\nname: [unclosed\n", 4, 1, ["invalid YAML"]),
    ("yaml-duplicate-key", "kind: org\nid: dup-key\nname: A\nname: B\n", 4, 1, ["duplicate key `name`", "line 3"]),
    ("yaml-tag", "kind: org\nid: tagged\nname: !secret A\n", 3, 7, ["explicit tag", "plain YAML"]),
    ("yaml-key", "kind: org\nid: k\n? [a, b]\n: c\nname: A\n", 3, 3, ["mapping key"]),
    ("yaml-recursive-alias", "kind: org\nid: r\nname: &a [*a]\n", 3, 11, ["contains it"]),
    ("not-a-record", "- kind: org\n  id: x\n", 1, 1, ["mapping", "a list"]),
    ("unknown-kind", "kind: persn\nid: p\nname: A\n", 1, 7, ["did you mean `person`"]),
    ("unknown-kind", "id: p\nname: A\n", 1, 1, ["missing `kind`"]),
    ("missing-field", "kind: testimony\nid: t-1\nwitness: gaukhar-g\ndate: 2011-12-28\nmode: in-person\n"
     "consent: public\n", 1, 1, ["`summary`"]),
    ("missing-field", "kind: claim\nid: c-1\nsource: letter\nmeasure: killed\nvalue: 3\nscope:\n  place: zhanaozen\n",
     7, 3, ["`scope.period`"]),
    ("unknown-field", "kind: testimony\nid: t-1\nwitnes: gaukhar-g\nwitness: gaukhar-g\ndate: 2011-12-28\n"
     "mode: in-person\nconsent: public\nsummary: S.\n", 3, 1, ["`witnes`", "did you mean `witness`"]),
    ("unknown-field", "kind: org\nid: numeric-key\nname: A\n1: x\n", 4, 1, ["field name must be text"]),
    ("invalid-value", "kind: person\nid: p-born\nname: A\nborn: 3000\n", 4, 7, ["`born`", "year from 1000"]),
    ("invalid-value", "kind: claim\nid: c-1\nsource: letter\nmeasure: killed\nvalue: about 60\n"
     "scope: {place: zhanaozen, period: 2011-12-16}\n", 5, 8, ["`value`", "accepted forms", "~60"]),
    ("invalid-value", "kind: claim\nid: c-1\nsource: letter\nmeasure: killed\nvalue: 3\n"
     "scope: {place: zhanaozen, period: 2011-12-16..2011-12-01}\n", 6, 35, ["`scope.period`", "before it starts"]),
    # a count of more than 15 digits, in any form: past that, only an attack on the arithmetic (10**309 once
    # passed the check and overflowed a float in diff-figures)
    *[("invalid-value", LARGE_CLAIM.format(value=value), 5, 8, ["`value`", "no count of people"])
      for value in ("10000000000000000", "1" + "0" * 309, "{min: 1000000000000000}", "{max: 1" + "0" * 400 + "}")],
    ("invalid-value", "kind: testimony\nid: t-1\nwitness: gaukhar-g\ndate: 2011-12-28\nmode: phone\n"
     "consent: public\nsummary: S.\n", 5, 7, ["`mode`", "did you mean `telephone`"]),
    ("invalid-value", "kind: statement\nid: s-1\nissuer: pgo\ndate: 28 December\nsummary: S.\n", 4, 7,
     ["`date`", "ISO date"]),
    ("invalid-value", "kind: org\nid: Bad_Id\nname: A\n", 2, 5, ["`id`", "slug"]),
    ("invalid-value", "kind: person\nid: p2\nname: A\nprotected: yes\n", 4, 12, ["`protected`", "boolean"]),
    ("invalid-value", "kind: person\nid: p3\nname: A\npseudonym: B\n", 4, 1, ["not both"]),
    ("duplicate-id", "kind: org\nid: pgo\nname: Another office\n", 2, 5, ["duplicate id `pgo`",
                                                                           "records/orgs/pgo.yaml:2"]),
    ("unknown-ref", "kind: testimony\nid: t-1\nwitness: gaukhar\ndate: 2011-12-28\nmode: in-person\n"
     "consent: public\nsummary: S.\n", 3, 10, ["`gaukhar`", "did you mean `gaukhar-g`"]),
    ("wrong-kind-ref", "kind: claim\nid: c-1\nsource: pgo\nmeasure: killed\nvalue: 3\n"
     "scope: {place: zhanaozen, period: 2011-12-16}\n", 3, 9, ["testimony, a statement or a document",
                                                              "`pgo` is an org"]),
    ("wrong-kind-ref", "kind: testimony\nid: t-1\nwitness: hrw\ndate: 2011-12-28\nmode: in-person\n"
     "consent: public\nsummary: S.\n", 3, 10, ["must name a person"]),
    ("wrong-kind-ref", "kind: statement\nid: s-1\nissuer: shooting\ndate: 2011-12-28\nsummary: S.\n", 3, 9,
     ["an org or a person"]),
    ("unknown-measure", "kind: claim\nid: c-1\nsource: letter\nmeasure: kiled\nvalue: 3\n"
     "scope: {place: zhanaozen, period: 2011-12-16}\n", 4, 10, ["`kiled`", "did you mean `killed`"]),
    ("unknown-place", "kind: claim\nid: c-1\nsource: letter\nmeasure: killed\nvalue: 3\n"
     "scope: {place: aktau, period: 2011-12-16}\n", 6, 16, ["`scope.place`", "`aktau`"]),
    ("unknown-population", "kind: claim\nid: c-1\nsource: letter\nmeasure: killed\nvalue: 3\n"
     "scope: {place: zhanaozen, period: 2011-12-16, population: women}\n", 6, 59, ["`women`"]),
    ("unknown-allegation", "kind: testimony\nid: t-1\nwitness: gaukhar-g\ndate: 2011-12-28\nmode: in-person\n"
     "consent: public\nallegations: [beating, extortion]\nsummary: S.\n", 7, 24, ["allegations[1]", "`extortion`"]),
    ("protected-name", "kind: person\nid: temir-t\nname: Somebody Real\npseudonym: Temir T.\nprotected: true\n",
     3, 1, ["protected", "plaintext `name`"]),
    ("sum-cycle", "kind: claim\nid: c-loop\nsource: letter\nmeasure: killed\nvalue: 3\n"
     "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-loop]\n", 7, 9, ["c-loop -> c-loop"]),
]


@pytest.mark.parametrize(("code", "text", "line", "column", "words"), BAD_RECORDS,
                         ids=[f"{c}-{i}" for i, (c, *_) in enumerate(BAD_RECORDS)])
def test_each_bad_record_gets_its_finding(ledger_dir: LedgerDir, code: str, text: str, line: int, column: int,
                                          words: list[str]) -> None:
    ledger_dir.record("z/bad.yaml", text)
    found = [f for f in findings_of(ledger_dir.root) if f.code == code]
    assert len(found) == 1, findings_of(ledger_dir.root)
    f = found[0]
    assert (f.file, f.line, f.column) == ("records/z/bad.yaml", line, column)
    for word in words:
        assert word in f.message


def test_protected_name_is_never_echoed(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("people/temir-t.yaml", "kind: person\nid: temir-t\nname: Canary Realname\n"
                      "pseudonym: Temir T.\nprotected: true\naliases: [Canary]\n")
    found = findings_of(ledger_dir.root)
    assert [f.code for f in found] == ["protected-name"]
    assert "Canary" not in repr(found)


def test_sum_mismatch_points_at_the_value(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("claims/c-detained-130.yaml", """\
        kind: claim
        id: c-detained-130
        source: pgo-2012-01-25
        measure: detained
        value: 131
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        sum_of: [c-detained-70, c-detained-60]
        """)
    f = only(ledger_dir, "sum-mismatch")
    assert (f.file, f.line) == ("records/claims/c-detained-130.yaml", 5)
    assert "70 + 60 = 130" in f.message and "131" in f.message


def test_a_total_the_source_states_is_not_a_check_error(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("claims/c-detained-130.yaml", """\
        kind: claim
        id: c-detained-130
        source: pgo-2012-01-25
        measure: detained
        value: 131
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        quote: a total of 131 people were detained
        sum_of: [c-detained-70, c-detained-60]
        """)
    assert findings_of(ledger_dir.root) == []


def test_sum_with_open_bounds_uses_interval_arithmetic(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("claims/c-detained-60.yaml", """\
        kind: claim
        id: c-detained-60
        source: pgo-2012-01-25
        measure: detained
        value: ">=60"
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        """)
    assert findings_of(ledger_dir.root) == []  # 70 + [60, inf) = [130, inf) holds 130
    ledger_dir.record("claims/c-detained-60.yaml", """\
        kind: claim
        id: c-detained-60
        source: pgo-2012-01-25
        measure: detained
        value: ">60"
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        """)
    f = only(ledger_dir, "sum-mismatch")
    assert "at least 131" in f.message


def test_evidence_file_missing_changed_and_outside(ledger_dir: LedgerDir) -> None:
    data = b"scan of the list\n"
    ledger_dir.write("evidence/list.txt", data)
    good = hashlib.sha256(data).hexdigest()
    record = """\
        kind: document
        id: lists
        type: list
        title: Lists of detainees
        files:
          - path: {path}
            sha256: {sha}
        """
    ledger_dir.record("documents/lists.yaml", record.format(path="evidence/list.txt", sha=good))
    assert findings_of(ledger_dir.root) == []
    ledger_dir.record("documents/lists.yaml", record.format(path="evidence/list.txt", sha=good.upper()))
    assert findings_of(ledger_dir.root) == []
    ledger_dir.write("evidence/list.txt", b"a different file\n")
    f = only(ledger_dir, "hash-mismatch")
    assert (f.line, f.column) == (7, 13) and good in f.message
    ledger_dir.record("documents/lists.yaml", record.format(path="evidence/gone.txt", sha=good))
    f = only(ledger_dir, "missing-file")
    assert (f.line, f.column) == (6, 11) and "files[0].path" in f.message and "gone" not in f.message
    ledger_dir.record("documents/lists.yaml", record.format(path="../outside.txt", sha=good))
    assert only(ledger_dir, "bad-path").line == 6


@pytest.mark.parametrize(("raw", "code", "line", "column"), [
    (b"", "empty-file", 1, 1),
    (b"# only a comment\n", "empty-file", 1, 1),
    (b"---\n---\n", "empty-file", 1, 1),
    (b"kind: org\nid: bin\x00\n", "binary-file", 2, 8),
    (b"kind: org\nid: latin\nname: Caf\xe9\n", "not-utf8", 3, 10),
    (b"\xff\xfek\x00i\x00", "binary-file", 1, 4),
])
def test_unreadable_files(ledger_dir: LedgerDir, raw: bytes, code: str, line: int, column: int) -> None:
    ledger_dir.write("records/bad.yaml", raw)
    f = only(ledger_dir, code)
    assert (f.file, f.line, f.column) == ("records/bad.yaml", line, column)


def test_alias_bomb_is_refused_without_expanding(ledger_dir: LedgerDir) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    ledger_dir.record("bomb.yaml", "kind: org\nid: bomb\nname: B\n" + "\n".join(lines) + "\n")
    f = only(ledger_dir, "yaml-alias-bomb")
    assert f.file == "records/bomb.yaml" and f.line > 3


def test_a_bad_file_does_not_stop_the_others(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("a-broken.yaml", "kind: org\nid: [\n")
    ledger_dir.record("z-also-bad.yaml", "kind: org\nid: zz\nnme: Typo\n")
    codes = sorted(f.code for f in findings_of(ledger_dir.root))
    assert codes == ["missing-field", "unknown-field", "yaml-syntax"]


def test_multi_document_file_points_at_the_right_document(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("many.yaml", "kind: org\nid: one\nname: One\n---\nkind: org\nid: two\nname: Two\n---\n"
                      "kind: org\nid: three\nnam: Three\n")
    found = findings_of(ledger_dir.root)
    assert [(f.code, f.line) for f in found] == [("missing-field", 9), ("unknown-field", 11)]
    ledger_dir.record("many.yaml", "kind: org\nid: one\nname: One\n---\nkind: org\nid: two\nname: Two\n---\n")
    assert findings_of(ledger_dir.root) == []


def test_vocabulary_nesting(ledger_dir: LedgerDir) -> None:
    config = (ledger_dir.root / "ledger.yaml").read_text()
    ledger_dir.write("ledger.yaml", config.replace("within: wounded}", "within: wonded}"))
    f = only(ledger_dir, "vocab-unknown-parent")
    assert (f.file, f.line) == ("ledger.yaml", 6) and "did you mean `wounded`" in f.message
    looped = config.replace("wounded: {label: people injured}", "wounded: {label: people injured, within: "
                            "gunshot-wounded}")
    ledger_dir.write("ledger.yaml", looped)
    f = only(ledger_dir, "vocab-cycle")
    assert f.file == "ledger.yaml" and "wounded" in f.message


def test_ledger_yaml_errors_are_located(ledger_dir: LedgerDir) -> None:
    config = (ledger_dir.root / "ledger.yaml").read_text()
    ledger_dir.write("ledger.yaml", config.replace("approx: 0.1", "approx: 2"))
    f = only(ledger_dir, "invalid-value")
    assert (f.file, f.line) == ("ledger.yaml", 19) and "figures.approx" in f.message
    ledger_dir.write("ledger.yaml", config.replace("ledger: 1", "ledger: 2"))
    f = only(ledger_dir, "ledger-config")
    assert (f.file, f.line) == ("ledger.yaml", 1)
    ledger_dir.write("ledger.yaml", "# nothing yet\n")
    f = only(ledger_dir, "ledger-config")
    assert "needs at least `ledger: 1`" in f.message


def test_schemas_folder_drift(ledger_dir: LedgerDir) -> None:
    from ledger import schema

    schema.write(ledger_dir.root / "schemas")
    assert findings_of(ledger_dir.root) == []
    path = ledger_dir.root / "schemas" / "claim.schema.json"
    path.write_text(path.read_text().replace("figure", "number"))
    f = only(ledger_dir, "schema-stale")
    assert f.file == "schemas/claim.schema.json"


def test_hostile_values_get_findings_not_crashes(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("deep.yaml", "kind: org\nid: deep\nname: " + "[" * 5000 + "]" * 5000 + "\n")
    ledger_dir.record("big.yaml", "kind: claim\nid: big\nsource: letter\nmeasure: killed\nvalue: " + "9" * 6000
                      + "\nscope: {place: zhanaozen, period: 2011-12-16}\n")
    ledger_dir.record("nul.yaml", 'kind: document\nid: nul\ntype: other\ntitle: T\nfiles:\n  - path: "ev\\0x"\n'
                      "    sha256: " + "a" * 64 + "\n  - path: " + "x" * 5000 + "\n    sha256: " + "a" * 64 + "\n")
    found = [(f.file, f.line, f.code) for f in findings_of(ledger_dir.root)]
    assert found == [("records/big.yaml", 5, "invalid-value"), ("records/deep.yaml", 3, "yaml-too-deep"),
                     ("records/nul.yaml", 6, "bad-path"), ("records/nul.yaml", 8, "bad-path")]


def test_messages_never_repeat_a_records_text(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("t.yaml", "kind: testimony\nid: t-x\nwitness: gaukhar-g\ndate: 2011-12-28\nmode: in-person\n"
                      "consent: public\nrelation: brother of Canary Secretname\nsummary: S.\n"
                      "Canary Secretname: his real name\n")
    found = findings_of(ledger_dir.root)
    assert {f.code for f in found} == {"invalid-value", "unknown-field"}
    assert "Canary" not in repr(found) and "Secretname" not in repr(found)


def _cycles_as_before(entries: dict) -> list[list[str]]:  # type: ignore[type-arg]
    """The cycle search as it was (a walk, with a list of what it saw, from every entry): the reference."""
    cycles, reported = [], set()  # type: ignore[var-annotated]
    for name, entry in entries.items():
        seen = [name]
        current = entry.within
        while current in entries and current not in seen:
            seen.append(current)
            current = entries[current].within
        if current == name and name not in reported:
            reported.update(seen)
            cycles.append(seen)
    return cycles


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 14)), min_size=1, max_size=15), st.randoms(use_true_random=False))
def test_vocabulary_cycles_are_those_the_walk_from_every_entry_finds(parents: list[int | None],
                                                                    rnd: random.Random) -> None:
    from ledger.checks import _cycles
    from ledger.models import VocabEntry

    names = [f"v{i}" for i in range(len(parents))]
    rnd.shuffle(names)  # the order of ledger.yaml is not the order of the chain
    entries = {name: VocabEntry(label=name, within=None if p is None else f"v{p}") for name, p in
               zip(names, parents, strict=True)}
    assert _cycles(entries) == _cycles_as_before(entries)


def test_two_vocabulary_loops_each_reported_once_at_their_first_entry(ledger_dir: LedgerDir) -> None:
    config = (ledger_dir.root / "ledger.yaml").read_text().replace(
        "  detained: {label: people detained}\n",
        "  detained: {label: people detained, within: held}\n  held: {label: held, within: detained}\n"
        "  tail: {label: tail, within: held}\n  self: {label: self, within: self}\n")
    ledger_dir.write("ledger.yaml", config)
    found = [(f.code, f.line, f.message) for f in findings_of(ledger_dir.root)]
    assert found == [
        ("vocab-cycle", 7, "`measures` nesting loops: detained within held within detained; remove one `within`"),
        ("vocab-cycle", 10, "`measures` nesting loops: self within self; remove one `within`"),
    ]
