"""`ledger add`: every kind, every way, ending in a ledger that passes `ledger check`; never a lost record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir, findings_of
from typer.testing import CliRunner

from ledger.cli import app

# One valid record of every kind, as --set flags, against the conftest ledger.
FLAGS: dict[str, list[str]] = {
    "person": ["name=Nurlybek Nurgaliev", "roles=victim", "roles=witness", "born=1985"],
    "org": ["name=Radio Azattyk", "type=media", "aliases=Radio Liberty"],
    "event": ["title=Shooting on the square", "period=2011-12-16", "place=zhanaozen"],
    "testimony": ["witness=gaukhar-g", "date=2011-12-29", "mode=telephone", "consent=anonymous",
                  "summary=She repeated her account.", "about=shooting", "allegations=lethal-force",
                  "quotes.text=He fell face forward.", "quotes.lang=en"],
    "statement": ["issuer=pgo", "date=2011-12-17", "medium=press-release", "summary=Police used weapons."],
    "document": ["type=media-report", "title=Interview with a wounded man", "author=hrw", "date=2011-12-20"],
    "claim": ["source=pgo-2012-01-25", "measure=killed", "value=14", "scope.place=zhanaozen",
              "scope.period=2011-12-16..2011-12-17"],
}


def as_data(kind: str) -> dict:
    from ledger.add import apply_assignment
    from ledger.models import MODELS

    data: dict = {}
    for item in FLAGS[kind]:
        apply_assignment(data, MODELS[kind], item)
    return data


def add(runner: CliRunner, ld: LedgerDir, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["add", *args, "--ledger", str(ld.root)], input=input)


def new_files(ld: LedgerDir, before: set[Path]) -> list[Path]:
    return sorted(set((ld.root / "records").rglob("*.yaml")) - before)


def snapshot(ld: LedgerDir) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in ld.root.rglob("*") if p.is_file() and ".ledger" not in p.parts}


@pytest.mark.parametrize("kind", list(FLAGS))
def test_add_by_flags_every_kind(ledger_dir: LedgerDir, runner: CliRunner, kind: str) -> None:
    before = set((ledger_dir.root / "records").rglob("*.yaml"))
    result = add(runner, ledger_dir, kind, *[f"--set={s}" for s in FLAGS[kind]])
    assert result.exit_code == 0, result.output
    [path] = new_files(ledger_dir, before)
    assert result.output.startswith(f"wrote {path.relative_to(ledger_dir.root).as_posix()}: {kind}")
    assert path.parent.name == {"person": "people", "org": "orgs", "event": "events", "testimony": "testimonies",
                                "statement": "statements", "document": "documents", "claim": "claims"}[kind]
    text = path.read_text()
    assert text.startswith(f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json\nkind: {kind}\nid: ")
    assert findings_of(ledger_dir.root) == []


@pytest.mark.parametrize("kind", list(FLAGS))
def test_add_from_yaml_file_and_json_stdin(ledger_dir: LedgerDir, runner: CliRunner, kind: str,
                                           tmp_path: Path) -> None:
    data = as_data(kind)
    draft = tmp_path / "draft.yaml"
    from ruamel.yaml import YAML

    with draft.open("w") as f:
        YAML().dump({"kind": kind, "id": f"{kind}-from-yaml", **data}, f)
    assert add(runner, ledger_dir, kind, "--from", str(draft)).exit_code == 0
    result = add(runner, ledger_dir, kind, "--from", "-", "--set", f"id={kind}-from-json",
                 input=json.dumps(data))
    assert result.exit_code == 0, result.output
    ids = {e.file.rsplit("/", 1)[-1] for e in __import__("ledger.load", fromlist=["x"]).load_ledger(
        ledger_dir.root)[0].entries}
    assert {f"{kind}-from-yaml.yaml", f"{kind}-from-json.yaml"} <= ids
    assert findings_of(ledger_dir.root) == []


FAKE_EDITOR = """\
import os, pathlib, sys
queue = sorted(pathlib.Path(os.environ["FAKE_EDITS"]).glob("*.txt"))
target = pathlib.Path(sys.argv[1])
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(target.read_text() + "\\n=====\\n")
target.write_text(queue[0].read_text())
queue[0].unlink()
"""


@pytest.fixture
def fake_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    script = tmp_path / "editor.py"
    script.write_text(FAKE_EDITOR)
    edits = tmp_path / "edits"
    edits.mkdir()
    log = tmp_path / "editor.log"
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("FAKE_EDITS", str(edits))
    monkeypatch.setenv("FAKE_LOG", str(log))

    def queue(*texts: str) -> Path:
        for i, text in enumerate(texts):
            (edits / f"{i:02}.txt").write_text(text)
        return log

    return queue


def _yaml(kind: str, data: dict) -> str:
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    YAML().dump({"kind": kind, **data}, out)
    return out.getvalue()


@pytest.mark.parametrize("kind", list(FLAGS))
def test_add_with_editor_every_kind(ledger_dir: LedgerDir, runner: CliRunner, fake_editor, kind: str) -> None:
    log = fake_editor(_yaml(kind, as_data(kind)))
    before = set((ledger_dir.root / "records").rglob("*.yaml"))
    result = add(runner, ledger_dir, kind, "--edit")
    assert result.exit_code == 0, result.output
    assert len(new_files(ledger_dir, before)) == 1
    template = log.read_text()
    assert f"kind: {kind}" in template and ("required)" in template or kind == "event")
    assert findings_of(ledger_dir.root) == []


def test_editor_reopens_with_errors_on_top_keeping_what_was_typed(ledger_dir: LedgerDir, runner: CliRunner,
                                                                  fake_editor) -> None:
    typo = "kind: statement\nissuer: pgoo\ndate: 2011-12-17\nsummary: Police used weapons.\n"
    log = fake_editor(typo, typo.replace("pgoo", "pgo"))
    result = add(runner, ledger_dir, "statement", "--edit")
    assert result.exit_code == 0, result.output
    second = log.read_text().split("=====")[1]
    assert second.lstrip().startswith("# ERROR: `issuer` names `pgoo`")
    assert "summary: Police used weapons." in second


def test_editor_left_empty_writes_nothing(ledger_dir: LedgerDir, runner: CliRunner, fake_editor) -> None:
    fake_editor("# nothing\n")
    before = snapshot(ledger_dir)
    result = add(runner, ledger_dir, "org", "--edit")
    assert result.exit_code == 2
    assert snapshot(ledger_dir) == before


TESTIMONY_ANSWERS = [
    "1",             # witness: the first choice (gaukhar-g)
    "28 December",   # a bad date: asked again
    "2011-12-29",
    "phone",         # not a mode: asked again
    "2",             # telephone
    "2",             # anonymous
    "She repeated her account.",
    "3", "", "", "", "", "", "", "", "", "",  # relation: relative; then skip the optional fields
    "",              # the suggested id
    "y",
]


def test_interactive_through_prompts(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    result = add(runner, ledger_dir, "testimony", "--interactive", input="\n".join(TESTIMONY_ANSWERS) + "\n")
    assert result.exit_code == 0, result.output
    assert "expected an ISO date" in result.output
    assert "should be 'in-person', 'telephone'" in result.output
    assert "1) gaukhar-g" in result.output
    path = ledger_dir.root / "records" / "testimonies" / "2011-12-29-gaukhar-g.yaml"
    assert "mode: telephone\nconsent: anonymous\nrelation: relative\n" in path.read_text()
    assert findings_of(ledger_dir.root) == []


def test_interactive_protected_person_never_asked_a_name(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    answers = ["Temir T.", "1,3", "", "", "", "", "", "", "", "", "y"]
    result = add(runner, ledger_dir, "person", "--protected", "--interactive", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "name" not in [line.split(":")[0].strip() for line in result.output.splitlines()]
    text = (ledger_dir.root / "records" / "people" / "temir-t.yaml").read_text()
    assert "pseudonym: Temir T.\nprotected: true\n" in text and "\nname:" not in text
    assert findings_of(ledger_dir.root) == []


def test_interactive_declined_writes_nothing(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    before = snapshot(ledger_dir)
    answers = ["Some Office", "", "", "", "", "", "", "n"]
    result = add(runner, ledger_dir, "org", "--interactive", input="\n".join(answers) + "\n")
    assert result.exit_code == 2
    assert snapshot(ledger_dir) == before


def test_protected_with_a_name_is_refused_without_echo(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    result = add(runner, ledger_dir, "person", "--protected", "--set", "name=Canary Realname",
                 "--set", "pseudonym=Temir T.")
    assert result.exit_code == 2
    assert "Canary" not in result.output and "no `name`" in result.output


def test_missing_fields_without_a_terminal(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    before = snapshot(ledger_dir)
    result = add(runner, ledger_dir, "claim", "--set", "source=pgo-2012-01-25")
    assert result.exit_code == 2
    for field in ("measure", "value", "scope.place", "scope.period"):
        assert f"missing required field `{field}`" in result.output
    assert snapshot(ledger_dir) == before


def test_unknown_witness_is_named_with_the_command_that_creates_it(ledger_dir: LedgerDir,
                                                                   runner: CliRunner) -> None:
    flags = [f"--set={s}" for s in FLAGS["testimony"] if not s.startswith("witness=")]
    result = add(runner, ledger_dir, "testimony", "--set", "witness=ulan-u", *flags)
    assert result.exit_code == 1
    assert "`witness` names `ulan-u`" in result.output and "ledger add person --set id=ulan-u" in result.output


def test_existing_id_is_refused_and_nothing_changes(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    before = snapshot(ledger_dir)
    result = add(runner, ledger_dir, "org", "--set", "id=pgo", "--set", "name=Another office")
    assert result.exit_code == 1 and "already the id of the org" in result.output
    assert snapshot(ledger_dir) == before


def test_dry_run_prints_and_writes_nothing(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    before = snapshot(ledger_dir)
    result = add(runner, ledger_dir, "org", "--set", "name=Amnesty International", "--dry-run")
    assert result.exit_code == 0 and "name: Amnesty International" in result.output
    assert snapshot(ledger_dir) == before


def test_generated_ids_are_unique(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    flags = [f"--set={s}" for s in FLAGS["claim"]]
    for _ in range(3):
        assert add(runner, ledger_dir, "claim", *flags).exit_code == 0
    names = sorted(p.name for p in (ledger_dir.root / "records" / "claims").glob("2012-01-25-killed*.yaml"))
    assert names == ["2012-01-25-killed-2.yaml", "2012-01-25-killed-3.yaml", "2012-01-25-killed.yaml"]


def test_a_failed_write_leaves_no_partial_file(ledger_dir: LedgerDir, runner: CliRunner,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    before = snapshot(ledger_dir)
    monkeypatch.setattr(os, "fsync", broken_fsync)
    result = add(runner, ledger_dir, "org", "--set", "name=Amnesty International")
    assert result.exit_code != 0
    monkeypatch.undo()
    assert snapshot(ledger_dir) == before
    assert not list((ledger_dir.root / "records" / "orgs").glob(".*"))  # no temp file left behind


def test_two_processes_at_once_lose_nothing(ledger_dir: LedgerDir) -> None:
    script = textwrap.dedent(f"""
        import sys
        from ledger.cli import main
        sys.argv = ["ledger", "add", "claim", "--ledger", {str(ledger_dir.root)!r},
                    *[f"--set={{s}}" for s in {FLAGS["claim"]!r}]]
        main()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, outputs
    written = sorted(p.name for p in (ledger_dir.root / "records" / "claims").glob("2012-01-25-killed*.yaml"))
    assert len(written) == 6 and len(set(written)) == 6
    assert findings_of(ledger_dir.root) == []


def test_interactive_in_a_real_terminal(ledger_dir: LedgerDir) -> None:
    pexpect = pytest.importorskip("pexpect")
    exe = Path(sys.executable).with_name("ledger")
    child = pexpect.spawn(str(exe), ["add", "org"], cwd=str(ledger_dir.root), encoding="utf-8", timeout=30,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    child.expect("name: ")
    child.sendline("Amnesty International")
    child.expect("aliases")
    child.sendline("")
    child.expect("type")
    child.expect("1\\) government")
    child.sendline("ngo")
    for _ in range(3):  # summary, tags, notes
        child.expect(": ")
        child.sendline("")
    child.expect(r"id \[amnesty-international\]")
    child.sendline("")
    child.expect(r"Write records/orgs/amnesty-international.yaml\?")
    child.sendline("y")
    child.expect("wrote records/orgs/amnesty-international.yaml: org Amnesty International")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert findings_of(ledger_dir.root) == []


def test_every_shipped_record_survives_a_round_trip_through_the_writer(tmp_path: Path) -> None:
    from ledger.emit import dump_record
    from ledger.load import load_ledger
    from ledger.validate import validate_record
    from ledger.yamlio import parse_text

    ledger, _ = load_ledger(REPO)
    for entry in ledger.entries:
        text = dump_record(entry.record, REPO / entry.file, REPO)
        [doc] = parse_text(text, entry.file).documents
        again, problems = validate_record(doc, entry.file)
        assert problems == [] and again == entry.record, entry.file


@pytest.mark.parametrize("text", ["a\nb", "a\nb\n", "a\r\nb", "x\u2028y " * 30, "a\n\n", "2011-02-30", "  lead",
                                  "end  \nx", "1984", "- x", "yes", "a: b", "#hash", "Ω " * 50])
def test_written_text_reads_back_the_same(text: str) -> None:
    from ledger.emit import dump_record
    from ledger.models import Org
    from ledger.validate import validate_record
    from ledger.yamlio import parse_text

    record = Org.model_validate({"kind": "org", "id": "o-1", "name": "N", "summary": text, "notes": text})
    written = dump_record(record, Path("/l/records/orgs/o-1.yaml"), Path("/l"))
    again, problems = validate_record(parse_text(written, "f").documents[0], "f")
    assert problems == [] and again == record


def test_editor_template_keeps_prefilled_values(ledger_dir: LedgerDir, runner: CliRunner, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving the template untouched writes the values it was filled with, multi-line text included."""
    draft = tmp_path / "d.yaml"
    draft.write_text("issuer: pgo\ndate: 2011-12-17\nsummary: |-\n  line one\n  line two\nmedium: speech\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c pass")  # an editor that changes nothing
    monkeypatch.delenv("VISUAL", raising=False)
    result = add(runner, ledger_dir, "statement", "--from", str(draft), "--edit")
    assert result.exit_code == 0, result.output
    text = (ledger_dir.root / "records" / "statements" / "2011-12-17-pgo.yaml").read_text()
    assert "medium: speech\nsummary: |-\n  line one\n  line two\n" in text


def test_written_files_have_the_usual_permissions(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    old = os.umask(0o022)
    try:
        assert add(runner, ledger_dir, "org", "--set", "name=Radio Azattyk").exit_code == 0
    finally:
        os.umask(old)
    path = ledger_dir.root / "records" / "orgs" / "radio-azattyk.yaml"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
