"""The garbage collector's part in a run: on while files are read, frozen as records pile up, off after."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

SETTLE_EVERY = 1000  # files read between two calls of `settle`


def settle() -> None:
    """Tell the garbage collector that what was read so far is here to stay.

    Without it, every collection walks all the records read so far, and reading a large ledger
    slows down as it goes (a third of the time at 100,000 records).
    """
    gc.collect(1)
    gc.freeze()


@contextlib.contextmanager
def collecting(enabled: bool) -> Iterator[None]:
    """Garbage collection on or off meanwhile. On while files are read: the YAML readers leave reference
    cycles. Off while records are checked or cross-checked: that makes none worth collecting, and each
    collection walks every record read so far (a fifth of `diff-figures`, a tenth of a cold `check`, at
    100,000 records)."""
    was = gc.isenabled()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
