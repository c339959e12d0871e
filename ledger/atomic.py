"""Atomic writes: a temp file in the same folder, fsync (unless the caller can do without), then rename over
(or beside) the target."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _write_temp(path: Path, data: bytes, durable: bool = True) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` so that a reader sees the old file or the new one, never a part; with
    `durable`, on disk before this returns (a file that checks its own content, as the cache does, can do
    without: after a crash it is found torn and rebuilt)."""
    tmp = _write_temp(path, data, durable)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_create_bytes(path: Path, data: bytes) -> None:
    """Write a new file atomically; raise FileExistsError, changing nothing, when `path` exists.

    The final step is a hard link, which fails if the name is taken even by a concurrent writer.
    """
    tmp = _write_temp(path, data)
    try:
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _fsync_dir(path.parent)
