"""`ledger mv OLD NEW`: an id renamed in the record, its file and every reference, each file's layout kept, all
files or none, even when the process is killed midway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import CONFIG, REPO, LedgerDir, ledger_at
from test_identity import CANARY, CANARY_BITS, files_holding, team  # noqa: F401 - the fixture
from typer.testing import CliRunner

from ledger.cli import app

LEDGER = [sys.executable, "-m", "ledger"]


def run(runner: CliRunner, root: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--ledger", str(root)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def tree(root: Path) -> dict[str, bytes]:
    """Every record file and ledger.yaml, by path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith((".ledger/", ".git/"))}


def references(root: Path) -> dict[str, list[str]]:
    """Every id each record names in a reference field, by the record's id."""
    from ledger.load import load_ledger
    from ledger.rename import references_to

    ledger, findings = load_ledger(root)
    assert findings == []
    every = {entry.record.id for entry in ledger.entries}
    return {entry.record.id: sorted(named for named, _ in references_to(entry.record, every))
            for entry in ledger.entries}


def test_the_shipped_ledger_renames_an_office_everywhere_and_says_the_same(shipped: LedgerDir,
                                                                           runner: CliRunner) -> None:
    root = shipped.root
    markdown = run(runner, root, "diff-figures", "--format", "markdown")
    before = references(root)
    out = run(runner, root, "mv", "pgo", "prosecutor-general")
    assert out.splitlines() == [
        "renamed `pgo` to `prosecutor-general`: the org and 7 references to it, in 8 files",
        "  records/orgs/pgo.yaml -> records/orgs/prosecutor-general.yaml",
    ]
    assert not (root / "records/orgs/pgo.yaml").exists()
    assert (root / "records/orgs/prosecutor-general.yaml").is_file()
    after = references(root)
    assert "pgo" not in after and "prosecutor-general" in after
    # every reference to pgo now names the new id, and nothing else changed
    assert {k: [("prosecutor-general" if i == "pgo" else i) for i in v] for k, v in before.items() if k != "pgo"} \
        == {k: sorted(v) for k, v in after.items() if k != "prosecutor-general"}
    assert run(runner, root, "check").endswith("no findings\n")
    # the letter's paragraphs name offices by name, never by id: not a word of them changes
    assert run(runner, root, "diff-figures", "--format", "markdown") == markdown


LAYOUTS = {
    # comments, alignment, a flow list, a quoted reference, a block list, a folded text that names the id
    "people/pgo-head.yaml": """\
        # The head of the office, as the letter names him.
        kind: person
        id: pgo-head
        name: Ivan Officer          # aligned comment
        affiliation: "pgo"          # quoted, as someone wrote it
        title: Prosecutor General
        notes: >
          Named in the letter; pgo is how the team writes the office.
        """,
    "statements/s-1.yaml": """\
        kind: statement
        id: s-1
        issuer: 'pgo'
        date: 2012-01-25
        summary: "Progress: 70 detained."
        """,
    # several records in one file: the file keeps its name
    "claims/several.yaml": """\
        kind: claim
        id: c-a
        source: s-1
        measure: detained
        value: 70
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        ---
        kind: claim
        id: c-b
        source: s-1
        measure: detained
        value: 60
        scope:
          place: zhanaozen
          period: 2011-12-16..2011-12-17
        ---
        kind: claim
        id: c-sum
        source: s-1
        measure: detained
        value: 130
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        sum_of:
          - c-a     # the first part
          - c-b
        """,
    "documents/retraction.yaml": """\
        {"kind": "document", "id": "retraction", "type": "other", "title": "Correction", "author": "pgo",
         "retracts": ["c-b"]}
        """,
    "orgs/pgo.yaml": """\
        kind: org
        id: pgo   # short, as in the letter
        name: Prosecutor General's Office
        type: prosecutor
        """,
}


def test_every_layout_is_kept_and_only_the_ids_change(tmp_path: Path, runner: CliRunner) -> None:
    ld = ledger_at(tmp_path / "l", CONFIG, LAYOUTS)
    crlf = ld.record("statements/s-2.yaml", b"\xef\xbb\xbfkind: statement\r\nid: s-2\r\nissuer: pgo\r\n"
                                            b"date: 2012-01-26\r\nsummary: CRLF and a BOM.\r\n")
    before = tree(ld.root)
    out = run(runner, ld.root, "mv", "pgo", "prosecutor-general")
    assert "the org and 4 references to it, in 5 files" in out
    assert "records/people/pgo-head.yaml:8 still writes `pgo` in text" in out  # the prose is the user's to change
    after = tree(ld.root)
    moved = before.pop("records/orgs/pgo.yaml")
    assert after.pop("records/orgs/prosecutor-general.yaml") == moved.replace(b"id: pgo ", b"id: prosecutor-general ")
    assert after.pop("records/people/pgo-head.yaml") == before.pop("records/people/pgo-head.yaml").replace(
        b'"pgo"', b'"prosecutor-general"')
    assert after.pop("records/statements/s-1.yaml") == before.pop("records/statements/s-1.yaml").replace(
        b"'pgo'", b"'prosecutor-general'")
    assert after.pop("records/documents/retraction.yaml") == before.pop("records/documents/retraction.yaml").replace(
        b'"author": "pgo"', b'"author": "prosecutor-general"')
    assert after.pop("records/statements/s-2.yaml") == crlf.read_bytes() == before.pop(
        "records/statements/s-2.yaml").replace(b"issuer: pgo\r\n", b"issuer: prosecutor-general\r\n")
    assert after == before  # the rest untouched
    assert run(runner, ld.root, "check").endswith("no findings\n")

    # a claim in a file of several, named in a block list with a comment, and in a JSON document's list
    out = run(runner, ld.root, "mv", "c-b", "c-detained-60")
    assert "the claim and 2 references to it, in 2 files" in out
    several = (ld.root / "records/claims/several.yaml").read_text()
    assert "id: c-detained-60\n" in several and "  - c-a     # the first part\n  - c-detained-60\n" in several
    assert '"retracts": ["c-detained-60"]}' in (ld.root / "records/documents/retraction.yaml").read_text()
    assert not (ld.root / "records/claims/c-detained-60.yaml").exists()  # a file of several keeps its name
    assert run(runner, ld.root, "check").endswith("no findings\n")


def test_dry_run_prints_a_diff_git_applies_and_writes_nothing(shipped: LedgerDir, runner: CliRunner) -> None:
    root = shipped.root
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    before = tree(root)
    result = runner.invoke(app, ["mv", "hrw", "human-rights-watch", "--dry-run", "--ledger", str(root)])
    assert result.exit_code == 0, result.output
    assert tree(root) == before
    assert "diff --git a/records/orgs/hrw.yaml b/records/orgs/human-rights-watch.yaml\nrename from" in result.stdout
    assert "-recorded_by: hrw\n+recorded_by: human-rights-watch\n" in result.stdout
    assert result.stderr.splitlines()[0] == ("would rename `hrw` to `human-rights-watch`: the org and 17 references "
                                             "to it, in 18 files")
    assert result.stderr.splitlines()[-1] == "(dry run: nothing was written)"
    # the diff is the change: git applies it, and the result is what `ledger mv` writes
    patch = root.parent / "mv.diff"
    patch.write_text(result.stdout)
    subprocess.run(["git", "apply", str(patch)], cwd=root, check=True)
    applied = tree(root)
    subprocess.run(["git", "apply", "-R", str(patch)], cwd=root, check=True)
    assert tree(root) == before
    run(runner, root, "mv", "hrw", "human-rights-watch")
    assert tree(root) == applied


@pytest.mark.parametrize(("args", "message"), [
    (["pgo", "hrw"], "`hrw` is the id of a record already (records/orgs/hrw.yaml)"),
    (["pgo", "PGO"], "`PGO` is not an id: a slug: 2 to 80 lowercase letters"),
    (["pgo", "p"], "`p` is not an id"),
    (["pgo", "pgo"], "`pgo` is already the id's name"),
    (["pgoo", "office"], "no record has the id `pgoo`; did you mean `pgo`?"),
    (["pgo", "office\x1b[31m"], "`office\\x1b[31m` is not an id"),  # shown, never run by the terminal
])
def test_a_rename_that_cannot_be_made_writes_nothing(ledger_dir: LedgerDir, runner: CliRunner, args: list[str],
                                                     message: str) -> None:
    before = tree(ledger_dir.root)
    result = runner.invoke(app, ["mv", *args, "--ledger", str(ledger_dir.root)])
    assert result.exit_code == 2
    assert result.output == f"ledger mv: {message}" + result.output.split(message, 1)[1]
    assert result.output.rstrip().endswith(("; nothing was written", "? Nothing was written."))
    assert "\x1b" not in result.output and len(result.output.splitlines()) == 1
    assert tree(ledger_dir.root) == before


def test_a_reference_to_the_new_id_a_broken_file_and_a_taken_file_name_are_refused(ledger_dir: LedgerDir,
                                                                                   runner: CliRunner) -> None:
    root = ledger_dir.root

    def refused(*args: str) -> str:
        before = tree(root)
        result = runner.invoke(app, ["mv", *args, "--ledger", str(root)])
        assert result.exit_code == 2, result.output
        assert tree(root) == before
        return result.output

    # a reference to an id no record has yet would silently name the renamed record
    ledger_dir.record("claims/c-dangling.yaml", "kind: claim\nid: c-dangling\nsource: pgo-2013\nmeasure: killed\n"
                                                "value: 1\nscope: {place: zhanaozen, period: 2011-12-16}\n")
    assert ("`pgo-2013` is named already, by references to a record that does not exist "
            "(records/claims/c-dangling.yaml:3): after the rename they would name the renamed org") in refused(
        "pgo", "pgo-2013")
    ledger_dir.remove("claims/c-dangling.yaml")
    # a file that cannot be read may hold a reference that would be missed
    ledger_dir.record("statements/broken.yaml", "kind: statement\nid: broken\nissuer: pgo\nsummary: [unclosed\n")
    assert "records/statements/broken.yaml cannot be read as records and may name `pgo` or `office`" in refused(
        "pgo", "office")
    ledger_dir.remove("statements/broken.yaml")
    # the file the record would move to is taken (by a file that holds no record of that id)
    ledger_dir.record("orgs/office.yaml", "kind: org\nid: another-office\nname: Another office\n")
    assert "records/orgs/office.yaml exists already" in refused("pgo", "office")


def test_a_protected_person_is_sealed_again_under_the_new_id(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(team.root)
    out = team.run("mv", "temir-t", "witness-7", "--ledger", root)  # type: ignore[attr-defined]
    assert "its sealed identity was sealed again under the new id, signed with your key" in out
    assert not (team.root / "records/people/temir-t.yaml").exists()
    # the identity opens, signed, under its new id: the check decrypts it and finds no leak
    assert team.run("check", "--ledger", root).endswith(  # type: ignore[attr-defined]
        "no findings; 1 protected identity checked for leaks\n")
    assert files_holding(team.root, *CANARY_BITS) == []
    # an id that spells the real name is refused, and the message names the pseudonym only
    out = team.run("mv", "witness-7", "zhanbolat-canarybekov", "--ledger", root, code=2)  # type: ignore[attr-defined]
    assert "spells the real name of a protected person (Temir T.)" in out
    assert "anarybekov" not in out.lower()  # the new id is not repeated: it spells the name
    assert files_holding(team.root, "anarybekov") == []  # nor kept anywhere (the write lock's note of its holder)
    # without the key, a rename that must re-seal is refused before anything is written
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nobody"))
    out = team.run("mv", "witness-7", "witness-8", "--ledger", root, code=2)  # type: ignore[attr-defined]
    assert "`witness-7` is a protected person, whose sealed identity is bound to its id" in out
    assert (team.root / "records/people/witness-7.yaml").is_file()
    assert CANARY not in "".join(team.outputs)  # type: ignore[attr-defined]


# --- all or none ------------------------------------------------------------------------------------------------

def _crash_ledger(root: Path) -> LedgerDir:
    """A ledger where `pgo` is named from 12 files, so that a rename has many steps to be killed between."""
    records = dict(LAYOUTS)
    for n in range(8):
        records[f"statements/s-x{n}.yaml"] = (f"kind: statement\nid: s-x{n}\nissuer: pgo\ndate: 2012-01-25\n"
                                              "summary: One of many.\n")
    return ledger_at(root, CONFIG, records)


def _state(root: Path) -> str:
    """`none` or `all`: whether the rename of pgo to office was made nowhere or everywhere (anything else fails)."""
    refs = references(root)
    named = {i for v in refs.values() for i in v} | set(refs)
    if "pgo" in named and "office" not in named:
        assert (root / "records/orgs/pgo.yaml").is_file() and not (root / "records/orgs/office.yaml").exists()
        return "none"
    assert "office" in named and "pgo" not in named, refs
    assert (root / "records/orgs/office.yaml").is_file() and not (root / "records/orgs/pgo.yaml").exists()
    return "all"


# Kills the process at the Nth call of any step that changes the disk: os._exit runs no clean-up and no `finally`,
# as a power cut or SIGKILL would.
_KILLER = textwrap.dedent("""\
    import os, sys
    limit, calls = int(sys.argv[1]), [0]
    def dying(real):
        def step(*args, **kwargs):
            calls[0] += 1
            if calls[0] >= limit:
                os._exit(137)
            return real(*args, **kwargs)
        return step
    for name in ("replace", "link", "unlink", "fsync", "rename", "sync"):
        setattr(os, name, dying(getattr(os, name)))
    sys.argv = ["ledger", *sys.argv[2:]]
    from ledger.cli import main
    main()
    """)


def test_a_rename_killed_at_any_step_is_all_or_none_after_the_next_command(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    outcomes = []
    for limit in range(1, 400):
        ld = _crash_ledger(tmp_path / f"l{limit}")
        killed = subprocess.run([sys.executable, "-c", _KILLER, str(limit), "mv", "pgo", "office", "--ledger",
                                 str(ld.root)], env=env, capture_output=True, text=True, cwd=REPO)
        waiting = (ld.root / ".ledger/journal.json").exists()  # killed after its commit point, before its end
        check = subprocess.run([*LEDGER, "check", "--ledger", str(ld.root)], env=env, capture_output=True,
                               text=True, cwd=REPO)
        assert check.returncode == 0, (limit, check.stdout, check.stderr)
        assert not (ld.root / ".ledger/journal.json").exists()
        state = _state(ld.root)
        if killed.returncode == 0:
            assert state == "all" and check.stderr == ""
            break
        assert killed.returncode == 137, killed.stderr
        outcomes.append(state)
        assert check.stderr == ("ledger: completed the interrupted `ledger mv pgo office`\n" if waiting else "")
        if waiting:
            assert state == "all"
    else:
        pytest.fail("the rename never completed")
    # it was killed both before its commit point (nothing renamed) and after it (completed by `ledger check`)
    assert "none" in outcomes and outcomes.count("all") >= 12, outcomes
    assert outcomes == sorted(outcomes, key=lambda s: s == "all")  # none..., then all...


def test_a_rename_killed_by_a_signal_is_all_or_none(tmp_path: Path) -> None:
    ld = _crash_ledger(tmp_path / "l")
    for n in range(120):
        ld.record(f"statements/s-y{n}.yaml", f"kind: statement\nid: s-y{n}\nissuer: pgo\ndate: 2012-01-25\n"
                                             "summary: One of many more.\n")
    env = {**os.environ, "NO_COLOR": "1"}
    states = []
    for delay in (0.3, 0.5, 0.7, 0.9, 1.1):
        state = _state(ld.root)
        new, old = ("office", "pgo") if state == "all" else ("pgo", "office")
        proc = subprocess.Popen([*LEDGER, "mv", old, new, "--ledger", str(ld.root)], env=env, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check = subprocess.run([*LEDGER, "check", "--ledger", str(ld.root)], env=env, capture_output=True,
                               text=True, cwd=REPO)
        assert check.returncode == 0, check.stdout + check.stderr
        states.append(_state(ld.root))
    assert set(states) <= {"all", "none"}


def test_a_journal_is_not_completed_over_a_file_changed_since(tmp_path: Path, runner: CliRunner) -> None:
    ld = _crash_ledger(tmp_path / "l")
    env = {**os.environ, "NO_COLOR": "1"}
    # killed at the first file it replaces, after its commit point: the journal waits
    killer = textwrap.dedent("""\
        import os, sys
        real = os.replace
        def replace(source, target):
            if "/.ledger/journal/" in str(source):
                os._exit(137)
            real(source, target)
        os.replace = replace
        sys.argv = ["ledger", *sys.argv[2:]]
        from ledger.cli import main
        main()
        """)
    subprocess.run([sys.executable, "-c", killer, "1", "mv", "pgo", "office", "--ledger", str(ld.root)], env=env,
                   capture_output=True, cwd=REPO)
    journal = json.loads((ld.root / ".ledger/journal.json").read_text())
    assert journal["what"] == "ledger mv pgo office"
    edited = ld.root / "records/statements/s-x7.yaml"
    edited.write_text(edited.read_text() + "notes: edited by hand meanwhile\n")
    before = tree(ld.root)
    result = runner.invoke(app, ["check", "--ledger", str(ld.root)])
    assert result.exit_code == 2
    assert result.output == ("ledger: the interrupted `ledger mv pgo office` cannot be completed, as "
                             "records/statements/s-x7.yaml changed since; nothing more was changed: restore it "
                             "(`git checkout`), or delete .ledger/journal.json to leave the change half done\n")
    assert tree(ld.root) == before


def test_a_journal_never_leads_a_write_out_of_records(ledger_dir: LedgerDir, runner: CliRunner) -> None:
    state = ledger_dir.root / ".ledger"
    (state / "journal").mkdir(parents=True)
    (state / "journal" / "000000").write_text("owned\n")
    (state / "journal.json").write_text(json.dumps({"what": "ledger mv a b", "changes": [
        {"path": "records/../ledger.yaml", "staged": "000000", "before": None, "after": "0" * 64}]}))
    before = (ledger_dir.root / "ledger.yaml").read_bytes()
    result = runner.invoke(app, ["check", "--ledger", str(ledger_dir.root)])
    assert result.exit_code == 2
    assert result.output == "ledger: .ledger/journal.json names a file outside records/; delete it\n"
    assert (ledger_dir.root / "ledger.yaml").read_bytes() == before


def test_a_failure_after_the_commit_point_says_the_next_command_completes_it(tmp_path: Path, runner: CliRunner,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ld = _crash_ledger(tmp_path / "l")
    real, calls = os.replace, [0]

    def failing(source: object, target: object) -> None:
        if "/.ledger/journal/" in str(source):
            calls[0] += 1
            if calls[0] == 3:
                raise OSError(28, "No space left on device")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing)
    result = runner.invoke(app, ["mv", "pgo", "office", "--ledger", str(ld.root)])
    assert result.exit_code == 2
    assert result.output == ("ledger mv: cannot make every change: No space left on device; the change is committed "
                             "(.ledger/journal.json): the next ledger command completes it\n")
    monkeypatch.setattr(os, "replace", real)
    done = runner.invoke(app, ["check", "--ledger", str(ld.root)])
    assert done.exit_code == 0, done.output
    assert _state(ld.root) == "all"
