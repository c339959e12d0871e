"""Who can read protected identities and whose signatures on them count: the recipients and signers in
ledger.yaml; and re-sealing identities for them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import atomic
from .display import prose
from .errors import LedgerError
from .findings import Finding
from .identity import (
    ARMOR_BEGIN,
    SIGNER_PATTERN,
    ForgedIdentity,
    IdentityError,
    SigningKey,
    check_recipient,
    check_signer,
    open_sealed,
    seal,
    signing_key,
    unseal,
)
from .kinds import SLUG_HELP, SLUG_PATTERN
from .layout import CONFIG_NAME
from .reading import Refused, read_bytes
from .yamlio import decode, parse_text

BOM = b"\xef\xbb\xbf"


class LedgerFileError(IdentityError, LedgerError):
    """ledger.yaml (or a record file) cannot be read, is not valid, or cannot be written: a problem of the
    ledger's files or the disk rather than of a key; the command line's usage/environment exit code."""


def _config_problem(findings: list[Finding]) -> LedgerFileError:
    # Only findings' messages: they never quote a value of the file, which a parser's error would.
    if not findings:
        return LedgerFileError(f"{CONFIG_NAME} is not valid; run `ledger check`")
    first = findings[0]
    if first.line <= 0:  # it could not be read at all
        return LedgerFileError(prose(first.message))
    return LedgerFileError(f"{CONFIG_NAME} is not valid (line {first.line}: {prose(first.message)}); "
                           "run `ledger check`")


def _write(root: Path, path: Path, file: str, data: bytes) -> None:
    try:
        atomic.atomic_write_bytes(path, data, root=root)
    except OSError as e:
        raise LedgerFileError(f"cannot write {file}: {e.strerror or type(e).__name__}") from None


def read_text(root: Path, path: Path, file: str) -> tuple[bytes, str]:
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


def encode_like(raw: bytes, text: str) -> bytes:
    """`text` as the bytes of a file that was `raw`: with its byte-order mark when it had one."""
    return (BOM if raw.startswith(BOM) else b"") + text.encode("utf-8")


def _config(root: Path) -> Any:
    """ledger.yaml as validated; LedgerFileError when it is not valid."""
    from .load import read_config

    config, _, findings = read_config(root)
    if config is None or findings:
        raise _config_problem(findings)
    return config


def recipients(root: Path) -> dict[str, str]:
    """The recipients ledger.yaml lists: name -> age public key; LedgerFileError when ledger.yaml is not valid."""
    return dict(_config(root).recipients)


def signers(root: Path) -> dict[str, str]:
    """The signers ledger.yaml lists: name -> `ed25519:…`; LedgerFileError when ledger.yaml is not valid."""
    return dict(_config(root).signers)


def listed_signers(root: Path) -> dict[str, str]:
    """The signers ledger.yaml lists, read as `ledger check` must: from the valid file, or, when a typo elsewhere
    makes it invalid, from its `signers` mapping as YAML reads it (only entries of the right form), so that the
    identities still verify; {} when it cannot be read at all."""
    from .kinds import SLUG_PATTERN as SLUG
    from .load import read_config
    from .yamlio import parse_bytes

    config, _, _ = read_config(root)
    if config is not None:
        return dict(config.signers)
    try:
        raw = read_bytes(root / CONFIG_NAME, root)
    except (OSError, Refused):
        return {}
    parsed = parse_bytes(raw, CONFIG_NAME)
    data = parsed.documents[0].data if parsed.documents else None
    listed = data.get("signers") if isinstance(data, dict) else None
    if not isinstance(listed, dict):
        return {}
    return {k: v for k, v in listed.items() if isinstance(k, str) and re.match(SLUG, k) and isinstance(v, str)
            and re.match(SIGNER_PATTERN, v)}


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


def add_member(root: Path, name: str, recipient: str, signer: str | None = None) -> list[str]:
    """List `name` in ledger.yaml with their age recipient and, when given, their public signing key; return
    what changed (`recipient`, `signing key`), nothing when both were listed already.

    A recipient of that name is replaced (a member's new age key); a signing key never is: the identities its
    holder signed would stop verifying. A key listed under another name is refused.
    """
    _check_name(name)
    recipient = check_recipient(recipient)
    signer = check_signer(signer) if signer is not None else None
    config = _config(root)
    readers, signing = dict(config.recipients), dict(config.signers)
    edits: list[tuple[str, str | None]] = []
    if readers.get(name) != recipient:
        other = next((k for k, v in readers.items() if v == recipient), None)
        if other is not None:
            raise IdentityError(f"that age key is already listed, as `{other}`")
        readers[name] = recipient
        edits.append(("recipients", recipient))
    if signer is not None and signing.get(name) != signer:
        other = next((k for k, v in signing.items() if v == signer), None)
        if other is not None:
            raise IdentityError(f"that signing key is already listed, as `{other}`")
        if name in signing:
            raise IdentityError(f"`{name}` is already listed with another signing key, which the identities they "
                                "sealed are signed with: it is never replaced; list the new key under a new name")
        signing[name] = signer
        edits.append(("signers", signer))
    if edits:
        _edit_config(root, name, edits, readers, signing)
    return ["recipient" if section == "recipients" else "signing key" for section, _ in edits]


def remove_member(root: Path, name: str, signing_key: bool = False) -> list[str]:
    """Take `name`'s recipient out of ledger.yaml and, with `signing_key`, their signing key too; return what
    was taken out (`recipient`, `signing key`).

    The signing key stays by default: the identities its holder sealed must still verify until `ledger keys
    rotate` re-seals them under another member's signature.
    """
    _check_name(name)
    config = _config(root)
    readers, signing = dict(config.recipients), dict(config.signers)
    edits: list[tuple[str, str | None]] = []
    if name in readers:
        readers.pop(name)
        edits.append(("recipients", None))
    if signing_key and name in signing:
        signing.pop(name)
        edits.append(("signers", None))
    if not edits:
        if name in signing:
            raise IdentityError(f"`{name}` is listed as a signer only: `--signing-key` takes their signing key out")
        raise IdentityError(f"ledger.yaml has no recipient named `{name}`")
    _edit_config(root, name, edits, readers, signing)
    return ["recipient" if section == "recipients" else "signing key" for section, _ in edits]


def _check_name(name: str) -> None:
    if not re.match(SLUG_PATTERN, name):
        raise IdentityError(f"a recipient's name must be {SLUG_HELP} (a neutral label, no personal data)")


def _edit_config(root: Path, name: str, edits: list[tuple[str, str | None]], readers: Mapping[str, str],
                 signing: Mapping[str, str]) -> None:
    """Set (or, with None, take out) `name`'s entry of each mapping in `edits`, in ledger.yaml's text.

    Only the line of each entry changes (a mapping's block is added or removed with its first or last entry):
    comments, alignment and every other byte stay. The new text must read back as the same configuration with
    just these changes (`readers` and `signing` as they must be), and be valid, before it replaces the file;
    else nothing is written.
    """
    from .validate import validate_config
    from .yamledit import EditRefused, set_entry

    path = root / CONFIG_NAME
    raw, text = read_text(root, path, CONFIG_NAME)
    new_text = text
    try:
        for section, value in edits:
            new_text = set_entry(new_text, CONFIG_NAME, (section,), name, value)
    except EditRefused as e:
        raise LedgerFileError(str(e)) from None
    parsed = parse_text(new_text, CONFIG_NAME)
    config, errors = validate_config(parsed.documents[0], CONFIG_NAME)
    if config is None or errors or dict(config.recipients) != dict(readers) or \
            dict(config.signers) != dict(signing):
        raise LedgerFileError(f"{CONFIG_NAME}: the edited text did not read back as intended; the file was not "
                              "changed")
    _write(root, path, CONFIG_NAME, encode_like(raw, new_text))


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


@dataclass
class Rotated:
    """What `rotate` did."""

    done: list[str]  # the ids re-sealed
    vouched: list[str] = field(default_factory=list)  # those of them that were unsigned (`sign_unsigned`)
    idle: list[str] = field(default_factory=list)  # signers listed with no recipient, who now sign nothing


def rotate(root: Path, keys: list[Any], sign_unsigned: bool = False) -> Rotated:
    """Re-seal every identity for the recipients ledger.yaml lists now, signed with the user's key.

    Every identity is decrypted and its signature checked first: one whose signature is refused (forged, or
    by a signer ledger.yaml does not list) stops the rotation, as re-signing it would launder it; an unsigned
    one does too, unless `sign_unsigned` (the user vouches for it). Each is then re-sealed and (when the user's
    key is among the recipients) decrypted and verified again, and every file's new text is built and verified
    by yamledit (only the `identity` values change), before any file is written: if any step fails for any
    file, nothing is written. Each file is then replaced atomically.
    """
    from .yamledit import EditRefused, replace_values

    config = _config(root)
    keys_now = list(config.recipients.values())
    listed = dict(config.signers)
    if not keys_now:
        raise IdentityError("ledger.yaml lists no recipients: rotating would lock everyone out")
    signer = _listed_signer(keys, listed, "nothing was re-encrypted")
    sealed, unreadable = sealed_identities(root)
    plain: list[tuple[Sealed, dict[str, Any]]] = []
    vouched: list[str] = []
    problems = [f"{f.file}: {f.message}" for f in unreadable]
    refused: list[str] = []
    for item in sealed:
        try:
            opened = unseal(item.armored, item.record_id, keys, listed)
        except ForgedIdentity as e:
            refused.append(f"`{item.record_id}` ({item.label}): the identity {e}")
            continue
        except IdentityError as e:
            problems.append(f"`{item.record_id}`: {e}")
            continue
        if opened.status == "unsigned":
            if not sign_unsigned:
                refused.append(f"`{item.record_id}` ({item.label}): the identity is not signed, so nothing shows "
                               f"who sealed it: check it (`ledger reveal {item.record_id} --unsigned`), then vouch "
                               "for it with `ledger keys rotate --sign-unsigned`")
                continue
            vouched.append(item.record_id)
        plain.append((item, opened.identity))
    if problems:
        raise IdentityError("nothing was re-encrypted, as some identities cannot be read with this key: "
                            + "; ".join(problems + refused))
    if refused:
        raise IdentityError("nothing was re-encrypted, as a rotation signs only what is signed by a listed member: "
                            + "; ".join(refused))
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
        raw, text = read_text(root, path, file)
        changes: dict[tuple[int, tuple[Any, ...]], str] = {}
        expect: dict[tuple[int, tuple[Any, ...]], str] = {}
        for item, identity in items:
            armored = seal(identity, item.record_id, keys_now, signer)
            if can_check and _reopen(armored, item.record_id, keys, listed) != identity:
                raise IdentityError(f"nothing was re-encrypted: the new ciphertext of `{item.record_id}` in {file} "
                                    "does not decrypt to the same identity, signed")
            # the old value's final line break, or its absence, is kept: only the ciphertext changes
            value = armored.strip("\n") + ("\n" if item.armored.endswith("\n") else "")
            changes[(item.document, ("identity",))] = value
            expect[(item.document, ("identity",))] = item.armored
        try:
            new_text = replace_values(text, file, changes, expect)
        except EditRefused as e:
            raise IdentityError(f"nothing was re-encrypted: {e}") from None
        writes.append((path, file, encode_like(raw, new_text)))
    for done, (path, file, data) in enumerate(writes):
        try:
            _write(root, path, file, data)
        except LedgerFileError as e:
            if done:
                raise LedgerFileError(f"{e}; {done} of {len(writes)} files were re-encrypted before it: run "
                                      "`ledger keys rotate` again once it can be written") from None
            raise LedgerFileError(f"{e}; nothing was re-encrypted") from None
    # Every identity is now signed by the user: a signer who is no longer a recipient signs none of them.
    idle = [label for label, key in listed.items() if label not in config.recipients and key != signer.public]
    return Rotated([item.record_id for item, _ in plain], vouched, idle)


def _listed_signer(keys: list[Any], listed: Mapping[str, str], consequence: str) -> SigningKey:
    """The signing key of `keys`, which must be listed in ledger.yaml: else what it signs is refused."""
    signer = signing_key(keys)
    if signer.public not in listed.values():
        raise IdentityError(f"your signing key is not listed in ledger.yaml, so what you seal would be refused as "
                            f"forged; {consequence}; a member lists it with `ledger keys add NAME age1… --signs "
                            f"{signer.public}` (`ledger keys show` prints the whole command)")
    return signer


def sealing_key(root: Path, keys: list[Any]) -> SigningKey:
    """The user's signing key, for sealing an identity in this ledger; IdentityError when ledger.yaml does not
    list it (LedgerFileError when ledger.yaml is not valid)."""
    return _listed_signer(keys, signers(root), "nothing was written")


def _reopen(armored: str, record_id: str, keys: list[Any], listed: Mapping[str, str]) -> dict[str, Any] | None:
    try:
        opened = open_sealed(armored, record_id, keys, listed)
    except IdentityError:
        return None
    return opened.identity if opened.status == "signed" else None
