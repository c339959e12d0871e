"""Atomic writes: a temp file, fsync (unless the caller can do without), then a rename over (or a link beside) the
target, so that a reader sees the old file or the new one, never a part.

The temp file is made in the ledger's `.ledger/tmp/` when the caller names the ledger and that folder is on the
same file system as the target (a rename across folders of one file system is as atomic as within one): there git
ignores it, and a writer killed halfway leaves nothing that could be committed. The next write removes what such a
writer left. Elsewhere the temp file goes beside the target.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

SCRATCH = "tmp"  # in .ledger/
STALE_SECONDS = 3600  # a temp file this old is a dead writer's, whatever its pid says
_TEMP = re.compile(r"^\.(\d+)\..+\.tmp$")


def _temp_folder(path: Path, root: Path | None) -> Path:
    """Where the temp file for `path` goes: the ledger's scratch folder when it can be, else beside `path`."""
    if root is None:
        return path.parent
    from .errors import LedgerError
    from .layout import state_dir

    try:
        scratch = state_dir(root) / SCRATCH
        scratch.mkdir(exist_ok=True)
        if os.stat(scratch).st_dev != os.stat(path.parent).st_dev:
            return path.parent
    except (OSError, LedgerError):
        return path.parent
    sweep(scratch)
    return scratch


def sweep(folder: Path) -> None:
    """Remove the temp files that writers killed halfway left in `folder`: their process is gone, or they are old."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _TEMP.match(name)
        if match is None:
            continue
        path = folder / name
        with contextlib.suppress(OSError):
            if not _alive(int(match.group(1))) or time.time() - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or one this system cannot ask about: leave its file alone
    return True


def _write_temp(path: Path, data: bytes, durable: bool, root: Path | None) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{os.getpid()}.", suffix=".tmp", dir=_temp_folder(path, root))
    try:
        if hasattr(os, "fchmod"):  # mkstemp's 0600 is for secrets; records get the user's usual mode
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable; where that cannot be done, nothing."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True, root: Path | None = None) -> None:
    """Replace `path` with `data` so that a reader sees the old file or the new one, never a part; with
    `durable`, on disk before this returns (a file that checks its own content, as the cache does, can do
    without: after a crash it is found torn and rebuilt). `root`: the ledger, whose scratch folder takes the
    temp file. Raises OSError, leaving `path` as it was and no temp file behind."""
    tmp = _write_temp(path, data, durable, root)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_text_stream(path: Path, root: Path | None = None) -> Iterator[TextIO]:
    """A text file written as it comes (UTF-8, line ends as given) that replaces `path` only once the block ends
    without an error: a reader sees the old file or the whole new one. Raises OSError, leaving `path` as it was."""
    fd, tmp = tempfile.mkstemp(prefix=f".{os.getpid()}.", suffix=".tmp", dir=_temp_folder(path, root))
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, root: Path | None = None) -> None:
    """`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), root=root)


def atomic_create_bytes(path: Path, data: bytes, root: Path | None = None) -> None:
    """Write a new file atomically; raise FileExistsError, changing nothing, when `path` exists.

    The final step is a hard link, which fails if the name is taken even by a concurrent writer.
    """
    tmp = _write_temp(path, data, True, root)
    try:
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(path.parent)
