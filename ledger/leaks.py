"""The leak check: is a protected person's real name anywhere in the ledger in plaintext?

With a key, every sealed identity is decrypted in memory and its names are looked for in every file of the ledger
(hidden ones, any extension, any folder, ledger's own cache in `.ledger/`) and every file's name: as raw text and
as decoded YAML, in the encodings a researcher's files come in, inside PDFs and compressed files (`leakfiles`),
and, on request, in every object of the git history (`leakhistory`). A name counts in every spelling that folds to
the same letters: case, diacritics, script, transliteration variants, either word order, without spaces or with
spaced letters, possessives, doubled letters, URL and HTML escapes, homoglyphs, bidi-reversed text. A hit names the
file, the line and the person's pseudonym: never the name.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding, Severity
from .identity import (
    IdentityError,
    Status,
    distinctive_of,
    given_names_of,
    names_of,
    open_sealed,
    surnames_of,
)
from .layout import STATE_DIR
from .reading import Refused, read_bytes, read_edges

MIN_NEEDLE = 5  # folded letters: shorter names match too much to be evidence of a leak
# A name's letters found across other word breaks than its own (`temirbekov`, `T e m i r  B e k o v`) count only
# from this many letters on: shorter ones turn up by chance where words run together.
MIN_JOINED = 8
# Real names have at most six words (given names, patronymic, surnames); pairs of words are made among the first
# eight only, so that a crafted name of 150 words makes 56 pairs rather than 22,350.
PAIRED_WORDS = 8
SEARCH_LIMIT = 64 << 20  # bytes of one file the leak check reads, and decompresses from it
YAML_LIMIT = 4 << 20  # characters of one text also read as YAML (a record file is at most 1 MiB)

# Spellings that transliteration schemes disagree on, folded to one (applied in this order).
_FOLDS = (("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"),
          ("ck", "k"), ("q", "k"), ("x", "ks"), ("w", "v"), ("yo", "e"), ("ye", "e"), ("ya", "ia"), ("yu", "iu"),
          ("y", "i"), ("ii", "i"), ("ee", "i"), ("ng", "n"), ("gh", "g"),
          # c is k (Canat, Kanat), except in ch (ч) and ts, tz, tc (ц)
          ("tz", "\x02"), ("ts", "\x02"), ("tc", "\x02"), ("ch", "\x01"), ("c", "k"), ("\x01", "ch"),
          ("\x02", "ts"))
_NOT_ALNUM = re.compile("[^a-z0-9\x00\n]+")
_SIGNS = re.compile("[ьъЬЪ'ʹʺ’`]")
# `Bekov's`: the possessive is no part of the name (else its apostrophe, folded like a soft sign, makes `bekovs`)
_POSSESSIVE = re.compile(r"['’ʼ`´](?<=[^\W\d_]['’ʼ`´])['’ʼ`´]*s(?![^\W\d_])")
_FINAL_FF = re.compile(r"ff(?![a-z])")  # Bekoff, Ivanoff: the old French spelling of -ov
_DOUBLE = re.compile(r"([a-z])\1+")  # Temmir, Bekkov: a doubled letter is one
_OTHER_BREAKS = re.compile("[\x00-\x02\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_LINE_END = re.compile(r"\r\n|\r|\n")
# Beginning and end of an ASCII armour (age's, PGP's): ciphertext, never a name, and long enough to turn up one
# by chance. Only its base64 lines are left out, so that a name beside a stray marker is still found.
_ARMOUR = re.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----(?:(?:\\n|\s)+[A-Za-z0-9+/=]{1,100})*"
                     r"(?:(?:\\n|\s)+-----END [A-Z0-9 ]{1,40}-----)?")
MARK = "\x00"  # in a folded line: a break inside a word (TemirBekov, bekov2011), weaker than a space


def _letters(test: Callable[[str], bool]) -> str:
    return "".join(re.escape(chr(c)) for c in (*range(0x41, 0x250), *range(0x370, 0x530)) if test(chr(c)))


_LOWER, _UPPER = _letters(str.islower), _letters(str.isupper)
# camelCase and letters against digits: `TemirBekov`, `TBekov`, `bekov2011` hold words. Each pattern starts with
# the rarer character (a capital, a digit), which the regex engine scans for fast.
_BREAK_BEFORE = re.compile(f"[{_UPPER}](?<=[{_LOWER}][{_UPPER}])|[{_UPPER}](?<=[{_UPPER}][{_UPPER}])(?=[{_LOWER}])"
                           r"|\d(?<=[^\W\d_]\d)")
_BREAK_AFTER = re.compile(r"(\d)(?=[^\W\d_])")


def _fold_lines(lines: list[str]) -> list[str]:
    """Each line in one spelling: ASCII transliteration, lower case, variants folded, words between spaces, and a
    MARK where a word breaks inside (camelCase, digits). The work is done on the whole text at once."""
    from anyascii import anyascii

    if not lines:
        return []
    text = "\n".join(lines)
    if text.count("\n") != len(lines) - 1:  # a line with a line break in it stays one line
        text = "\n".join(line.replace("\n", " ") for line in lines)
    text = _OTHER_BREAKS.sub(" ", text)
    text = _BREAK_AFTER.sub("\\1" + MARK, _BREAK_BEFORE.sub(MARK + "\\g<0>", _POSSESSIVE.sub(" ", text)))
    text = _SIGNS.sub("", text)  # soft and hard signs (Ольга, Olga) and the apostrophes for them break no word
    if not text.isascii():  # line by line: most lines are ASCII, which anyascii returns at once
        text = "\n".join(line if line.isascii() else anyascii(line).replace("\n", " ") for line in text.split("\n"))
    text = _SIGNS.sub("", text).lower()
    for a, b in _FOLDS:
        text = text.replace(a, b)
    text = _NOT_ALNUM.sub(" ", _DOUBLE.sub(r"\1", _FINAL_FF.sub("v", text)))
    return text.split("\n")


def fold(text: str) -> str:
    """`text` in one spelling: ASCII transliteration, lower case, variants folded, words between spaces."""
    words = _fold_lines([_LINE_END.sub(" ", text)])[0].replace(MARK, "").split()
    return " " + " ".join(words) + " "


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


def identity_needles(identity: Mapping[str, Any]) -> frozenset[str]:
    """Every form of an identity's names to look for: its whole names (`needles`), each part it lists as
    `distinctive` alone, and, when it marks the surname, the surname with the initials of the other names
    (`T. Bekov`, `T. S. Bekov`, `Bekov T.`)."""
    names = names_of(identity)
    found: set[str] = set()
    for name in names:
        found |= needles(name)
    for part in distinctive_of(identity):
        words = fold(part).split()
        if len("".join(words)) >= MIN_NEEDLE:
            found.add(" " + " ".join(words) + " ")
    given = [fold(text).split() for text in given_names_of(identity)]
    for surname in surnames_of(identity):
        last = fold(surname).split()
        if not last:
            continue
        others: list[list[str] | None] = [_without(fold(name).split(), last) for name in names]
        for rest in [*others, [word for part in given for word in part]]:
            initials = [word[0] for word in (rest or [])[:3]]
            for count in range(1, len(initials) + 1):
                for form in ([*initials[:count], *last], [*last, *initials[:count]]):
                    if len("".join(form)) >= MIN_NEEDLE:
                        found.add(" " + " ".join(form) + " ")
    return frozenset(found)


def _without(words: list[str], part: list[str]) -> list[str] | None:
    """`words` without the run `part` (the surname), or None when it is not there."""
    for start in range(len(words) - len(part) + 1):
        if words[start:start + len(part)] == part:
            return words[:start] + words[start + len(part):]
    return None


@dataclass(frozen=True)
class Secret:
    """A protected person's names, folded, how output may name the person, and whether the identity they come
    from is signed by a listed member (`signed`), unsigned, or forged: only a signed one is known to be the
    person's."""

    person: str
    pseudonym: str
    needles: frozenset[str] = field(repr=False)
    status: Status = "signed"


def whose(secret: Secret) -> str:
    """How a leak's message names what was found: the person's real name only when their identity is signed."""
    who = f"`{secret.pseudonym}` ({secret.person})"
    if secret.status == "forged":
        return (f"a name from the forged identity sealed in the record of {who} (its signature is refused: the "
                "name is not known to be theirs, or anyone's)")
    if secret.status == "unsigned":
        return (f"a name from the unsigned identity of the protected person {who} (nothing shows who sealed it: "
                "check it, then re-seal it with `ledger keys rotate --sign-unsigned`)")
    return f"the real name of the protected person {who}"


def leak_severity(secret: Secret) -> Severity:
    """A name from a forged identity is a warning: the forgery is the error (`identity-forged`), and a forger
    must not be able to make the check demand that a name they chose be taken out of the ledger."""
    return "warning" if secret.status == "forged" else "error"


@dataclass
class _Index:
    """Every needle as its letters run together (`temirbekov`) with the offsets of its own word breaks, filed by
    its first three letters: each place a word starts in a line is looked up once, so that the work grows with the
    text, not with the text times the needles."""

    by_start: dict[str, list[tuple[str, tuple[int, ...], int]]]  # first letters -> (letters, breaks, needle number)
    holders: list[list[int]]  # needle number -> the secrets (by position) that hold it


_INDEXES: dict[tuple[Secret, ...], _Index] = {}


def _index(secrets: list[Secret]) -> _Index:
    key = tuple(secrets)
    index = _INDEXES.get(key)
    if index is None:
        numbers: dict[str, int] = {}
        by_start: dict[str, list[tuple[str, tuple[int, ...], int]]] = defaultdict(list)
        holders: list[list[int]] = []
        for position, secret in enumerate(secrets):
            for needle in sorted(secret.needles):
                if needle not in numbers:
                    words = needle.split()
                    letters = "".join(words)
                    if len(letters) < 3:
                        continue
                    numbers[needle] = len(holders)
                    holders.append([])
                    breaks, at = [], 0
                    for word in words[:-1]:
                        at += len(word)
                        breaks.append(at)
                    by_start[letters[:3]].append((letters, tuple(breaks), numbers[needle]))
                holders[numbers[needle]].append(position)
        if len(_INDEXES) > 8:
            _INDEXES.clear()
        index = _INDEXES[key] = _Index(dict(by_start), holders)
    return index


def _units(line: str) -> tuple[str, dict[int, bool]]:
    """A folded line's letters run together, and where its words start in them (True: at a space; False: at a
    MARK); the end counts as a start."""
    starts: dict[int, bool] = {}
    at = 0
    if MARK not in line:
        words = line.split()
        for word in words:
            starts[at] = True
            at += len(word)
        starts[at] = True
        return "".join(words), starts
    parts: list[str] = []
    for word in line.split():
        starts[at] = True
        for piece in word.split(MARK):
            if piece:
                starts.setdefault(at, False)
                parts.append(piece)
                at += len(piece)
    starts[at] = True
    return "".join(parts), starts


def _shaped(start: int, letters: str, breaks: tuple[int, ...], kind: Callable[[int], bool | None]) -> bool:
    """Whether the letters found at `start` make the name: its own words (between spaces, or between any breaks),
    or, when long enough to be no accident, its letters across any breaks."""
    if len(letters) >= MIN_JOINED:
        return True
    end = start + len(letters)
    inner = [(at - start, kind(at)) for at in range(start + 1, end) if kind(at) is not None]
    if tuple(at for at, _ in inner) == breaks:
        return True
    return kind(start) is True and kind(end) is True and tuple(at for at, strong in inner if strong) == breaks


def _line_hits(text: str, starts: dict[int, bool], after: str, after_starts: dict[int, bool],
               index: _Index) -> tuple[set[int], set[int]]:
    """The needles found in a line (`text`, its letters run together), and those that start in it and run on into
    the next line that has any (`after`)."""
    size = len(text)

    def kind(at: int) -> bool | None:
        return starts.get(at) if at <= size else after_starts.get(at - size)

    inside: set[int] = set()
    across: set[int] = set()
    by_start = index.by_start
    for start in starts:
        if start >= size:
            continue
        key = text[start:start + 3]
        if len(key) < 3:
            key = (key + after)[:3]
        for letters, breaks, number in by_start.get(key, ()):
            end = start + len(letters)
            if end <= size:
                if end in starts and text.startswith(letters, start) and _shaped(start, letters, breaks, kind):
                    inside.add(number)
            else:
                cut = size - start
                if (end - size) in after_starts and text.startswith(letters[:cut], start) and \
                        after.startswith(letters[cut:]) and _shaped(start, letters, breaks, kind):
                    across.add(number)
    return inside, across


def _without_armour(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    if "-----BEGIN " not in text:
        return lines
    blanked = _ARMOUR.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return blanked.split("\n")


def _search(lines: list[str], index: _Index) -> Iterator[tuple[int, set[int]]]:
    """(line index, needle numbers) for each line where a needle is found; a needle that runs on into the next line
    that has any letters (across blank lines) counts at the first, unless it is found whole in that next line."""
    held: tuple[int, set[int], set[int]] | None = None  # a line's hits, waiting for its next line's
    last: tuple[int, str, dict[int, bool]] | None = None  # the last line with letters
    for i, line in enumerate(_fold_lines(_without_armour(lines))):
        text, starts = _units(line)
        if not text:
            continue
        if last is not None:
            inside, across = _line_hits(last[1], last[2], text, starts, index)
            if held is not None and (held[1] or held[2] - inside):
                yield held[0], held[1] | (held[2] - inside)
            held = (last[0], inside, across)
        last = (i, text, starts)
    if last is not None:
        inside, _ = _line_hits(last[1], last[2], "", {0: True}, index)
        if held is not None and (held[1] or held[2] - inside):
            yield held[0], held[1] | (held[2] - inside)
        if inside:
            yield last[0], inside


def hits(lines: list[str], secrets: list[Secret]) -> Iterator[tuple[int, Secret]]:
    """(line number, secret) for each line where a name appears; a name folded across two lines (blank ones
    between them aside) counts at the first. ASCII armour (the ciphertext) is left out."""
    if not secrets:
        return
    index = _index(secrets)
    for i, found in _search(lines, index):
        for number in sorted({n for needle in found for n in index.holders[needle]}):
            yield i + 1, secrets[number]


# Spellings that hide a name from a plain reading, undone line by line (a line stays a line).
_TAG = re.compile(r"<[A-Za-z/!?][^<>\n]{0,2000}>")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ESCAPE = re.compile(r"(?:\\x[0-9a-fA-F]{2})+|(?:\\[0-3][0-7]{2})+|\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
# Greek and Cyrillic letters that look like Latin ones, in a word that mixes scripts (Вekov, Τemir).
_HOMOGLYPHS = str.maketrans({
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y", "ү": "y", "ԛ": "q", "ԝ": "w",
    "Ԛ": "Q", "Ԝ": "W", "ɡ": "g"})
_MIXED = re.compile("[A-Za-z][\u0370-\u052f]|[\u0370-\u052f][A-Za-z]|[\u0370-\u03ff][\u0400-\u052f]"
                    "|[\u0400-\u052f][\u0370-\u03ff]")
_WORD = re.compile(r"[^\W\d_]+")
_RLO = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)")  # right-to-left override: shown reversed
_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _unescape(match: re.Match[str]) -> str:
    text = match.group(0)
    hexadecimal = match.group(1) or match.group(2)
    if hexadecimal:
        code = int(hexadecimal, 16)
        return chr(code) if code < 0x110000 else text
    if text[1] == "x":
        data = bytes.fromhex(text.replace("\\x", ""))
    else:
        data = bytes(int(octal, 8) for octal in text.split("\\")[1:])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _latin_look(match: re.Match[str]) -> str:
    word = match.group(0)
    mapped = word.translate(_HOMOGLYPHS)
    return mapped if mapped.isascii() else word


def _variant(lines: list[str]) -> list[str] | None:
    """The lines with markup taken out and escapes (HTML, URL, backslash), homoglyphs and right-to-left overrides
    undone; None when there are none."""
    import html
    from urllib.parse import unquote

    text = "\n".join(lines)
    steps: list[Any] = []
    if "<" in text and _TAG.search(text):
        steps.append(lambda line: _TAG.sub("", line))
    if "&" in text and _ENTITY.search(text):
        steps.append(html.unescape)
    if "%" in text and _PERCENT.search(text):
        steps.append(lambda line: unquote(line, errors="replace"))
    if "\\" in text and _ESCAPE.search(text):
        steps.append(lambda line: _ESCAPE.sub(_unescape, line))
    if not text.isascii() and _MIXED.search(text):
        steps.append(lambda line: _WORD.sub(_latin_look, line))
    if "\u202e" in text:
        steps.append(lambda line: _RLO.sub(lambda m: m.group(1)[::-1], line))
    if not steps:
        return None
    out = []
    for line in lines:
        undone = line
        for step in steps:
            undone = step(undone)
        out.append(_BREAKS.sub(" ", undone))
    return out


def _scalars(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, value) of each YAML scalar (keys too) that reads otherwise decoded than written:
    those over several lines (folds joined, whatever blank lines between) and double-quoted ones with escapes.
    A text that is not YAML gives what was read before the parser stopped."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    lines: list[str] | None = None
    try:
        for event in yaml.parse(text, Loader=loader):
            if not isinstance(event, yaml.ScalarEvent):
                continue
            if event.start_mark is None or event.end_mark is None:
                continue
            first, last, value = event.start_mark.line, event.end_mark.line, event.value
            if "-----BEGIN " in value:
                continue
            if last > first:
                yield first + 1, last + 1, value
            elif event.style == '"':
                if lines is None:
                    lines = text.split("\n")
                if first < len(lines) and value not in lines[first]:
                    yield first + 1, last + 1, value
    except yaml.YAMLError:
        return
    except (ValueError, RecursionError, MemoryError):
        return


def search_text(text: str, secrets: list[Secret], as_yaml: bool = True) -> set[tuple[int, int]]:
    """(line number, secret's position) for every name in `text`: its lines as written, then with escapes and
    disguises undone, then (`as_yaml`) its YAML scalars as decoded, where they differ, at their first line."""
    lines = _LINE_END.split(text)
    number = {id(secret): n for n, secret in enumerate(secrets)}
    found = {(line, number[id(secret)]) for line, secret in hits(lines, secrets)}
    variant = _variant(lines)
    if variant is not None:
        found |= {(line, number[id(secret)]) for line, secret in hits(variant, secrets)}
    if as_yaml and len(text) <= YAML_LIMIT:
        for first, last, value in _scalars(text):
            for line in _spellings(" ".join(value.split())):
                for _, secret in hits([line], secrets):
                    n = number[id(secret)]
                    if not any((at, n) in found for at in range(first, last + 1)):
                        found.add((first, n))
    return found


def _spellings(line: str) -> list[str]:
    variant = _variant([line])
    return [line] if variant is None else [line, variant[0]]


def holders(text: str, secrets: list[Secret]) -> set[int]:
    """The secrets (by position) whose names `text` holds, disguised or not."""
    number = {id(secret): n for n, secret in enumerate(secrets)}
    return {number[id(secret)] for line in _spellings(_BREAKS.sub(" ", text)) for _, secret in hits([line], secrets)}


def _message(secret: Secret, where: str = "") -> str:
    if secret.status == "forged":
        return f"{whose(secret)} appears here{where}; remove the forged identity, then check again"
    return (f"{whose(secret)} appears here{where}; remove it: a protected identity must exist only encrypted (see the "
            "README if it was committed)")


def search_bytes(raw: bytes, secrets: list[Secret], limit: int) -> Iterator[tuple[int, int, str] | str]:
    """(line number or 0, secret's position, where) for each name in a file's bytes, whatever they hold, and a
    warning's message for each part that could not be searched."""
    from .leakfiles import Piece, pieces

    seen: set[tuple[int, int, str]] = set()
    for piece in pieces(raw, limit):
        if not isinstance(piece, Piece):
            yield piece.message
            continue
        found = {number for _, number, _ in seen}
        for line, number in sorted(search_text(piece.text, secrets, piece.yaml)):
            hit = (line if piece.numbered else 0, number, piece.where)
            if hit not in seen and not (piece.fallback and number in found):
                seen.add(hit)
                yield hit


def unseal_all(root: Path, keys: list[Any]) -> tuple[list[Secret], list[Finding]]:
    """Every sealed identity of the ledger, decrypted in memory, forged ones too (their names are searched, as
    someone's); the ones that do not decrypt, and those whose signature is refused or missing, as findings.

    An unsigned identity is a warning while ledger.yaml lists no signer (the team has not started signing) and
    an error once it lists one: from then on, anything the team seals is signed, and an unsigned identity is
    either one sealed before, waiting to be vouched for, or a forgery without a signature."""
    from .keyring import listed_signers, sealed_identities

    secrets: list[Secret] = []
    sealed, findings = sealed_identities(root)
    signers = listed_signers(root) if sealed else {}
    for item in sealed:
        what = f"`identity` of `{item.record_id}` ({item.label})"
        try:
            opened = open_sealed(item.armored, item.record_id, keys, signers)
        except IdentityError as e:
            findings.append(Finding(item.file, item.line, 1, "identity-unreadable", f"{what} {e}"))
            continue
        if opened.status == "forged":
            findings.append(Finding(item.file, item.line, 1, "identity-forged",
                                    f"{what} {opened.problem}: it is refused, as anyone who can read ledger.yaml "
                                    "could have made it; do not act on it: ask who recorded the witness, and "
                                    "replace it"))
        elif opened.status == "unsigned":
            findings.append(Finding(item.file, item.line, 1, "identity-unsigned",
                                    f"{what} is not signed, so nothing shows who sealed it (anyone who can read "
                                    f"ledger.yaml could have): check it (`ledger reveal {item.record_id} --unsigned`), "
                                    "then vouch for it with `ledger keys rotate --sign-unsigned`",
                                    "error" if signers else "warning"))
        secrets.append(Secret(item.record_id, item.label, identity_needles(opened.identity), opened.status))
        del opened
    return secrets, findings


WITHHELD = "<a name withheld: it holds a protected person's real name>"


def _holds(text: str, secrets: list[Secret]) -> bool:
    return bool(holders(text, secrets))


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


def _skipped(name: str, message: str) -> Finding:
    return Finding(name, 0, 0, "identity-leak-skipped", message, "warning")


def _entries(root: Path, problems: list[Finding]) -> Iterator[tuple[str, bool]]:
    """(path relative to the root, is a folder) of everything in the ledger's working tree but `.git/` (the history
    is `--history`'s): hidden files and folders, any extension, `.ledger/` too; a folder before what it holds.
    Links are listed, never walked; the walk keeps its own stack, as a crafted tree can be deeper than Python's
    recursion (os.walk's)."""
    pending = [""]
    while pending:
        base = pending.pop()
        try:
            with os.scandir(root / base if base else root) as listing:
                items = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing)
        except OSError as e:
            problems.append(_skipped(base or ".", f"this folder cannot be listed ({e.strerror}): it was not searched "
                                                  "for real names"))
            continue
        folders = []
        for name, is_folder in items:
            if not base and name == ".git" and is_folder:
                continue
            path = f"{base}/{name}" if base else name
            yield path, is_folder
            if is_folder:
                folders.append(path)
        pending.extend(reversed(folders))


def _where_in_state(name: str) -> str:
    if name == STATE_DIR or name.startswith(STATE_DIR + "/"):
        return (f" (in ledger's own cache and temporary files: delete {STATE_DIR}/ once the name is gone from the "
                "files; the next check rebuilds it)")
    return ""


def _search_file(root: Path, name: str, secrets: list[Secret]) -> Iterator[tuple[int, int, str] | str]:
    """`search_bytes` of one file of the ledger, read safely; a file that cannot be read is a warning, and so is
    one over SEARCH_LIMIT, unless it is a photo, a recording or a video: the ends of those are all that is
    searched of one of any size."""
    from .leakfiles import MEDIA_EDGE, edge_pieces

    too_large = f"this file is over {SEARCH_LIMIT >> 20} MiB: it was not searched for real names"
    try:
        raw = read_bytes(root / name, root, SEARCH_LIMIT)
    except Refused as e:
        if e.code != "file-too-large":
            return  # a FIFO, a device, a link out of the ledger: not the ledger's text, never opened
        try:
            ends = edge_pieces(*read_edges(root / name, root, MEDIA_EDGE))
        except (OSError, Refused):
            ends = None
        if ends is None:
            yield too_large
        for piece in ends or []:
            yield from ((0, number, piece.where) for _, number in sorted(search_text(piece.text, secrets, False)))
        return
    except OSError as e:
        yield f"this file cannot be read ({e.strerror}): it was not searched for real names"
        return
    yield from search_bytes(raw, secrets, SEARCH_LIMIT)


def leak_findings(root: Path, keys: list[Any], history: bool = False) -> tuple[list[Finding], list[Secret]]:
    """Leaks of every sealed identity's names (paths masked), and the identities checked (kept in memory)."""
    secrets, findings = unseal_all(root, keys)
    if not secrets:
        return findings, secrets
    in_names: dict[str, set[int]] = {"": set()}
    reported: set[tuple[str, str, int]] = set()  # (person, file, line) found in the working tree
    for name, is_folder in _entries(root, findings):
        parent = name.rpartition("/")[0]
        here = holders(name.replace("/", " "), secrets)
        in_names[name] = here
        state = _where_in_state(name)
        for number in sorted(here - in_names.get(parent, set())):  # a folder's name is reported once, not per file
            reported.add((secrets[number].person, name, 0))
            what = "folder" if is_folder else "file"
            findings.append(Finding(name, 0, 0, "identity-leak", _message(secrets[number], f" (in the {what}'s name: "
                                                                          f"rename it){state}"),
                                    leak_severity(secrets[number])))
        if is_folder:
            continue
        for hit in _search_file(root, name, secrets):
            if isinstance(hit, str):
                findings.append(_skipped(name, hit))
                continue
            line, number, where = hit
            reported.add((secrets[number].person, name, line))
            findings.append(Finding(name, line, 1 if line else 0, "identity-leak",
                                    _message(secrets[number], where + state), leak_severity(secrets[number])))
    if history:
        from .leakhistory import history_findings

        findings += list(history_findings(root, secrets, reported))
    return mask_findings(findings, secrets), secrets

