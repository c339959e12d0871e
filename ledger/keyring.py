"""Who can read protected identities: the recipients in ledger.yaml, and re-sealing identities for them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic
from .errors import LedgerError
from .findings import Finding
from .identity import ARMOR_BEGIN, IdentityError, check_recipient, seal, unseal
from .layout import CONFIG_NAME
from .models import SLUG_HELP, SLUG_PATTERN
from .reading import Refused, read_bytes
from .yamlio import decode, parse_text

BOM = b"\xef\xbb\xbf"


class LedgerFileError(IdentityError, LedgerError):
    """ledger.yaml (or a record file) cannot be read, is not valid, or cannot be written: a problem of the
    ledger's files or the disk rather than of a key; the command line's usage/environment exit code."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _config_problem(findings: list[Finding]) -> LedgerFileError:
    # Only findings' messages: they never quote a value of the file, which a parser's error would.
    if not findings:
        return LedgerFileError(f"{CONFIG_NAME} is not valid; run `ledger check`")
    first = findings[0]
    if first.line <= 0:  # it could not be read at all
        return LedgerFileError(_one_line(first.message))
    return LedgerFileError(f"{CONFIG_NAME} is not valid (line {first.line}: {_one_line(first.message)}); "
                           "run `ledger check`")


def _write(root: Path, path: Path, file: str, data: bytes) -> None:
    try:
        atomic.atomic_write_bytes(path, data, root=root)
    except OSError as e:
        raise LedgerFileError(f"cannot write {file}: {e.strerror or type(e).__name__}") from None


def _read_text(root: Path, path: Path, file: str) -> tuple[bytes, str]:
    """A file's bytes and its text (a byte-order mark left out of the text, and put back on writing)."""
    try:
        raw = read_bytes(path, root)
    except OSError as e:
        raise LedgerFileError(f"cannot read {file}: {e.strerror or type(e).__name__}") from None
    except Refused as e:
        raise LedgerFileError(f"{file}: {e.message}") from None
    text, findings = decode(raw, file)
    if text is None:
        raise LedgerFileError(f"{file}: {findings[0].message}" if findings else f"{file} is not UTF-8 text")
    return raw, text


def _encode(raw: bytes, text: str) -> bytes:
    return (BOM if raw.startswith(BOM) else b"") + text.encode("utf-8")


def recipients(root: Path) -> dict[str, str]:
    """The recipients ledger.yaml lists: name -> age public key; LedgerFileError when ledger.yaml is not valid."""
    from .load import read_config

    config, _, findings = read_config(root)
    if config is None or findings:
        raise _config_problem(findings)
    return dict(config.recipients)


def has_recipients(root: Path) -> bool:
    """True when ledger.yaml lists recipients, as its YAML (or JSON) reads: the ledger keeps sealed identities, and
    `ledger check` must run the leak check or say it was skipped. A ledger.yaml that does not validate (a typo
    elsewhere in it) is read for its `recipients` all the same."""
    try:
        raw = read_bytes(root / CONFIG_NAME, root)
    except (OSError, Refused):
        return False
    if b"recipients" not in raw:
        return False  # the usual ledger without keys: no parse
    from .load import read_config
    from .yamlio import parse_bytes

    config, _, _ = read_config(root)
    if config is not None:
        return bool(config.recipients)
    parsed = parse_bytes(raw, CONFIG_NAME)
    data = parsed.documents[0].data if parsed.documents else None
    return isinstance(data, dict) and bool(data.get("recipients"))


def set_recipient(root: Path, name: str, recipient: str | None) -> bool:
    """Add (or, with None, remove) a recipient in ledger.yaml; return False when there was nothing to change.

    Only the line of that recipient changes (the `recipients:` block is added or removed with its first or
    last entry): comments, alignment and every other byte stay. The new text must read back as the same
    configuration with just this change, and be valid, before it replaces the file; else nothing is written.
    """
    from .validate import validate_config
    from .yamledit import EditRefused, set_entry

    if not re.match(SLUG_PATTERN, name):
        raise IdentityError(f"a recipient's name must be {SLUG_HELP} (a neutral label, no personal data)")
    if recipient is not None:
        recipient = check_recipient(recipient)
    current = recipients(root)
    if recipient is None:
        if name not in current:
            raise IdentityError(f"ledger.yaml has no recipient named `{name}`")
        current.pop(name)
    else:
        if current.get(name) == recipient:
            return False
        other = next((k for k, v in current.items() if v == recipient), None)
        if other is not None:
            raise IdentityError(f"that key is already listed, as `{other}`")
        current[name] = recipient
    path = root / CONFIG_NAME
    raw, text = _read_text(root, path, CONFIG_NAME)
    try:
        new_text = set_entry(text, CONFIG_NAME, ("recipients",), name, recipient)
    except EditRefused as e:
        raise LedgerFileError(str(e)) from None
    parsed = parse_text(new_text, CONFIG_NAME)
    config, errors = validate_config(parsed.documents[0], CONFIG_NAME)
    if config is None or errors or dict(config.recipients) != current:
        raise LedgerFileError(f"{CONFIG_NAME}: the edited text did not read back as intended; the file was not "
                              "changed")
    _write(root, path, CONFIG_NAME, _encode(raw, new_text))
    return True


@dataclass
class Sealed:
    """One sealed identity in a record file."""

    path: Path
    file: str  # relative to the ledger root
    record_id: str  # the record's id when it is a slug, else "?"
    label: str  # how output may name the person: the pseudonym
    line: int  # of the `identity:` key
    armored: str
    document: int = 0  # which of the file's documents holds it


def sealed_identities(root: Path) -> tuple[list[Sealed], list[Finding]]:
    """Every sealed identity in the ledger's record files, valid records or not (a typo elsewhere in a record
    must not hide its identity from rotation or the leak check), and the files that hold armour but could
    not be read as records."""
    from .load import record_files
    from .yamlio import parse_bytes

    found: list[Sealed] = []
    problems: list[Finding] = []
    for name in record_files(root)[0]:  # the files `ledger check` reads, listed as it lists them
        path = root / name
        try:
            raw = read_bytes(path, root)
        except Refused:
            continue  # not a record file at all (`ledger check` says so): it holds no identity
        except OSError as e:
            problems.append(Finding(name, 0, 0, "identity-unreadable", f"cannot read the file: {e.strerror}"))
            continue
        armoured = ARMOR_BEGIN.encode() in raw
        # the identity is found in the data, as the file reads: a formatter may have folded its armour over
        # lines, or an escape may spell its key; only a file that holds neither the key nor an escape can be
        # passed over unparsed
        if not armoured and b"identity" not in raw and b"\\" not in raw:
            continue
        parsed = parse_bytes(raw, name)
        seen = 0
        for doc in parsed.documents:
            data = doc.data
            if not isinstance(data, dict) or data.get("kind") != "person" or not isinstance(data.get("identity"), str):
                continue
            seen += 1
            # The data is not validated: an id that is not a slug could carry anything into a message.
            given = data.get("id")
            record_id = given if isinstance(given, str) and re.match(SLUG_PATTERN, given) else "?"
            pseudonym = data.get("pseudonym")
            label = pseudonym if isinstance(pseudonym, str) else record_id
            line, _ = doc.locate(("identity",), key=True)
            found.append(Sealed(path, name, record_id, label, line, data["identity"], doc.index))
        if not seen and armoured:
            problems.append(Finding(name, 1, 1, "identity-unreadable",
                                    "this file holds an age armour, but no person record with an `identity` could "
                                    "be read from it: fix the file (`ledger check` says how)"))
    return found, problems


def rotate(root: Path, keys: list[Any]) -> list[str]:
    """Re-seal every identity for the recipients ledger.yaml lists now; return the ids re-sealed.

    Every identity is decrypted, re-sealed and (when the user's key is among the recipients) decrypted
    again, and every file's new text is built and verified by yamledit (only the `identity` values change),
    before any file is written: if any step fails for any file, nothing is written. Each file is then
    replaced atomically.
    """
    from .yamledit import EditRefused, replace_values

    keys_now = list(recipients(root).values())
    if not keys_now:
        raise IdentityError("ledger.yaml lists no recipients: rotating would lock everyone out")
    sealed, unreadable = sealed_identities(root)
    plain: list[tuple[Sealed, dict[str, Any]]] = []
    problems = [f"{f.file}: {f.message}" for f in unreadable]
    for item in sealed:
        try:
            plain.append((item, unseal(item.armored, item.record_id, keys)))
        except IdentityError as e:
            problems.append(f"`{item.record_id}`: {e}")
    if problems:
        raise IdentityError("nothing was re-encrypted, as some identities cannot be read with this key: "
                            + "; ".join(problems))
    # When the user left themselves out of the recipients, their key cannot open the new ciphertexts: the
    # check below then rests on yamledit's (the file holds exactly the ciphertext that was made).
    mine = {str(key.to_public()) for key in keys}
    can_check = bool(mine & set(keys_now))
    by_file: dict[Path, list[tuple[Sealed, dict[str, Any]]]] = {}
    for item, identity in plain:
        by_file.setdefault(item.path, []).append((item, identity))
    writes: list[tuple[Path, str, bytes]] = []
    for path, items in by_file.items():
        file = items[0][0].file
        raw, text = _read_text(root, path, file)
        changes: dict[tuple[int, tuple[Any, ...]], str] = {}
        expect: dict[tuple[int, tuple[Any, ...]], str] = {}
        for item, identity in items:
            armored = seal(identity, item.record_id, keys_now)
            if can_check and _reopen(armored, item.record_id, keys) != identity:
                raise IdentityError(f"nothing was re-encrypted: the new ciphertext of `{item.record_id}` in {file} "
                                    "does not decrypt to the same identity")
            # the old value's final line break, or its absence, is kept: only the ciphertext changes
            value = armored.strip("\n") + ("\n" if item.armored.endswith("\n") else "")
            changes[(item.document, ("identity",))] = value
            expect[(item.document, ("identity",))] = item.armored
        try:
            new_text = replace_values(text, file, changes, expect)
        except EditRefused as e:
            raise IdentityError(f"nothing was re-encrypted: {e}") from None
        writes.append((path, file, _encode(raw, new_text)))
    for done, (path, file, data) in enumerate(writes):
        try:
            _write(root, path, file, data)
        except LedgerFileError as e:
            if done:
                raise LedgerFileError(f"{e}; {done} of {len(writes)} files were re-encrypted before it: run "
                                      "`ledger keys rotate` again once it can be written") from None
            raise LedgerFileError(f"{e}; nothing was re-encrypted") from None
    return [item.record_id for item, _ in plain]


def _reopen(armored: str, record_id: str, keys: list[Any]) -> dict[str, Any] | None:
    try:
        return unseal(armored, record_id, keys)
    except IdentityError:
        return None
