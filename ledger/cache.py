"""The check cache: what each record file held, with its size, change time and hash, for one version of the tool.

It lives in `.ledger/cache/` in the ledger root (a folder that git-ignores itself). It is a
convenience, never trusted: a file that is missing, garbled, from another version of the tool, or
of the wrong shape is ignored and rebuilt, and the findings are the same as without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes
from .errors import LedgerError
from .layout import STATE_DIR, state_dir

CACHE_NAME = "check.bin"
MAGIC = b"ledger check cache 4\n"
# A file whose mtime is this close to the cache's own time may have changed within one clock tick
# without changing its size: its content is hashed again rather than trusted (git's "racy" rule).
RACY_NS = 2_000_000_000


def fingerprint() -> str:
    """The tool's own version: its code, and the installed versions of the libraries that read and validate
    records (found by their dist-info folders' names, which is much cheaper than importlib.metadata)."""
    import importlib.util

    digest = hashlib.sha256()
    package = Path(__file__).parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    listed: dict[Path, list[str]] = {}
    for module, dist in (("pydantic", "pydantic-"), ("pydantic_core", "pydantic_core-"), ("yaml", "PyYAML-"),
                         ("ruamel", "ruamel.yaml-")):
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if not locations:
            digest.update(b"missing " + module.encode())
            continue
        folder = Path(locations[0]).parent  # site-packages
        if folder not in listed:
            try:
                listed[folder] = sorted(os.listdir(folder))
            except OSError:
                listed[folder] = []
        found = [name for name in listed[folder] if name.lower().startswith(dist.lower()) and
                 name.endswith(".dist-info")]
        digest.update(f"{module}:{found}".encode())
    return digest.hexdigest()


# Five files, each MAGIC, the sha256 of its payload, then the payload: `check.bin` (marshal), small and
# written by every run that changed something: the last result, and what changed since the base;
# `listing.bin` (marshal), the sizes and mtimes of the last run's files, and `names.bin` (marshal), their
# names and folders, written only when those change; `base.bin` (marshal, see ledger/checkbase.py), the
# columns of every file and record, and `blobs.bin` (raw bytes), each file's facts, both written only
# when the changes pile up. `check.bin` names the sha256 of the base, the listing and the names, and the
# base that of the blobs, so that no part is ever used with another run's. The blobs are read one file
# at a time, each checked against its digest in the base, rather than hashed whole.
BASE_NAME = "base.bin"
BLOBS_NAME = "blobs.bin"
LISTING_NAME = "listing.bin"  # the files' sizes and mtimes as the last run found them, in the file system's order
NAMES_NAME = "names.bin"  # their names and their folders' mtimes, written only when those change


CACHE_LIMIT = 1 << 32  # a base of millions of records; a file larger than this is no cache of ours


def _read(path: Path) -> tuple[bytes, Any] | None:
    from .reading import Refused, read_bytes

    try:
        raw = read_bytes(path, path.parent, CACHE_LIMIT)  # a regular file of the cache folder, nothing else
    except (OSError, Refused):
        return None
    if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + 32:
        return None
    digest, payload = raw[len(MAGIC):len(MAGIC) + 32], memoryview(raw)[len(MAGIC) + 32:]  # a view: no copy
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return digest, marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


def _write(path: Path, payload: bytes) -> bytes:
    digest = hashlib.sha256(payload).digest()
    atomic_write_bytes(path, MAGIC + digest + payload, durable=False)  # a torn file fails its digest: rebuilt
    return digest


def _folder(root: Path) -> Path:
    return root / STATE_DIR / "cache"


def _home(folder: Path) -> tuple[int, int] | None:
    """The cache folder's device and inode. A cache is used only in the folder it was written in: one that came
    with a checkout (`.ledger/` committed with `git add -f`, then cloned) sits in a folder the clone made, and is
    ignored, so that nobody can hand a check the findings it should report."""
    try:
        st = os.stat(folder, follow_symlinks=False)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def load(root: Path, expected_fingerprint: str) -> dict[str, Any] | None:
    """The state of the last run on the ledger at `root`, or None when there is none usable."""
    read = _read(_folder(root) / CACHE_NAME)
    if read is None:
        return None
    data = read[1]
    if not isinstance(data, dict) or data.get("fingerprint") != expected_fingerprint \
            or data.get("home") != _home(_folder(root)):
        return None
    for key, kind in (("evidence", dict), ("written", int), ("result", list), ("records", int), ("base", bytes),
                      ("delta", dict), ("delta_rules", dict), ("ledger", dict), ("retry", list)):
        if not isinstance(data.get(key), kind):
            return None
    return data


def load_base(root: Path, state: dict[str, Any]) -> Any:
    """The base that goes with `state`, or None."""
    read = _read(_folder(root) / BASE_NAME)
    if read is None or read[0] != state["base"]:
        return None
    return read[1]


def _load_triple(root: Path, name: str, key: str, state: dict[str, Any],
                 valid: Callable[[Any, Any, Any], bool]) -> list[Any] | None:
    """The three-part payload of the file `name` that `state[key]` names, when `valid` accepts its parts."""
    read = _read(_folder(root) / name)
    if read is None or read[0] != state.get(key) or not isinstance(read[1], list) or len(read[1]) != 3:
        return None
    return read[1] if valid(*read[1]) else None


def load_listing(root: Path, state: dict[str, Any]) -> Any:
    """The listing the last run took (the digest of the names, the sizes, the mtimes), or None."""
    return _load_triple(root, LISTING_NAME, "listing", state, lambda digest, sizes, mtimes: (
        isinstance(digest, bytes) and isinstance(sizes, bytes) and isinstance(mtimes, bytes)
        and len(sizes) == len(mtimes) and len(sizes) % 8 == 0))


def load_names(root: Path, state: dict[str, Any]) -> Any:
    """The names and folders the last run listed, with the digest of the names, or None."""
    found = _load_triple(root, NAMES_NAME, "names", state, lambda digest, joined, folders: (
        isinstance(digest, bytes) and isinstance(joined, str) and isinstance(folders, list)
        and all(isinstance(f, tuple) and len(f) == 2 for f in folders)))
    return None if found is None else [found[0], found[1].split("\0") if found[1] else [], found[2]]


def names_payload(names_digest: bytes, names: list[str], folders: list[tuple[str, int]]) -> list[Any]:
    """What `save` writes as `names`: one string of every name, which loads several times faster than a list."""
    return [names_digest, "\0".join(names), folders]  # no file name holds a NUL


def open_blobs(root: Path, base: Any) -> Any:
    """The blobs that go with `base` (a checkbase.Base), to read one file's facts at a time, or None."""
    from .checkbase import Blobs

    header = len(MAGIC) + 32
    try:
        with open(_folder(root) / BLOBS_NAME, "rb") as handle:
            if handle.read(header) != MAGIC + base.blobs_sha:
                return None
            return Blobs(handle, header, base)
    except (OSError, ValueError):
        return None


def forget(root: Path) -> None:
    """Leave no usable cache: the next check reads everything."""
    with contextlib.suppress(OSError):
        (_folder(root) / CACHE_NAME).unlink()


def save(root: Path, state: dict[str, Any], base: Any = None, blobs: bytes | None = None,
         listing: Any = None, names: Any = None) -> None:
    """Write the state (and a new base with its blobs, the listing and the names, when given) atomically; a
    cache that cannot be written is only a slower next run."""
    try:
        folder = state_dir(root) / "cache"
        folder.mkdir(exist_ok=True)
        if names is not None:
            state = {**state, "names": _write(folder / NAMES_NAME, marshal.dumps(names))}
        if listing is not None:
            state = {**state, "listing": _write(folder / LISTING_NAME, marshal.dumps(listing))}
        if base is not None:
            base = {**base, "blobs_sha": _write(folder / BLOBS_NAME, blobs or b"")}
            state = {**state, "base": _write(folder / BASE_NAME, marshal.dumps(base))}
        _write(folder / CACHE_NAME, marshal.dumps({"written": time.time_ns(), **state, "home": _home(folder)}))
    except (OSError, ValueError, LedgerError):
        pass
