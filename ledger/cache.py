"""The check cache: what each record file held, keyed by its content hash and the tool's own fingerprint.

It lives in `.ledger/cache/` in the ledger root (a folder that git-ignores itself). It is a
convenience, never trusted: a file that is missing, garbled, from another version of the tool, or
of the wrong shape is ignored and rebuilt, and the findings are the same as without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import time
from pathlib import Path
from typing import Any

from .atomic import atomic_create_bytes, atomic_write_bytes
from .layout import STATE_DIR

CACHE_NAME = "check.bin"
MAGIC = b"ledger check cache 2\n"
# A file whose mtime is this close to the cache's own time may have changed within one clock tick
# without changing its size: its content is hashed again rather than trusted (git's "racy" rule).
RACY_NS = 2_000_000_000


def state_dir(root: Path) -> Path:
    """`.ledger/` in the ledger root, created with a .gitignore that ignores the folder itself."""
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(FileExistsError):
            atomic_create_bytes(ignore, b"# ledger's own state: locks and caches\n*\n")
    return state


def fingerprint() -> str:
    """The tool's own version: its code and the versions of the libraries that read and validate records."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    package = Path(__file__).parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for dist in ("pydantic", "pydantic-core", "PyYAML", "ruamel.yaml"):
        try:
            digest.update(f"{dist}={version(dist)}".encode())
        except PackageNotFoundError:
            digest.update(dist.encode())
    return digest.hexdigest()


def _path(root: Path) -> Path:
    return root / STATE_DIR / "cache" / CACHE_NAME


# The file: MAGIC, the header's length (8 bytes), the header's sha256, the header (what a warm run
# needs: small), then the table (what a run after changes needs: large). The header names the
# table's sha256, so that a header is never used with another run's table.


def load(root: Path, expected_fingerprint: str) -> dict[str, Any] | None:
    """The cache header of the ledger at `root`, or None when there is none usable."""
    try:
        with _path(root).open("rb") as handle:
            head = handle.read(len(MAGIC) + 8 + 32)
            if len(head) != len(MAGIC) + 40 or not head.startswith(MAGIC):
                return None
            length = int.from_bytes(head[len(MAGIC):len(MAGIC) + 8], "big")
            payload = handle.read(length)
    except OSError:
        return None
    if hashlib.sha256(payload).digest() != head[len(MAGIC) + 8:]:
        return None
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != expected_fingerprint:
        return None
    for key, kind in (("evidence", dict), ("written", int), ("result", list), ("records", int), ("table", bytes)):
        if not isinstance(data.get(key), kind):
            return None
    return data


def load_table(root: Path, header: dict[str, Any]) -> Any:
    """The table that goes with `header`, or None."""
    try:
        with _path(root).open("rb") as handle:
            head = handle.read(len(MAGIC) + 8)
            handle.seek(len(MAGIC) + 8 + 32 + int.from_bytes(head[len(MAGIC):], "big"))
            payload = handle.read()
    except (OSError, ValueError):
        return None
    if hashlib.sha256(payload).digest() != header["table"]:
        return None
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


def save(root: Path, header: dict[str, Any], table: Any) -> None:
    """Write the cache atomically; a cache that cannot be written is only a slower next run."""
    try:
        body = marshal.dumps(table)
        payload = marshal.dumps({**header, "written": time.time_ns(), "table": hashlib.sha256(body).digest()})
        folder = state_dir(root) / "cache"
        folder.mkdir(exist_ok=True)
        blob = MAGIC + len(payload).to_bytes(8, "big") + hashlib.sha256(payload).digest() + payload + body
        atomic_write_bytes(folder / CACHE_NAME, blob)
    except (OSError, ValueError):
        pass
