"""The additions to version 1 of the format (figures over time): a person's `title`, a statement's `on_behalf_of`,
`retracts` on statements and documents, a claim's `status`, dates of a month or a year, and figures with digits
grouped in threes. Each one valid and read back exactly, each one's errors, and the rule that a record cannot
withdraw a claim asserted after it, with the cache and without."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import LedgerDir, findings_of
from typer.testing import CliRunner

from ledger import checker
from ledger.cli import app
from ledger.emit import dump_record
from ledger.figures import When
from ledger.load import read_file
from ledger.models import MODELS, Record

VALID: dict[str, dict[str, Any]] = {
    "person with a title": {"kind": "person", "id": "daulbaev", "name": "Daulbaev", "roles": ["official"],
                            "affiliation": "pgo", "title": "Prosecutor General", "born": 1950, "died": "2022-06"},
    "statement on behalf of an org, retracting": {
        "kind": "statement", "id": "s-retraction", "issuer": "daulbaev", "on_behalf_of": "pgo", "date": "2012-02",
        "summary": "The figure of 70 was a technical error.", "retracts": ["c-detained-70"]},
    "document retracting, dated by its year": {
        "kind": "document", "id": "d-erratum", "type": "other", "title": "Erratum", "date": 2012,
        "retracts": ["c-detained-70", "c-detained-60"]},
    "claim with a status, a month and grouped digits": {
        "kind": "claim", "id": "c-grouped", "source": "pgo-2012-01-25", "measure": "detained", "value": "4,578",
        "scope": {"place": "zhanaozen", "period": "2011-12"}, "asserted": "2012-01", "status": "unverified"},
    "claim disputed, over months, grouped by spaces": {
        "kind": "claim", "id": "c-spaced", "source": "pgo-2012-01-25", "measure": "detained", "value": "~12 000",
        "scope": {"place": "zhanaozen", "period": "2011-12..2012-01"}, "status": "disputed"},
    "claim with a grouped bound and a year": {
        "kind": "claim", "id": "c-bound", "source": "letter", "measure": "detained",
        "value": {"min": "4\u00a0500", "max": 5000}, "scope": {"place": "zhanaozen", "period": 2011}},
    "event over a whole month": {"kind": "event", "id": "e-month", "title": "Detentions", "period": "2011-12",
                                 "place": "zhanaozen"},
    "testimony dated by its month": {"kind": "testimony", "id": "t-month", "witness": "gaukhar-g", "date": "2012-01",
                                     "mode": "written", "consent": "anonymous", "summary": "A letter."},
}


def _yaml(data: dict[str, Any]) -> str:
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    YAML().dump(data, out)
    return out.getvalue()


@pytest.mark.parametrize("name", list(VALID))
def test_each_addition_reads_back_exactly(ledger_dir: LedgerDir, name: str) -> None:
    data = VALID[name]
    record: Record = MODELS[data["kind"]].model_validate(data)
    path = ledger_dir.root / "records" / "new" / f"{record.id}.yaml"
    text = dump_record(record, path, ledger_dir.root)
    entries, _, found = read_file(text.encode(), "new.yaml")
    assert found == [] and [e.record for e in entries] == [record]
    # and as a researcher writes it, in a ledger that `ledger check` passes
    ledger_dir.record("people/daulbaev.yaml", _yaml(VALID["person with a title"]))
    if data["kind"] != "person":
        ledger_dir.record(f"new/{record.id}.yaml", _yaml(data))
    assert findings_of(ledger_dir.root) == []


def test_dates_are_written_back_as_they_were_given(ledger_dir: LedgerDir) -> None:
    claim = MODELS["claim"].model_validate(VALID["claim with a status, a month and grouped digits"])
    person = MODELS["person"].model_validate(VALID["person with a title"])
    assert claim.asserted == When.of_month(2012, 1) and str(claim.asserted) == "2012-01"
    text = dump_record(claim, ledger_dir.root / "records" / "c.yaml", ledger_dir.root)
    assert "value: 4,578\n" in text and "period: 2011-12\n" in text and "asserted: 2012-01\n" in text
    assert "status: unverified\n" in text
    text = dump_record(person, ledger_dir.root / "records" / "p.yaml", ledger_dir.root)
    assert "born: 1950\n" in text and "died: 2022-06\n" in text and "title: Prosecutor General\n" in text


def _claim(value: str, period: str = "2011-12-16", extra: str = "") -> str:
    return (f"kind: claim\nid: c-new\nsource: pgo-2012-01-25\nmeasure: killed\nvalue: {value}\n"
            f"scope: {{place: zhanaozen, period: {period}}}\n{extra}")


@pytest.mark.parametrize(("text", "field", "words"), [
    (_claim("45,78"), "`value`", ["groups digits in threes", "accepted forms", '"~60" (about)', "4,578"]),
    (_claim('"1,5"'), "`value`", ["groups digits in threes", "accepted forms"]),
    (_claim("4,5678"), "`value`", ["groups digits in threes"]),
    (_claim("3", "2022-13"), "`scope.period`", ["not in the calendar"]),
    (_claim("3", extra="asserted: 2022-13\n"), "`asserted`", ["out of range"]),
    (_claim("3", extra="status: confirmed\n"), "`status`", ["'unverified' or 'disputed'"]),
    ("kind: statement\nid: s-new\nissuer: pgo\ndate: 2022-00\nsummary: S.\n", "`date`", ["out of range"]),
    ("kind: person\nid: p-new\nname: A\nborn: 2022-13\n", "`born`", ["out of range"]),
    ("kind: person\nid: p-new\nname: A\ntitle: [Deputy]\n", "`title`", ["string"]),
    ("kind: statement\nid: s-new\nissuer: pgo\ndate: 2012-02-01\nsummary: S.\nretracts: c-detained-70\n",
     "`retracts`", ["list"]),
])
def test_errors_of_the_additions(ledger_dir: LedgerDir, text: str, field: str, words: list[str]) -> None:
    ledger_dir.record("z/bad.yaml", text)
    found = findings_of(ledger_dir.root)
    assert [f.code for f in found] == ["invalid-value"], found
    assert found[0].message.startswith(field), found[0].message
    for word in words:
        assert word in found[0].message


@pytest.mark.parametrize(("text", "code", "words"), [
    ("kind: statement\nid: s-new\nissuer: pgo\ndate: 2012-02-01\nsummary: S.\nretracts: [gaukhar-g]\n",
     "wrong-kind-ref", ["`retracts[0]` must name a claim", "`gaukhar-g` is a person"]),
    ("kind: document\nid: d-new\ntype: other\ntitle: T\nretracts: [c-detained-7]\n",
     "unknown-ref", ["`retracts[0]` names `c-detained-7`", "did you mean `c-detained-70`"]),
    ("kind: statement\nid: s-new\nissuer: gaukhar-g\non_behalf_of: gaukhar-g\ndate: 2012-02-01\nsummary: S.\n",
     "wrong-kind-ref", ["`on_behalf_of` must name an org"]),
])
def test_references_of_the_additions(ledger_dir: LedgerDir, text: str, code: str, words: list[str]) -> None:
    ledger_dir.record("z/bad.yaml", text)
    found = findings_of(ledger_dir.root)
    assert [f.code for f in found] == [code], found
    for word in words:
        assert word in found[0].message


# A record cannot withdraw a claim asserted after its own date ------------------------------------------------

RETRACTION = "kind: statement\nid: s-erratum\nissuer: pgo\ndate: {date}\nsummary: An erratum.\nretracts: [{ids}]\n"


def both(root: Path) -> list[tuple[str, int, int, str, str]]:
    """The findings with the cache (a first run, then a second that uses it) and without: the same, or fail."""
    def run(use_cache: bool) -> list[tuple[str, int, int, str, str]]:
        return [(f.file, f.line, f.column, f.code, f.message) for f in checker.check(root, use_cache).findings]

    cached, warm, full = run(True), run(True), run(False)
    assert cached == warm == full
    return full


def retraction_findings(root: Path) -> list[tuple[str, int, int, str, str]]:
    return [f for f in both(root) if f[3] == "retraction-before-claim"]


@pytest.mark.parametrize(("date", "found"), [
    ("2012-01-24", True),    # the day before the source's 2012-01-25
    ("2012-01-25", False),   # the same day
    ("2012-01", False),      # a month that holds the source's day: at about the same time
    ("2011-12", True),       # a month wholly before it
    ("2012", False),
    ("2011", True),
])
def test_a_retraction_dated_before_the_claims_source(ledger_dir: LedgerDir, date: str, found: bool) -> None:
    ledger_dir.record("statements/s-erratum.yaml", RETRACTION.format(date=date, ids="c-detained-60"))
    hits = retraction_findings(ledger_dir.root)
    assert bool(hits) == found, hits
    if found:
        [(file, line, column, _, message)] = hits
        assert (file, line, column) == ("records/statements/s-erratum.yaml", 6, 12)
        assert ("`retracts[0]` withdraws `c-detained-60`, asserted 2012-01-25 (the date of its source "
                f"`pgo-2012-01-25`), but this statement is dated {date}") in message


def test_a_retraction_dated_before_the_claims_own_asserted_date(ledger_dir: LedgerDir) -> None:
    ledger_dir.record("claims/c-late.yaml", "kind: claim\nid: c-late\nsource: letter\nmeasure: killed\nvalue: 3\n"
                      "scope: {place: zhanaozen, period: 2011-12-16}\nasserted: 2012-03\n")
    ledger_dir.record("documents/d-erratum.yaml", "kind: document\nid: d-erratum\ntype: other\ntitle: Erratum\n"
                      "date: 2012-02-10\nretracts: [c-detained-70, c-late]\n")
    [hit] = retraction_findings(ledger_dir.root)
    assert hit[:4] == ("records/documents/d-erratum.yaml", 6, 27, "retraction-before-claim")
    assert "`retracts[1]` withdraws `c-late`, asserted 2012-03 (asserted), but this document is dated 2012-02-10" \
        in hit[4]


def test_without_a_date_to_compare_there_is_nothing_to_say(ledger_dir: LedgerDir) -> None:
    # an undated document retracts; a claim whose source (a document) has no date is retracted
    ledger_dir.record("documents/d-erratum.yaml", "kind: document\nid: d-erratum\ntype: other\ntitle: Erratum\n"
                      "retracts: [c-detained-70]\n")
    ledger_dir.record("claims/c-undated.yaml", "kind: claim\nid: c-undated\nsource: letter\nmeasure: killed\n"
                      "value: 3\nscope: {place: zhanaozen, period: 2011-12-16}\n")
    ledger_dir.record("statements/s-erratum.yaml", RETRACTION.format(date="2000-01-01", ids="c-undated"))
    assert both(ledger_dir.root) == []


def test_retractions_after_edits_cached_equals_uncached(ledger_dir: LedgerDir) -> None:
    """A retraction, then the claim's own date edited, then its source's date: each edit is seen by a cached
    check, which says what a full one says."""
    ledger_dir.record("statements/s-erratum.yaml", RETRACTION.format(date="2012-02-01", ids="c-detained-60"))
    assert retraction_findings(ledger_dir.root) == []
    claim = ledger_dir.root / "records" / "claims" / "c-detained-60.yaml"
    original = claim.read_text()
    claim.write_text(original + "asserted: 2012-03-01\n")  # now asserted after the retraction
    assert len(retraction_findings(ledger_dir.root)) == 1
    claim.write_text(original)  # back to the source's date, 2012-01-25
    assert retraction_findings(ledger_dir.root) == []
    source = ledger_dir.root / "records" / "statements" / "pgo-2012-01-25.yaml"
    source.write_text(source.read_text().replace("date: 2012-01-25", "date: 2012-02-02"))
    assert len(retraction_findings(ledger_dir.root)) == 1
    source.write_text(source.read_text().replace("date: 2012-02-02", "date: 2012-02"))  # about the same time
    assert retraction_findings(ledger_dir.root) == []
    claim.write_text(original.replace("source: pgo-2012-01-25", "source: t-gaukhar"))  # another source, earlier
    assert retraction_findings(ledger_dir.root) == []
    retraction = ledger_dir.root / "records" / "statements" / "s-erratum.yaml"
    retraction.write_text(RETRACTION.format(date="2011-12-01", ids="c-detained-60"))  # the retraction's own date
    assert len(retraction_findings(ledger_dir.root)) == 1


# ledger add, diff-figures -------------------------------------------------------------------------------------

def add(runner: CliRunner, ld: LedgerDir, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["add", *args, "--ledger", str(ld.root)], input=input)


def test_add_the_new_fields_by_set(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    steps = [
        ("person", ["name=Daulbaev", "roles=official", "affiliation=pgo", "title=Deputy Prosecutor General",
                    "born=1950"], "people/daulbaev.yaml", ["title: Deputy Prosecutor General\n", "born: 1950\n"]),
        ("claim", ["id=c-grouped", "source=pgo-2012-01-25", "measure=detained", "value=4,578",
                   "scope.place=zhanaozen", "scope.period=2011-12", "asserted=2012-01", "status=disputed"],
         "claims/c-grouped.yaml", ["value: 4,578\n", "period: 2011-12\n", "asserted: 2012-01\n",
                                   "status: disputed\n"]),
        ("statement", ["issuer=daulbaev", "on_behalf_of=pgo", "date=2012-02", "summary=An erratum.",
                       "retracts=c-grouped", "retracts=c-detained-70"], "statements/2012-02-daulbaev.yaml",
         ["on_behalf_of: pgo\n", "date: 2012-02\n", "retracts:\n  - c-grouped\n  - c-detained-70\n"]),
    ]
    for kind, sets, file, lines in steps:
        result = add(runner, ledger_dir, kind, *[f"--set={s}" for s in sets])
        assert result.exit_code == 0, result.output
        text = (ledger_dir.root / "records" / file).read_text()
        for line in lines:
            assert line in text
    assert findings_of(ledger_dir.root) == []


def test_add_the_new_fields_from_a_file(ledger_dir: LedgerDir, runner: CliRunner, tmp_path: Path) -> None:
    for data in (VALID["person with a title"], VALID["claim with a grouped bound and a year"],
                 VALID["document retracting, dated by its year"]):
        draft = tmp_path / f"{data['id']}.yaml"
        draft.write_text(_yaml(data))
        result = add(runner, ledger_dir, data["kind"], "--from", str(draft))
        assert result.exit_code == 0, result.output
    assert findings_of(ledger_dir.root) == []
    claim = (ledger_dir.root / "records" / "claims" / "c-bound.yaml").read_text()
    assert "min: 4\u00a0500\n" in claim and "max: 5\u00a0000\n" in claim and "period: 2011\n" in claim


def test_add_refuses_a_retraction_before_its_claim(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    result = add(runner, ledger_dir, "statement", "--set=issuer=pgo", "--set=date=2011-12-20",
                 "--set=summary=An erratum.", "--set=retracts=c-detained-70")
    assert result.exit_code == 1 and "[retraction-before-claim]" in result.output


def test_a_value_in_braces_with_a_comma_is_explained(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    result = add(runner, ledger_dir, "claim", "--set=source=letter", "--set=measure=killed",
                 "--set=value={min: 4,500}", "--set=scope.place=zhanaozen", "--set=scope.period=2011-12-16")
    assert result.exit_code == 1 and 'quote a number with a comma' in result.output
    result = add(runner, ledger_dir, "claim", "--set=source=letter", "--set=measure=killed",
                 '--set=value={min: "4,500"}', "--set=scope.place=zhanaozen", "--set=scope.period=2011-12-16")
    assert result.exit_code == 0, result.output


def test_the_editor_template_offers_the_new_fields(ledger_dir: LedgerDir) -> None:
    from ledger.editor import problems_of, template
    from ledger.load import load_ledger

    ledger, _ = load_ledger(ledger_dir.root)
    statement = template(ledger, "statement", {})
    assert "# on_behalf_of: the org the issuer spoke for" in statement and "One of: hrw, pgo" in statement
    assert "# retracts: claims this record withdraws" in statement and "c-detained-130, c-detained-60" in statement
    assert "a month (2011-12) or a year (2011)" in statement
    claim = template(ledger, "claim", {"value": {"min": "4,500"}})
    assert "# status: unverified: not confirmed" in claim and "One of: unverified, disputed" in claim
    assert 'value: {min: "4,500"}' in claim
    person = template(ledger, "person", {})
    assert "# title: the office as a letter names it" in person
    assert "# title (required): a short title" in template(ledger, "document", {})
    filled = claim.replace("source:", "source: letter").replace("measure:", "measure: killed") \
        .replace("  place:", "  place: zhanaozen").replace("  period:", "  period: 2011-12")
    draft, problems = problems_of(ledger, "claim", filled)
    assert problems == [] and draft is not None and draft["value"] == {"min": "4,500"}


def test_diff_figures_reads_months_and_grouped_figures(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    ledger_dir.record("statements/s-month.yaml", "kind: statement\nid: s-month\nissuer: pgo\ndate: 2012-05\n"
                      "summary: S.\n")
    ledger_dir.record("claims/c-a.yaml", "kind: claim\nid: c-a\nsource: s-month\nmeasure: killed\nvalue: 1,200\n"
                      "scope: {place: zhanaozen, period: 2011-12}\n")
    ledger_dir.record("claims/c-b.yaml", "kind: claim\nid: c-b\nsource: t-gaukhar\nmeasure: killed\nvalue: 12\n"
                      "scope: {place: zhanaozen, period: 2011-12}\n")
    assert findings_of(ledger_dir.root) == []
    done = runner.invoke(app, ["diff-figures", "--format", "json", "--ledger", str(ledger_dir.root)])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["claims"]["c-a"]["asserted"] == "2012-05" and data["claims"]["c-a"]["value"] == "1,200"
    assert data["claims"]["c-a"]["scope"]["period"] == "2011-12"
    done = runner.invoke(app, ["diff-figures", "--format", "markdown", "--ledger", str(ledger_dir.root)])
    assert done.exit_code == 0, done.output
    assert "For December 2011, the Prosecutor General's Office gave 1,200 in May 2012 [1]." in done.output, done.output
    assert "December 2011" in done.output and "1,200" in done.output
