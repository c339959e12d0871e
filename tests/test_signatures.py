"""Signed identities: a sealed identity proves which listed member sealed it. What anyone holding the public
recipients can make (a forgery) is refused by `check`, `reveal` and `keys rotate`; unsigned identities (sealed before
signatures) are reported, and re-signed only when a member vouches for them."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import LedgerDir
from test_identity import CANARY, IDENTITY_YAML, shared, team  # noqa: F401 - the fixture
from test_keys import all_files
from typer.testing import CliRunner

from ledger.cli import app

FORGED_NAME = "Falsename Forgerovich"  # what a forger seals: no output may repeat it
TEMIR = "records/people/temir-t.yaml"


def _keys(path: Path) -> list[Any]:
    from ledger.identity import load_identities

    return load_identities(path)


def _recipient(team: LedgerDir) -> str:  # noqa: F811
    return str(_keys(team.key)[0].to_public())  # type: ignore[attr-defined]


def _encrypt(payload: bytes, recipient: str) -> str:
    """What anyone who can read ledger.yaml can make: any payload, encrypted for a public recipient."""
    import pyrage

    payload += b" " * (-len(payload) % 512)
    return pyrage.encrypt(payload, [pyrage.x25519.Recipient.from_str(recipient)], armored=True).decode()  # type: ignore[no-any-return]


def _armour(team: LedgerDir, file: str = TEMIR) -> str:  # noqa: F811
    from ledger.yamlio import parse_text

    return parse_text((team.root / file).read_text(), file).documents[0].data["identity"]  # type: ignore[no-any-return]


def _replace(team: LedgerDir, armour: str, file: str = TEMIR) -> None:  # noqa: F811
    """The record's `identity` replaced by `armour`, as a forger with write access to the repository would."""
    from ledger.yamledit import replace_values

    path = team.root / file
    path.write_text(replace_values(path.read_text(), file, {(0, ("identity",)): armour}))


def _payload(team: LedgerDir) -> tuple[bytes, dict[str, str]]:  # noqa: F811
    """The signed line of temir-t's genuine identity and its signature's line, decrypted."""
    import pyrage

    plain = pyrage.decrypt(_armour(team).encode(), _keys(team.key))  # type: ignore[attr-defined]
    signed, _, trailer = plain.partition(b"\n")
    return signed, json.loads(trailer)


def _signed_line(record: str = "temir-t", name: str = FORGED_NAME, version: int = 2) -> bytes:
    return json.dumps({"field": "identity", "format": version, "identity": {"name": name}, "record": record},
                      ensure_ascii=False, sort_keys=True).encode()


def _trailer(signature: bytes, signer: str) -> bytes:
    return json.dumps({"signature": base64.b64encode(signature).decode(), "signer": signer},
                      sort_keys=True).encode()


def _outsider_key() -> Any:
    """A signing key from an age key nobody listed in ledger.yaml."""
    import pyrage

    from ledger.identity import signing_key

    return signing_key([pyrage.x25519.Identity.generate()])


def _check(team: LedgerDir, runner: CliRunner, *args: str) -> tuple[int, list[dict[str, Any]], str]:  # noqa: F811
    result = runner.invoke(app, ["check", "--ledger", str(team.root), "-f", "json", *args], catch_exceptions=False)
    found = json.loads(result.stdout)
    for f in found:  # relative to the ledger, not to where the tests run
        f["file"] = Path(os.path.relpath(Path.cwd() / f["file"], team.root)).as_posix()
    return result.exit_code, found, result.output


def _reveal(team: LedgerDir, runner: CliRunner, *args: str) -> Any:  # noqa: F811
    return runner.invoke(app, ["reveal", "temir-t", "--ledger", str(team.root), "--force", *args],
                         catch_exceptions=False)


def _rotate(team: LedgerDir, runner: CliRunner, *args: str) -> Any:  # noqa: F811
    return runner.invoke(app, ["keys", "rotate", "--ledger", str(team.root), *args], catch_exceptions=False)


def _no_forged_text(output: str) -> None:
    assert not any(bit in output for bit in ("Falsename", "Forgerovich", CANARY, "canary-contact-77")), output


# --- forgeries ------------------------------------------------------------------------------------------------

def _own_signature() -> bytes:
    """Signed, by a key of the forger's own."""
    outsider = _outsider_key()
    return _signed_line() + b"\n" + _trailer(outsider.sign(_signed_line()), outsider.public)


NOT_VERIFIED = "carries a signature that does not verify"
# how each forgery is made from the ledger, and what `check` says of it
FORGERIES: dict[str, tuple[Callable[[LedgerDir], bytes], str]] = {
    # a well-formed payload for the record, without a signature: all that the public recipient allows
    "no signature": (lambda ledger: _signed_line(), "claims to be signed but carries no signature"),
    # the same in the format of before signatures: a downgrade, refused once the team signs
    "unsigned format": (lambda ledger: _signed_line(version=1), "is not signed"),
    # signed, by a key of the forger's own that ledger.yaml does not list
    "unlisted signer": (lambda ledger: _own_signature(), "signed by a key that ledger.yaml does not list"),
    "outsider signs, names a member": (lambda ledger: _signed_line() + b"\n" + _trailer(
        _outsider_key().sign(_signed_line()), _payload(ledger)[1]["signer"]), NOT_VERIFIED),
    # the member's genuine signature, moved onto another identity
    "genuine signature, other identity": (lambda ledger: _signed_line() + b"\n" + json.dumps(
        _payload(ledger)[1], sort_keys=True).encode(), NOT_VERIFIED),
    "garbage signature": (lambda ledger: _signed_line() + b'\n{"signature": "AAAA", "signer": "x"}',
                          "carries a signature that cannot be read"),
}


@pytest.mark.parametrize("forge, says", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forgery_is_refused_by_check_reveal_and_rotate(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                         forge: Callable[[LedgerDir], bytes], says: str) -> None:
    _replace(team, _encrypt(forge(team), _recipient(team)))

    code, found, output = _check(team, runner)
    assert code == 1
    assert [(f["file"], f["code"], f["severity"]) for f in found] in (
        [(TEMIR, "identity-forged", "error")], [(TEMIR, "identity-unsigned", "error")])
    assert "`temir-t` (Temir T.)" in found[0]["message"] and says in found[0]["message"]
    _no_forged_text(output)

    revealed = _reveal(team, runner)
    assert revealed.exit_code == 1 and revealed.stdout == "", revealed.output
    assert "`temir-t`" in revealed.stderr and "not shown" in revealed.stderr
    assert len(revealed.stderr.splitlines()) == 1
    _no_forged_text(revealed.output)

    before = all_files(team.root)
    for args in ((), ("--sign-unsigned",)) if found[0]["code"] == "identity-forged" else ((),):
        rotated = _rotate(team, runner, *args)
        assert rotated.exit_code == 1 and "nothing was re-encrypted" in rotated.stderr, rotated.output
        assert "`temir-t` (Temir T.)" in rotated.stderr
        assert all_files(team.root) == before  # a rotation never launders a forgery
        _no_forged_text(rotated.output)


def test_the_forged_identitys_names_are_searched_but_not_as_the_persons(team: LedgerDir,  # noqa: F811
                                                                        runner: CliRunner) -> None:
    _replace(team, _encrypt(_signed_line(), _recipient(team)))
    team.write("evidence/notes.txt", f"notes\nmet {FORGED_NAME}\n")
    code, found, output = _check(team, runner)
    assert code == 1
    leaks = [f for f in found if f["code"] == "identity-leak"]
    assert [(f["file"], f["line"], f["severity"]) for f in leaks] == [("evidence/notes.txt", 2, "warning")]
    assert "forged identity" in leaks[0]["message"] and "real name" not in leaks[0]["message"]
    assert "identity-forged" in {f["code"] for f in found}
    _no_forged_text(output)


# --- what a signature checks, one by one ----------------------------------------------------------------------

def test_open_sealed_checks_the_signature_and_the_signer(team: LedgerDir, tmp_path: Path) -> None:  # noqa: F811
    from ledger.identity import ForgedIdentity, open_sealed, seal, signing_key, unseal

    keys = _keys(team.key)  # type: ignore[attr-defined]
    recipient = _recipient(team)
    mine = signing_key(keys)
    other_member = _outsider_key()
    listed = {"researcher-1": mine.public, "researcher-2": other_member.public}
    identity = {"name": CANARY}

    genuine = seal(identity, "temir-t", [recipient], mine)
    opened = unseal(genuine, "temir-t", keys, listed)
    assert (opened.identity, opened.status, opened.signer) == (identity, "signed", "researcher-1")
    assert CANARY not in repr(opened)

    stranger = seal(identity, "temir-t", [recipient], _outsider_key())  # signed, by nobody listed
    assert open_sealed(stranger, "temir-t", keys, listed).problem == \
        "is signed by a key that ledger.yaml does not list as a signer"
    with pytest.raises(ForgedIdentity):
        unseal(stranger, "temir-t", keys, listed)
    # its signer no longer listed: refused too
    assert open_sealed(genuine, "temir-t", keys, {"researcher-2": other_member.public}).status == "forged"

    import pyrage

    signed, _, trailer_bytes = pyrage.decrypt(genuine.encode(), keys).partition(b"\n")
    trailer = json.loads(trailer_bytes)
    signature = bytearray(base64.b64decode(trailer["signature"]))
    signature[10] ^= 1
    variants = {
        "tampered signature": signed + b"\n" + _trailer(bytes(signature), trailer["signer"]),
        # the signer's key swapped for another listed member's: their key does not verify this signature
        "signer swapped": signed + b"\n" + _trailer(base64.b64decode(trailer["signature"]), other_member.public),
        "identity changed": signed.replace(b"Zhanbolat", b"Zhanbolot") + b"\n" + trailer_bytes.rstrip(b" "),
    }
    for why, payload in variants.items():
        found = open_sealed(_encrypt(payload, recipient), "temir-t", keys, listed)
        assert (found.status, found.problem) == ("forged", ("carries a signature that does not verify: it was "
                                                            "altered, or made without the signing key it names")), why

    # a repeated key reads as the last one: the member signed one text, which must not read as another
    twice = signed.replace(b'"identity": {', b'"identity": {"name": "Other Person"}, "identity": {', 1)
    crafted = twice + b"\n" + _trailer(mine.sign(twice), mine.public)
    assert open_sealed(_encrypt(crafted, recipient), "temir-t", keys, listed).status == "forged"


def test_the_signing_key_is_derived_from_the_age_key(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    from ledger.identity import signing_key

    first, again = signing_key(_keys(team.key)), signing_key(_keys(team.key))  # type: ignore[attr-defined]
    assert first.public == again.public and first.public.startswith("ed25519:")
    assert first.public not in repr(_keys(team.key)) and "SECRET" not in repr(first)  # type: ignore[attr-defined]
    shown = runner.invoke(app, ["keys", "show"], catch_exceptions=False)
    assert shown.exit_code == 0 and shared(shown.output) == (_recipient(team), first.public)
    assert f"ledger keys add YOUR-NAME {_recipient(team)} --signs {first.public}" in shown.output
    assert "AGE-SECRET-KEY" not in shown.output and "AGE-SECRET-KEY" not in "".join(team.outputs)  # type: ignore[attr-defined]
    assert (team.root / "ledger.yaml").read_text().count(first.public) == 1


# --- sealing needs a listed key ----------------------------------------------------------------------------------

def test_sealing_without_a_key_or_with_an_unlisted_one_writes_nothing(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(team.root)
    before = all_files(team.root)
    add = ["add", "person", "--protected", "--set", "pseudonym=Ulan U.", "--identity-from", "-", "--ledger", root]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    no_key = runner.invoke(app, add, input=IDENTITY_YAML, catch_exceptions=False)
    assert no_key.exit_code == 2 and len(no_key.stderr.splitlines()) == 1, no_key.output
    assert "needs your key" in no_key.stderr and "nothing was written" in no_key.stderr
    assert all_files(team.root) == before

    stranger = tmp_path / "stranger.txt"
    assert runner.invoke(app, ["keys", "init", "--identity", str(stranger)]).exit_code == 0
    unlisted = runner.invoke(app, [*add, "--identity", str(stranger)], input=IDENTITY_YAML, catch_exceptions=False)
    assert unlisted.exit_code == 2 and len(unlisted.stderr.splitlines()) == 1, unlisted.output
    assert "your signing key is not listed in ledger.yaml" in unlisted.stderr
    assert all_files(team.root) == before
    for result in (no_key, unlisted):
        assert CANARY not in result.output


def test_sealing_signs_check_is_clean_and_reveal_names_the_signer(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    root = str(team.root)
    colleague = tmp_path / "colleague.txt"
    recipient, signer = shared(runner.invoke(app, ["keys", "init", "--identity", str(colleague)]).output)
    assert runner.invoke(app, ["keys", "add", "researcher-2", recipient, "--signs", signer, "--ledger",
                               root]).exit_code == 0
    added = runner.invoke(app, ["add", "person", "--protected", "--set", "pseudonym=Ulan U.", "--identity-from", "-",
                                "--identity", str(colleague), "--ledger", root],
                          input="name: Ulan Otherbekov\n", catch_exceptions=False)
    assert added.exit_code == 0, added.output
    code, found, _ = _check(team, runner)
    assert (code, found) == (0, [])
    revealed = runner.invoke(app, ["reveal", "ulan-u", "--ledger", root, "--force", "--identity", str(colleague)],
                             catch_exceptions=False)
    assert revealed.exit_code == 0 and revealed.stdout == "name: Ulan Otherbekov\n"
    assert "signed by `researcher-2`" in revealed.stderr
    assert "signed by `researcher-1`" in _reveal(team, runner, "--identity", str(team.key)).stderr  # type: ignore[attr-defined]


# --- identities sealed before signatures ---------------------------------------------------------------------------

def _legacy(armour_for: str) -> str:
    """An identity as ledger sealed it before signatures: format 1, no signature."""
    return _encrypt(_signed_line(name=CANARY, version=1), armour_for)


def test_unsigned_identities_before_and_after_the_team_signs(ledger_dir: LedgerDir, runner: CliRunner,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEDGER_IDENTITY", raising=False)
    root = ledger_dir.root
    recipient, signer = shared(runner.invoke(app, ["keys", "init"]).output)
    assert runner.invoke(app, ["keys", "add", "researcher-1", recipient, "--ledger", str(root)]).exit_code == 0
    ledger_dir.record("people/temir-t.yaml", "kind: person\nid: temir-t\npseudonym: Temir T.\nprotected: true\n"
                      f"roles: [witness]\nidentity: {json.dumps(_legacy(recipient))}\n")
    team = ledger_dir  # noqa: F811 - the ledger, not the fixture

    # a ledger from before signatures (no signer listed): a warning, and reveal shows it under one
    code, found, _ = _check(team, runner)
    assert code == 0 and [(f["code"], f["severity"]) for f in found] == [("identity-unsigned", "warning")]
    assert "`temir-t` (Temir T.)" in found[0]["message"] and "--sign-unsigned" in found[0]["message"]
    shown = _reveal(team, runner)
    assert shown.exit_code == 0 and shown.stdout == f"name: {CANARY}\n"
    assert shown.stderr.startswith("ledger reveal: warning: the identity of `temir-t` is not signed")
    refused = _rotate(team, runner, "--sign-unsigned")  # the rotating member's signing key must be listed
    assert refused.exit_code == 1 and "your signing key is not listed" in refused.stderr

    # once the team signs, an unsigned identity is an error: a forgery could leave the signature out
    assert runner.invoke(app, ["keys", "add", "researcher-1", recipient, "--signs", signer, "--ledger",
                               str(root)]).exit_code == 0
    code, found, _ = _check(team, runner)
    assert code == 1 and [(f["code"], f["severity"]) for f in found] == [("identity-unsigned", "error")]
    assert _reveal(team, runner).exit_code == 1
    checked = _reveal(team, runner, "--unsigned")
    assert checked.exit_code == 0 and checked.stdout == f"name: {CANARY}\n" and "warning" in checked.stderr

    before = all_files(root)
    refused = _rotate(team, runner)
    assert refused.exit_code == 1 and "--sign-unsigned" in refused.stderr and all_files(root) == before
    vouched = _rotate(team, runner, "--sign-unsigned")
    assert vouched.exit_code == 0, vouched.output
    assert "signed 1 that were unsigned: your signature vouches for them (temir-t)" in vouched.stdout
    assert _check(team, runner)[:2] == (0, [])
    assert "signed by `researcher-1`" in _reveal(team, runner).stderr


# --- members who leave ---------------------------------------------------------------------------------------------

def test_a_member_who_leaves_keeps_their_signatures_valid_until_rotation(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                                        tmp_path: Path) -> None:
    root = str(team.root)
    leaver = tmp_path / "leaver.txt"
    recipient, signer = shared(runner.invoke(app, ["keys", "init", "--identity", str(leaver)]).output)
    assert runner.invoke(app, ["keys", "add", "researcher-2", recipient, "--signs", signer, "--ledger",
                               root]).exit_code == 0
    assert runner.invoke(app, ["add", "person", "--protected", "--set", "pseudonym=Ulan U.", "--identity-from", "-",
                               "--identity", str(leaver), "--ledger", root],
                         input="name: Ulan Otherbekov\n").exit_code == 0

    removed = runner.invoke(app, ["keys", "remove", "researcher-2", "--ledger", root], catch_exceptions=False)
    assert removed.exit_code == 0 and "signing key stays listed" in removed.stdout
    assert _check(team, runner)[:2] == (0, [])  # what they sealed still verifies

    config = team.root / "ledger.yaml"
    kept = config.read_text()
    assert runner.invoke(app, ["keys", "remove", "researcher-2", "--signing-key", "--ledger", root]).exit_code == 0
    code, found, _ = _check(team, runner)  # taken out before re-sealing: what they sealed is refused
    assert code == 1 and [(f["file"], f["code"]) for f in found] == [("records/people/ulan-u.yaml", "identity-forged")]
    config.write_text(kept)

    rotated = _rotate(team, runner)
    assert rotated.exit_code == 0, rotated.output
    assert "`researcher-2` is no longer a recipient and signs none of the identities now" in rotated.stdout
    assert runner.invoke(app, ["keys", "remove", "researcher-2", "--signing-key", "--ledger", root]).exit_code == 0
    assert _check(team, runner)[:2] == (0, [])  # all re-signed by researcher-1


# --- cost ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["keys", "--help"], ["add", "--help"]])
def test_help_does_not_load_the_cryptography_package(args: list[str]) -> None:
    script = ("import sys\nimport ledger.cli as cli\ntry:\n    cli.app(" + repr(args) + ", prog_name='ledger')\n"
              "except SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.startswith(('cryptography', "
              "'pyrage'))))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_at_a_terminal_the_key_is_asked_for_before_the_identity(ledger_dir: LedgerDir, tmp_path: Path) -> None:
    """Without a key, `add person --protected` stops before its prompts: nobody types an identity in vain."""
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_IDENTITY"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "nowhere")
    config = ledger_dir.root / "ledger.yaml"  # a recipient listed: what is missing is the key
    config.write_text(config.read_text() + "recipients:\n  researcher-1: age1dsqdsr9aly3fr57u4a83vuaejzj0euy02nm4ts3"
                      "jtfmftus7rc8qsq7p69\n")
    before = all_files(ledger_dir.root)
    child = pexpect.spawn(str(Path(sys.executable).with_name("ledger")), ["add", "person", "--protected"],
                          cwd=str(ledger_dir.root), encoding="utf-8", timeout=30, env=env)
    child.expect("needs your key")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "pseudonym" not in (child.before or "").lower()
    assert all_files(ledger_dir.root) == before
