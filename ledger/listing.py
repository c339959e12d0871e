"""The record files of a ledger with their sizes and mtimes: cheap to take, and to compare with the last run's."""

from __future__ import annotations

import hashlib
import marshal
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .layout import PARALLEL_MIN_FILES, RECORD_SUFFIXES, RECORDS_DIR


@dataclass
class Listing:
    """Every record file under records/ (hidden files and folders skipped) with its size and mtime, in the
    order the file system lists them: cheap to take and to compare with the last run's."""

    names: list[str]
    sizes: array
    mtimes: array

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


_SCAN_PATHS: list[str] = []  # set before a worker is forked: the paths it stats


def _stat_range(lo: int, hi: int) -> tuple[bytes, bytes]:
    sizes, mtimes = array("q"), array("q")
    stat = os.stat
    for path in _SCAN_PATHS[lo:hi]:
        try:
            st = stat(path)
            if st.st_mode & 0o170000 == 0o040000:  # a folder
                sizes.append(-2)
                mtimes.append(-2)
                continue
            sizes.append(st.st_size)
            mtimes.append(st.st_mtime_ns)
        except OSError:
            sizes.append(-1)  # reading it will say why
            mtimes.append(-1)
    return sizes.tobytes(), mtimes.tobytes()


def _forked(fn: Callable[[int, int], tuple[bytes, bytes]], lo: int, hi: int) -> Any:
    """`fn(lo, hi)` in a forked child, started now and collected when the result is asked for: a plain fork
    and a pipe cost less than a process pool, which matters for a warm check's half-second."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: stat, send, leave at once
        code = 1
        try:
            os.close(read_end)
            payload = marshal.dumps(fn(lo, hi))
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
            return marshal.loads(payload) if status == 0 and payload else None

    return Pending()


def scan(root: Path, jobs: int = 1) -> Listing:
    """Every record file under records/ with its size and mtime; `jobs` processes stat them."""
    return scan_folder(root / RECORDS_DIR, RECORDS_DIR + "/", jobs)


def scan_folder(top: Path, top_prefix: str, jobs: int = 1) -> Listing:
    """Every record file under `top`, named from `top_prefix`, with its size and mtime."""
    global _SCAN_PATHS
    names: list[str] = []
    paths: list[str] = []
    stack = [(str(top), top_prefix)]
    while stack:
        folder, prefix = stack.pop()
        try:
            found = os.listdir(folder)
        except OSError:
            continue
        # a name that ends like a record is taken for a file (stat tells, below); any other may be a folder
        files = [n for n in found if n.endswith(RECORD_SUFFIXES) and n[0] != "."]
        names += [prefix + n for n in files]
        base = folder + os.sep
        paths += [base + n for n in files]
        for n in found:
            if n[0] != "." and not n.endswith(RECORD_SUFFIXES) and os.path.isdir(base + n) \
                    and not os.path.islink(base + n):
                stack.append((base + n, prefix + n + "/"))
    saved, _SCAN_PATHS = _SCAN_PATHS, paths
    try:
        if jobs > 1 and len(paths) >= PARALLEL_MIN_FILES * 5 and hasattr(os, "fork"):
            half = len(paths) // 2
            pending = _forked(_stat_range, half, len(paths))
            first = _stat_range(0, half)
            second = pending.result() if pending is not None else None
            if second is None:  # the fork failed: do it here
                second = _stat_range(half, len(paths))
            sizes, mtimes = array("q", first[0] + second[0]), array("q", first[1] + second[1])
        else:
            raw = _stat_range(0, len(paths))
            sizes, mtimes = array("q", raw[0]), array("q", raw[1])
    finally:
        _SCAN_PATHS = saved
    if -2 in sizes:  # folders named like records: not files, but folders to look into
        folders = [i for i, size in enumerate(sizes) if size == -2]
        keep = [i for i, size in enumerate(sizes) if size != -2]
        inner = [scan_folder(Path(paths[i]), names[i] + "/") for i in folders]
        names = [names[i] for i in keep] + [n for sub in inner for n in sub.names]
        sizes = array("q", [sizes[i] for i in keep] + [x for sub in inner for x in sub.sizes])
        mtimes = array("q", [mtimes[i] for i in keep] + [x for sub in inner for x in sub.mtimes])
    return Listing(names, sizes, mtimes)
