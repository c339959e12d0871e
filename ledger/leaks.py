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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding
from .identity import IdentityError, names_of, unseal
from .layout import CONFIG_NAME, RECORD_SUFFIXES, RECORDS_DIR
from .reading import Refused, read_bytes

EVIDENCE_DIR = "evidence"
MIN_NEEDLE = 5  # folded letters: shorter names match too much to be evidence of a leak
# Real names have at most six words (given names, patronymic, surnames); pairs of words are made among the first
# eight only, so that a crafted name of 150 words makes 56 pairs rather than 22,350.
PAIRED_WORDS = 8

# Spellings that transliteration schemes disagree on, folded to one (applied in this order).
_FOLDS = (("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"),
          ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"), ("yo", "e"), ("ye", "e"), ("ya", "ia"), ("yu", "iu"),
          ("y", "i"), ("ii", "i"), ("ee", "i"), ("ng", "n"), ("gh", "g"),
          # c is k (Canat, Kanat), except in ch (ч) and ts, tz, tc (ц)
          ("tz", "\x02"), ("ts", "\x02"), ("tc", "\x02"), ("ch", "\x01"), ("c", "k"), ("\x01", "ch"),
          ("\x02", "ts"))
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SIGNS = re.compile("[ьъЬЪ'ʹʺ’`]")
_ARMOUR_LINE = re.compile(r"^\s*(?:[A-Za-z0-9+/=]{20,}|-----(?:BEGIN|END) AGE ENCRYPTED FILE-----)\s*$")


def fold(text: str) -> str:
    """`text` in one spelling: ASCII transliteration, lower case, variants folded, words between spaces."""
    from anyascii import anyascii

    # soft and hard signs (Ольга, Olga) and the apostrophes that transliterate them are no word break
    folded = _SIGNS.sub("", anyascii(_SIGNS.sub("", text)).lower())
    for a, b in _FOLDS:
        folded = folded.replace(a, b)
    return " " + _NOT_ALNUM.sub(" ", folded).strip() + " "


def needles(name: str) -> set[str]:
    """The folded forms of a name to look for (each between spaces): as written, words reversed, and every two
    of its words (of its first `PAIRED_WORDS`) either way."""
    words = fold(name).split()
    if not words:
        return set()
    forms = {" ".join(words), " ".join(reversed(words))}
    if len(words) > 2:  # given name, patronymic, surname, in any order: every two of them
        paired = words[:PAIRED_WORDS]
        forms |= {f"{a} {b}" for a in paired for b in paired if a != b}
    return {f" {form} " for form in forms if len(form.replace(" ", "")) >= MIN_NEEDLE}


@dataclass(frozen=True)
class Secret:
    """A protected person's names, folded, and how output may name the person."""

    person: str
    pseudonym: str
    needles: frozenset[str] = field(repr=False)


def hits(lines: list[str], secrets: list[Secret]) -> Iterator[tuple[int, Secret]]:
    """(line number, secret) for each line where a name appears; a name folded across two lines counts at
    the first. Lines shaped like an age armour's are skipped: they are the ciphertext."""
    # Each needle is filed under its first word, and each line's words are looked up once each: the work
    # grows with the text, not with the text times the needles.
    index: dict[str, list[str]] = defaultdict(list)
    holders: dict[str, list[int]] = defaultdict(list)  # needle -> the secrets (by position) that hold it
    for number, secret in enumerate(secrets):
        for needle in secret.needles:
            if needle not in holders:
                index[needle[1:needle.index(" ", 1)]].append(needle)
            holders[needle].append(number)
    folded = ["" if _ARMOUR_LINE.match(line) else fold(line) for line in lines]
    for i, text in enumerate(folded):
        if not text.strip():
            continue
        after = next((t for t in folded[i + 1:i + 3] if t.strip()), "")  # across one blank line, too
        found = {number for needle in _here(text, after, index) for number in holders[needle]}
        for number in sorted(found):
            yield i + 1, secrets[number]


def _here(text: str, after: str, index: dict[str, list[str]]) -> set[str]:
    """The needles that count as found in the folded line `text`: those in it, and those that run on into the
    next line `after` (unless they are found whole in `after`, where they count)."""
    joined = text + after[1:] if after else text  # one space between their words, as in each
    inside: set[str] = set()
    across: set[str] = set()
    later: set[str] = set()  # found whole in `after`
    end, start = len(text), 0  # `start`: where the space before a word is
    for word in joined[1:-1].split(" "):
        for needle in index.get(word, ()):
            if joined.startswith(needle, start):
                last = start + len(needle)
                (inside if last <= end else later if start >= end - 1 else across).add(needle)
        start += len(word) + 1
    return inside | (across - later)


def _message(secret: Secret, where: str = "") -> str:
    return (f"the real name of the protected person `{secret.pseudonym}` ({secret.person}) appears here{where}; "
            "remove it: a protected identity must exist only encrypted (see the README if it was committed)")


SEARCH_LIMIT = 64 << 20  # bytes of one file the leak check reads: text evidence is far smaller; a video is not text


def _text(path: Path, root: Path) -> str | None:
    """A file's text: UTF-8, UTF-16 with a byte-order mark, else Windows-1251 (Russian documents); None for
    binary files. Refused (file-too-large) past SEARCH_LIMIT; None for what is not a regular file of the ledger,
    which is never opened."""
    try:
        raw = read_bytes(path, root, SEARCH_LIMIT)
    except Refused as e:
        if e.code == "file-too-large":
            raise
        return None
    except OSError:
        return None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16", "replace")
    if b"\x00" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251", "replace")


def _files(root: Path, folder: str, suffixes: tuple[str, ...] | None) -> list[Path]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                  p.relative_to(root).parts) and (suffixes is None or p.name.endswith(suffixes)))


def unseal_all(root: Path, keys: list[Any]) -> tuple[list[Secret], list[Finding]]:
    """Every sealed identity of the ledger, decrypted in memory; the ones that do not decrypt as findings."""
    from .keyring import sealed_identities

    secrets: list[Secret] = []
    sealed, findings = sealed_identities(root)
    for item in sealed:
        try:
            identity = unseal(item.armored, item.record_id, keys)
        except IdentityError as e:
            findings.append(Finding(item.file, item.line, 1, "identity-unreadable",
                                    f"`identity` of `{item.record_id}` ({item.label}) {e}"))
            continue
        found: set[str] = set()
        for text in names_of(identity):
            found |= needles(text)
        secrets.append(Secret(item.record_id, item.label, frozenset(found)))
    return secrets, findings


WITHHELD = "<a name withheld: it holds a protected person's real name>"


def _holds(text: str, secrets: list[Secret]) -> bool:
    return any(True for _ in hits([text], secrets))


def mask(path: str, secrets: list[Secret]) -> str:
    """`path` with every part that holds a real name replaced (the whole path when a name runs across its
    folders): a finding must not repeat the leak."""
    parts = path.split("/")
    masked = [WITHHELD if _holds(part, secrets) else part for part in parts]
    if _holds(" ".join(p for p in masked if p != WITHHELD), secrets):
        return WITHHELD
    return "/".join(masked)


_TOKEN = re.compile(r"`[^`]*`|[^\s`]+")


def mask_findings(findings: list[Finding], secrets: list[Secret]) -> list[Finding]:
    """Findings that hold no real name: not in their file paths, nor in their messages (which may quote a
    path, a file name or an id)."""
    from dataclasses import replace

    if not secrets:
        return findings
    out = []
    for f in findings:
        message = f.message
        if _holds(message, secrets):
            message = _TOKEN.sub(lambda m: WITHHELD if _holds(m.group(0), secrets) else m.group(0), message)
            if _holds(message, secrets):
                message = f"{CODES_WITHHELD} [{f.code}]"
        out.append(replace(f, file=mask(f.file, secrets), message=message))
    return out


CODES_WITHHELD = "the message is withheld: it holds a protected person's real name"


def leak_findings(root: Path, keys: list[Any], history: bool = False) -> tuple[list[Finding], list[Secret]]:
    """Leaks of every sealed identity's names (paths masked), and the identities checked (kept in memory)."""
    secrets, findings = unseal_all(root, keys)
    if not secrets:
        return findings, secrets
    texts = [*_files(root, RECORDS_DIR, RECORD_SUFFIXES), root / CONFIG_NAME,
             *_files(root, EVIDENCE_DIR, None)]
    for path in texts:
        name = path.relative_to(root).as_posix()
        try:
            text = _text(path, root)
        except Refused:
            findings.append(Finding(name, 0, 0, "identity-leak-skipped", f"this file is over {SEARCH_LIMIT >> 20} "
                                    "MiB: it was not searched for real names", "warning"))
            continue
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
    """Leaks in any commit of the git history: added lines (two at a time, as a name may be folded across
    them), file names and commit messages."""
    try:
        log = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", "log", "--all", "--no-color", "--no-ext-diff",
             "--unified=0", "-p", "--relative", "--format=commit %H%n%B%n@@end-of-message@@", "--", "."],
            capture_output=True, check=True, stdin=subprocess.DEVNULL).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.CalledProcessError):
        yield Finding(".", 0, 0, "identity-leak-skipped",
                      "--history: the ledger is not in a git repository (or git is missing): history not searched",
                      "warning")
        return
    commit, path, line, message = "", "", 0, False
    seen: set[tuple[str, str, int]] = set()
    added: list[tuple[int, str]] = []

    def report(lines: list[str], where_path: str, first_line: int) -> Iterator[Finding]:
        for offset, secret in hits(lines, secrets):
            where_line = first_line + offset - 1 if first_line else 0
            key = (secret.person, where_path, where_line)
            if key not in seen:
                seen.add(key)
                yield Finding(where_path or ".", where_line, 1 if where_line else 0, "identity-leak",
                              _message(secret, f" in commit {commit[:12]} of the git history"))

    def flush() -> Iterator[Finding]:
        if added:
            yield from report([text for _, text in added], path, added[0][0])
            added.clear()

    for raw in log.splitlines():
        if raw.startswith("commit ") and len(raw) in (47, 71):  # SHA-1 or SHA-256
            yield from flush()
            commit, path, line, message = raw[7:], "", 0, True
        elif message:
            if raw == "@@end-of-message@@":
                message = False
            else:
                yield from report([raw], "(commit message)", 0)
        elif raw.startswith("diff --git "):
            yield from flush()
            path = raw.split(" b/", 1)[-1]
            yield from report([path.replace("/", " ")], path, 0)
        elif raw.startswith("@@ "):
            yield from flush()
            match = re.search(r"\+(\d+)", raw)
            line = int(match.group(1)) if match else 0
        elif raw.startswith("+") and not raw.startswith("+++"):
            added.append((line, raw[1:]))
            line += 1
    yield from flush()
