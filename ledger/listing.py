"""The record files of a ledger with their sizes and mtimes: cheap to take, and to compare with the last run's."""

from __future__ import annotations

import hashlib
import marshal
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .layout import RECORD_SUFFIXES, RECORDS_DIR


@dataclass
class Listing:
    """Every record file under records/ (hidden files and folders skipped) with its size and mtime, in the
    order the file system lists them: cheap to take and to compare with the last run's."""

    names: list[str]
    sizes: array
    mtimes: array
    _names_digest: bytes | None = field(default=None, repr=False, compare=False)

    def digest(self) -> bytes:
        return hashlib.sha256(self.names_digest() + self.sizes.tobytes() + self.mtimes.tobytes()).digest()

    def sorted(self) -> list[tuple[str, int, int]]:
        return sorted(zip(self.names, self.sizes, self.mtimes))

    def names_digest(self) -> bytes:
        return hashlib.sha256("\0".join(self.names).encode("utf-8", "surrogateescape")).digest()

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


SCAN_PARALLEL_MIN_FILES = 10_000  # below this, a second process for the stat calls costs more than it saves

Folder = tuple[str, str, list[str]]  # path, the prefix of its files' names, its record files as listed


def _walk(top: str, top_prefix: str) -> list[Folder]:
    """Every folder under `top` (hidden ones and links to folders skipped) with the names of its record files,
    in the order the file system lists them: the same in a forked child as in its parent."""
    out: list[Folder] = []
    stack = [(top, top_prefix)]
    while stack:
        folder, prefix = stack.pop()
        try:
            found = os.listdir(folder)
        except OSError:
            continue
        # a name that ends like a record is taken for a file (stat tells, below); any other may be a folder
        files = [n for n in found if n.endswith(RECORD_SUFFIXES)]
        if "\0." in "\0" + "\0".join(files):  # hidden files, rare: looked for at C speed
            files = [n for n in files if n[0] != "."]
        out.append((folder, prefix, files))
        if len(files) < len(found):
            base = folder + os.sep
            for n in found:
                if n[0] != "." and not n.endswith(RECORD_SUFFIXES) and os.path.isdir(base + n) \
                        and not os.path.islink(base + n):
                    stack.append((base + n, prefix + n + "/"))
    return out


def _walk_digest(folders: list[Folder]) -> bytes:
    digest = hashlib.sha256()
    for _, prefix, files in folders:
        digest.update(("\1" + prefix + "\0" + "\0".join(files)).encode("utf-8", "surrogateescape"))
    return digest.digest()


def _stat_files(folders: list[Folder], part: int) -> tuple[bytes, bytes]:
    """Sizes and mtimes of the first (`part` 0) or second (`part` 1) half of every folder's files, or of all
    of them (`part` None); -1 for a file that cannot be stat-ed, -2 for a folder."""
    sizes, mtimes = array("q"), array("q")
    stat = os.stat
    by_fd = stat in os.supports_dir_fd
    for folder, _, files in folders:
        half = len(files) // 2
        names = files if part is None else files[:half] if part == 0 else files[half:]
        if not names:
            continue
        fd = None
        if by_fd:
            try:
                fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            except OSError:
                fd = None
        base = folder + os.sep
        try:
            for name in names:
                try:
                    # relative to the folder's descriptor: one path step instead of the whole path
                    st = stat(name, dir_fd=fd) if fd is not None else stat(base + name)
                except OSError:
                    sizes.append(-1)  # reading it will say why
                    mtimes.append(-1)
                    continue
                if st.st_mode & 0o170000 == 0o040000:  # a folder
                    sizes.append(-2)
                    mtimes.append(-2)
                else:
                    sizes.append(st.st_size)
                    mtimes.append(st.st_mtime_ns)
        finally:
            if fd is not None:
                os.close(fd)
    return sizes.tobytes(), mtimes.tobytes()


def _forked(fn: Callable[[], Any]) -> Any:
    """`fn()` in a forked child, started now and collected when the result is asked for (None when the fork
    or the child failed): a plain fork and a pipe cost less than a process pool, which matters for a warm
    check's few tenths of a second."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: work, send, leave at once
        code = 1
        try:
            os.close(read_end)
            payload = marshal.dumps(fn())
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)

    class Pending:
        def result(self) -> Any:
            with os.fdopen(read_end, "rb") as pipe:
                payload = pipe.read()
            _, status = os.waitpid(pid, 0)
            try:
                return marshal.loads(payload) if status == 0 and payload else None
            except (EOFError, ValueError, TypeError):
                return None

    return Pending()


def scan(root: Path, jobs: int = 1, expected: int = 0) -> Listing:
    """Every record file under records/ with its size and mtime; with `jobs` > 1 and about `expected` files or
    more, a forked child lists the folders too and stats half of each folder's files."""
    return scan_folder(root / RECORDS_DIR, RECORDS_DIR + "/", jobs > 1 and expected >= SCAN_PARALLEL_MIN_FILES)


def _child_half(top: str, top_prefix: str) -> tuple[bytes, bytes, bytes]:
    folders = _walk(top, top_prefix)
    return (_walk_digest(folders), *_stat_files(folders, 1))


def scan_folder(top: Path, top_prefix: str, parallel: bool = False) -> Listing:
    """Every record file under `top`, named from `top_prefix`, with its size and mtime."""
    pending = _forked(lambda: _child_half(str(top), top_prefix)) if parallel and hasattr(os, "fork") else None
    folders = _walk(str(top), top_prefix)
    first = _stat_files(folders, 0 if pending is not None else None)
    names: list[str] = []
    for _, prefix, files in folders:
        names += [prefix + n for n in files]
    if pending is None:
        sizes, mtimes = array("q", first[0]), array("q", first[1])
    else:
        walked = _walk_digest(folders)
        second = pending.result()
        if second is None or second[0] != walked:
            # the child failed, or saw other files (they changed meanwhile): stat the second halves here
            second = (b"", *_stat_files(folders, 1))
        firsts, seconds = array("q", first[0]), array("q", second[1])
        first_m, second_m = array("q", first[1]), array("q", second[2])
        sizes, mtimes = array("q"), array("q")
        a = b = 0
        for _, _, files in folders:  # each folder's two halves back together, in listing order
            half = len(files) // 2
            rest = len(files) - half
            sizes += firsts[a:a + half]
            sizes += seconds[b:b + rest]
            mtimes += first_m[a:a + half]
            mtimes += second_m[b:b + rest]
            a, b = a + half, b + rest
    if -2 in sizes:  # folders named like records: not files, but folders to look into
        folders_ = [i for i, size in enumerate(sizes) if size == -2]
        keep = [i for i, size in enumerate(sizes) if size != -2]
        paths = [os.path.join(str(top), *names[i][len(top_prefix):].split("/")) for i in folders_]
        inner = [scan_folder(Path(path), names[i] + "/") for path, i in zip(paths, folders_)]
        names = [names[i] for i in keep] + [n for sub in inner for n in sub.names]
        sizes = array("q", [sizes[i] for i in keep] + [x for sub in inner for x in sub.sizes])
        mtimes = array("q", [mtimes[i] for i in keep] + [x for sub in inner for x in sub.mtimes])
    return Listing(names, sizes, mtimes)
