"""Renaming a record's id (`ledger mv OLD NEW`): the record, its file when the file is named after it, and every
reference to it in every record, each file edited in place (comments and layout kept, only the ids' characters
rewritten), all files changed or none (`journal`).

A protected person's sealed identity is bound to the id it was sealed for, so renaming one re-seals it under the
new id, which needs the user's key; without it the rename is refused before anything is asked or written.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LedgerError
from .kinds import SLUG_HELP, SLUG_PATTERN

Path_ = tuple[Any, ...]


class RenameError(LedgerError):
    """The rename cannot be made; the message says why, and nothing was written."""


@dataclass
class FileEdit:
    """One file's change: its text before and after, and its new name when it is renamed with the id."""

    file: str  # relative to the root, with `/`
    before: bytes
    after: bytes
    moved_to: str | None = None
    references: int = 0  # references to the id changed in it (the id itself not counted)


@dataclass
class Rename:
    """A rename, worked out and verified but not yet written."""

    old: str
    new: str
    kind: str
    edits: list[FileEdit]
    resealed: bool = False  # a protected person's identity, sealed anew under the new id
    mentions: list[tuple[str, int]] = field(default_factory=list)  # (file, line) where `old` is still written

    @property
    def references(self) -> int:
        return sum(edit.references for edit in self.edits)

    @property
    def moved(self) -> FileEdit | None:
        return next((edit for edit in self.edits if edit.moved_to), None)


def references_to(record: Any, ids: set[str]) -> list[tuple[str, Path_]]:
    """Every reference field of `record` that names one of `ids`: (the id, the path to the value)."""
    found: list[tuple[str, Path_]] = []
    for name in type(record).references:
        value = getattr(record, name)
        if isinstance(value, str):
            if value in ids:
                found.append((value, (name,)))
        elif isinstance(value, list):
            found += [(item, (name, i)) for i, item in enumerate(value) if item in ids]
    return found


def plan(root: Path, old: str, new: str, keys: list[Any] | None = None) -> Rename:
    """Work out and verify every file's new text, writing nothing; RenameError when the rename cannot be made.
    The caller holds the write lock when it is to write the result."""
    from .load import load_ledger

    if not re.match(SLUG_PATTERN, new):
        raise RenameError(f"`{_shown_id(new)}` is not an id: {SLUG_HELP}")
    if new == old:
        raise RenameError(f"`{new}` is already the id's name")
    ledger, findings = load_ledger(root)
    owners = [entry for entry in ledger.entries if entry.record.id == old]
    if not owners:
        raise RenameError(f"no record has the id `{_shown_id(old)}`" + _did_you_mean(old, ledger.by_id))
    if len(owners) > 1:
        raise RenameError(f"`{old}` is the id of {len(owners)} records ({', '.join(sorted({e.file for e in owners}))});"
                          " make it unique first (`ledger check` shows where)")
    if new in ledger.by_id:
        raise RenameError(f"`{new}` is the id of a record already ({ledger.by_id[new].file})")
    _refuse_unreadable(root, findings, old, new)
    owner = owners[0]
    changes: dict[str, dict[tuple[int, Path_], tuple[str, str]]] = {}  # file -> place -> (value before, after)
    counts: dict[str, int] = {}
    dangling = []
    for entry in ledger.entries:
        for named, path in references_to(entry.record, {old, new}):
            if named == new:
                line, _ = entry.locate(*path)
                dangling.append(f"{entry.file}:{line}")
                continue
            changes.setdefault(entry.file, {})[(entry.doc.index, path)] = (old, new)
            counts[entry.file] = counts.get(entry.file, 0) + 1
    if dangling:
        raise RenameError(f"`{new}` is named already, by references to a record that does not exist "
                          f"({', '.join(dangling[:3])}{' and more' if len(dangling) > 3 else ''}): after the "
                          f"rename they would name the renamed {owners[0].record.kind}; choose another id, or fix "
                          "those references first")
    changes.setdefault(owner.file, {})[(owner.doc.index, ("id",))] = (old, new)
    resealed = _reseal(root, owner.record, new, keys, changes[owner.file], owner.doc.index)
    if keys is not None:
        _refuse_named_after_protected(root, keys, new)
    edits = [_edit(root, file, places, counts.get(file, 0)) for file, places in sorted(changes.items())]
    _move_with_id(root, edits, owner.file, old, new)
    rename = Rename(old, new, owner.record.kind, edits, resealed)
    rename.mentions = _mentions(root, ledger.files, rename)
    return rename


def _shown_id(text: str) -> str:
    from .display import one_line

    return one_line(text)[:100]


def _did_you_mean(old: str, ids: dict[str, Any]) -> str:
    from .validate import suggest

    return suggest(old, ids) if re.match(SLUG_PATTERN, old) else ""


def _refuse_unreadable(root: Path, findings: list[Any], old: str, new: str) -> None:
    """RenameError when a file that cannot be read as records may hold the old or the new id: a reference in it
    would be missed, or become a second record of the new id."""
    from .reading import Refused, read_bytes

    broken = sorted({f.file for f in findings if f.file.startswith("records/")})
    suspect = []
    for name in broken:
        try:
            raw = read_bytes(root / name, root)
        except (OSError, Refused):
            continue  # not a record file that could hold anything (check says what it is)
        if old.encode() in raw or new.encode() in raw:
            suspect.append(name)
    if suspect:
        raise RenameError(f"{', '.join(suspect[:3])}{' and more' if len(suspect) > 3 else ''} cannot be read as "
                          f"records and may name `{old}` or `{new}`; fix {'it' if len(suspect) == 1 else 'them'} "
                          "first (`ledger check` says how)")


def _reseal(root: Path, record: Any, new: str, keys: list[Any] | None,
            places: dict[tuple[int, Path_], tuple[str, str]], index: int) -> bool:
    """Seal a protected person's identity anew under the new id (it is bound to its id): the change is added to
    `places`; RenameError when it cannot be done."""
    armored = getattr(record, "identity", None)
    if record.kind != "person" or not isinstance(armored, str):
        return False
    from .identity import ForgedIdentity, IdentityError, seal, unseal
    from .keyring import recipients, sealing_key, signers

    if keys is None:
        raise RenameError(f"`{record.id}` is a protected person, whose sealed identity is bound to its id: renaming "
                          "seals it again under the new one, which needs your key (--identity, $LEDGER_IDENTITY, or "
                          "the one `ledger keys init` made)")
    try:
        signer = sealing_key(root, keys)
        opened = unseal(armored, record.id, keys, signers(root))
        if opened.status != "signed":
            raise RenameError(f"the identity of `{record.id}` is not signed: check it (`ledger reveal {record.id} "
                              "--unsigned`), vouch for it (`ledger keys rotate --sign-unsigned`), then rename")
        sealed = seal(opened.identity, new, list(recipients(root).values()), signer)
        del opened
    except ForgedIdentity as e:
        raise RenameError(f"the identity of `{record.id}` {e}") from None
    except IdentityError as e:
        raise RenameError(f"the identity of `{record.id}` cannot be sealed again: {e}") from None
    places[(index, ("identity",))] = (armored, sealed.strip("\n") + ("\n" if armored.endswith("\n") else ""))
    return True


def _refuse_named_after_protected(root: Path, keys: list[Any], new: str) -> None:
    """RenameError when the new id spells a protected person's real name (an id is printed everywhere)."""
    from .leaks import holders, unseal_all

    secrets, _ = unseal_all(root, keys)
    named = sorted({secrets[n].pseudonym for n in holders(new.replace("-", " "), secrets)})
    if named:
        raise RenameError(f"the new id spells the real name of a protected person ({', '.join(named)}); choose "
                          "another")


def _edit(root: Path, file: str, places: dict[tuple[int, Path_], tuple[str, str]], references: int) -> FileEdit:
    from .keyring import encode_like, read_text
    from .yamledit import EditRefused, replace_values

    raw, text = read_text(root, root / file, file)
    try:
        new_text = replace_values(text, file, {place: after for place, (_, after) in places.items()},
                                  expect={place: before for place, (before, _) in places.items()}, keep_style=True)
    except EditRefused as e:
        raise RenameError(str(e)) from None
    return FileEdit(file, raw, encode_like(raw, new_text), references=references)


def _move_with_id(root: Path, edits: list[FileEdit], file: str, old: str, new: str) -> None:
    """The record's file takes the new id's name when it is named after the old one and holds nothing else."""
    path = Path(file)
    if path.stem != old:
        return
    from .yamlio import parse_bytes

    edit = next(e for e in edits if e.file == file)
    if len(parse_bytes(edit.after, file).documents) != 1:
        return
    target = path.with_name(new + path.suffix).as_posix()
    if (root / target).exists() or (root / target).is_symlink():
        raise RenameError(f"{target} exists already; the record's file cannot take the new id's name")
    edit.moved_to = target


def _mentions(root: Path, files: list[str], rename: Rename) -> list[tuple[str, int]]:
    """Where the old id is still written after the rename: in text, which is not a reference and is left as it is."""
    from .reading import Refused, read_bytes

    # a word of its own: not part of a longer id, a file name, an address (`hrw.org`, `/hrw/`) or an e-mail
    word = re.compile(rf"(?<![\w./@:-]){re.escape(rename.old)}(?![\w/@-]|[.:]\w)".encode())
    after = {edit.file: edit.after for edit in rename.edits}
    found = []
    for name in files:
        try:
            raw = after.get(name) or read_bytes(root / name, root)
        except (OSError, Refused):
            continue
        if rename.old.encode() not in raw:
            continue
        found += [(_after_name(rename, name), raw.count(b"\n", 0, m.start()) + 1) for m in word.finditer(raw)]
    return found


def _after_name(rename: Rename, file: str) -> str:
    """What `file` is called once the rename is made."""
    return next((edit.moved_to for edit in rename.edits if edit.file == file and edit.moved_to), file)


def apply(root: Path, rename: Rename) -> None:
    """Write every file of the rename, all or none; the caller holds the write lock."""
    from .journal import Change, commit

    changes = []
    for edit in rename.edits:
        if edit.moved_to:
            changes.append(Change(edit.moved_to, edit.after, None))
            changes.append(Change(edit.file, None, edit.before))
        else:
            changes.append(Change(edit.file, edit.after, edit.before))
    commit(root, changes, f"ledger mv {rename.old} {rename.new}")


def diff(rename: Rename) -> str:
    """The rename as a unified diff, as `git diff` writes one (a moved file with `rename from`/`rename to`)."""
    out = []
    for edit in rename.edits:
        before = edit.before.decode("utf-8", "replace").splitlines(keepends=True)
        after = edit.after.decode("utf-8", "replace").splitlines(keepends=True)
        target = edit.moved_to or edit.file
        out.append(f"diff --git a/{edit.file} b/{target}\n")
        if edit.moved_to:
            out.append(f"rename from {edit.file}\nrename to {target}\n")
        for line in difflib.unified_diff(before, after, f"a/{edit.file}", f"b/{target}"):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
