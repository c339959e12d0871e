"""Changing several files of a ledger all or none: every new text is staged in `.ledger/journal/`, then a journal
naming each change is written (the commit point), then the changes are made. A writer killed before the journal
was written has changed nothing; one killed after it has its work completed by the next `ledger` command
(`recover`), which finds the journal. Each change carries the hash of what the file held before and of what it
will hold, so that completing it never writes over a file that someone changed in between.

The caller holds the ledger's write lock (`lock.writer_lock`); `recover` takes it itself.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .atomic import atomic_text_stream, fsync_dir
from .errors import LedgerError, os_problem
from .layout import JOURNAL_NAME, RECORDS_DIR, STATE_DIR, journal_pending, real_folders

JOURNAL = JOURNAL_NAME
STAGING = "journal"  # in .ledger/: the staged texts
FSYNC_EACH_MAX = 64  # more staged files than this: one `sync` of the file systems is cheaper than a fsync each


class Incomplete(LedgerError):
    """The changes were committed (the journal is written) but not all made: the next `ledger` command makes the
    rest. Never "nothing was written"."""


class _Entry(NamedTuple):
    """One change as the journal holds it: the file, its staged text's name, and the hashes before and after."""

    path: str
    staged: str | None
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Change:
    """One file's change: its new bytes (None: the file goes) and what it must hold before (None: it must not
    exist)."""

    path: str  # relative to the ledger root, with `/`
    data: bytes | None
    before: bytes | None


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


class Batch:
    """Changes staged one by one (`add`), then made all at once (`commit`) or dropped (`abandon`): a command that
    produces many files (`ledger import`) stages each as it goes and holds none in memory. The caller holds the
    write lock."""

    def __init__(self, root: Path) -> None:
        from .layout import state_dir

        self.root = root
        state = state_dir(root)
        self.staging = state / STAGING
        self.journal = state / JOURNAL
        if self.journal.exists():
            raise LedgerError(f"an earlier change is not complete ({STATE_DIR}/{JOURNAL}); run `ledger check` to "
                              "complete it first")
        shutil.rmtree(self.staging, ignore_errors=True)  # a writer killed before its commit point left it
        try:
            self.staging.mkdir()
        except OSError as e:
            raise os_problem(e, "cannot stage the changes; nothing was written") from None
        self.entries: list[_Entry] = []
        self.committed = False
        self.real: set[str] = set()  # folders found to be real folders of the ledger (no link on the way)

    def add(self, change: Change) -> None:
        """Stage one change; LedgerError when the file no longer holds what the change expects, or cannot be
        staged."""
        _inside_records(change.path)
        if _sha(_current(self.root, change.path, self.real)) != _sha(change.before):
            raise LedgerError(f"{change.path} changed while ledger was working; nothing was written: try again")
        staged = None
        if change.data is not None:
            staged = f"{len(self.entries):06d}"
            try:
                fd = os.open(os.path.join(self.staging, staged), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    written = os.write(fd, change.data)
                    if written < len(change.data):  # a short write: the rest, as a file object would
                        view = memoryview(change.data)
                        while written < len(change.data):
                            written += os.write(fd, view[written:])
                finally:
                    os.close(fd)
            except OSError as e:
                raise os_problem(e, "cannot stage the changes; nothing was written") from None
        self.entries.append(_Entry(change.path, staged, _sha(change.before), _sha(change.data)))

    def commit(self, what: str) -> None:
        """Make every staged change, or none: the journal written (durably, after the staged texts) is the commit
        point; a process that dies after it has its work completed by the next `recover`. LedgerError, with
        nothing changed, when a file was changed by someone else since it was staged."""
        todo, conflicts = _sorted_out(self.root, self.entries)
        if conflicts:
            self.abandon()
            raise LedgerError(f"{_list(conflicts)} changed while ledger was working; nothing was written: try again")
        try:
            staged = [e.staged for e in self.entries if e.staged is not None]
            if len(staged) <= FSYNC_EACH_MAX:
                for name in staged:
                    with open(self.staging / name, "rb") as handle:
                        os.fsync(handle.fileno())
            else:
                os.sync()
            fsync_dir(self.staging)
            with atomic_text_stream(self.journal, root=self.root) as out:  # a change at a time: no copy of all
                out.write(f'{{"what": {json.dumps(what)}, "changes": [')
                for n, entry in enumerate(self.entries):
                    out.write(("," if n else "") + json.dumps(entry._asdict()))
                out.write("]}")
        except BaseException as e:
            if self.journal.exists():  # interrupted just after its commit point: the change stands
                self.committed = True
                raise Incomplete(f"interrupted; the change is committed ({STATE_DIR}/{JOURNAL}): the next ledger "
                                 "command completes it") from None
            self.abandon()
            if isinstance(e, OSError):
                raise os_problem(e, "cannot stage the changes; nothing was written") from None
            raise
        self.committed = True
        try:
            _make(self.root, todo)
        except (LedgerError, KeyboardInterrupt) as e:  # after the commit point: the next command completes it
            why = "interrupted" if isinstance(e, KeyboardInterrupt) else str(e)
            raise Incomplete(f"{why}; the change is committed ({STATE_DIR}/{JOURNAL}): the next ledger command "
                             "completes it") from None

    def abandon(self) -> None:
        """Drop what was staged, unless it was committed (the journal then needs it, to be completed)."""
        if not self.committed:
            shutil.rmtree(self.staging, ignore_errors=True)


def commit(root: Path, changes: list[Change], what: str) -> None:
    """Make every change or none: LedgerError, with nothing changed, when a change cannot be staged or a file no
    longer holds what it held when the changes were made; if the process dies after the commit point, the next
    `recover` completes them. The caller holds the write lock."""
    batch = Batch(root)
    try:
        for change in changes:
            batch.add(change)
    except BaseException:
        batch.abandon()
        raise
    batch.commit(what)


def recover(root: Path) -> str | None:
    """Complete the changes of a writer that died after its commit point; what they were (`ledger mv a b`), or
    None when there were none. LedgerError, changing nothing, when a file the journal names holds neither what
    it held before nor what it was to hold."""
    if not journal_pending(root):
        return None
    from .lock import writer_lock

    with writer_lock(root, "completing an interrupted change"):
        journal = root / STATE_DIR / JOURNAL
        try:
            raw = journal.read_bytes()
        except FileNotFoundError:
            return None  # the writer we waited for completed it
        except OSError as e:
            raise os_problem(e, f"cannot read {STATE_DIR}/{JOURNAL}") from None
        what, entries = _read_journal(raw)
        _complete(root, entries, what)
        return what


def _read_journal(raw: bytes) -> tuple[str, list[_Entry]]:
    bad = LedgerError(f"{STATE_DIR}/{JOURNAL} cannot be read; if no ledger command is running, the change it "
                      f"names was never completed: see `git status`, then delete {STATE_DIR}/{JOURNAL}")
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad from None
    if not isinstance(data, dict) or not isinstance(data.get("what"), str) or \
            not isinstance(data.get("changes"), list):
        raise bad
    entries = []
    for item in data["changes"]:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or \
                not all(item.get(k) is None or isinstance(item.get(k), str) for k in ("staged", "before", "after")):
            raise bad
        entry = _Entry(item["path"], item.get("staged"), item.get("before"), item.get("after"))
        _inside_records(entry.path)
        if entry.staged is not None and (not entry.staged.isdigit() or entry.after is None):
            raise bad
        entries.append(entry)
    return data["what"], entries


def _inside_records(path: str) -> None:
    """LedgerError unless `path` is a plain relative path under records/: a journal never leads a write elsewhere."""
    parts = path.split("/")
    if len(parts) < 2 or parts[0] != RECORDS_DIR or any(p in ("", ".", "..") for p in parts) or "\\" in path \
            or "\0" in path:
        raise LedgerError(f"{STATE_DIR}/{JOURNAL} names a file outside records/; delete it")


def _current(root: Path, path: str, real: set[str] | None = None) -> bytes | None:
    """What the file holds now, or None when there is none; LedgerError when a folder on the way is a link."""
    target = os.path.join(root, path)
    parent = os.path.dirname(target)
    if real is None or parent not in real:
        real_folders(root, Path(parent))
        if real is not None:
            real.add(parent)
    try:
        os.lstat(target)  # most files asked about are new ones: a stat says so, sooner than an open
        with open(target, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise os_problem(e, f"cannot read {path}") from None


def _sorted_out(root: Path, entries: list[_Entry], verify: bool = False) -> tuple[list[_Entry], list[str]]:
    """The changes still to make, and the files that hold neither what they held before nor what they will hold;
    with `verify` (a journal found on disk, which anyone could have written), a staged text that is not a regular
    file holding what the journal says counts as such a file."""
    staging = root / STATE_DIR / STAGING
    todo = []
    conflicts = []
    real: set[str] = set()
    for entry in entries:
        now = _sha(_current(root, entry.path, real))
        if now == entry.after:
            continue
        if now != entry.before or (entry.staged is not None and not _staged_ok(staging / entry.staged, entry.after,
                                                                                verify)):
            conflicts.append(entry.path)
            continue
        todo.append(entry)
    return todo, conflicts


def _staged_ok(path: Path, after: str | None, verify: bool) -> bool:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        if not verify:
            return True
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest() == after
    except OSError:
        return False


def _complete(root: Path, entries: list[_Entry], what: str) -> None:
    """Make the journal's changes; LedgerError, changing nothing, when any file holds something else than before
    or after."""
    todo, conflicts = _sorted_out(root, entries, verify=True)
    if conflicts:
        raise LedgerError(f"the interrupted `{what}` cannot be completed, as {_list(conflicts)} changed since; "
                          f"nothing more was changed: restore {'it' if len(conflicts) == 1 else 'them'} (`git "
                          f"checkout`), or delete {STATE_DIR}/{JOURNAL} to leave the change half done")
    _make(root, todo)


def _make(root: Path, todo: list[_Entry]) -> None:
    """Make the changes, files first and removals last, then drop the journal and the staged texts."""
    staging = root / STATE_DIR / STAGING
    folders: set[Path] = set()
    made: set[Path] = set()
    try:
        for entry in sorted(todo, key=lambda e: e.staged is None):
            target = root / entry.path
            folders.add(target.parent)
            if entry.staged is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
            elif entry.before is None:
                if target.parent not in made:
                    _make_folders(root, target.parent, folders)
                    made.add(target.parent)
                _create(staging / entry.staged, target)
            else:
                os.replace(staging / entry.staged, target)
        for folder in folders:
            fsync_dir(folder)
        os.unlink(root / STATE_DIR / JOURNAL)
    except OSError as e:
        raise os_problem(e, "cannot make every change") from None
    fsync_dir(root / STATE_DIR)
    shutil.rmtree(staging, ignore_errors=True)


def _make_folders(root: Path, folder: Path, made: set[Path]) -> None:
    """`folder` and the folders above it that are missing; each one made is noted in `made` by its parent, whose
    entry must be made durable too."""
    missing = []
    while folder != root and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        made.add(new.parent)


def _create(staged: Path, target: Path) -> None:
    """A new file with the staged text, never over a file that appeared meanwhile: a hard link, or, where the file
    system has none (FAT, some network shares) or the two are on different file systems, a copy made durable."""
    try:
        os.link(staged, target)
        return
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
    data = staged.read_bytes()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        written = 0
        while written < len(data):
            written += os.write(fd, view[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def _list(paths: Iterable[str]) -> str:
    paths = list(paths)
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")

