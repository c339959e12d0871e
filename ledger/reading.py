"""Reading a file of the ledger without being led astray: regular files only, links followed only to a regular
file inside the ledger, never more bytes than a bound, never a read that can block.

A ledger is a git repository anyone may have committed to: a link to `/dev/zero` or to a folder, a FIFO
named `x.yaml` or a file of a gigabyte would otherwise exhaust memory, loop or hang every check.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .findings import Finding

MAX_RECORD_BYTES = 1 << 20  # a record file: about 1,400 records of the usual size; larger ones are refused unread
MAX_DRAFT_BYTES = 1 << 20  # what `ledger add --from` and `--identity-from` read

_OPEN = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_LINK_ERRNOS = (errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP), getattr(errno, "EFTYPE", errno.ELOOP))


class Refused(Exception):
    """A file that is not read, and why: `code` and `message` make its finding (never a line of its text)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refusal(name: str, error: OSError | Refused) -> Finding:
    """The finding about the file `name` (relative to the root) that could not be, or was not, read."""
    if isinstance(error, Refused):
        return Finding(name, 0, 0, error.code, error.message)
    return Finding(name, 0, 0, "unreadable-file", f"cannot read the file: {error.strerror or 'unknown error'}")


def what_it_is(mode: int) -> str:
    """`a FIFO`, `a folder`...: what a file that is not a regular file is, for a message."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def inside(path: str | Path, root: str | Path) -> bool:
    """True when `path`, with every link resolved, lies in `root` (itself resolved)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _open(path: str, root: str | Path | None) -> int:
    """A descriptor of `path`, opened without blocking; a link only when it stays inside `root`, and only to a
    regular file (opening a device can do something of itself: a terminal allocated, a tape rewound)."""
    if root is not None and _NOFOLLOW:
        try:
            return os.open(path, _OPEN | _NOFOLLOW)  # the usual case, a regular file: no call more than before
        except OSError as e:
            if e.errno not in _LINK_ERRNOS or not os.path.islink(path):
                raise
    if root is not None and os.path.islink(path) and not inside(path, root):
        raise Refused("not-regular-file", "a link that leaves the ledger: not followed")
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        via = "a link to " if os.path.islink(path) else ""
        raise Refused("not-regular-file", f"{via}{what_it_is(mode)}, not a regular file: not read")
    return os.open(path, _OPEN)


def read_bytes(path: str | Path, root: str | Path | None, limit: int = MAX_RECORD_BYTES) -> bytes:
    """The bytes of the regular file at `path`; Refused for anything else (a FIFO, a device, a socket, a folder,
    a link that leaves `root`, more than `limit` bytes), OSError when it cannot be read."""
    fd = _open(str(path), root)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            via = "a link to " if os.path.islink(path) else ""
            raise Refused("not-regular-file", f"{via}{what_it_is(st.st_mode)}, not a regular file: not read")
        if st.st_size > limit:
            raise Refused("file-too-large", f"{st.st_size:,} bytes, over the {limit:,} a file may hold: not read; "
                          "split it into smaller files")
        chunks, size = [], 0
        while True:  # the size may have grown since fstat: never read past the bound
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise Refused("file-too-large", f"over the {limit:,} bytes a file may hold: not read; split it into "
                              "smaller files")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_edges(path: str | Path, root: str | Path | None, edge: int) -> tuple[bytes, bytes]:
    """The first and the last `edge` bytes of the regular file at `path`, however large (a video's metadata is
    at either end); Refused for anything that is not a regular file, OSError when it cannot be read."""
    fd = _open(str(path), root)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("not-regular-file", f"{what_it_is(st.st_mode)}, not a regular file: not read")
        head = os.read(fd, edge)
        if st.st_size <= 2 * edge:
            return head, os.read(fd, edge)
        os.lseek(fd, st.st_size - edge, os.SEEK_SET)
        return head, os.read(fd, edge)
    finally:
        os.close(fd)


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of the regular file at `path`, read in chunks (evidence may be large); Refused for anything
    that is not a regular file, which is never read."""
    import hashlib

    fd = os.open(str(path), _OPEN)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Refused("not-regular-file", f"{what_it_is(mode)}, not a regular file: not read")
        digest = hashlib.sha256()
        for chunk in iter(lambda: os.read(fd, 1 << 20), b""):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(fd)


def read_bounded(stream_or_path: str | Path | None, limit: int = MAX_DRAFT_BYTES) -> bytes:
    """What the user hands `ledger` (a file, a pipe, or standard input when None): at most `limit` bytes, else
    Refused. A FIFO or a pipe is fine here, as the user chose it; a folder or a device is not."""
    import sys

    if stream_or_path is None:
        data = sys.stdin.buffer.read(limit + 1) if hasattr(sys.stdin, "buffer") else \
            sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
    else:
        fd = os.open(str(stream_or_path), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise Refused("not-regular-file", f"{what_it_is(mode)}, not a file: not read")
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
        finally:
            os.close(fd)
    if len(data) > limit:
        raise Refused("file-too-large", f"more than {limit:,} bytes: not read")
    return data
