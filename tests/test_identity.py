"""Protected identities: sealed with age, revealed on a terminal only, never in any file or output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LedgerDir
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.cli import app

CANARY = "Zhanbolat Canarybekov"
CANARY_BITS = ("Canarybekov", "canarybekov", "CANARYBEKOV", "canary-contact-77")
IDENTITY_YAML = f"name: {CANARY}\ncontact: canary-contact-77\nresidence: Zhanaozen\n"


def shared(init_output: str) -> tuple[str, str]:
    """The public recipient and the public signing key that `ledger keys init` (or `keys show`) printed."""
    recipient = init_output.split("your public recipient: ")[1].split()[0]
    return recipient, init_output.split("your signing key: ")[1].split()[0]


@pytest.fixture
def team(ledger_dir: LedgerDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner):  # type: ignore[no-untyped-def]
    """A ledger with one recipient (the user) and a protected witness whose identity holds the canary."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEDGER_IDENTITY", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    outputs: list[str] = []

    def run(*args: str, input: str | None = None, code: int | None = 0) -> str:
        result = runner.invoke(app, [*args], input=input, catch_exceptions=False)
        outputs.append(result.output)
        if code is not None:
            assert result.exit_code == code, result.output
        return result.output

    recipient, signer = shared(run("keys", "init"))
    root = str(ledger_dir.root)
    run("keys", "add", "researcher-1", recipient, "--signs", signer, "--ledger", root)
    run("add", "person", "--protected", "--set", "pseudonym=Temir T.", "--set", "roles=witness",
        "--identity-from", "-", "--ledger", root, input=IDENTITY_YAML)
    ledger_dir.run = run  # type: ignore[attr-defined]
    ledger_dir.outputs = outputs  # type: ignore[attr-defined]
    ledger_dir.key = tmp_path / "config" / "ledger" / "identity.txt"  # type: ignore[attr-defined]
    return ledger_dir


def files_holding(root: Path, *bits: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(bit.encode() in data for bit in bits):
                found.append(path)
    return found


def test_the_identity_is_sealed_on_disk(team: LedgerDir) -> None:
    text = (team.root / "records" / "people" / "temir-t.yaml").read_text()
    assert "identity: |\n  -----BEGIN AGE ENCRYPTED FILE-----" in text
    assert files_holding(team.root, *CANARY_BITS) == []
    assert oct(team.key.stat().st_mode & 0o777) == "0o600"  # type: ignore[attr-defined]
    assert team.run("check", "--ledger", str(team.root)).endswith(  # type: ignore[attr-defined]
        "no findings; 1 protected identity checked for leaks\n")


def test_the_canary_appears_in_no_output_and_no_file(team: LedgerDir, tmp_path: Path) -> None:
    run, root = team.run, str(team.root)  # type: ignore[attr-defined]
    for fmt in ("text", "json", "github"):
        run("check", "--ledger", root, "--format", fmt)
        run("check", "--ledger", root, "--format", fmt, "--no-cache", "--history", code=None)
    for fmt in ("text", "markdown", "json"):
        run("diff-figures", "--ledger", root, "--format", fmt, "--all")
    run("report", "--ledger", root, "--out", "-")
    run("reveal", "temir-t", "--ledger", root, code=2)  # not a terminal: refused
    run("add", "person", "--protected", "--set", "pseudonym=Ulan U.", "--identity-from", "-", "--dry-run",
        "--ledger", root, input=IDENTITY_YAML.replace("Zhanbolat", "Another"))
    run("keys", "rotate", "--ledger", root)
    run("add", "person", "--protected", "--set", "pseudonym=Aigul A.", "--set", f"name={CANARY}", "--ledger", root,
        code=2)
    for output in team.outputs:  # type: ignore[attr-defined]
        assert not any(bit in output for bit in CANARY_BITS), output
    assert files_holding(tmp_path, *CANARY_BITS) == []


def test_a_crash_prints_no_identity(team: LedgerDir) -> None:
    script = (
        "import sys, ledger.leaks as leaks\n"
        "def crash(*args, **kwargs):\n"
        "    secret_names = [s for s in args]\n"
        "    raise RuntimeError('forced crash')\n"
        "leaks.hits = crash\n"
        "from ledger.cli import main\n"
        f"sys.argv = ['ledger', 'check', '--ledger', {str(team.root)!r}, '--identity', {str(team.key)!r}]\n"  # type: ignore[attr-defined]
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, stdin=subprocess.DEVNULL)
    assert done.returncode == 3 and done.stderr.startswith("ledger: internal error (RuntimeError)")
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert not any(bit in done.stdout + done.stderr for bit in CANARY_BITS)
    # for a bug report: the traceback, still without any local variable's value
    debug = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "200", "LEDGER_DEBUG": "1"}, stdin=subprocess.DEVNULL)
    assert debug.returncode == 3 and "forced crash" in debug.stderr and "Traceback" in debug.stderr
    assert not any(bit in debug.stdout + debug.stderr for bit in CANARY_BITS)


def test_reveal_on_a_terminal_and_forced(team: LedgerDir, runner: CliRunner) -> None:
    result = runner.invoke(app, ["reveal", "temir-t", "--ledger", str(team.root), "--force"])
    assert result.exit_code == 0
    assert f"name: {CANARY}" in result.output and "contact: canary-contact-77" in result.output


def test_reveal_in_a_real_terminal(team: LedgerDir) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(str(Path(sys.executable).with_name("ledger")), ["reveal", "temir-t"], cwd=str(team.root),
                          encoding="utf-8", timeout=30, env={**os.environ})
    child.expect(f"name: {CANARY}")
    child.expect(pexpect.EOF)


def test_a_wrong_key_a_tampered_and_a_swapped_ciphertext(team: LedgerDir, runner: CliRunner,
                                                         tmp_path: Path) -> None:
    root = str(team.root)
    other = tmp_path / "other-key.txt"
    assert runner.invoke(app, ["keys", "init", "--identity", str(other)]).exit_code == 0
    wrong = runner.invoke(app, ["reveal", "temir-t", "--ledger", root, "--force", "--identity", str(other)])
    assert wrong.exit_code == 1 and "cannot be decrypted with this key" in wrong.output

    path = team.root / "records" / "people" / "temir-t.yaml"
    sealed = path.read_text()
    lines = sealed.splitlines()
    middle = next(i for i, line in enumerate(lines) if "BEGIN AGE" in line) + 3
    lines[middle] = lines[middle][:10] + ("A" if lines[middle][10] != "A" else "B") + lines[middle][11:]
    path.write_text("\n".join(lines) + "\n")
    tampered = runner.invoke(app, ["check", "--ledger", root, "-f", "json"])
    found = json.loads(tampered.output)
    assert [f["code"] for f in found] == ["identity-unreadable"]
    assert "altered" in found[0]["message"] and found[0]["file"].endswith("temir-t.yaml")

    path.write_text(sealed)
    copy = sealed.replace("id: temir-t", "id: temir-t-copy").replace("Temir T.", "Copy C.")
    team.record("people/temir-t-copy.yaml", copy)
    swapped = json.loads(runner.invoke(app, ["check", "--ledger", root, "-f", "json"]).output)
    assert [f["code"] for f in swapped] == ["identity-unreadable"]
    assert swapped[0]["file"].endswith("records/people/temir-t-copy.yaml")
    assert "sealed for another record" in swapped[0]["message"]


def test_rotation_gives_access_to_the_new_recipients_only(team: LedgerDir, runner: CliRunner,
                                                         tmp_path: Path) -> None:
    root = str(team.root)
    colleague = tmp_path / "colleague.txt"
    init = runner.invoke(app, ["keys", "init", "--identity", str(colleague)])
    recipient = init.output.split("your public recipient: ")[1].split()[0]
    assert runner.invoke(app, ["keys", "add", "researcher-2", recipient, "--ledger", root]).exit_code == 0
    before = runner.invoke(app, ["reveal", "temir-t", "--ledger", root, "--force", "--identity", str(colleague)])
    assert before.exit_code == 1  # sealed before they were added
    assert runner.invoke(app, ["keys", "rotate", "--ledger", root]).exit_code == 0
    after = runner.invoke(app, ["reveal", "temir-t", "--ledger", root, "--force", "--identity", str(colleague)])
    assert after.exit_code == 0 and CANARY in after.output

    assert runner.invoke(app, ["keys", "remove", "researcher-1", "--ledger", root]).exit_code == 0
    assert runner.invoke(app, ["keys", "rotate", "--ledger", root]).exit_code == 0  # still readable by my key
    mine = runner.invoke(app, ["reveal", "temir-t", "--ledger", root, "--force"])
    assert mine.exit_code == 1 and "cannot be decrypted" in mine.output
    theirs = runner.invoke(app, ["reveal", "temir-t", "--ledger", root, "--force", "--identity", str(colleague)])
    assert theirs.exit_code == 0
    assert runner.invoke(app, ["check", "--ledger", root, "--identity", str(colleague)]).exit_code == 0


def test_sealed_lengths_do_not_tell_the_name(team: LedgerDir) -> None:
    """The plaintext is padded to a multiple of 512 bytes: a short and a long name seal the same length."""
    import pyrage

    from ledger.identity import load_identities, seal, signing_key

    keys = load_identities(team.key)  # type: ignore[attr-defined]
    recipient, signer = str(keys[0].to_public()), signing_key(keys)
    short = seal({"name": "Al"}, "p-1", [recipient], signer)
    long = seal({"name": "Zhanbolat Canarybekov-Abdrakhmanov", "contact": "+7 701 000 0000"}, "p-1", [recipient],
                signer)
    sizes = {len(pyrage.decrypt(text.encode(), keys)) for text in (short, long)}
    assert sizes == {512}


def _git_repo(root: Path) -> list[str]:
    """A git repository at `root`; the command that runs git in it, as a committer."""
    git = ["git", "-C", str(root), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    return git


def test_the_leak_check_finds_a_name_everywhere_and_says_only_the_pseudonym(
        team: LedgerDir, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    root = team.root
    monkeypatch.chdir(root)
    git = _git_repo(root)
    team.record("testimonies/leaky.yaml", "kind: testimony\nid: t-leak\nwitness: temir-t\ndate: 2011-12-28\n"
                "mode: in-person\nconsent: anonymous\nsummary: >-\n  He said that ЖАНБОЛАТ КАНАРЫБЕКОВ\n"
                "  was there.\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "notes"], check=True)
    team.record("testimonies/leaky.yaml", "kind: testimony\nid: t-leak\nwitness: temir-t\ndate: 2011-12-28\n"
                "mode: in-person\nconsent: anonymous\nsummary: He said it.\n")
    subprocess.run([*git, "commit", "-qam", "remove the name"], check=True)
    assert runner.invoke(app, ["check", "--ledger", str(root), "-f", "json"]).exit_code == 0  # the files are clean

    team.record("testimonies/t-2.yaml", "kind: testimony\nid: t-2\nwitness: temir-t\ndate: 2011-12-29\n"
                "mode: telephone\nconsent: anonymous\nsummary: Canarybékov, Zhanbolat told us more.\n")
    team.write("evidence/interview-notes.txt", "Interview notes\nwith zhanbolat\ncanarybekov, at home\n")
    team.write("evidence/photo-kanarybekov-zhanbolat.jpg", b"\xff\xd8\xff\x00binary")
    result = runner.invoke(app, ["check", "--ledger", str(root), "-f", "json", "--history"])
    found = json.loads(result.output)
    leaks = sorted((f["file"], f["line"]) for f in found if f["code"] == "identity-leak")
    assert ("records/testimonies/t-2.yaml", 7) in leaks
    assert ("evidence/interview-notes.txt", 2) in leaks
    assert any(file.startswith("evidence/<a name withheld") for file, _ in leaks)
    assert ("records/testimonies/leaky.yaml", 8) in leaks  # in the first commit only
    for f in found:
        assert "`Temir T.`" in f["message"] or f["code"] != "identity-leak"
    assert not any(bit.lower() in result.output.lower() for bit in ("canarybekov", "kanarybekov", "канарыбеков"))


def test_without_a_key_the_leak_check_says_it_was_skipped(team: LedgerDir, runner: CliRunner,
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["check", "--ledger", str(team.root)])
    assert result.exit_code == 0 and "leak check skipped: no key" in result.output
    assert runner.invoke(app, ["check", "--ledger", str(team.root), "--history"]).exit_code == 2


def test_spellings_fold_to_one(team: LedgerDir) -> None:
    from ledger.leaks import Secret, hits, needles

    secret = Secret("p", "P.", frozenset(needles("Ахметова Айгуль Сериковна") | needles("Ольга Петрова")))
    lines = ["Aigul Akhmetova said", "OLGA PETROVA", "Petrova,", "", "Olga was there", "nothing here",
             "QmFzZTY0IGNpcGhlcnRleHQgQWlndWwgQWtobWV0b3Zh"]
    assert [line for line, _ in hits(lines, [secret])] == [1, 2, 3]


def test_a_sealed_identity_in_an_invalid_record_is_still_checked(team: LedgerDir, runner: CliRunner) -> None:
    root = team.root
    path = root / "records" / "people" / "temir-t.yaml"
    path.write_text(path.read_text().replace("roles:", "rols:"))  # a typo makes the record invalid
    team.record("testimonies/t-9.yaml", "kind: testimony\nid: t-9\nwitness: temir-t\ndate: 2011-12-29\n"
                "mode: telephone\nconsent: anonymous\nsummary: Canarybekov Zhanbolat again.\n")
    found = json.loads(runner.invoke(app, ["check", "--ledger", str(root), "-f", "json"]).output)
    assert "identity-leak" in {f["code"] for f in found}
    revealed = runner.invoke(app, ["reveal", "temir-t", "--ledger", str(root), "--force"])
    assert revealed.exit_code == 0


def test_messages_that_quote_a_path_with_a_name_are_masked(team: LedgerDir, runner: CliRunner) -> None:
    team.record("documents/d.yaml", "kind: document\nid: d-1\ntype: other\ntitle: T\nfiles:\n"
                "  - path: evidence/zhanbolat-canarybekov-interview.txt\n    sha256: " + "a" * 64 + "\n")
    # a duplicate id's finding names the other file: a file name that holds the real name
    team.record("orgs/a.yaml", "kind: org\nid: pgo-copy\nname: Copy\n")
    team.record("orgs/zhanbolat-canarybekov.yaml", "kind: org\nid: pgo-copy\nname: Copy\n")
    result = runner.invoke(app, ["check", "--ledger", str(team.root), "-f", "json"])
    assert "missing-file" in result.output and "duplicate-id" in result.output and "withheld" in result.output
    assert "canarybekov" not in result.output.lower()


def test_history_names_folded_across_lines_and_in_cyrillic_file_names(team: LedgerDir, runner: CliRunner,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = team.root
    monkeypatch.chdir(root)
    git = _git_repo(root)
    team.record("testimonies/t-3.yaml", "kind: testimony\nid: t-3\nwitness: temir-t\ndate: 2011-12-28\n"
                "mode: in-person\nconsent: anonymous\nsummary: >-\n  a long account that ends with Zhanbolat\n"
                "  Canarybekov and more.\n")
    team.write("evidence/Жанболат Канарыбеков.txt", "notes")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "add"], check=True)
    (root / "records" / "testimonies" / "t-3.yaml").unlink()
    (root / "evidence" / "Жанболат Канарыбеков.txt").unlink()
    subprocess.run([*git, "commit", "-qam", "remove"], check=True)
    result = runner.invoke(app, ["check", "--ledger", str(root), "-f", "json", "--history"])
    found = [f for f in json.loads(result.output) if f["code"] == "identity-leak"]
    assert any(f["file"] == "records/testimonies/t-3.yaml" and f["line"] == 8 for f in found), found
    assert any(f["file"].startswith("evidence/<a name withheld") for f in found), found
    assert "Канарыбеков" not in result.output and "canarybekov" not in result.output.lower()


def test_protected_aliases_and_identity_are_never_typed_in(team: LedgerDir, runner: CliRunner) -> None:
    root = str(team.root)
    aliases = runner.invoke(app, ["add", "person", "--protected", "--set", "pseudonym=Q.", "--set",
                                  "aliases=Canarybekov", "--ledger", root])
    assert aliases.exit_code == 2 and "Canarybekov" not in aliases.output
    sealed = runner.invoke(app, ["add", "person", "--set", "name=A", "--set", "identity=x", "--ledger", root])
    assert sealed.exit_code == 2
    from ledger.editor import template
    from ledger.load import load_ledger

    text = template(load_ledger(team.root)[0], "person", {"protected": True})
    assert "identity" not in text and "\nname:" not in text and "aliases" not in text


# The leak check's needles against the way they were made before (the same for names of up to eight words: real
# names have six at most), and its indexed matching against a search by brute force: the same hits.

def _needles_as_before(name: str) -> set[str]:
    from ledger.leaks import MIN_NEEDLE, fold

    words = fold(name).split()
    if not words:
        return set()
    forms = {" ".join(words), " ".join(reversed(words))}
    if len(words) > 2:
        forms |= {f"{a} {b}" for a in words for b in words if a != b}
    return {f" {form} " for form in forms if len(form.replace(" ", "")) >= MIN_NEEDLE}


def _hits_by_brute_force(lines: list[str], secrets: list) -> list[tuple[int, object]]:  # type: ignore[type-arg]
    """Every needle tried at every place a word starts (or breaks inside) in every line with letters, run on into
    the next line with letters: no index."""
    from itertools import accumulate

    from ledger.leaks import MIN_JOINED, _fold_lines, _units, _without_armour

    units = [(i, *_units(line)) for i, line in enumerate(_fold_lines(_without_armour(lines)))]
    units = [unit for unit in units if unit[1]]

    def found_in(k: int) -> tuple[set[str], set[str]]:
        _, text, starts = units[k]
        after, after_starts = (units[k + 1][1], units[k + 1][2]) if k + 1 < len(units) else ("", {0: True})
        joined = text + after
        kinds = {**{len(text) + at: strong for at, strong in after_starts.items()}, **starts}
        inside: set[str] = set()
        across: set[str] = set()
        for secret in secrets:
            for needle in secret.needles:
                words = needle.split()
                letters = "".join(words)
                if len(letters) < 3:
                    continue
                breaks = tuple(accumulate(len(word) for word in words[:-1]))
                for start in starts:
                    end = start + len(letters)
                    if start >= len(text) or joined[start:end] != letters or end not in kinds:
                        continue
                    inner = tuple(at - start for at in range(start + 1, end) if at in kinds)
                    strong = tuple(at - start for at in range(start + 1, end) if kinds.get(at) is True)
                    if len(letters) >= MIN_JOINED or inner == breaks or \
                            (kinds[start] is True and kinds[end] is True and strong == breaks):
                        (inside if end <= len(text) else across).add(needle)
        return inside, across

    found = []
    results = [found_in(k) for k in range(len(units))]
    for k, (inside, across) in enumerate(results):
        later = results[k + 1][0] if k + 1 < len(units) else set()
        here = inside | (across - later)
        for secret in secrets:
            if here & secret.needles:
                found.append((units[k][0] + 1, secret))
    return found


NAME_WORDS = ["Zhanbolat", "Жанболат", "Canarybekov", "KANARYBEKOV", "Temir", "Ахметова", "Aigul", "Serikovna",
              "Olga", "Ольга", "Petrova", "Bek", "Zhanbolat-Canarybekov"]
# and the ways words run together or fall apart: camelCase, digits, spaced letters, halves
line_words = st.sampled_from([*NAME_WORDS, "said", "the", "of", "—", ",", "", "  ", "and", "x", "ZhanbolatCanarybekov",
                              "canary", "bekov", "Canarybekov2011", "T", "e", "m", "i", "r", "Bek's", "olgaPetrova"])
lines = st.lists(st.lists(line_words, max_size=8).map(" ".join), max_size=8)
names = st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(names)
def test_needles_as_before_for_names_of_up_to_eight_words(name: str) -> None:
    from ledger.leaks import PAIRED_WORDS, fold, needles

    if len(fold(name).split()) <= PAIRED_WORDS:
        assert needles(name) == _needles_as_before(name)
    else:  # longer, the whole name either way still, and fewer pairs
        whole = " " + " ".join(fold(name).split()) + " "
        assert whole in needles(name) and needles(name) <= _needles_as_before(name)


@settings(max_examples=500, deadline=None)
@given(st.lists(names, min_size=1, max_size=3), lines)
def test_hits_as_by_brute_force(people: list[str], text: list[str]) -> None:
    from ledger.leaks import Secret, hits, needles

    secrets = [Secret(f"p-{i}", f"P{i}.", frozenset(needles(name))) for i, name in enumerate(people)]
    assert list(hits(text, secrets)) == _hits_by_brute_force(text, secrets)


def test_every_way_of_giving_a_record_goes_through_the_protection_policy(team: LedgerDir, runner: CliRunner,
                                                                         tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """--set, --from and --edit alike: a protected person's other names and a hand-made identity are refused,
    without repeating them, and nothing is written."""
    root = str(team.root)
    before = sorted(p.name for p in (team.root / "records" / "people").iterdir())
    draft = tmp_path / "draft.yaml"
    draft.write_text("kind: person\npseudonym: Q.\nprotected: true\naliases: [Canarybekov]\n")
    from_file = runner.invoke(app, ["add", "person", "--from", str(draft), "--ledger", root])
    forged = tmp_path / "forged.yaml"
    forged.write_text("kind: person\npseudonym: Q.\nprotected: true\nidentity: |\n"
                      "  -----BEGIN AGE ENCRYPTED FILE-----\n  YWJj\n  -----END AGE ENCRYPTED FILE-----\n")
    hand_made = runner.invoke(app, ["add", "person", "--from", str(forged), "--ledger", root])
    for result in (from_file, hand_made):
        assert result.exit_code == 2 and "Canarybekov" not in result.output and "nothing was written" in result.output
    # in the editor: the problem is put at the top of the file, and the record is written once it is mended
    script = tmp_path / "editor.py"
    script.write_text("import pathlib, sys\np = pathlib.Path(sys.argv[1])\nt = p.read_text()\n"
                      "if 'ERROR' in t:\n    p.write_text('kind: person\\npseudonym: Q.\\n')\n"
                      "else:\n    p.write_text('kind: person\\npseudonym: Q.\\naliases: [Canarybekov]\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    edited = runner.invoke(app, ["add", "person", "--protected", "--edit", "--ledger", root], catch_exceptions=False)
    assert edited.exit_code == 0, edited.output
    written = sorted(p.name for p in (team.root / "records" / "people").iterdir())
    assert len(written) == len(before) + 1
    assert not files_holding(team.root, "Canarybekov")


def test_keys_init_writes_the_key_where_every_command_looks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             runner: CliRunner) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LEDGER_IDENTITY", str(tmp_path / "keys" / "mine.txt"))
    (tmp_path / "keys").mkdir()
    done = runner.invoke(app, ["keys", "init"], catch_exceptions=False)
    assert done.exit_code == 0 and (tmp_path / "keys" / "mine.txt").is_file(), done.output
    assert not (tmp_path / "config" / "ledger" / "identity.txt").exists()
    assert shared(runner.invoke(app, ["keys", "show"]).output) == shared(done.output)  # found where it was put
    done = runner.invoke(app, ["keys", "init", "--identity", str(tmp_path / "keys" / "other.txt")])
    assert done.exit_code == 0 and (tmp_path / "keys" / "other.txt").is_file()
