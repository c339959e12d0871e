"""A ledger on disk: the names of its files and folders, and finding its root (kept apart so that a warm
check imports little)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CONFIG_NAME = "ledger.yaml"
RECORDS_DIR = "records"
RECORD_SUFFIXES = (".yaml", ".yml")
SCHEMA_DIR = "schemas"
PARALLEL_MIN_FILES = 2000  # below this, starting a second process to read files costs more than it saves
STATE_DIR = ".ledger"  # the tool's own state: locks and caches; ignores itself in git
NOT_EVIDENCE = (STATE_DIR, ".git")  # folders of the ledger that hold no evidence: what is in them changes by itself


class LedgerNotFound(Exception):
    """No ledger.yaml where one was looked for."""


def find_root(start: Path) -> Path:
    """The nearest folder from `start` upwards that holds ledger.yaml (like git and `.git`)."""
    start = start.resolve()
    if start.is_file():
        if start.name == CONFIG_NAME:
            return start.parent
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise LedgerNotFound(f"no {CONFIG_NAME} in {start} or any folder above it")


def open_root(path: Path | None) -> Path:
    """The ledger root given by `--ledger PATH` (exactly there), or found from the current folder."""
    if path is None:
        return find_root(Path.cwd())
    path = path.resolve()
    if path.is_file() and path.name == CONFIG_NAME:
        return path.parent
    if (path / CONFIG_NAME).is_file():
        return path
    raise LedgerNotFound(f"no {CONFIG_NAME} in {path}")


STATE_FOLDERS = ("cache", "tmp", "journal")  # in .ledger/
JOURNAL_NAME = "journal.json"  # in .ledger/: changes to several files, committed and perhaps not all made yet


def journal_pending(root: Path) -> bool:
    """Whether a command that changes several files left its journal (one stat: every command asks, and the
    journal's module is not imported unless it must complete one)."""
    return os.path.exists(os.path.join(root, STATE_DIR, JOURNAL_NAME))


def state_dir(root: Path) -> Path:
    """`.ledger/` in the ledger root, created with a .gitignore that ignores the folder itself; LedgerError when it
    cannot be (a file of that name, a link, a read-only ledger).

    `.ledger/` can be committed all the same (`git add -f`): a link in it, which git stores and a clone makes,
    would lead ledger's writes out of the ledger (a lock file truncated, a cache written over someone's file).
    Nothing ledger writes there is ever a link, so every link found there, or in its folders, is removed."""
    from .errors import LedgerError

    state = root / STATE_DIR
    if state.is_symlink():
        raise LedgerError(f"{STATE_DIR} in the ledger root is a link: ledger keeps its lock, cache and temporary "
                          "files in a real folder of the ledger; remove the link")
    try:
        state.mkdir(exist_ok=True)
    except FileExistsError:
        raise LedgerError(f"{STATE_DIR} in the ledger root is not a folder: ledger keeps its lock, cache and "
                          "temporary files there; move that file away") from None
    except OSError as e:
        raise LedgerError(f"cannot make {STATE_DIR}/ in the ledger root: {e.strerror}") from None
    _unlink_links(state, STATE_FOLDERS)
    ignore = state / ".gitignore"
    try:
        with open(ignore, "rb") as handle:
            whole = handle.read(len(IGNORE_ALL)) == IGNORE_ALL
    except OSError:
        whole = False
    if not whole:
        # One write of a few bytes, no temp file: a temp file in a folder git does not ignore yet is what a writer
        # killed here would leave for anyone to commit. A file emptied by such a kill is mended here next time.
        try:
            fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
            try:
                os.write(fd, IGNORE_ALL)
            finally:
                os.close(fd)
        except OSError as e:
            raise LedgerError(f"cannot write {STATE_DIR}/.gitignore: {e.strerror}") from None
    return state


def _unlink_links(folder: Path, inner: tuple[str, ...]) -> None:
    """Remove every link in `folder` and in its `inner` folders (a folder that is a link goes too)."""
    for sub in (folder, *(folder / name for name in inner)):
        try:
            with os.scandir(sub) as entries:
                links = [entry.path for entry in entries if entry.is_symlink()]
        except OSError:
            continue
        for path in links:
            with contextlib.suppress(OSError):
                os.unlink(path)


IGNORE_ALL = b"*\n# ledger's own state: locks, caches and temporary files\n"


def real_folders(root: Path, folder: Path) -> None:
    """LedgerError unless every folder from the root down to `folder` that exists is a real folder, not a link: a
    record is never written out of the ledger, nor where `ledger check` would not read it (it walks no link)."""
    from .errors import LedgerError

    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            raise LedgerError(f"{current.relative_to(root).as_posix()} is a link: ledger writes records only into "
                              "real folders of the ledger; replace the link by a folder")
