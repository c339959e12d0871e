"""Hostile inputs from an attacker's review: each took seconds to minutes, or crashed; now each finishes in well
under a second (the bounds below leave a wide margin for a slow CI machine: the point is seconds against minutes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from conftest import CONFIG, LedgerDir, findings_of

T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def chain(n: int) -> str:
    """`n` measures, each within the one before: m0, m1 within m0, m2 within m1..."""
    return "  m0: {label: m0}\n" + "".join(f"  m{i}: {{label: m{i}, within: m{i - 1}}}\n" for i in range(1, n))


def test_a_5000_deep_vocabulary_is_checked_at_once(ledger_dir: LedgerDir) -> None:
    # was 27 s for 2,000 entries and over 120 s for 5,000: each entry's walk searched a list of what it had seen
    ledger_dir.write("ledger.yaml", CONFIG.replace("measures:\n", "measures:\n" + chain(5000)))
    found, seconds = timed(lambda: findings_of(ledger_dir.root))
    assert found == [] and seconds < 1  # 0.1 s here


def test_a_5000_long_vocabulary_loop_is_found_once_at_once(ledger_dir: LedgerDir) -> None:
    looped = chain(5000).replace("  m0: {label: m0}\n", "  m0: {label: m0, within: m4999}\n")
    ledger_dir.write("ledger.yaml", CONFIG.replace("measures:\n", "measures:\n" + looped))
    found, seconds = timed(lambda: findings_of(ledger_dir.root))
    assert seconds < 1
    [f] = found
    assert f.code == "vocab-cycle" and f.message.startswith("`measures` nesting loops: m0 within m4999 within m4998")
