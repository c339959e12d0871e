"""The leak check, as a user meets it: a real name written anywhere in the ledger, in any of the spellings people
use, is an `identity-leak` naming the file, the line and the pseudonym, and the name is in no output.

The table below places two protected people's names in the ledger, each case in its own file, through the real
`ledger add person --protected --identity-from -` and one `ledger check --identity KEY` in every format; each case
is its own test. A case the check does not catch says why, and is tested not to be caught (so that the README's
list of what is not caught stays true).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import shutil
import subprocess
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BASE_RECORDS, CONFIG, REPO, LedgerDir, remove_tree
from test_identity import CANARY, shared, team  # noqa: F401 - the fixture
from typer.testing import CliRunner

from ledger.cli import app
from ledger.leaks import WITHHELD

NAME = "Temir Bekov"  # with `surname: Bekov`: a common surname, searched alone only with an initial
PSEUDONYM = "Ulan U."
IDENTITY = "name: Temir Bekov\nname_ru: Темир Беков\nsurname: Bekov\ncontact: canary-contact-12\n"
OTHER = "Zhanbolat Canarybekov"  # with `distinctive: [Canarybekov]`: the surname alone is a leak
OTHER_PSEUDONYM = "Aigul A."
OTHER_IDENTITY = "name: Zhanbolat Canarybekov\ndistinctive: [Canarybekov]\n"
# what no output may hold, in any case: every word of both names, in either script, and the contact
BITS = ("temir", "bekov", "темир", "беков", "zhanbolat", "canarybekov", "canary-contact-12")


@dataclass(frozen=True)
class Case:
    """A name written somewhere, somehow: caught at `line` of `file` (0: no line, as in a file's name or inside a
    PDF), or not caught (`line` None) for the reason given."""

    id: str
    file: str  # as the finding names it (a part holding a name is withheld)
    content: str | bytes
    line: int | None
    write_to: str = ""  # where the file is written, when it is not `file` (a name in the path)
    pseudonym: str = PSEUDONYM
    why_not: str = ""


def pdf(text: str) -> bytes:
    """A one-page PDF whose text is in a compressed content stream: invisible in its raw bytes."""
    stream = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>"),
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name or zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def binary(text: bytes) -> bytes:
    """A JPEG-like file: binary data around a bit of text (as EXIF's Artist)."""
    return b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + bytes(range(256)) * 8 + text + b"\x00" + bytes(range(256)) * 8


def cases() -> Iterator[Case]:
    notes = "Interview notes, December 2011\n\n{}\n"  # the name on line 3

    # Placements: where in the ledger, in the plain spelling
    yield Case("yaml-value", "records/leaks/value.yaml", "kind: testimony\nsummary: He met Temir Bekov there.\n", 2)
    yield Case("yaml-key", "records/leaks/key.yaml", "notes:\n  Temir Bekov: a witness\n", 2)
    yield Case("yaml-comment", "records/leaks/comment.yaml", "id: x\n# ask Temir Bekov again\n", 2)
    yield Case("yaml-flow-list", "records/leaks/flow.yaml", "people: [a, Temir Bekov, b]\n", 1)
    yield Case("yaml-block-folded", "records/leaks/folded.yaml", "summary: >\n  he met Temir\n  Bekov there\n", 2)
    yield Case("records-hidden-file", "records/.draft.yaml", "summary: Temir Bekov\n", 1)
    yield Case("records-json", "records/leaks/draft.json", '{"summary": "Temir Bekov"}\n', 1)
    yield Case("records-text", "records/leaks/notes.txt", notes.format(NAME), 3)
    yield Case("evidence-text", "evidence/notes.txt", notes.format(NAME), 3)
    yield Case("evidence-hidden-file", "evidence/.notes.txt", notes.format(NAME), 3)
    yield Case("other-folder", "notes/interview.txt", notes.format(NAME), 3)
    yield Case("readme", "README.md", "# Notes\n\nInterview with **Temir** _Bekov_.\n", 3)
    yield Case("schemas", "schemas/extra.schema.json", '{\n  "description": "Temir Bekov"\n}\n', 2)
    yield Case("hidden-folder", ".private/notes.md", notes.format(NAME), 3)
    yield Case("deep-folder", "a/b/c/d/e/notes.org", notes.format(NAME), 3)
    yield Case("ledger-state-folder", ".ledger/notes.txt", notes.format(NAME), 3)
    yield Case("no-extension", "evidence/TRANSCRIPT", notes.format(NAME), 3)

    # Placements: in a file's or a folder's name
    yield Case("name-file", f"names/spaced/{WITHHELD}", "nothing\n", 0, "names/spaced/Temir Bekov.txt")
    yield Case("name-file-no-spaces", f"evidence/{WITHHELD}", "x: 1\n", 0, "evidence/TemirBekov.yaml")
    yield Case("name-file-lowercase", f"names/lower/{WITHHELD}", "nothing\n", 0, "names/lower/temirbekov-notes.txt")
    yield Case("name-file-cyrillic", f"names/cyrillic/{WITHHELD}", "nothing\n", 0, "names/cyrillic/Темир_Беков.txt")
    yield Case("name-file-url-encoded", f"names/url/{WITHHELD}", "nothing\n", 0, "names/url/Temir%20Bekov.txt")
    yield Case("name-folder", f"names/folder/{WITHHELD}", "nothing\n", 0, "names/folder/Temir Bekov/notes.txt")
    yield Case("name-across-folders", WITHHELD, "nothing\n", 0, "names/Temir/Bekov.txt")
    yield Case("name-record-file", f"records/leaks/{WITHHELD}", "kind: org\nid: o-x\nname: X\n", 0,
               "records/leaks/temir-bekov.yaml")
    yield Case("name-hidden-file", f"names/hidden/{WITHHELD}", "nothing\n", 0, "names/hidden/.temir-bekov")

    # Spellings, each in a text file of its own (line 3)
    spellings = {
        "reversed-order": "Bekov Temir", "upper-case": "TEMIR BEKOV", "cyrillic": "Темир Беков",
        "cyrillic-latin-mix": "Темир Bekov", "transliteration": "Temir Bekow", "diacritics": "Témir Békov",
        "no-spaces": "TemirBekov", "no-spaces-lower-case": "temirbekov", "spaced-letters": "T e m i r  B e k o v",
        "hyphenated-syllables": "Te-mir Be-kov", "possessive": "Temir Bekov's house",
        "possessive-curly": "Temir Bekov’s house", "ff-for-v": "Temir Bekoff", "doubled-letters": "Temmir Bekkov",
        "url-encoded": "Temir%20Bekov", "url-encoded-cyrillic": "%D0%A2%D0%B5%D0%BC%D0%B8%D1%80%20"
                                                               "%D0%91%D0%B5%D0%BA%D0%BE%D0%B2",
        "html-entity": "Temir&nbsp;Bekov", "html-numeric-entities": "&#84;emir &#x42;ekov",
        "html-tags-inside": "<b>Te</b>mir <i>Bekov</i>", "greek-homoglyphs": "Τemir Βekοv",
        "cyrillic-homoglyphs": "Tеmir Bеkov", "bidi-override-span": "\u202evokeB rimeT\u202c was there",
        "bidi-override-to-end": "he said: \u202evokeB rimeT", "zero-width-space": "Te\u200bmir Be\u200dkov",
        "soft-hyphen": "Te\u00admir Bekov", "fullwidth": "Ｔｅｍｉｒ Ｂｅｋｏｖ", "initial-surname": "T. Bekov",
        "surname-initial": "Bekov, T.", "initial-no-space": "T.Bekov",
        "initial-camel": "see TBekov", "initial-surname-digits": "T. Bekov2011",
        "camel-identifier": "witnessTemirBekov = 1",
        "snake-identifier": "temir_bekov_2011", "json-escapes": "\\u0422\\u0435\\u043c\\u0438\\u0440 "
                                                                "\\u0411\\u0435\\u043a\\u043e\\u0432",
        "octal-escapes": "".join(f"\\{byte:03o}" for byte in "Темир Беков".encode()),  # as git quotes paths
        "markdown-emphasis": "**Temir** *Bekov*", "email-address": "write to temir.bekov@example.org",
        "url-path": "https://example.org/people/temir-bekov/", "math-letters": "𝐓𝐞𝐦𝐢𝐫 𝐁𝐞𝐤𝐨𝐯",
    }
    for key, text in spellings.items():
        yield Case(key, f"spellings/{key}.txt", notes.format(text), 3)
    yield Case("distinctive-part-alone", "spellings/distinctive.txt", notes.format("Canarybekov"), 3,
               pseudonym=OTHER_PSEUDONYM)
    yield Case("other-person-initial", "spellings/other-initial.txt", notes.format("Zh. Canarybekov"), 3,
               pseudonym=OTHER_PSEUDONYM)
    yield Case("across-lines", "spellings/across-lines.txt", "we met Temir\nBekov at home\n", 1)
    yield Case("across-blank-lines", "spellings/across-blank-lines.txt", "we met Temir\n\n\n\nBekov at home\n", 1)

    # YAML, as decoded
    yield Case("yaml-unicode-escapes", "records/leaks/u-escape.yaml",
               'summary: "\\u0422\\u0435\\u043c\\u0438\\u0440 \\u0411\\u0435\\u043a\\u043e\\u0432"\n', 1)
    yield Case("yaml-hex-escapes", "records/leaks/x-escape.yaml", 'summary: "\\x54emir \\x42ekov"\n', 1)
    yield Case("yaml-escaped-line-break", "records/leaks/escaped-break.yaml",
               'id: x\nsummary: "he met Te\\\n  mir Bekov there"\n', 2)
    yield Case("yaml-fold-two-blank-lines", "records/leaks/fold-blank.yaml",
               "id: x\nsummary: he met Temir\n\n\n  Bekov there\n", 2)
    yield Case("yaml-fold-three-lines", "records/leaks/fold-three.yaml",
               "id: x\nsummary: he met T e m\n  i r B e\n  k o v there\n", 2)
    yield Case("yaml-single-quoted-possessive", "records/leaks/single.yaml", "summary: 'Temir Bekov''s house'\n", 1)

    # Encodings
    cyrillic = notes.format("Темир Беков")
    yield Case("utf-8-bom", "evidence/utf8-bom.txt", b"\xef\xbb\xbf" + cyrillic.encode(), 3)
    yield Case("utf-16le-bom", "evidence/utf16le-bom.txt", cyrillic.encode("utf-16"), 3)
    yield Case("utf-16le-no-bom", "evidence/utf16le.txt", notes.format(NAME).encode("utf-16-le"), 3)
    yield Case("utf-16le-no-bom-cyrillic", "evidence/utf16le-cyrillic.txt", cyrillic.encode("utf-16-le"), 3)
    yield Case("utf-16be-no-bom", "evidence/utf16be.txt", cyrillic.encode("utf-16-be"), 3)
    yield Case("cp1251", "evidence/cp1251.txt", cyrillic.encode("cp1251"), 3)
    yield Case("koi8-r", "evidence/koi8r.txt", cyrillic.encode("koi8_r"), 3)
    yield Case("cp866", "evidence/cp866.txt", cyrillic.encode("cp866"), 3)
    yield Case("latin-1", "evidence/latin1.txt", notes.format("Témir Békov").encode("latin-1"), 3)

    # Inside other files
    yield Case("pdf-text", "evidence/report.pdf", pdf("Interview with Temir Bekov"), 0)
    yield Case("gzip", "evidence/notes.txt.gz", gzip.compress(notes.format(NAME).encode()), 0)
    yield Case("bzip2", "evidence/notes.txt.bz2", bz2.compress(notes.format(NAME).encode()), 0)
    yield Case("xz", "evidence/notes.txt.xz", lzma.compress(notes.format(NAME).encode()), 0)
    yield Case("zip-member", "evidence/notes.zip", zipped({"a.txt": b"x", "b.txt": notes.format(NAME).encode()}), 0)
    yield Case("zip-member-name", "evidence/names.zip", zipped({"Temir Bekov.txt": b"nothing"}), 0)
    yield Case("zip-member-without-a-name", "evidence/unnamed.zip", zipped({"": NAME.encode()}), 0)
    yield Case("zip-in-zip", "evidence/nested.zip", zipped({"inner.zip": zipped({"n.txt": NAME.encode()})}), 0)
    yield Case("docx-runs", "evidence/statement.docx", zipped({
        "word/document.xml": b'<w:document><w:p><w:r><w:t>Te</w:t></w:r><w:r><w:t>mir</w:t></w:r><w:r>'
                             b'<w:t xml:space="preserve"> Bekov</w:t></w:r></w:p></w:document>'}), 0)
    yield Case("tar-gz", "evidence/bundle.tar.gz", tar_gz({"notes/a.txt": notes.format(NAME).encode("cp1251")}), 0)
    yield Case("binary-ascii", "evidence/photo.jpg", binary(b"Artist: Temir Bekov"), 0)
    yield Case("binary-utf16", "evidence/photo2.jpg", binary("XPAuthor Темир Беков".encode("utf-16-le")), 0)
    yield Case("binary-utf8", "evidence/data.bin", b"\x00\x01\x02" + "Темир Беков".encode() + b"\x00\x03", 0)

    # Not caught, and why
    yield Case("surname-alone-not-distinctive", "spellings/surname-alone.txt", notes.format("Bekov"), None,
               why_not="a surname alone is searched only when the identity lists it as `distinctive`: a common one "
                       "would be found in every other family's records")
    yield Case("plain-reversed", "spellings/plain-reversed.txt", notes.format("vokeB rimeT"), None,
               why_not="reversed characters without a right-to-left override read as nonsense, not as the name")
    yield Case("base64", "spellings/base64.txt", notes.format("VGVtaXIgQmVrb3Y="), None,
               why_not="encodings that are not text (base64, ROT13, ciphers) are not undone: any of them could be")
    yield Case("keyboard-layout", "spellings/layout.txt", notes.format("Ntvbh ,trjd"), None,
               why_not="typed in the wrong keyboard layout, a name is other letters")
    yield Case("run-into-a-word", "spellings/run-into.txt", notes.format("Temir Bekovs"), None,
               why_not="a name run into other letters (an ending, a suffix) is another word; only a possessive "
                       "`'s` is taken off")
    yield Case("initial-run-together", "spellings/initial-run-together.txt", notes.format("tbekov"), None,
               why_not="letters run together count from 8 letters on: shorter runs turn up by chance where words "
                       "run together (`TBekov` and `T.Bekov` are found, as words)")
    yield Case("leetspeak", "spellings/leet.txt", notes.format("T3m1r B3k0v"), None,
               why_not="digits for letters are not undone")
    yield Case("encrypted-zip", "evidence/locked.zip", _encrypted_zip(), None,
               why_not="an encrypted archive cannot be opened: the check says so (`identity-leak-skipped`)")


def _encrypted_zip() -> bytes:
    """A zip whose one member is marked encrypted (the standard library cannot write real encryption)."""
    data = bytearray(zipped({"secret.txt": notes_text()}))
    data[6] |= 0x1  # the local header's flag
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the central directory's flag
    return bytes(data)


def notes_text() -> bytes:
    return f"Interview notes\n\n{NAME}\n".encode()


CASES = list(cases())


@dataclass
class Table:
    root: Path
    findings: list[dict[str, object]]
    outputs: list[str]
    seconds: float


def _invoke(runner: CliRunner, outputs: list[str], *args: str, input: str | None = None,
            code: int | None = 0) -> str:
    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    outputs.append(result.output)
    outputs.append(result.stderr)
    if code is not None:
        assert result.exit_code == code, result.output
    return result.stdout


def _protected_ledger(root: Path, runner: CliRunner, outputs: list[str]) -> Path:
    """The two protected people's identities sealed in `root` through the command line; the key's path."""
    recipient, signer = shared(_invoke(runner, outputs, "keys", "init"))
    _invoke(runner, outputs, "keys", "add", "researcher-1", recipient, "--signs", signer, "--ledger", str(root))
    for pseudonym, identity in ((PSEUDONYM, IDENTITY), (OTHER_PSEUDONYM, OTHER_IDENTITY)):
        _invoke(runner, outputs, "add", "person", "--protected", "--set", f"pseudonym={pseudonym}", "--set",
                "roles=witness", "--identity-from", "-", "--ledger", str(root), input=identity)
    return root


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Table]:
    """Every case written into one ledger, checked once with the key in each output format."""
    base = tmp_path_factory.mktemp("table")
    ledger = LedgerDir(base / "ledger")
    ledger.write("ledger.yaml", CONFIG)
    for name, text in BASE_RECORDS.items():
        ledger.record(name, text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(base / "config"))
        patch.delenv("LEDGER_IDENTITY", raising=False)
        patch.setenv("NO_COLOR", "1")
        patch.chdir(ledger.root)
        runner, outputs = CliRunner(), []
        _protected_ledger(ledger.root, runner, outputs)
        for case in CASES:
            target = ledger.root / (case.write_to or case.file)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(case.content if isinstance(case.content, bytes) else case.content.encode())
        key = str(base / "config" / "ledger" / "identity.txt")
        start = time.perf_counter()
        found = json.loads(_invoke(runner, outputs, "check", "--identity", key, "-f", "json", code=1))
        seconds = time.perf_counter() - start
        _invoke(runner, outputs, "check", "--identity", key, code=1)
        _invoke(runner, outputs, "check", "--identity", key, "-f", "github", "--no-cache", code=1)
        yield Table(ledger.root, found, outputs, seconds)


def _leaks_in(table: Table, file: str) -> list[dict[str, object]]:
    return [f for f in table.findings if f["file"] == file and f["code"] == "identity-leak"]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_name_is_found_wherever_and_however_it_is_written(table: Table, case: Case) -> None:
    found = _leaks_in(table, case.file)
    if case.line is None:
        assert case.why_not and found == []
    else:
        assert [(f["line"], f"`{case.pseudonym}`" in str(f["message"])) for f in found] == [(case.line, True)], \
            table.findings
    for output in table.outputs:
        assert not any(bit in output.lower() for bit in BITS)


def test_the_table_covers_the_review(table: Table) -> None:
    caught = [case for case in CASES if case.line is not None]
    assert len(CASES) >= 57 and len(caught) >= 57
    # every leak found is a case's: nothing else in the ledger is mistaken for a name
    expected = {case.file for case in caught}
    assert {str(f["file"]) for f in table.findings if f["code"] == "identity-leak"} - expected <= {
        ".ledger/cache/check.bin", ".ledger/cache/names.bin", ".ledger/cache/listing.bin", ".ledger/cache/base.bin",
        ".ledger/cache/blobs.bin"}
    assert table.seconds < 10


def test_what_cannot_be_searched_is_a_warning(table: Table) -> None:
    skipped = [f for f in table.findings if f["code"] == "identity-leak-skipped"]
    assert [(f["file"], f["severity"]) for f in skipped] == [("evidence/locked.zip", "warning")]
    assert "encrypted" in str(skipped[0]["message"])


def test_the_cache_that_holds_a_file_name_is_a_leak_too(table: Table) -> None:
    """ledger's own cache keeps the names of the files it read: one that holds a real name is a leak there too."""
    cached = [f for f in table.findings if str(f["file"]).startswith(".ledger/cache/")]
    assert cached and all("delete .ledger/" in str(f["message"]) for f in cached)


# The git history (`--history`): a name that only the history holds, the working tree clean.

def _git(root: Path, *args: str, name: str = "t", email: str = "t@example.org") -> str:
    return subprocess.run(["git", "-C", str(root), "-c", f"user.name={name}", "-c", f"user.email={email}",
                           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args], check=True,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout


def _repository(root: Path) -> None:
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "the ledger")


def _check(root: Path, runner: CliRunner, *args: str) -> tuple[list[dict[str, object]], str]:
    """`ledger check -f json` run in the ledger root (so that files are named from it): its findings, and every
    output (standard output and error)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        result = runner.invoke(app, ["check", "-f", "json", *args], catch_exceptions=False)
    return json.loads(result.stdout), result.output + result.stderr


def _checks(team: LedgerDir, runner: CliRunner) -> tuple[list[dict[str, object]], list[dict[str, object]]]:  # noqa: F811
    """The leak findings without and with --history (JSON), after asserting that no output holds the canary."""
    found = []
    for extra in ([], ["--history"]):
        findings, output = _check(team.root, runner, *extra)
        assert not any(bit in output.lower() for bit in ("canarybekov", "zhanbolat"))
        found.append([f for f in findings if f["code"] == "identity-leak"])
    return found[0], found[1]


def test_a_name_only_in_a_merge_commit(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    root = team.root
    _repository(root)
    main = _git(root, "symbolic-ref", "--short", "HEAD").strip()
    _git(root, "checkout", "-qb", "side")
    team.write("evidence/side.txt", "side\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "side")
    _git(root, "checkout", "-q", main)
    _git(root, "merge", "--no-ff", "--no-commit", "side")
    team.write("evidence/merge-notes.txt", f"notes\n{CANARY}\n")  # an "evil merge": in neither parent
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "merge side")
    merge = _git(root, "rev-parse", "HEAD").strip()
    _git(root, "rm", "-q", "evidence/merge-notes.txt")
    _git(root, "commit", "-qm", "tidy")
    without, with_history = _checks(team, runner)
    assert without == []
    assert [(f["file"], f["line"]) for f in with_history] == [("evidence/merge-notes.txt", 2)]
    assert merge[:12] in str(with_history[0]["message"]) and "`Temir T.`" in str(with_history[0]["message"])


def test_a_name_only_in_an_older_stash(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    root = team.root
    _repository(root)
    team.write("evidence/notes.txt", f"notes\n\n{CANARY}\n")
    _git(root, "stash", "push", "-qu", "-m", "wip")  # untracked: in the stash's third parent
    team.write("ledger.yaml", (root / "ledger.yaml").read_text() + "# later\n")
    _git(root, "stash", "push", "-q", "-m", "later")  # the first is now stash@{1}: only the stash's reflog has it
    assert not (root / "evidence" / "notes.txt").exists()
    without, with_history = _checks(team, runner)
    assert without == []
    assert [(f["file"], f["line"]) for f in with_history] == [("evidence/notes.txt", 3)]


def test_a_name_only_in_an_annotated_tags_message(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    _repository(team.root)
    _git(team.root, "tag", "-a", "v1", "-m", f"interviews up to {CANARY}'s")
    without, with_history = _checks(team, runner)
    assert without == []
    assert [f["file"] for f in with_history] == ["(tag message)"]
    assert "annotated tag" in str(with_history[0]["message"])


def test_a_name_only_as_a_commits_author(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    root = team.root
    _repository(root)
    team.write("evidence/a.txt", "a\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "a", name=CANARY)
    team.write("evidence/b.txt", "b\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "b", email="zhanbolat.canarybekov@example.org")
    without, with_history = _checks(team, runner)
    assert without == []
    [author] = with_history  # one finding for every commit that names the person
    assert author["file"] == "(commit author)" and "2 commits" not in str(author["message"])
    assert str(author["message"]).count(", ") >= 1  # both commits are named


def test_a_name_only_in_a_commit_rewritten_away_but_tagged(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    root = team.root
    _repository(root)
    team.write("evidence/draft.md", f"# Draft\n\nMet {CANARY} today.\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "draft")
    leaked = _git(root, "rev-parse", "HEAD").strip()
    _git(root, "tag", "keep")  # a lightweight tag keeps the commit
    _git(root, "reset", "-q", "--hard", "HEAD~1")
    team.write("evidence/draft.md", "# Draft\n\nMet T. today.\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "draft, without the name")
    _git(root, "reflog", "expire", "--expire=now", "--all")
    without, with_history = _checks(team, runner)
    assert without == []
    assert [(f["file"], f["line"]) for f in with_history] == [("evidence/draft.md", 3)]
    assert leaked[:12] in str(with_history[0]["message"])


def test_a_name_only_in_a_folders_name_in_a_removed_commit(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    root = team.root
    _repository(root)
    team.write(f"evidence/{CANARY}/notes.txt", "notes\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "notes")
    added = _git(root, "rev-parse", "HEAD").strip()
    _git(root, "rm", "-rq", "evidence")
    _git(root, "commit", "-qm", "moved away")
    without, with_history = _checks(team, runner)
    assert without == []
    assert [(f["file"], f["line"]) for f in with_history] == [(f"evidence/{WITHHELD}", 0)]  # the folder, once
    assert added[:12] in str(with_history[0]["message"])


def test_history_outside_a_repository_is_a_warning(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    result = runner.invoke(app, ["check", "--ledger", str(team.root), "-f", "json", "--history"])
    found = json.loads(result.stdout)
    assert [(f["code"], f["severity"]) for f in found] == [("identity-leak-skipped", "warning")]


# False positives: nothing in the shipped ledger is taken for a name, nor a common surname alone.

MARKED = "name: Aidos Zhaksylykov\nname_ru: Айдос Жаксылыков\nsurname: Zhaksylykov\ndistinctive: [Zhaksylykov]\n"


def test_the_shipped_ledger_holds_no_name(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "shipped"
    shutil.copytree(REPO / "records", root / "records")
    shutil.copy(REPO / "ledger.yaml", root / "ledger.yaml")
    shutil.copy(REPO / "README.md", root / "README.md")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEDGER_IDENTITY", raising=False)
    outputs: list[str] = []
    recipient, signer = shared(_invoke(runner, outputs, "keys", "init"))
    _invoke(runner, outputs, "keys", "add", "researcher-1", recipient, "--signs", signer, "--ledger", str(root))
    # Serik and Saktaganov are both in the shipped records (Serik Tenizbaev, Talgat Saktaganov), never together
    for pseudonym, identity in (("Canary C.", f"name: {CANARY}\n"),
                                ("Serik S.", "name: Serik Saktaganov\nsurname: Saktaganov\n"),
                                ("Ulan Q.", MARKED)):
        _invoke(runner, outputs, "add", "person", "--protected", "--set", f"pseudonym={pseudonym}",
                "--identity-from", "-", "--ledger", str(root), input=identity)
    assert "Saktaganov" in (root / "records" / "people" / "talgat-saktaganov.yaml").read_text()
    start = time.perf_counter()
    found = json.loads(_invoke(runner, outputs, "check", "--ledger", str(root), "-f", "json"))
    assert found == [] and time.perf_counter() - start < 5
    text = _invoke(runner, outputs, "check", "--ledger", str(root))
    assert text.endswith("no findings; 3 protected identities checked for leaks\n")


# Files built to exhaust the check: a warning, no crash, at once.

def test_a_zip_bomb_and_a_damaged_pdf_are_warnings(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in ("a.txt", "b.txt"):  # 2 × 40 MiB of zeros in 2 × 0.2 MiB: more than 64 MiB in all
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(40):
                    member.write(bytes(1 << 20))
    team.write("evidence/bomb.zip", buffer.getvalue())
    team.write("evidence/bomb.txt.gz", gzip.compress(bytes(72 << 20), 1))
    team.write("evidence/damaged.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R" + bytes(range(256)) * 64)
    start = time.perf_counter()
    findings, _ = _check(team.root, runner)
    seconds = time.perf_counter() - start
    found = sorted((f["file"], f["code"], f["severity"]) for f in findings)
    assert found == [("evidence/bomb.txt.gz", "identity-leak-skipped", "warning"),
                     ("evidence/bomb.zip", "identity-leak-skipped", "warning"),
                     ("evidence/damaged.pdf", "identity-leak-skipped", "warning")]
    assert seconds < 1, seconds


def test_a_video_too_large_to_read_is_searched_at_its_ends(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger import leaks

    monkeypatch.setattr(leaks, "SEARCH_LIMIT", 1 << 20)
    middle = bytes(range(256)) * 8192  # 2 MiB
    team.write("evidence/interview.mp4", b"\x00\x00\x00\x18ftypmp42" + middle + f"\xa9ART {CANARY}".encode())
    team.write("evidence/middle.mp4", b"\x00\x00\x00\x18ftypmp42" + middle + CANARY.encode() + middle)
    team.write("evidence/notes.txt", "notes\n" * (300 << 10))  # over the bound, and not a video
    found, _ = _check(team.root, runner)
    assert sorted((f["file"], f["code"]) for f in found) == [("evidence/interview.mp4", "identity-leak"),
                                                            ("evidence/notes.txt", "identity-leak-skipped")]


def test_folders_deeper_than_pythons_recursion_are_searched(team: LedgerDir, runner: CliRunner) -> None:  # noqa: F811
    deep = "/".join(["d"] * 1200)  # os.walk recursed, and raised RecursionError past about 1,000 levels
    folder = team.root / "notes"
    for _ in range(1200):  # one at a time: mkdir(parents=True) recurses too
        folder = folder / "d"
        folder.mkdir(parents=True)
    (folder / "notes.txt").write_text(f"notes\n{CANARY}\n")
    try:
        found, _ = _check(team.root, runner)
        assert [(f["file"], f["line"], f["code"]) for f in found] == [(f"notes/{deep}/notes.txt", 2, "identity-leak")]
    finally:
        remove_tree(team.root / "notes")


def test_an_encrypted_pdf_is_a_warning_and_one_with_an_empty_password_is_read(team: LedgerDir,  # noqa: F811
                                                                             runner: CliRunner) -> None:
    import pypdf

    for name, password in (("locked.pdf", "secret"), ("open.pdf", "")):
        writer = pypdf.PdfWriter()
        writer.append(pypdf.PdfReader(io.BytesIO(pdf(f"Interview with {CANARY}"))))
        writer.encrypt(password, algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        team.write(f"evidence/{name}", buffer.getvalue())
    found, _ = _check(team.root, runner)
    assert sorted((f["file"], f["code"]) for f in found) == [("evidence/locked.pdf", "identity-leak-skipped"),
                                                            ("evidence/open.pdf", "identity-leak")]


# Whether the leak check runs is decided by what ledger.yaml says, not by how it is written.

def test_quoted_and_json_recipients_still_run_the_leak_check(team: LedgerDir, runner: CliRunner,  # noqa: F811
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import yaml

    config = team.root / "ledger.yaml"
    team.write("evidence/notes.txt", f"{CANARY}\n")
    data = yaml.safe_load(config.read_text())
    quoted = config.read_text().replace("recipients:", '"recipients":')
    assert '"recipients":' in quoted
    for text in (quoted, json.dumps(data, indent=2)):
        config.write_text(text)
        found, _ = _check(team.root, runner)
        assert [f["file"] for f in found] == ["evidence/notes.txt"], text
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))  # no key: skipped, and said so
        skipped = runner.invoke(app, ["check", "--ledger", str(team.root)])
        assert "leak check skipped: no key" in skipped.output
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_recipients_are_read_from_the_yaml_not_the_text() -> None:
    from ledger.keyring import has_recipients

    def holds(text: str) -> bool:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "ledger.yaml").write_text(text)
            return has_recipients(Path(folder))

    key = "age1" + "q" * 58
    assert holds(f"ledger: 1\n'recipients': {{r-1: {key}}}\n")
    assert holds(f'{{"ledger": 1, "recipients": {{"r-1": "{key}"}}}}')
    assert holds(f"ledger: 1\ntitle: [unclosed\nrecipients:\n  r-1: {key}\n") is False  # not YAML at all
    assert holds(f"ledger: 1\nmeasures: 3\nrecipients:\n  r-1: {key}\n")  # invalid elsewhere: still sealed
    assert not holds("ledger: 1\n# recipients: none yet\n")
    assert not holds("ledger: 1\nrecipients: {}\n")
    assert not holds("ledger: 1\ntitle: Our recipients\n")


def test_mutated_archives_pdfs_and_texts_never_crash_the_leak_check() -> None:
    """Seeds of every kind the leak check opens (the table's files, archives within archives), with random bytes
    changed, cut and inserted: warnings at most, never an exception, each at once."""
    import random

    from ledger.leaks import Secret, identity_needles, search_bytes

    secrets = [Secret("p", "P.", identity_needles({"name": NAME, "surname": "Bekov"}))]
    seeds = [case.content if isinstance(case.content, bytes) else case.content.encode() for case in CASES]
    seeds += [zipped({"a.txt": NAME.encode(), "b/c.docx": zipped({"w.xml": b"<a>Temir</a>"})}), tar_gz({"a": b"x"}),
              bz2.compress(b"x" * 100), lzma.compress(b"y" * 100)]
    rng = random.Random(2)
    for _ in range(600):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            where = rng.randrange(len(data) + 1)
            choice = rng.random()
            if choice < 0.4 and where < len(data):
                data[where] = rng.randrange(256)
            elif choice < 0.6:
                del data[where:where + rng.randint(1, 50)]
            elif choice < 0.8:
                data[where:where] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
            else:
                del data[where:]
        start = time.perf_counter()
        list(search_bytes(bytes(data), secrets, 1 << 20))
        assert time.perf_counter() - start < 1
