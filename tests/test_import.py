"""`ledger import FILE.csv`: spreadsheets in, each row checked as `ledger add` checks a record, all or none; and
the round trip with `ledger export`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.cli import app
from ledger.kinds import KINDS

LEDGER = [sys.executable, "-m", "ledger"]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith((".ledger/", ".git/"))}


def invoke(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--ledger", str(root)], catch_exceptions=False)
    return result.exit_code, result.output


def new_ledger(tmp_path: Path, runner: CliRunner, config: Path = REPO / "ledger.yaml") -> Path:
    """`ledger init`, with the vocabularies of `config`."""
    root = tmp_path / "new"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "ledger.yaml").write_bytes(config.read_bytes())
    return root


def test_an_export_of_every_kind_imports_into_an_empty_ledger_and_exports_the_same(
        shipped: LedgerDir, tmp_path: Path, runner: CliRunner) -> None:
    sheets = []
    for kind in KINDS:
        out = tmp_path / f"{kind}.csv"
        code, said = invoke(runner, shipped.root, "export", kind, "--out", str(out))
        assert code == 0, said
        sheets.append(out)
    root = new_ledger(tmp_path, runner)
    # all seven files at once: a statement withdraws a claim, and the claim's source is a statement
    code, said = invoke(runner, root, "import", *map(str, sheets))
    assert code == 0, said
    assert said.splitlines()[0] == ("imported 39 people, 26 orgs, 25 events, 17 testimonies, 9 statements, "
                                    "8 documents, 41 claims into records/claims/, records/documents/, "
                                    "records/events/, records/orgs/, records/people/, records/statements/, "
                                    "records/testimonies/")
    assert said.splitlines()[1].startswith("ignored the columns `ledger export` computes: file, interval.low, ")
    code, said = invoke(runner, root, "check")
    assert (code, said.splitlines()[-1]) == (0, "✓ 165 records in 165 files: no findings")
    for kind, sheet in zip(KINDS, sheets):
        again = tmp_path / f"again-{kind}.csv"
        assert invoke(runner, root, "export", kind, "--out", str(again))[0] == 0
        assert again.read_bytes() == sheet.read_bytes(), kind
    # the letter's figures read the same
    assert invoke(runner, root, "diff-figures", "--format", "markdown") == \
        invoke(runner, shipped.root, "diff-figures", "--format", "markdown")


def test_a_list_of_detainees_without_ids(ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner) -> None:
    names = [f"Detainee {n} Uly" for n in range(700)] + ["Aibek Serikov", "Aibek Serikov"]
    sheet = tmp_path / "detainees.csv"
    with open(sheet, "w", encoding="utf-8-sig", newline="") as handle:  # as a spreadsheet saves it: with a BOM
        writer = csv.writer(handle)
        writer.writerow(["name", "roles", "roles", "affiliation", "notes"])
        for name in names:
            writer.writerow([name, "detainee", "worker", "hrw", "On the list posted at the akimat."])
        writer.writerow(["", "", "", "", ""])  # the blank row a spreadsheet leaves
    code, said = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "person")
    assert (code, said) == (0, "imported 702 people into records/people/\n")
    people = ledger_dir.root / "records" / "people"
    assert (people / "aibek-serikov.yaml").is_file() and (people / "aibek-serikov-2.yaml").is_file()
    assert (people / "detainee-699-uly.yaml").read_text(encoding="utf-8") == textwrap.dedent("""\
        # yaml-language-server: $schema=../../schemas/person.schema.json
        kind: person
        id: detainee-699-uly
        name: Detainee 699 Uly
        roles:
          - detainee
          - worker
        affiliation: hrw
        notes: On the list posted at the akimat.
        """)
    code, said = invoke(runner, ledger_dir.root, "check")
    assert code == 0, said


def test_nested_fields_lists_json_cells_and_references_among_the_rows(ledger_dir: LedgerDir, tmp_path: Path,
                                                                      runner: CliRunner) -> None:
    sheet = tmp_path / "claims.csv"
    period = "zhanaozen,2011-12-16..2011-12-17"
    sheet.write_text(textwrap.dedent(f"""\
        id,source,measure,value,scope.place,scope.period,scope.population,sum_of,quote,tags
        c-a,pgo-2012-01-25,detained,40,{period},,,,
        c-b,pgo-2012-01-25,detained,"{{""min"": 30}}",{period},civilians,,,
        c-total,pgo-2012-01-25,detained,">= 70",{period},,c-a; c-b,'=70 in all,"[""lists"", ""totals""]"
        """), encoding="utf-8")
    code, said = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "claim")
    assert code == 0, said
    total = (ledger_dir.root / "records/claims/c-total.yaml").read_text(encoding="utf-8")
    assert "sum_of:\n  - c-a\n  - c-b\n" in total and "quote: =70 in all\n" in total
    assert "tags:\n  - lists\n  - totals\n" in total  # a list written as JSON
    assert "value:\n  min: 30\n" in (ledger_dir.root / "records/claims/c-b.yaml").read_text(encoding="utf-8")
    assert invoke(runner, ledger_dir.root, "check")[0] == 0
    # exported, the cells read back as they were given
    code, out = invoke(runner, ledger_dir.root, "export", "claim")
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["id"] == "c-total")
    assert (row["sum_of"], row["quote"], row["tags"]) == ("c-a; c-b", "'=70 in all", "lists; totals")
    # an item that holds `;` is written as JSON, and read back as one item
    ledger_dir.record("orgs/akimat.yaml", "kind: org\nid: akimat\nname: Akimat\naliases: [City hall; mayor's office, "
                                          "Akimat of Zhanaozen]\n")
    code, out = invoke(runner, ledger_dir.root, "export", "org")
    row = next(r for r in csv.DictReader(io.StringIO(out)) if r["id"] == "akimat")
    assert row["aliases"] == '["City hall; mayor\'s office", "Akimat of Zhanaozen"]'
    sheet = tmp_path / "orgs.csv"
    sheet.write_text(out.replace("akimat", "akimat-2").replace("records/orgs/akimat-2.yaml", ""), encoding="utf-8")
    subset = [line for line in out.splitlines() if "akimat" in line or line.startswith("kind,")]
    sheet.write_text("\n".join(subset).replace(",akimat,", ",akimat-2,") + "\n", encoding="utf-8")
    assert invoke(runner, ledger_dir.root, "import", str(sheet))[0] == 0
    assert "aliases:\n  - City hall; mayor's office\n  - Akimat of Zhanaozen\n" in (
        ledger_dir.root / "records/orgs/akimat-2.yaml").read_text(encoding="utf-8")


# the typos and traps of spreadsheets, each with the finding it gets: (header, row, lines of output)
PROBLEMS = [
    ("name,nmae\nA,B\n", ["1:2: error[unknown-field]: this column is no field of a person; did you mean `name`?"]),
    ("name,scope.place\nA,B\n", ["1:2: error[unknown-field]: `scope.place` is no field of a person; the columns are "
                                   "the fields: affiliation, aliases, born, died, id, kind, name, notes, protected, "
                                   "pseudonym, roles, summary, tags, title"]),
    ("name,roles,\nA,witness,,,x\n", ["2:5: error[unknown-field]: a cell beyond the last named column: name its "
                                      "column in the header row"]),
    ("name,roles\nA,witnes\n", ["2:2: error[invalid-value]: `roles[0]`: not an allowed value; expected 'witness', "
                                "'victim', 'detainee', 'official', 'police', 'journalist', 'activist', 'worker', "
                                "'medic' or 'relative'; did you mean `witness`?"]),
    ("name,protected\nA,maybe\n", ["2:2: error[invalid-value]: `protected` should be true or false"]),
    ("name,affiliation\nA,hrww\n", ["2:2: error[unknown-ref]: `affiliation` names `hrww`, but no record has that "
                                    "id; did you mean `hrw`?"]),
    ("name,affiliation\nA,shooting\n", ["2:2: error[wrong-kind-ref]: `affiliation` must name an org, but "
                                        "`shooting` is an event (records/events/shooting.yaml:1)"]),
    ("pseudonym,protected,name\nA.,true,Real Name\n",
     ["2:3: error[protected-name]: a protected person has no `name`: give a `pseudonym` only (the real name goes "
      "into the encrypted identity)"]),
    ("id,name\npgo,A\n", ["2:1: error[duplicate-id]: duplicate id `pgo`: already used by the org at "
                          "records/orgs/pgo.yaml:2; give one of them a new id"]),
    ("id,name\nx-1,A\nx-1,B\n", ["3:1: error[duplicate-id]: duplicate id `x-1`: already used by FILE:2; give one "
                                 "of them a new id"]),
    ("id,name\nX 1,A\n", ["2:1: error[invalid-value]: `id` must be a slug: 2 to 80 lowercase letters, digits and "
                          "hyphens, starting with a letter or digit"]),
    ("name,roles\nA,witness,extra\n", ["2:3: error[unknown-field]: a cell beyond the last named column: name its "
                                       "column in the header row"]),
    ("name,,roles\nA,x,witness\n", ["2:2: error[unknown-field]: a cell in a column without a name: name the column "
                                    "in the header row"]),
    ("name,name\nA,B\n", ["2:2: error[invalid-value]: `name` is given in two columns; a field that is not a list "
                          "takes one value"]),
    ("kind,name\nperson,A\norg,B\n", ["3:1: error[unknown-kind]: every row of this file is a person; put other kinds "
                                      "in a file of their own"]),
    ("roles\nwitness\n", ["2: error[missing-field]: a person needs a `name` or a `pseudonym`"]),
    ('name,summary\nA,"unclosed\n', ["2: error[csv-syntax]: the file cannot be read as CSV here (unexpected end of "
                                     "data): an unclosed quote, or a cell too long"]),
    ("", ["error[empty-file]: the file has no header row: its first row names the columns (`id`, `name`, "
          "`scope.place`...)"]),
]


@pytest.mark.parametrize(("text", "expected"), PROBLEMS)
def test_every_problem_is_a_finding_at_row_and_column_and_nothing_is_written(
        ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner, text: str, expected: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sheet = tmp_path / "people.csv"
    sheet.write_text(text, encoding="utf-8")
    before = tree(ledger_dir.root)
    code, said = invoke(runner, ledger_dir.root, "import", "people.csv", "--kind", "person")
    assert code == 1
    lines = said.splitlines()
    file = "people.csv"
    assert lines[:-1] == [f"{file}:{line}" if line[0].isdigit() else f"{file}: {line}"
                          for line in (e.replace("FILE", file) for e in expected)]
    assert lines[-1].startswith("✗ ") and lines[-1].endswith("; nothing was written")
    assert tree(ledger_dir.root) == before


def test_findings_as_json_and_github_annotations(ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sheet = tmp_path / "people.csv"
    sheet.write_text("name,protected\nA,maybe\n", encoding="utf-8")
    code, out = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "person", "--format", "json")
    assert code == 1
    assert json.loads(out) == [{"code": "invalid-value", "severity": "error", "message": "`protected` should be "
                                "true or false", "file": "people.csv", "line": 2, "column": 2}]
    code, out = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "person", "--format", "github")
    assert out.startswith("::error file=people.csv,line=2,col=2,title=ledger invalid-value::")


def test_one_bad_row_of_many_files_writes_none_and_a_dry_run_writes_nothing(
        ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name\n" + "".join(f"Person {n}\n" for n in range(300)), encoding="utf-8")
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("name,type\nAn office,government\nA union,onion\n", encoding="utf-8")
    before = tree(ledger_dir.root)
    code, said = invoke(runner, ledger_dir.root, "import", str(people), str(orgs), "--kind", "person")
    assert code == 1 and "orgs.csv:1:2: error[unknown-field]: `type` is no field of a person" in said
    code, said = invoke(runner, ledger_dir.root, "import", str(people))
    assert code == 1 and "error[unknown-kind]: the file has no `kind` column" in said
    sheets = []
    for kind, sheet in (("person", people), ("org", orgs)):
        given = tmp_path / f"k-{kind}.csv"
        lines = sheet.read_text().splitlines()
        given.write_text("\n".join([f"kind,{lines[0]}", *(f"{kind},{line}" for line in lines[1:])]) + "\n")
        sheets.append(str(given))
    code, said = invoke(runner, ledger_dir.root, "import", *sheets)
    assert code == 1 and said.splitlines()[0].endswith("k-org.csv:3:3: error[invalid-value]: `type`: not an allowed "
                                                       "value; expected 'government', 'prosecutor', 'police', "
                                                       "'court', 'ngo', 'media', 'company', 'hospital', 'party', "
                                                       "'union' or 'intergovernmental'; did you mean `union`?")
    assert tree(ledger_dir.root) == before
    assert not (ledger_dir.root / ".ledger" / "journal").exists()
    orgs.write_text("name,type\nAn office,government\nA union,union\n", encoding="utf-8")
    sheets[1] = str(tmp_path / "k-org.csv")
    Path(sheets[1]).write_text("kind,name,type\norg,An office,government\norg,A union,union\n")
    code, said = invoke(runner, ledger_dir.root, "import", *sheets, "--dry-run")
    assert (code, said) == (0, "would import 300 people, 2 orgs into records/orgs/, records/people/ (dry run: "
                               "nothing was written)\n")
    assert tree(ledger_dir.root) == before
    assert invoke(runner, ledger_dir.root, "import", *sheets)[0] == 0
    assert len(tree(ledger_dir.root)) == len(before) + 302


def test_an_import_killed_midway_is_all_or_none(ledger_dir: LedgerDir, tmp_path: Path) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text("name\n" + "".join(f"Person {n}\n" for n in range(40)), encoding="utf-8")
    killer = textwrap.dedent("""\
        import os, sys
        real, calls = os.link, [0]
        def link(*args, **kwargs):
            calls[0] += 1
            if calls[0] == 20:
                os._exit(137)
            return real(*args, **kwargs)
        os.link = link
        sys.argv = ["ledger", *sys.argv[1:]]
        from ledger.cli import main
        main()
        """)
    env = {**os.environ, "NO_COLOR": "1"}
    killed = subprocess.run([sys.executable, "-c", killer, "import", str(sheet), "--kind", "person", "--ledger",
                             str(ledger_dir.root)], env=env, capture_output=True, text=True, cwd=REPO)
    assert killed.returncode == 137
    people = ledger_dir.root / "records" / "people"
    assert 19 <= len([p for p in people.iterdir() if p.name.startswith("person-")]) < 40  # half done, for now
    check = subprocess.run([*LEDGER, "check", "--ledger", str(ledger_dir.root)], env=env, capture_output=True,
                           text=True, cwd=REPO)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stderr.startswith("ledger: completed the interrupted `ledger import ")
    assert len([p for p in people.iterdir() if p.name.startswith("person-")]) == 40


# --- the fast writer: byte for byte what `ledger add` writes -----------------------------------------------------

_PIECES = [*"ab zé–Гж.,;:'\"#-[]{}&*!|>%@`?0123456789\t\\\n\x85\ufeff", "yes", "null", "2011-12-16",
           "1_000", " #", ": ", "word ", "longer words ", "'", "''", "  "]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)
_SCALAR = st.one_of(_TEXT, st.integers(-5, 10 ** 6), st.booleans())


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["kind", "id", "name", "summary", "value", "notes"]), st.one_of(
    _SCALAR, st.lists(_TEXT, max_size=3), st.dictionaries(st.sampled_from(["place", "period"]), _SCALAR, max_size=2),
    st.lists(st.dictionaries(st.sampled_from(["text", "lang"]), _SCALAR, max_size=2), max_size=2))))
def test_the_fast_writer_writes_what_ruamel_writes_or_nothing(data: dict[str, object]) -> None:
    from ledger.emit import dump_data, fast_dump
    from ledger.yamledit import same_data
    from ledger.yamlio import fast_parse, parse_text

    fast = fast_dump(data)
    if fast is not None:
        assert fast == dump_data(data)
        # and both of ledger's readers read it as the data (it is not read back when imported)
        assert same_data(parse_text(fast, "x.yaml").documents[0].data, data)
        quick = fast_parse(fast.encode(), "x.yaml")
        assert quick is None or same_data(quick.documents[0].data, data)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(st.sampled_from(list("abcé-–.,'\u00a0\u2003")), min_size=1, max_size=20), min_size=1,
                max_size=30).map(" ".join), st.integers(5, 80))
def test_the_fast_wrap_is_textwrap(text: str, width: int) -> None:
    import textwrap as tw

    from ledger.emit import wrap

    assert wrap(text, width) == tw.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def test_a_file_without_a_header_row_repeats_none_of_its_data(ledger_dir: LedgerDir, tmp_path: Path,
                                                             runner: CliRunner) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text("Gaukhar,Zhakupova,Almaty\nTemir,Bekov,Aktau\n", encoding="utf-8")
    for form in ("text", "json", "github"):
        code, said = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "person", "--format", form)
        assert code == 1
        assert "Gaukhar" not in said and "Zhakupova" not in said and "Almaty" not in said
        assert "this column is no field of a person" in said


def test_spreadsheet_traps_that_must_not_crash_nor_be_refused(ledger_dir: LedgerDir, tmp_path: Path,
                                                                runner: CliRunner) -> None:
    orgs = tmp_path / "orgs.csv"
    # a cell larger than csv's default limit, before the kind is known; `&` and a line break in text
    orgs.write_text('kind,id,name,notes,aliases\norg,big,Big,' + "n" * 200_000 + ',\n'
                    'org,smith,Smith & Sons,"line one\nline two\n",{x}; y\n', encoding="utf-8")
    empty = tmp_path / "events.csv"
    empty.write_text("kind,id,title\n", encoding="utf-8")  # an export of a kind the ledger has none of
    code, said = invoke(runner, ledger_dir.root, "import", str(orgs), str(empty))
    assert code == 0, said
    smith = (ledger_dir.root / "records/orgs/smith.yaml").read_text(encoding="utf-8")
    assert "name: Smith & Sons\naliases:\n  - '{x}'\n  - y\nnotes: |\n  line one\n  line two\n" in smith
    # exported and imported again, text keeps its spaces, line ends, a first `'` and a first `{`
    ledger_dir.record("orgs/odd.yaml", "kind: org\nid: odd\nname: \" spaced \"\naliases: [\"'-dash\", \"=SUM(1)\"]\n"
                                       "summary: \"ends with a line\\n\"\n")
    out = tmp_path / "again.csv"
    assert invoke(runner, ledger_dir.root, "export", "org", "--out", str(out))[0] == 0
    new = new_ledger(tmp_path, runner, ledger_dir.root / "ledger.yaml")
    code, said = invoke(runner, new, "import", str(out))
    assert code == 0, said
    again = tmp_path / "again2.csv"
    assert invoke(runner, new, "export", "org", "--out", str(again))[0] == 0
    assert again.read_bytes() == out.read_bytes()
    odd = (new / "records/orgs/odd.yaml").read_text(encoding="utf-8")
    assert "name: ' spaced '" in odd and "'-dash" in odd and 'summary: "ends with a line\\n"' in odd


def test_a_byte_that_is_not_utf8_is_named_by_its_line(ledger_dir: LedgerDir, tmp_path: Path,
                                                      runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = b"".join(f"Person {n}\n".encode() for n in range(3000))
    (tmp_path / "people.csv").write_bytes(b"name\n" + rows + "Jos\u00e9\n".encode("latin-1") + b"Last\n")
    code, said = invoke(runner, ledger_dir.root, "import", "people.csv", "--kind", "person")
    assert code == 1
    assert said.splitlines()[0] == ("people.csv:3002: error[not-utf8]: the file is not UTF-8 text (line 3002): save "
                                    "it as CSV UTF-8")


def test_a_file_system_without_hard_links_gets_copies(ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def no_links(*args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    sheet = tmp_path / "people.csv"
    sheet.write_text("name\nAibek\nBota\n", encoding="utf-8")
    code, said = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "person")
    assert code == 0, said
    assert (ledger_dir.root / "records/people/bota.yaml").read_text(encoding="utf-8").endswith("name: Bota\n")


def test_an_import_that_fails_after_its_commit_point_is_completed_by_the_next_command(
        ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    real, calls = os.link, [0]

    def failing(source: object, target: object) -> None:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(errno.EIO, "Input/output error")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", failing)
    sheet = tmp_path / "people.csv"
    sheet.write_text("name\nA One\nB Two\nC Three\nD Four\n", encoding="utf-8")
    code, said = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "person")
    assert code == 2
    assert said == ("ledger import: cannot make every change: Input/output error; the change is committed "
                    "(.ledger/journal.json): the next ledger command completes it\n")
    monkeypatch.setattr(os, "link", real)
    code, said = invoke(runner, ledger_dir.root, "check")
    assert code == 0, said
    assert all((ledger_dir.root / f"records/people/{p}.yaml").is_file() for p in ("a-one", "b-two", "c-three",
                                                                                   "d-four"))


def test_a_journal_whose_staged_text_is_not_what_it_says_is_not_completed(ledger_dir: LedgerDir, tmp_path: Path,
                                                                          runner: CliRunner) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("kind: person\nid: x\nname: X\n")
    state = ledger_dir.root / ".ledger"
    (state / "journal").mkdir(parents=True)
    (state / "journal" / "000000").symlink_to(outside)
    (state / "journal" / "000001").write_text("kind: person\nid: y\nname: Y\n")
    (state / "journal.json").write_text(json.dumps({"what": "ledger mv a b", "changes": [
        {"path": "records/people/x.yaml", "staged": "000000", "before": None, "after": "0" * 64},
        {"path": "records/people/y.yaml", "staged": "000001", "before": None, "after": "0" * 64}]}))
    before = tree(ledger_dir.root)
    code, said = invoke(runner, ledger_dir.root, "check")
    assert code == 2
    assert "cannot be completed, as records/people/x.yaml, records/people/y.yaml changed since" in said
    assert tree(ledger_dir.root) == before


@pytest.mark.parametrize("value", [".5e3", "-.5e3", "1e3", "0x1F", "0o17", "+1", "a  b " * 900])
def test_text_a_reader_would_take_for_something_else_is_quoted_alike(value: str) -> None:
    from ledger.emit import dump_data, fast_dump
    from ledger.yamledit import same_data
    from ledger.yamlio import parse_text

    data = {"kind": "org", "name": value}
    slow = dump_data(data)
    assert same_data(parse_text(slow, "x.yaml").documents[0].data, data)
    fast = fast_dump(data)
    assert fast is None or fast == slow


def test_a_long_name_makes_an_id_of_whole_words(ledger_dir: LedgerDir, tmp_path: Path, runner: CliRunner) -> None:
    sheet = tmp_path / "orgs.csv"
    sheet.write_text("name,type\nProsecutor General's Office of Uzbekistan,prosecutor\n"
                     "Ministryofhealthofthe Republicofkazakhstanandmore,government\n", encoding="utf-8")
    code, said = invoke(runner, ledger_dir.root, "import", str(sheet), "--kind", "org")
    assert code == 0, said
    orgs = sorted(p.name for p in (ledger_dir.root / "records/orgs").iterdir())
    assert "prosecutor-general-s-office-of.yaml" in orgs  # not `...-of-uzbekista`
    assert "ministryofhealthofthe.yaml" in orgs
