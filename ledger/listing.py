"""The record files of a ledger with their sizes and mtimes: cheap to take, and to compare with the last run's."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Finding
from .layout import RECORD_SUFFIXES, RECORDS_DIR
from .reading import inside


@dataclass
class Listing:
    """Every record file under records/ (hidden files and folders skipped) with its size and mtime (the later of
    its mtime and ctime: see `changed_at`), in the order the file system lists them: cheap to take and to
    compare with the last run's."""

    names: list[str]
    sizes: array[int]
    mtimes: array[int]
    # the folders listed, relative to the ledger root, with their mtimes: while none changes, neither do the names
    # (-1: a folder that could not be listed, listed again by every run; -2: one that is not there)
    folders: list[tuple[str, int]] = field(default_factory=list, compare=False)
    # the folders that could not be listed, and why: their records are not checked, which a check must say
    refused: list[tuple[str, str]] = field(default_factory=list, compare=False)
    _names_digest: bytes | None = field(default=None, repr=False, compare=False)

    def digest(self) -> bytes:
        return hashlib.sha256(self.names_digest() + self.sizes.tobytes() + self.mtimes.tobytes()).digest()

    def sorted(self) -> list[tuple[str, int, int]]:
        return sorted(zip(self.names, self.sizes, self.mtimes))

    def names_digest(self) -> bytes:
        if self._names_digest is None:  # asked for up to three times a run: 100,000 names take 10 ms
            self._names_digest = hashlib.sha256("\0".join(self.names).encode("utf-8", "surrogateescape")).digest()
        return self._names_digest

    def differences(self, last: Listing, racy: int) -> list[int] | None:
        """The positions whose size or mtime differ from `last` or whose mtime is too recent to trust, when
        both list the same files in the same order; None when they do not. Compared a block at a time, at
        C speed: most blocks are the same. (`last.names` may be left empty when the digests match.)"""
        if len(self.sizes) != len(last.sizes):
            return None
        out: list[int] = []
        block = 2048
        for start in range(0, len(self.names), block):
            end = start + block
            if (self.sizes[start:end] != last.sizes[start:end] or self.mtimes[start:end] != last.mtimes[start:end]
                    or max(self.mtimes[start:end]) >= racy):
                out += [i for i in range(start, min(end, len(self.names)))
                        if self.sizes[i] != last.sizes[i] or self.mtimes[i] != last.mtimes[i]
                        or self.mtimes[i] >= racy]
        return out

    def __len__(self) -> int:
        return len(self.names)


def changed_at(st: os.stat_result) -> int:
    """When a file or folder last changed, in ns: the later of its mtime and its ctime, which a chmod, a rename
    or a touch back to an old date all move. The "mtimes" of a listing are these."""
    return max(st.st_mtime_ns, st.st_ctime_ns)


SCAN_PARALLEL_MIN_FILES = 10_000  # below this, a second process for the stat calls costs more than it saves

Folder = tuple[str, str, list[str]]  # path, the prefix of its files' names, its record files as listed


@dataclass
class _Walk:
    """What a walk keeps across the folders it visits."""

    mtimes: list[tuple[str, int]] = field(default_factory=list)  # see Listing.folders
    refused: list[tuple[str, str]] = field(default_factory=list)  # see Listing.refused
    visited: set[tuple[int, int]] = field(default_factory=set)  # (device, inode): each real folder once


def _walk(top: str, top_prefix: str, walk: _Walk) -> list[Folder]:
    """Every folder under `top` (hidden ones skipped, each real folder once) with the names of its record files,
    in the order the file system lists them; each folder's mtime, taken before it is listed, goes into
    `walk.mtimes`, and each folder that cannot be listed into `walk.refused`. A link to a folder is never walked:
    it is listed among the record files, whatever its name, for reading it to say what it is (a folder of records
    behind a link must not go unchecked in silence)."""
    out: list[Folder] = []
    stack = [(top, top_prefix)]
    while stack:
        folder, prefix = stack.pop()
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in walk.visited:  # a bind mount or a loop: seen already
                continue
            walk.visited.add((st.st_dev, st.st_ino))
            mtime = changed_at(st)
            found = os.listdir(folder)
        except OSError as e:
            # no mtime can vouch for a folder that could not be listed (a chmod changes none): listed again
            # by every run, so that its files are found once it can be. A folder removed meanwhile is gone; so
            # is records/ when there is none at all, but not records/ as a file or a link that leads nowhere.
            gone = e.errno in (errno.ENOENT, errno.ENOTDIR) and (folder != top or (
                e.errno == errno.ENOENT and not os.path.islink(folder)))
            walk.mtimes.append((prefix[:-1], -2 if gone else -1))
            if not gone:
                reason = "it is not a folder" if e.errno in (errno.ENOTDIR, errno.ENOENT) else e.strerror
                walk.refused.append((prefix, reason or "it cannot be listed"))
            continue
        walk.mtimes.append((prefix[:-1], mtime))
        # a name that ends like a record is taken for a file (stat tells, below); any other may be a folder
        files = [n for n in found if n.endswith(RECORD_SUFFIXES)]
        if "\0." in "\0" + "\0".join(files):  # hidden files, rare: looked for at C speed
            files = [n for n in files if n[0] != "."]
        out.append((folder, prefix, files))
        if len(files) < len(found):
            base = folder + os.sep
            for n in found:
                if n[0] != "." and not n.endswith(RECORD_SUFFIXES) and os.path.isdir(base + n):
                    if os.path.islink(base + n):
                        files.append(n)
                    else:
                        stack.append((base + n, prefix + n + "/"))
    return out


def folder_findings(listing: Listing) -> list[Finding]:
    """An `unreadable-folder` finding for each folder the listing could not look into."""
    return [Finding(folder, 0, 0, "unreadable-folder", f"this folder cannot be listed ({reason}), so the records "
                    "in it were not checked; make it a folder you can read (chmod u+rx), or remove it")
            for folder, reason in listing.refused]


CHUNK = 512  # files a process claims at a time


NOT_STATED, FOLDER, NOT_REGULAR = -1, -2, -3  # sizes that are no size: reading the file will say why


def _stat_chunk(folder: str, names: list[str], sizes: Any, mtimes: Any, at: int, root: str) -> None:
    """Sizes and mtimes of `names` in `folder` into `sizes[at:]` and `mtimes[at:]`: NOT_STATED for a file that
    cannot be stat-ed, FOLDER for a real folder (to look into), NOT_REGULAR for a FIFO, a device, a socket or a
    link to anything but a regular file inside `root` (never opened, never walked). A link to a regular file
    inside the ledger counts as that file, changed when either changes."""
    lstat = os.lstat
    fd = None
    if os.stat in os.supports_dir_fd:
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            fd = None
    base = folder + os.sep
    try:
        for k, name in enumerate(names, at):
            try:
                # relative to the folder's descriptor: one path step instead of the whole path
                st = os.stat(name, dir_fd=fd, follow_symlinks=False) if fd is not None else lstat(base + name)
            except OSError:
                sizes[k] = mtimes[k] = NOT_STATED
                continue
            mode = st.st_mode & 0o170000
            if mode == 0o100000:
                sizes[k], mtimes[k] = st.st_size, max(st.st_mtime_ns, st.st_ctime_ns)
            elif mode == 0o040000:
                sizes[k] = mtimes[k] = FOLDER
            elif mode == 0o120000:  # a link: rare, resolved here
                sizes[k], mtimes[k] = NOT_REGULAR, changed_at(st)
                try:
                    if inside(base + name, root):
                        target = os.stat(base + name)
                        if target.st_mode & 0o170000 == 0o100000:
                            sizes[k], mtimes[k] = target.st_size, max(changed_at(target), changed_at(st))
                except OSError:
                    sizes[k] = mtimes[k] = NOT_STATED
            else:
                sizes[k], mtimes[k] = NOT_REGULAR, changed_at(st)
    finally:
        if fd is not None:
            os.close(fd)


@dataclass
class HeadStart:
    """Work for this process to start while the other stats files, as soon as the files are known to differ
    from the last run's: wasted when nothing changed, so begun only then."""

    work: Callable[[], None]
    last: tuple[bytes, bytes, bytes] | None  # the last listing: the digest of its names, its sizes, its mtimes
    racy: int  # an mtime from here on may hide a change
    now: bool = False  # something else is known to have changed: start at once


def _stat_all(folders: list[Folder], jobs: int, root: str, head: HeadStart | None = None,
              last: tuple[bytes, bytes] | None = None) -> tuple[array[int], array[int]]:
    """Sizes and mtimes of every file of `folders`, in order. With `jobs` > 1 and enough files, a forked child
    stats chunks from the end and this process from the start, until they meet; this process does
    `head.work` first once a chunk differs from `last` (the last sizes and mtimes, when they list the same
    files) or at once."""
    chunks: list[tuple[str, list[str], int]] = []  # (folder, names, position of the first)
    total = 0
    for folder, _, files in folders:
        chunks += [(folder, files[lo:lo + CHUNK], total + lo) for lo in range(0, len(files), CHUNK)]
        total += len(files)
    # shared with the child: two cursors (chunks taken from the start, the first chunk taken from the end),
    # a flag (a chunk differs from the last run's), then the sizes, then the mtimes
    shared = mmap.mmap(-1, 8 * (3 + 2 * total))
    whole = memoryview(shared)
    view = whole.cast("q")
    cursors, sizes, mtimes = view[:3], view[3:3 + total], view[3 + total:]
    cursors[0], cursors[1], cursors[2] = 0, len(chunks), 0
    pid = _fork() if jobs > 1 and total >= SCAN_PARALLEL_MIN_FILES and len(chunks) > 1 else None

    def differs(at: int, count: int) -> bool:
        if head is None or last is None:
            return False
        a, b = 8 * at, 8 * (at + count)
        return (sizes[at:at + count].tobytes() != last[0][a:b] or mtimes[at:at + count].tobytes() != last[1][a:b]
                or max(mtimes[at:at + count], default=0) >= head.racy)

    if pid == 0:  # the child: chunks from the end until it meets the parent, then leave at once
        code = 1
        try:
            while cursors[1] > cursors[0]:
                cursors[1] -= 1  # taken before it is done: the other process may take it too, which is harmless
                folder, names, at = chunks[cursors[1]]
                _stat_chunk(folder, names, sizes, mtimes, at, root)
                if differs(at, len(names)):
                    cursors[2] = 1
            code = 0
        finally:
            os._exit(code)
    started = head is None or pid is None  # without a second process, no head start is worth taking
    if not started and (head.now or last is None):  # type: ignore[union-attr]
        started = _start(head)
    while cursors[0] < cursors[1]:
        if not started and cursors[2]:
            started = _start(head)
        taken = cursors[0]
        cursors[0] = taken + 1
        folder, names, at = chunks[taken]
        _stat_chunk(folder, names, sizes, mtimes, at, root)
        if differs(at, len(names)):
            cursors[2] = 1
    if pid is not None:
        _, status = os.waitpid(pid, 0)
        if status != 0:  # the child failed: its chunks are done again here
            for folder, names, at in chunks[cursors[1]:]:
                _stat_chunk(folder, names, sizes, mtimes, at, root)
    out_sizes, out_mtimes = array("q"), array("q")
    out_sizes.frombytes(sizes.tobytes())
    out_mtimes.frombytes(mtimes.tobytes())
    for exported in (cursors, sizes, mtimes, view, whole):  # the map closes once no view holds it
        exported.release()
    shared.close()
    return out_sizes, out_mtimes


def _start(head: HeadStart | None) -> bool:
    if head is not None:
        # only a head start: what it began is done again, properly, later
        with contextlib.suppress(Exception):
            head.work()
    return True


def _fork() -> int | None:
    """A forked child's pid (0 in the child), or None when this system cannot fork."""
    if not hasattr(os, "fork"):
        return None
    try:
        return os.fork()
    except OSError:
        return None


def scan(root: Path, jobs: int = 1, last: Listing | None = None, trusted_before: int = 0,
         head: HeadStart | None = None) -> Listing:
    """Every record file under records/ with its size and mtime. With `jobs` > 1 and enough files, a forked
    child takes half the stat calls, or more while this process does `head.work`.

    `last`, the names and folders of the last listing, is used again without listing any folder when no
    folder's mtime changed (one that changed too close to `trusted_before` counts as changed: the clock's
    tick may hide a second change), as adding, removing or renaming a file changes its folder's mtime."""
    if last is not None and last.folders and _unchanged(root, last.folders, trusted_before):
        sizes, mtimes = _stat_all([(str(root), "", last.names)], jobs, str(root), head,
                                  _aligned(head, last.names_digest()))
        if FOLDER not in sizes:  # else a file became a folder: listed again below, to be sure
            return Listing(last.names, sizes, mtimes, last.folders, [], last._names_digest)
        head = None
    top = root / RECORDS_DIR
    if os.path.islink(top) and not inside(top, root):
        return Listing([], array("q"), array("q"), [(RECORDS_DIR, -1)],
                       [(RECORDS_DIR + "/", "a link that leaves the ledger: not followed")])
    return scan_folder(root, top, RECORDS_DIR + "/", jobs, head)


def _aligned(head: HeadStart | None, names_digest: bytes) -> tuple[bytes, bytes] | None:
    """The last sizes and mtimes, when the last listing had the same names in the same order."""
    if head is None or head.last is None or head.last[0] != names_digest:
        return None
    return head.last[1], head.last[2]


def _unchanged(root: Path, folders: list[tuple[str, int]], trusted_before: int) -> bool:
    for name, mtime in folders:
        try:
            if changed_at(os.stat(os.path.join(root, name))) != mtime or mtime >= trusted_before:
                return False
        except OSError:
            return False
    return True


def scan_folder(root: Path, top: Path, top_prefix: str, jobs: int = 1, head: HeadStart | None = None) -> Listing:
    """Every record file under `top`, named from `top_prefix`, with its size and mtime. A real folder named like a
    record file is looked into; those are few, and are walked in turn (never recursively: a crafted tree of
    thousands of such folders is only long)."""
    walk = _Walk()
    names: list[str] = []
    sizes, mtimes = array("q"), array("q")
    pending = [(top, top_prefix)]
    while pending:
        folder, prefix = pending.pop(0)
        folders = _walk(str(folder), prefix, walk)
        found = [prefix_ + n for _, prefix_, files in folders for n in files]
        found_sizes, found_mtimes = _stat_all(folders, jobs, str(root), head,
                                              _aligned(head, Listing(found, array("q"), array("q")).names_digest())
                                              if head else None)
        head = None  # a head start is for the first, main walk only
        for name, size, mtime in zip(found, found_sizes, found_mtimes):
            if size == FOLDER:  # a folder named like a record: its files come after
                pending.append((Path(os.path.join(str(top), *name[len(top_prefix):].split("/"))), name + "/"))
            else:
                names.append(name)
                sizes.append(size)
                mtimes.append(mtime)
    return Listing(names, sizes, mtimes, walk.mtimes, walk.refused)
