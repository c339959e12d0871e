"""Failures that are not about the records: the environment (a full disk, a read-only folder, a lock held too long,
an unusable `.ledger/`) or the invocation. Each is one line for the user and exit code 2; never a traceback."""

from __future__ import annotations

import os
from pathlib import Path


class LedgerError(Exception):
    """A problem the user must fix outside the records; the message is one line and names no record's text."""


def os_problem(error: OSError, what: str) -> LedgerError:
    """`cannot write records/claims/x.yaml: No space left on device`, from an OSError while doing `what`."""
    reason = error.strerror or type(error).__name__
    return LedgerError(f"{what}: {reason}")


def shown(path: Path, root: Path) -> str:
    """`path` as a message names it: relative to the ledger root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.fspath(path)
