"""One writer at a time in a ledger: a file lock in `.ledger/`, and who holds it, so that a writer that waits too
long can say for whom it waited."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .display import one_line
from .errors import LedgerError

LOCK_NAME = "write.lock"
HOLDER_NAME = "write.lock.holder"  # beside the lock: the lock file itself is emptied by every process that opens it
TIMEOUT_ENV = "LEDGER_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 300.0  # seconds: 160 `ledger add` at once on the shipped ledger take about a minute in all


def lock_timeout() -> float:
    """How long a writer waits for the lock: $LEDGER_LOCK_TIMEOUT seconds, else DEFAULT_TIMEOUT."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value >= 0 else DEFAULT_TIMEOUT


@contextlib.contextmanager
def writer_lock(root: Path, what: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the ledger's write lock while the block runs (`what`: the command, for whoever waits); LedgerError,
    naming the holder, when it is not free within `timeout` seconds (default: `lock_timeout()`)."""
    from filelock import FileLock, Timeout

    from .layout import state_dir

    state = state_dir(root)
    wait = lock_timeout() if timeout is None else timeout
    lock = FileLock(str(state / LOCK_NAME), timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise LedgerError(f"another command has held the ledger's write lock for over {wait:g} s "
                          f"({_holder(state)}); nothing was written: try again, or wait longer with "
                          f"{TIMEOUT_ENV}=SECONDS") from None
    except OSError as e:
        raise LedgerError(f"cannot take the ledger's write lock in {state.name}/: {e.strerror}") from None
    try:
        _note_holder(state, what)
        yield
    finally:
        lock.release()


def _note_holder(state: Path, what: str) -> None:
    from .atomic import atomic_write_bytes

    note = {"pid": os.getpid(), "since": time.time(), "command": what}
    with contextlib.suppress(OSError):  # only a courtesy to whoever waits; replaced, never written through a link
        atomic_write_bytes(state / HOLDER_NAME, json.dumps(note).encode("utf-8"), durable=False)


def _holder(state: Path) -> str:
    try:
        note = json.loads((state / HOLDER_NAME).read_text(encoding="utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(float(note["since"])))
        return f"`{one_line(str(note['command'])[:40])}`, process {int(note['pid'])}, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that did not say which"
