"""The leak check: is a protected person's real name anywhere in the ledger in plaintext?

With a key, every sealed identity is decrypted in memory and its names are looked for, in every
spelling that folds to the same letters (case, diacritics, Cyrillic or Latin script, common
transliteration variants, either word order), in every record, every file name, every text
evidence file and, on request, every commit of the git history. A hit names the file, the line
and the person's pseudonym: never the name.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .findings import Finding
from .identity import ARMOR_BEGIN, ARMOR_END, IdentityError, names_of, unseal
from .layout import CONFIG_NAME, RECORD_SUFFIXES, RECORDS_DIR

EVIDENCE_DIR = "evidence"
MIN_NEEDLE = 5  # folded letters: shorter names match too much to be evidence of a leak

# Spellings that transliteration schemes disagree on, folded to one (applied in this order).
_FOLDS = (("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"),
          ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"), ("yo", "e"), ("ye", "e"), ("ya", "ia"), ("yu", "iu"),
          ("y", "i"), ("ii", "i"), ("ee", "i"), ("ng", "n"),
          # c is k (Canat, Kanat), except in ch (ч) and ts, tz, tc (ц)
          ("tz", "\x02"), ("ts", "\x02"), ("tc", "\x02"), ("ch", "\x01"), ("c", "k"), ("\x01", "ch"),
          ("\x02", "ts"))
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ARMOUR_LINE = re.compile(r"^[A-Za-z0-9+/=]{40,}$")


def fold(text: str) -> str:
    """`text` in one spelling: ASCII transliteration, lower case, variants folded, words between spaces."""
    from anyascii import anyascii

    folded = anyascii(text).lower()
    for a, b in _FOLDS:
        folded = folded.replace(a, b)
    return " " + _NOT_ALNUM.sub(" ", folded).strip() + " "


def needles(name: str) -> set[str]:
    """The folded forms of a name to look for: as written, words reversed, first and last word either way."""
    words = fold(name).split()
    if not words:
        return set()
    forms = {" ".join(words), " ".join(reversed(words))}
    if len(words) > 2:
        forms |= {f"{words[0]} {words[-1]}", f"{words[-1]} {words[0]}"}
    return {f" {form} " for form in forms if len(form.replace(" ", "")) >= MIN_NEEDLE}


@dataclass(frozen=True)
class Secret:
    """A protected person's names, folded, and how output may name the person."""

    person: str
    pseudonym: str
    needles: frozenset[str]


def hits(lines: list[str], secrets: list[Secret]) -> Iterator[tuple[int, Secret]]:
    """(line number, secret) for each line where a name appears; a name folded across two lines counts at
    the first. The lines of an age armour are skipped: they are the ciphertext."""
    folded = []
    armour = False
    for line in lines:
        if ARMOR_BEGIN in line:
            armour = True
        folded.append("" if armour else fold(line))
        if ARMOR_END in line:
            armour = False
    for i, text in enumerate(folded):
        if not text.strip():
            continue
        joined = text + folded[i + 1][1:] if i + 1 < len(folded) else text
        for secret in secrets:
            for needle in secret.needles:
                if needle in text or (needle in joined and not (i + 1 < len(folded) and needle in folded[i + 1])):
                    yield i + 1, secret
                    break


def _message(secret: Secret, where: str = "") -> str:
    return (f"the real name of the protected person `{secret.pseudonym}` ({secret.person}) appears here{where}; "
            "remove it: a protected identity must exist only encrypted (see the README if it was committed)")


def _text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _files(root: Path, folder: str, suffixes: tuple[str, ...] | None) -> list[Path]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                  p.relative_to(root).parts) and (suffixes is None or p.name.endswith(suffixes)))


def unseal_all(root: Path, keys: list[Any]) -> tuple[list[Secret], list[Finding]]:
    """Every sealed identity of the ledger, decrypted in memory; the ones that do not decrypt as findings."""
    from .load import read_file

    secrets, findings = [], []
    for path in _files(root, RECORDS_DIR, RECORD_SUFFIXES):
        raw = path.read_bytes()
        if ARMOR_BEGIN.encode() not in raw:
            continue
        name = path.relative_to(root).as_posix()
        entries, _, _ = read_file(raw, name)
        for entry in entries:
            record: Any = entry.record
            if record.kind != "person" or record.identity is None:
                continue
            try:
                identity = unseal(record.identity, record.id, keys)
            except IdentityError as e:
                findings.append(entry.finding("identity-unreadable", f"`identity` of `{record.id}` ({record.label}) "
                                              f"{e}", "identity"))
                continue
            found: set[str] = set()
            for text in names_of(identity):
                found |= needles(text)
            secrets.append(Secret(record.id, record.label, frozenset(found)))
    return secrets, findings


WITHHELD = "<a name withheld: it holds a protected person's real name>"


def mask(path: str, secrets: list[Secret]) -> str:
    """`path` with every part that holds a real name replaced: a finding must not repeat the leak."""
    parts = path.split("/")
    return "/".join(WITHHELD if any(True for _ in hits([part], secrets)) else part for part in parts)


def mask_findings(findings: list[Finding], secrets: list[Secret]) -> list[Finding]:
    """Findings whose file paths hold no real name."""
    from dataclasses import replace

    return [replace(f, file=mask(f.file, secrets)) for f in findings] if secrets else findings


def leak_findings(root: Path, keys: list[Any], history: bool = False) -> tuple[list[Finding], list[Secret]]:
    """Leaks of every sealed identity's names (paths masked), and the identities checked (kept in memory)."""
    secrets, findings = unseal_all(root, keys)
    if not secrets:
        return findings, secrets
    texts = [*_files(root, RECORDS_DIR, RECORD_SUFFIXES), root / CONFIG_NAME,
             *_files(root, EVIDENCE_DIR, None)]
    for path in texts:
        name = path.relative_to(root).as_posix()
        text = _text(path)
        if text is not None:
            for line, secret in hits(text.splitlines(), secrets):
                findings.append(Finding(name, line, 1, "identity-leak", _message(secret)))
    for path in [*_files(root, RECORDS_DIR, None), *_files(root, EVIDENCE_DIR, None)]:
        name = path.relative_to(root).as_posix()
        for _, secret in hits([name.replace("/", " ")], secrets):
            findings.append(Finding(name, 0, 0, "identity-leak", _message(secret, " (in the file's name: rename "
                                                                          "it)")))
    if history:
        findings += list(history_findings(root, secrets))
    return mask_findings(findings, secrets), secrets


def history_findings(root: Path, secrets: list[Secret]) -> Iterable[Finding]:
    """Leaks in any commit of the git history: added lines, file names and commit messages."""
    try:
        log = subprocess.run(
            ["git", "-C", str(root), "log", "--all", "--no-color", "--no-ext-diff", "--unified=0", "-p",
             "--format=commit %H%n%B%n@@end-of-message@@"],
            capture_output=True, check=True, stdin=subprocess.DEVNULL).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.CalledProcessError):
        yield Finding(".", 0, 0, "identity-leak-skipped",
                      "--history: the ledger is not in a git repository (or git is missing): history not searched",
                      "warning")
        return
    commit, path, line, message = "", "", 0, False
    seen: set[tuple[str, str, int]] = set()

    def report(text: str, where_path: str, where_line: int) -> Iterator[Finding]:
        if _ARMOUR_LINE.match(text):
            return  # a line of ciphertext
        for _, secret in hits([text], secrets):
            key = (secret.person, where_path, where_line)
            if key not in seen:
                seen.add(key)
                yield Finding(where_path or ".", where_line, 1 if where_line else 0, "identity-leak",
                              _message(secret, f" in commit {commit[:12]} of the git history"))

    for raw in log.splitlines():
        if raw.startswith("commit ") and len(raw) == 47:
            commit, path, line, message = raw[7:], "", 0, True
        elif message:
            if raw == "@@end-of-message@@":
                message = False
            else:
                yield from report(raw, "(commit message)", 0)
        elif raw.startswith("diff --git "):
            path = raw.split(" b/", 1)[-1]
            yield from report(path.replace("/", " "), path, 0)
        elif raw.startswith("@@ "):
            match = re.search(r"\+(\d+)", raw)
            line = int(match.group(1)) if match else 0
        elif raw.startswith("+") and not raw.startswith("+++"):
            yield from report(raw[1:], path, line)
            line += 1
