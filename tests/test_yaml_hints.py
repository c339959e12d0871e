"""The YAML mistakes every new user makes, each with the message that says how to fix it: the key and the line,
and what to write instead; never the record's text."""

from __future__ import annotations

import pytest
from conftest import LedgerDir, findings_of

TYPOS = [
    # (name, record as typed, line, code, words the message must hold)
    ("colon in text", "kind: org\nid: typo-o\nname: Office: of the prosecutor\n", 3, "yaml-syntax",
     ["a `: ` inside `name` (line 3)", 'put the whole text in quotes: `name: "..."`']),
    ("colon in a summary", "kind: event\nid: typo-e\ntitle: Shooting\nperiod: 2011-12-16\nplace: zhanaozen\n"
     "summary: Police said: no shots were fired\n", 6, "yaml-syntax", ["`summary` (line 6)", "in quotes"]),
    ("comma in braces", "kind: org\nid: typo-o\nname: {label: police, National Guard}\n", 3, "invalid-value",
     ["`name`", "YAML read `{...}`", "put the text in quotes"]),
    ("tab", "kind: person\nid: typo-p\nname: A B\nroles:\n\t- witness\n", 5, "yaml-syntax",
     ["line 5 is indented with a tab", "spaces only"]),
    ("unclosed quote", "kind: org\nid: typo-o\nname: \"Office of the prosecutor\nsummary: x\n", 5, "yaml-syntax",
     ["the quote opened in `name` (line 3) is never closed"]),
    ("unclosed bracket", "kind: person\nid: typo-p\nname: A B\nroles: [witness, relative\n", 5, "yaml-syntax",
     ["the `[` opened in `roles` (line 4) is never closed: end it with `]`"]),
    ("list item under a value", "kind: person\nid: typo-p\nname: A B\nroles: witness\n- relative\n", 5, "yaml-syntax",
     ["a list item on line 5 under `roles` (line 4)", "`roles: [a, b]`"]),
    ("a year as a title", "kind: event\nid: typo-e\ntitle: 2011\nperiod: 2011-12-16\nplace: zhanaozen\n", 3,
     "invalid-value", ["`title`", "YAML read this as a number", "in quotes"]),
    ("true as a pseudonym", "kind: person\nid: typo-p\npseudonym: true\nprotected: true\n", 3, "invalid-value",
     ["`pseudonym`", "true/false, yes/no", "in quotes"]),
    ("a number as a name", "kind: org\nid: typo-o\nname: 1.5\n", 3, "invalid-value", ["YAML read this as a number"]),
    ("a key indented under a value", "kind: person\nid: typo-p\nname: A B\n  roles: [witness]\n", 4, "yaml-syntax",
     ["`roles` on line 4 is indented under `name` (line 3)", "line `roles` up"]),
    ("a dash starting text", "kind: org\nid: typo-o\nname: - the office\n", 3, "yaml-syntax",
     ["a `- ` after the key of `name` (line 3)", "in quotes"]),
]


@pytest.mark.parametrize(("name", "typed", "line", "code", "words"), TYPOS, ids=[t[0] for t in TYPOS])
def test_each_typo_gets_a_message_that_says_how_to_fix_it(ledger_dir: LedgerDir, name: str, typed: str, line: int,
                                                          code: str, words: list[str]) -> None:
    ledger_dir.record("typo.yaml", typed)
    found = [f for f in findings_of(ledger_dir.root) if f.file == "records/typo.yaml"]
    assert [(f.line, f.code) for f in found][:1] == [(line, code)], [f.message for f in found]
    for word in words:
        assert word in found[0].message, found[0].message
    for text in ("prosecutor", "Police said", "National Guard", "relative", "the office"):
        assert text not in found[0].message or text in " ".join(words)  # the record's own text is never echoed


def test_a_comma_inside_braces_in_ledger_yaml(ledger_dir: LedgerDir) -> None:
    config = (ledger_dir.root / "ledger.yaml").read_text()
    ledger_dir.write("ledger.yaml", config.replace("police: {label: police and security forces, within: all}",
                                                   "police: {label: police, National Guard, within: all}"))
    found = [f for f in findings_of(ledger_dir.root) if f.file == "ledger.yaml"]
    assert found and found[0].code == "unknown-field"
    assert 'Put text with commas in quotes: `{label: "police, National Guard"}`' in found[0].message
