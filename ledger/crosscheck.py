"""The `diff-figures` engine: every claim against the claims it can be compared with, as findings.

Claims are grouped by (measure, population, place) before any comparison, so the work grows with
the number of claims that share a group, never with all pairs of the ledger.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .citation import Source, claim_date, describe_source
from .figures import FigureValue, Interval, Period
from .load import Ledger
from .models import Claim

Kind = Literal["conflict", "gap", "exceeds", "sum", "agree"]
KINDS: tuple[Kind, ...] = ("conflict", "gap", "exceeds", "sum", "agree")


@dataclass(frozen=True)
class ClaimView:
    """A claim with everything a comparison and a report need, resolved once."""

    id: str
    measure: str
    place: str
    population: str
    period: Period
    value: FigureValue
    interval: Interval
    source: Source
    when: date | None
    quote: str | None  # None when absent or when the source may not be quoted
    quoted: bool  # the record has a `quote`: for a total, the source states it itself
    sum_text: str | None  # "70 + 60" for a total with `sum_of`
    file: str
    line: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.measure, self.population, self.place)


@dataclass(frozen=True)
class Bound:
    """A lower bound of a difference or ratio, or both bounds; `open` says the truth lies above `low`."""

    low: float
    high: float | None  # None: no upper bound
    strict: bool = False  # "more than" rather than "at least"


@dataclass(frozen=True)
class FigureFinding:
    """Two claims that disagree (or agree), or a total that does not add up."""

    kind: Kind
    measure: str
    a: ClaimView  # the narrower claim for `exceeds`, the total for `sum`, the earlier claim otherwise
    b: ClaimView | None  # the other claim (None for `sum`)
    parts: tuple[ClaimView, ...] = ()
    total: Interval | None = None  # the sum of the parts, for `sum`
    difference: Bound | None = None
    ratio: Bound | None = None

    @property
    def claims(self) -> tuple[ClaimView, ...]:
        return (self.a, *((self.b,) if self.b else ()), *self.parts)

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.measure, KINDS.index(self.kind), self.a.id, self.b.id if self.b else "")


@dataclass(frozen=True)
class Breakdown:
    """Figures of one measure for several populations in one place and period, side by side."""

    measure: str
    place: str
    period: Period
    claims: tuple[ClaimView, ...]


@dataclass
class FigureReport:
    """Everything `diff-figures` shows: the claims, the findings, the breakdowns."""

    claims: dict[str, ClaimView]
    findings: list[FigureFinding] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)


def ancestors(vocab: dict[str, object], start: str, root: str | None = None) -> list[str]:
    """`start` and every entry it lies `within`, nearest first; `root` (population `all`) always last."""
    chain, current = [], start
    while current is not None and current not in chain:
        chain.append(current)
        entry = vocab.get(current)
        current = getattr(entry, "within", None) if entry is not None else None
    if root is not None and root not in chain:
        chain.append(root)
    return chain


def _views(ledger: Ledger) -> dict[str, ClaimView]:
    approx = ledger.config.figures.approx if ledger.config else 0.1
    views = {}
    for entry in ledger.entries:
        rec = entry.record
        if not isinstance(rec, Claim) or views.get(rec.id) is not None:
            continue
        source = describe_source(ledger, rec.source)
        views[rec.id] = ClaimView(
            id=rec.id, measure=rec.measure, place=rec.scope.place, population=rec.scope.population,
            period=rec.scope.period, value=rec.value, interval=rec.value.interval(approx), source=source,
            when=claim_date(ledger, rec), quote=rec.quote if source.quotable else None,
            quoted=rec.quote is not None, sum_text=None, file=entry.file, line=entry.locate()[0],
        )
    for entry in ledger.entries:
        rec = entry.record
        if isinstance(rec, Claim) and rec.sum_of and all(p in views for p in rec.sum_of):
            text = " + ".join(str(views[p].value) for p in rec.sum_of)
            views[rec.id] = dataclasses.replace(views[rec.id], sum_text=text)
    return views


def _sum_related(ledger: Ledger, views: dict[str, ClaimView]) -> set[frozenset[str]]:
    """Claims linked through `sum_of`: a total and its parts (at any depth), and the parts of one total.

    They count pieces of one whole, not the same thing twice, so they are never rivals.
    """
    parts_of = {e.record.id: list(e.record.sum_of) for e in ledger.entries  # type: ignore[attr-defined]
                if e.record.kind == "claim" and e.record.sum_of}  # type: ignore[attr-defined]
    related: set[frozenset[str]] = set()
    for total in views:
        stack, seen = list(parts_of.get(total, [])), set()
        while stack:
            part = stack.pop()
            if part in seen or part == total:
                continue
            seen.add(part)
            stack.extend(parts_of.get(part, []))
        group = sorted(seen | {total})
        related.update(frozenset(pair) for pair in itertools.combinations(group, 2))
    return related


def difference(low: ClaimView, high: ClaimView) -> tuple[Bound, Bound | None]:
    """How far apart two disjoint figures are: the absolute difference and the ratio of larger to smaller."""
    lo, hi = low.interval, high.interval
    assert lo.hi is not None
    strict = high.value.form == "gt"
    high_low = high.value.a if strict and high.value.a is not None else hi.lo
    diff = Bound(high_low - lo.hi, None if hi.hi is None else hi.hi - lo.lo, strict)
    if lo.hi == 0:
        ratio = None  # nothing to divide by: no ratio ("against none")
    else:
        ratio_high = None if hi.hi is None or lo.lo == 0 else hi.hi / lo.lo
        ratio = Bound(high_low / lo.hi, ratio_high, strict)
    return diff, ratio


def _ordered(x: ClaimView, y: ClaimView) -> tuple[ClaimView, ClaimView]:
    return (x, y) if (x.when or date.min, x.id) <= (y.when or date.min, y.id) else (y, x)


def _pair_finding(x: ClaimView, y: ClaimView) -> FigureFinding:
    a, b = _ordered(x, y)
    if a.interval.overlaps(b.interval):
        return FigureFinding("agree", a.measure, a, b)
    kind: Kind = "conflict" if a.period == b.period else "gap"
    low, high = (a, b) if a.interval.lo < b.interval.lo else (b, a)
    diff, ratio = difference(low, high)
    return FigureFinding(kind, a.measure, a, b, difference=diff, ratio=ratio)


def _comparable(groups: dict[tuple[str, str, str], list[ClaimView]],
                related: set[frozenset[str]]) -> Iterable[FigureFinding]:
    for claims in groups.values():
        ordered = sorted(claims, key=lambda c: (c.period.start, c.id))
        active: list[ClaimView] = []
        for claim in ordered:
            # a sweep over start dates: only claims whose periods still run can overlap this one
            active = [c for c in active if c.period.end >= claim.period.start]
            for other in active:
                if other.source.id != claim.source.id and frozenset((other.id, claim.id)) not in related:
                    yield _pair_finding(other, claim)
            active.append(claim)


def _nested(ledger: Ledger, views: dict[str, ClaimView], groups: dict[tuple[str, str, str], list[ClaimView]],
            related: set[frozenset[str]]) -> Iterable[FigureFinding]:
    config = ledger.config
    measures = dict(config.measures) if config else {}
    places = dict(config.places) if config else {}
    populations = dict(config.populations) if config else {}
    # In each group, the claims with an upper bound, filed under every month their period covers (long
    # periods apart), each file sorted by that bound: a narrower claim can only exceed a claim whose period
    # holds its first day, and whose bound is below its own lower bound: a prefix found by bisection.
    capped: dict[tuple[str, str, str], dict[int, tuple[list[int], list[ClaimView]]]] = {}
    for key, claims in groups.items():
        months: dict[int, list[ClaimView]] = {}
        for c in claims:
            if c.interval.hi is None:
                continue
            first, last = _month(c.period.start), _month(c.period.end)
            for month in (range(first, last + 1) if last - first <= LONG_MONTHS else (LONG,)):
                months.setdefault(month, []).append(c)
        capped[key] = {}
        for month, filed in months.items():
            filed.sort(key=lambda c: (c.interval.hi, c.id))
            capped[key][month] = ([c.interval.hi for c in filed], filed)  # type: ignore[misc]
    chains: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
    for narrow in views.values():
        keys = chains.get(narrow.key)
        if keys is None:
            keys = chains[narrow.key] = [
                key for key in itertools.product(ancestors(measures, narrow.measure),
                                                 ancestors(populations, narrow.population, root="all"),
                                                 ancestors(places, narrow.place))
                if key != narrow.key and key in capped
            ]
        month = _month(narrow.period.start)
        for key in keys:
            for filed in (capped[key].get(month), capped[key].get(LONG)):
                if filed is None:
                    continue
                his, bounded = filed
                for broad in bounded[:bisect.bisect_left(his, narrow.interval.lo)]:
                    if (broad.source.id == narrow.source.id or not narrow.period.within(broad.period)
                            or frozenset((broad.id, narrow.id)) in related):
                        continue
                    diff, ratio = difference(broad, narrow)
                    yield FigureFinding("exceeds", broad.measure, narrow, broad, difference=diff, ratio=ratio)


LONG, LONG_MONTHS = -1, 6  # periods longer than two years are filed once, and looked at by every claim


def _month(day: date) -> int:
    return day.year * 12 + day.month


def _sums(ledger: Ledger, views: dict[str, ClaimView]) -> Iterable[FigureFinding]:
    for entry in ledger.entries:
        rec = entry.record
        if not isinstance(rec, Claim) or not rec.sum_of or any(p not in views for p in rec.sum_of):
            continue
        if views.get(rec.id) is None or rec.id in rec.sum_of:
            continue
        parts = tuple(views[p] for p in rec.sum_of)
        total = parts[0].interval
        for part in parts[1:]:
            total = total + part.interval
        own = views[rec.id]
        if not own.interval.overlaps(total):
            yield FigureFinding("sum", own.measure, own, None, parts=parts, total=total)


def _breakdowns(views: dict[str, ClaimView]) -> list[Breakdown]:
    by_scope: dict[tuple[str, str, Period], list[ClaimView]] = defaultdict(list)
    for view in views.values():
        by_scope[(view.measure, view.place, view.period)].append(view)
    out = []
    for (measure, place, period), claims in sorted(by_scope.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                                    kv[0][2].start, kv[0][2].end)):
        if len({c.population for c in claims}) > 1:
            out.append(Breakdown(measure, place, period, tuple(sorted(claims, key=lambda c: (c.population, c.id)))))
    return out


def crosscheck(ledger: Ledger) -> FigureReport:
    """Every finding of the format's "What `ledger diff-figures` compares", in a stable order."""
    views = _views(ledger)
    related = _sum_related(ledger, views)
    groups: dict[tuple[str, str, str], list[ClaimView]] = defaultdict(list)
    for view in views.values():
        groups[view.key].append(view)
    findings = [*_comparable(groups, related), *_nested(ledger, views, groups, related), *_sums(ledger, views)]
    findings.sort(key=FigureFinding.sort_key)
    return FigureReport(views, findings, _breakdowns(views))


def select(report: FigureReport, ledger: Ledger, measure: str | None = None, place: str | None = None,
           kinds: Iterable[str] | None = None) -> tuple[list[FigureFinding], list[Breakdown]]:
    """The findings and breakdowns about `measure` and `place` (or anything within them), of `kinds`."""
    config = ledger.config
    measures = dict(config.measures) if config else {}
    places = dict(config.places) if config else {}

    def about(claim: ClaimView) -> bool:
        return ((measure is None or measure in ancestors(measures, claim.measure))
                and (place is None or place in ancestors(places, claim.place)))

    wanted = set(kinds) if kinds is not None else set(KINDS)
    findings = [f for f in report.findings if f.kind in wanted and any(about(c) for c in f.claims)]
    breakdowns = [b for b in report.breakdowns if any(about(c) for c in b.claims)]
    return findings, breakdowns
