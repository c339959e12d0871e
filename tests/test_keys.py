"""`ledger keys`: rotation and recipients change only the values they must, verify before writing, and fail
with one line (never a traceback, never the text of a file)."""

from __future__ import annotations

import difflib
import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir
from test_identity import CANARY, shared, team  # noqa: F401 - the fixture
from typer.testing import CliRunner

from ledger.cli import app
from ledger.yamlio import parse_text

FILE_CANARY = "Qwertyuiop Canaryfield"  # planted in ledger.yaml: no message may quote it


def new_key(runner: CliRunner, path: Path) -> str:
    """A new age key at `path`; its public recipient."""
    result = runner.invoke(app, ["keys", "init", "--identity", str(path)], catch_exceptions=False)
    return result.output.split("your public recipient: ")[1].split()[0]


def all_files(root: Path) -> dict[str, bytes]:
    """Every file of the ledger but ledger's own state in .ledger/ (its lock's note of who holds it, say); a temp
    file left anywhere, .ledger/tmp/ included, is listed."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and (not p.relative_to(root).as_posix().startswith(".ledger/") or p.parent.name == "tmp")}


def data_of(path: Path) -> list[object]:
    parsed = parse_text(path.read_text(encoding="utf-8"), path.name)
    assert parsed.findings == []
    return [doc.data for doc in parsed.documents]


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines a line diff removes and adds."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def sealed_record(team: LedgerDir, record_id: str) -> str:  # noqa: F811
    from ledger.identity import load_identities, seal, signing_key

    keys = load_identities(team.key)  # type: ignore[attr-defined]
    return seal({"name": CANARY, "contact": "canary-contact-77"}, record_id, [str(keys[0].to_public())],
                signing_key(keys))


# --- rotation -------------------------------------------------------------------------------------------------

def _json_one_line(armour: str) -> str:
    return json.dumps({"kind": "person", "id": "ulan-u", "pseudonym": "Ulan U.", "protected": True,
                       "roles": ["witness"], "summary": "A witness.", "identity": armour})


def _json_indented(armour: str) -> str:
    return json.dumps({"kind": "person", "id": "ulan-u", "pseudonym": "Ulan U.", "protected": True,
                       "roles": ["witness"], "summary": "A witness.", "identity": armour}, indent=2) + "\n"


def _quoted_yaml(armour: str) -> str:
    return ("kind: person\nid: ulan-u\npseudonym: Ulan U.   # aligned comment\nprotected: true\n"
            f"identity: {json.dumps(armour)}\nroles: [witness]\nsummary: A witness.\n")


@pytest.mark.parametrize("write", [_json_one_line, _json_indented, _quoted_yaml])
def test_rotation_keeps_every_field_of_a_record_that_is_not_a_block(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                                     tmp_path: Path, write) -> None:  # type: ignore[no-untyped-def]
    from ledger.identity import load_identities, signing_key, unseal

    path = team.record("people/ulan-u.yaml", write(sealed_record(team, "ulan-u")))
    root = str(team.root)
    before = data_of(path)
    colleague = tmp_path / "colleague.txt"
    recipient = new_key(runner, colleague)
    assert runner.invoke(app, ["keys", "add", "researcher-2", recipient, "--ledger", root]).exit_code == 0

    result = runner.invoke(app, ["keys", "rotate", "--ledger", root], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 identities" in result.output

    after = data_of(path)
    assert len(after) == 1 and isinstance(after[0], dict) and isinstance(before[0], dict)
    assert {k: v for k, v in after[0].items() if k != "identity"} == \
        {k: v for k, v in before[0].items() if k != "identity"}
    assert list(after[0]) == list(before[0])
    assert after[0]["identity"] != before[0]["identity"]
    mine = signing_key(load_identities(team.key)).public  # type: ignore[attr-defined]
    for key_file in (team.key, colleague):  # type: ignore[attr-defined]
        opened = unseal(after[0]["identity"], "ulan-u", load_identities(key_file), {"researcher-1": mine})
        assert opened.identity == {"name": CANARY, "contact": "canary-contact-77"}
        assert (opened.status, opened.signer) == ("signed", "researcher-1")
    revealed = runner.invoke(app, ["reveal", "ulan-u", "--ledger", root, "--force", "--identity", str(colleague)])
    assert revealed.exit_code == 0 and f"name: {CANARY}" in revealed.output
    check = runner.invoke(app, ["check", "--ledger", root], catch_exceptions=False)
    assert check.exit_code == 0, check.output
    if write is not _quoted_yaml:  # a JSON record stays JSON
        assert json.loads(path.read_text())["identity"] == after[0]["identity"]
    else:
        assert "pseudonym: Ulan U.   # aligned comment\n" in path.read_text()


def test_rotation_keeps_a_literal_block_and_its_chomping(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    armour = sealed_record(team, "ulan-u").strip("\n")
    text = ("kind: person  # comment\nid: ulan-u\npseudonym: Ulan U.\nprotected: true\nidentity: |-  # sealed\n"
            + "".join(f"    {line}\n" for line in armour.splitlines()) + "\n# after the block\nroles: [witness]\n")
    path = team.record("people/ulan-u.yaml", text)
    assert runner.invoke(app, ["keys", "rotate", "--ledger", str(team.root)], catch_exceptions=False).exit_code == 0
    new = path.read_text()
    assert new.startswith("kind: person  # comment\nid: ulan-u\npseudonym: Ulan U.\nprotected: true\n"
                          "identity: |-  # sealed\n    -----BEGIN AGE ENCRYPTED FILE-----\n")
    assert new.endswith("    -----END AGE ENCRYPTED FILE-----\n\n# after the block\nroles: [witness]\n")
    assert not data_of(path)[0]["identity"].endswith("\n")  # type: ignore[index]
    shipped = (team.root / "records" / "people" / "temir-t.yaml").read_text()
    assert "identity: |\n  -----BEGIN AGE ENCRYPTED FILE-----" in shipped


@pytest.mark.parametrize("text, why", [
    ("kind: person\nid: ulan-u\npseudonym: Ulan U.\nprotected: true\nsummary: &x ARMOUR\nidentity: *x\n",
     "alias"),
    ("kind: person\nid: ulan-u\npseudonym: Ulan U.\nprotected: true\nidentity: &x ARMOUR\n", "anchor"),
    ("kind: person\nid: ulan-u\npseudonym: Ulan U.\npseudonym: Other O.\nprotected: true\nidentity: ARMOUR\n",
     "yaml-duplicate-key"),
    ("kind: person\nid: ulan-u\npseudonym: Ulan U.\nprotected: true\nidentity: !!str ARMOUR\n", "tag"),
], ids=["alias", "anchor", "duplicate-key", "tag"])
def test_rotation_refuses_a_file_it_cannot_edit_safely_and_writes_nothing(
        team: LedgerDir, runner: CliRunner, text: str, why: str) -> None:  # noqa: F811
    team.record("people/ulan-u.yaml", text.replace("ARMOUR", json.dumps(sealed_record(team, "ulan-u"))))
    before = all_files(team.root)
    result = runner.invoke(app, ["keys", "rotate", "--ledger", str(team.root)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "records/people/ulan-u.yaml" in result.stderr and why in result.stderr
    assert "nothing was re-encrypted" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1
    assert all_files(team.root) == before  # temir-t.yaml too: all files or none


def test_a_copied_payload_names_no_text_of_it(team: LedgerDir) -> None:  # noqa: F811
    import pyrage

    from ledger.identity import IdentityError, load_identities, unseal

    keys = load_identities(team.key)  # type: ignore[attr-defined]
    payload = json.dumps({"format": 1, "record": "evil\n\x1b[31mINJECTED", "field": "identity", "identity": {}})
    armour = pyrage.encrypt(payload.encode(), [keys[0].to_public()], armored=True).decode()
    with pytest.raises(IdentityError) as caught:
        unseal(armour, "temir-t", keys, {})
    assert "INJECTED" not in str(caught.value) and "\x1b" not in str(caught.value)
    assert "was sealed for another record" in str(caught.value)


def test_an_id_that_is_not_a_slug_is_not_repeated(team: LedgerDir) -> None:  # noqa: F811
    from ledger.keyring import sealed_identities

    team.record("people/odd.yaml", "kind: person\nid: \"Odd\\n\\x1b[31mID\"\npseudonym: Odd O.\nprotected: true\n"
                f"identity: {json.dumps(sealed_record(team, 'odd'))}\n")
    ids = sorted(item.record_id for item in sealed_identities(team.root)[0])
    assert ids == ["?", "temir-t"]


# --- recipients -----------------------------------------------------------------------------------------------

@pytest.fixture
def recipients(runner: CliRunner, tmp_path: Path) -> list[str]:
    return [new_key(runner, tmp_path / f"key-{i}.txt") for i in range(2)]


def keys(runner: CliRunner, root: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["keys", *args, "--ledger", str(root)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def members(runner: CliRunner, tmp_path: Path) -> list[tuple[str, str]]:
    """Two new keys: the recipient and the signing key `ledger keys init` prints for each."""
    return [shared(runner.invoke(app, ["keys", "init", "--identity", str(tmp_path / f"member-{i}.txt")],
                                 catch_exceptions=False).output) for i in range(2)]


def test_add_list_and_remove_on_the_shipped_ledger_yaml_change_only_their_lines(
        runner: CliRunner, tmp_path: Path, members: list[tuple[str, str]]) -> None:
    root = tmp_path / "shipped"
    root.mkdir()
    shutil.copy(REPO / "ledger.yaml", root / "ledger.yaml")
    config = root / "ledger.yaml"
    original = config.read_text()
    (first, first_signs), (second, second_signs) = members

    keys(runner, root, "add", "researcher-1", first, "--signs", first_signs)
    one = config.read_text()
    assert changed_lines(original, one) == ([], ["recipients:\n", f"  researcher-1: {first}\n", "signers:\n",
                                                 f'  researcher-1: "{first_signs}"\n'])
    assert one.startswith(original)  # the blocks, appended: nothing else moved

    again = keys(runner, root, "add", "researcher-1", first, "--signs", first_signs)
    assert "already listed with these keys" in again and config.read_text() == one
    assert "already listed" in keys(runner, root, "add", "researcher-1", first) and config.read_text() == one

    added = keys(runner, root, "add", "researcher-2", second)  # a recipient first: they can read, not seal
    assert "no signing key listed" in added
    two = config.read_text()
    assert changed_lines(one, two) == ([], [f"  researcher-2: {second}\n"])
    assert keys(runner, root, "list") == f"researcher-1\t{first}\t{first_signs}\nresearcher-2\t{second}\t-\n"
    keys(runner, root, "add", "researcher-2", second, "--signs", second_signs)  # then their signing key
    both = config.read_text()
    assert changed_lines(two, both) == ([], [f'  researcher-2: "{second_signs}"\n'])
    assert keys(runner, root, "list") == (f"researcher-1\t{first}\t{first_signs}\n"
                                          f"researcher-2\t{second}\t{second_signs}\n")

    removed = keys(runner, root, "remove", "researcher-1")  # the recipient only: what they signed still verifies
    assert "their signing key stays listed" in removed
    assert changed_lines(both, config.read_text()) == ([f"  researcher-1: {first}\n"], [])
    assert keys(runner, root, "list") == (f"researcher-2\t{second}\t{second_signs}\n"
                                          f"researcher-1\t-\t{first_signs}\n")
    without = config.read_text()
    keys(runner, root, "remove", "researcher-1", "--signing-key")
    assert changed_lines(without, config.read_text()) == ([f'  researcher-1: "{first_signs}"\n'], [])
    keys(runner, root, "remove", "researcher-1", code=1)  # nothing left to remove

    keys(runner, root, "add", "researcher-1", first, "--signs", first_signs)
    keys(runner, root, "remove", "researcher-1", "--signing-key")
    keys(runner, root, "remove", "researcher-2", "--signing-key")
    assert config.read_bytes() == original.encode()
    assert runner.invoke(app, ["check", "--ledger", str(root), "--no-cache"]).exit_code != 2


def test_a_signing_key_is_never_replaced_nor_listed_twice(ledger_dir: LedgerDir, runner: CliRunner,
                                                         members: list[tuple[str, str]]) -> None:
    (first, first_signs), (second, second_signs) = members
    root = ledger_dir.root
    config = root / "ledger.yaml"
    keys(runner, root, "add", "a-1", first, "--signs", first_signs)
    before = config.read_bytes()
    for args, why in ((["add", "a-1", first, "--signs", second_signs], "never replaced"),
                      (["add", "b-2", second, "--signs", first_signs], "already listed, as `a-1`"),
                      (["add", "b-2", second, "--signs", "ed25519:" + "0" * 63], "not a signing key"),
                      (["add", "b-2", second, "--signs", second], "not a signing key")):
        result = runner.invoke(app, ["keys", *args, "--ledger", str(root)], catch_exceptions=False)
        assert result.exit_code == 1 and why in result.stderr, result.output
        assert len(result.stderr.splitlines()) == 1
        assert config.read_bytes() == before


@pytest.mark.parametrize("text, added, removed", [
    ("ledger: 1\nrecipients: {a-1: KEY0}   # the team\ntitle: T\n",
     "ledger: 1\nrecipients: {a-1: KEY0, b-2: KEY1}   # the team\ntitle: T\n",
     "ledger: 1\nrecipients: {a-1: KEY0}   # the team\ntitle: T\n"),
    ("ledger: 1\nrecipients: {}\ntitle: T\n", "ledger: 1\nrecipients: {b-2: KEY1}\ntitle: T\n",
     "ledger: 1\nrecipients: {}\ntitle: T\n"),
    ("ledger: 1\ntitle: T  # no newline at the end",
     "ledger: 1\ntitle: T  # no newline at the end\nrecipients:\n  b-2: KEY1\n",
     "ledger: 1\ntitle: T  # no newline at the end\n"),
    ('"ledger": 1\n"recipients":\n  "a-1": "KEY0"\n', '"ledger": 1\n"recipients":\n  "a-1": "KEY0"\n  b-2: KEY1\n',
     '"ledger": 1\n"recipients":\n  "a-1": "KEY0"\n'),
    ("ledger: 1\nrecipients:    # who can read\n  b-0: KEY0 # first\n  # a comment\ntitle: T",
     "ledger: 1\nrecipients:    # who can read\n  b-0: KEY0 # first\n  b-2: KEY1\n  # a comment\ntitle: T",
     "ledger: 1\nrecipients:    # who can read\n  b-0: KEY0 # first\n  # a comment\ntitle: T"),
    ('{"ledger": 1, "recipients": {"a-1": "KEY0"}}', '{"ledger": 1, "recipients": {"a-1": "KEY0", "b-2": "KEY1"}}',
     '{"ledger": 1, "recipients": {"a-1": "KEY0"}}'),
    ('{"ledger": 1}\n', '{"ledger": 1, "recipients": {"b-2": "KEY1"}}\n', '{"ledger": 1, "recipients": {}}\n'),
    ("ledger: 1\r\nrecipients:\r\n  a-1: KEY0\r\n", "ledger: 1\r\nrecipients:\r\n  a-1: KEY0\r\n  b-2: KEY1\r\n",
     "ledger: 1\r\nrecipients:\r\n  a-1: KEY0\r\n"),
], ids=["flow", "empty-flow", "no-final-newline", "quoted-keys", "comments", "json", "json-absent", "crlf"])
def test_add_and_remove_in_every_layout(ledger_dir: LedgerDir, runner: CliRunner, recipients: list[str],
                                        text: str, added: str, removed: str) -> None:
    def fill(t: str) -> bytes:
        return t.replace("KEY0", recipients[0]).replace("KEY1", recipients[1]).encode()

    config = ledger_dir.root / "ledger.yaml"
    config.write_bytes(fill(text))
    keys(runner, ledger_dir.root, "add", "b-2", recipients[1])
    assert config.read_bytes() == fill(added)
    keys(runner, ledger_dir.root, "remove", "b-2")
    assert config.read_bytes() == fill(removed)


@pytest.mark.parametrize("text, added", [
    ("ledger: 1\nrecipients:\ntitle: T\n", "ledger: 1\nrecipients: {b-2: k}\ntitle: T\n"),
    ("ledger: 1\nrecipients:   # who\n\ntitle: T\n", "ledger: 1\nrecipients: {b-2: k}   # who\n\ntitle: T\n"),
    ("ledger: 1\nrecipients: ~\n", "ledger: 1\nrecipients: {b-2: k}\n"),
    ('{"ledger": 1, "recipients": null}', '{"ledger": 1, "recipients": {"b-2": "k"}}'),
])
def test_a_null_mapping_is_written_anew(text: str, added: str) -> None:
    from ledger.yamledit import set_entry

    assert set_entry(text, "ledger.yaml", ("recipients",), "b-2", "k") == added


def test_a_value_in_a_multi_document_file_with_a_bom_and_crlf(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    armour = json.dumps(sealed_record(team, "ulan-u"))
    text = ("# first\r\n---\r\nkind: org\r\nid: ngo-1\r\nname: An NGO\r\ntype: ngo\r\n---\r\n# empty\r\n---\r\n"
            f"kind: person\r\nid: ulan-u\r\npseudonym: Ulan U.\r\nprotected: true\r\nidentity: {armour}\r\n")
    path = team.record("people/ulan-u.yaml", "")
    before = b"\xef\xbb\xbf" + text.encode()
    path.write_bytes(before)
    assert runner.invoke(app, ["keys", "rotate", "--ledger", str(team.root)], catch_exceptions=False).exit_code == 0
    new = path.read_bytes()
    assert new.startswith(b"\xef\xbb\xbf# first\r\n---\r\nkind: org\r\n") and new.count(b"\r\n") == 14
    assert b'\r\nidentity: "-----BEGIN AGE ENCRYPTED FILE-----\\n' in new and new != before
    assert runner.invoke(app, ["check", "--ledger", str(team.root)]).exit_code == 0


def test_removing_the_last_recipient_under_a_comment_leaves_an_empty_mapping(
        ledger_dir: LedgerDir, runner: CliRunner, recipients: list[str]) -> None:
    config = ledger_dir.root / "ledger.yaml"
    config.write_text(f"ledger: 1\nrecipients:   # who can read\n  a-1: {recipients[0]}\ntitle: T\n")
    keys(runner, ledger_dir.root, "remove", "a-1")
    assert config.read_text() == "ledger: 1\nrecipients: {}   # who can read\ntitle: T\n"
    assert keys(runner, ledger_dir.root, "list") == ""


def test_a_recipient_list_that_cannot_be_edited_safely_is_refused(ledger_dir: LedgerDir, runner: CliRunner,
                                                                  recipients: list[str]) -> None:
    config = ledger_dir.root / "ledger.yaml"
    text = f"ledger: 1\nrecipients: &team\n  a-1: {recipients[0]}\n"
    config.write_text(text)
    result = runner.invoke(app, ["keys", "add", "b-2", recipients[1], "--ledger", str(ledger_dir.root)],
                           catch_exceptions=False)
    assert result.exit_code == 2 and "ledger.yaml" in result.stderr and "anchor" in result.stderr
    assert config.read_text() == text


# --- failures: one line, exit 2, nothing changed ----------------------------------------------------------------

MALFORMED = [
    f"ledger: 1\ntitle: [{FILE_CANARY}\nplaces: {{}}\n",  # not YAML
    f"ledger: 1\ntitle: {FILE_CANARY}: and more\n",  # not YAML either
    f"ledger: 1\nfigures: {{approx: {FILE_CANARY}}}\n",  # YAML, not a valid ledger.yaml
    f"ledger: {FILE_CANARY}\n",
    f"ledger: 1\nrecipients: {{a-1: {FILE_CANARY}}}\n",
    f"ledger: 1\ntitle: x\ntitle: {FILE_CANARY}\n",  # a duplicate key
    f"ledger: 1\ntitle: \"{FILE_CANARY}\x01\"\n",
]


@pytest.mark.parametrize("text", MALFORMED, ids=["flow", "colon", "type", "version", "recipient", "duplicate",
                                                 "control"])
@pytest.mark.parametrize("command", [["add", "b-2", "KEY"], ["remove", "a-1"], ["list"], ["rotate"]],
                         ids=["add", "remove", "list", "rotate"])
def test_a_malformed_ledger_yaml_is_one_line_and_exit_2(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                        recipients: list[str], text: str,
                                                        command: list[str]) -> None:
    config = team.root / "ledger.yaml"
    config.write_text(text)
    before = all_files(team.root)
    args = [recipients[1] if arg == "KEY" else arg for arg in command]
    result = runner.invoke(app, ["keys", *args, "--ledger", str(team.root)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("ledger: ledger.yaml is not valid (line ")
    assert "run `ledger check`" in result.stderr
    assert "Canaryfield" not in result.output and "Traceback" not in result.output
    assert all_files(team.root) == before


@pytest.mark.parametrize("where, code, message", [
    ("fsync", errno.ENOSPC, "No space left on device"),
    ("replace", errno.EACCES, "Permission denied"),
])
def test_a_failed_write_changes_nothing_and_leaves_no_temp_file(
        team: LedgerDir, runner: CliRunner, recipients: list[str], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        where: str, code: int, message: str) -> None:
    before = all_files(team.root)

    def fail(*args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, where, fail)
    for args, file in ((["add", "b-2", recipients[1]], "ledger.yaml"), (["remove", "researcher-1"], "ledger.yaml"),
                       (["rotate"], "records/people/temir-t.yaml")):
        result = runner.invoke(app, ["keys", *args, "--ledger", str(team.root)], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"ledger: cannot write {file}: {message}")
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
        assert all_files(team.root) == before  # no temp file either
    monkeypatch.undo()
    assert [p for p in team.root.rglob("*.tmp")] == []
