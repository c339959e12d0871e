"""The `diff-figures` engine: every claim against the claims it can be compared with, as findings.

Claims are grouped by (measure, population, place) before any comparison, so the work grows with
the number of claims that share a group, never with all pairs of the ledger; and pairs that are never
compared (two claims of one source, two pieces of one sum) are never enumerated either: within a group,
the work grows with the findings, not with the claims squared.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Literal

from .citation import Source, claim_date, describe_source
from .figures import FigureValue, Interval, Period, When
from .load import Ledger
from .models import Claim, LedgerConfig

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
    when: When | None
    quote: str | None  # None when absent or when the source may not be quoted
    quoted: bool  # the record has a `quote`: for a total, the source states it itself
    sum_text: str | None  # "70 + 60" for a total with `sum_of`
    file: str
    line: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.measure, self.population, self.place)


Number = int | Fraction  # exact: counts can be far beyond what a float holds


@dataclass(frozen=True)
class Bound:
    """A lower bound of a difference or ratio, or both bounds; `strict` says the truth lies above `low`.

    A difference is a whole number and a ratio an exact fraction (an int when whole): no float on the way,
    so no rounding and no overflow, however large the counts.
    """

    low: Number
    high: Number | None  # None: no upper bound
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


def ancestors(vocab: Mapping[str, object], start: str, root: str | None = None) -> list[str]:
    """`start` and every entry it lies `within`, nearest first; `root` (population `all`) always last."""
    chain: list[str] = []
    seen: set[str] = set()  # a looped nesting (a `vocab-cycle` finding) ends the walk where it closes
    current: str | None = start
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        entry = vocab.get(current)
        current = getattr(entry, "within", None) if entry is not None else None
    if root is not None and root not in seen:
        chain.append(root)
    return chain


def _ancestry(vocab: Mapping[str, object], root: str | None = None,
              among: set[str] | None = None) -> Callable[[str], list[str]]:
    """`ancestors` in `vocab`, worked out once per entry however many claims ask, kept to those `among`."""
    memo: dict[str, list[str]] = {}

    def of(start: str) -> list[str]:
        found = memo.get(start)
        if found is None:
            chain = ancestors(vocab, start, root)
            found = memo[start] = chain if among is None else [entry for entry in chain if entry in among]
        return found

    return of


def within(vocab: Mapping[str, object], broad: str) -> set[str]:
    """`broad` and every entry that lies within it at any depth (those whose `ancestors` hold `broad`), found
    in one walk down the nesting instead of a walk up from each entry."""
    children: dict[str, list[str]] = defaultdict(list)
    for name, entry in vocab.items():
        parent = getattr(entry, "within", None)
        if parent is not None:
            children[parent].append(name)
    found, stack = {broad}, [broad]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _views(ledger: Ledger) -> dict[str, ClaimView]:
    approx = ledger.config.figures.approx if ledger.config else 0.1
    views: dict[str, ClaimView] = {}
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


class SumGroups:
    """Claims linked through `sum_of`: a total and its parts (at any depth), and the parts of one total.

    They count pieces of one whole, not the same thing twice, so they are never rivals. Each claim is
    mapped to the wholes it is a piece of instead of every pair of pieces being listed: a total of 5,000
    parts is 5,001 entries, not 12.5 million pairs.
    """

    def __init__(self, ledger: Ledger, views: Mapping[str, ClaimView]) -> None:
        parts_of = {e.record.id: list(e.record.sum_of) for e in ledger.entries  # type: ignore[attr-defined]
                    if e.record.kind == "claim" and e.record.sum_of}  # type: ignore[attr-defined]
        inner = {part for total, parts in parts_of.items() for part in parts if part != total}
        # A total inside another total's whole adds no piece that whole lacks: the outermost totals go first
        # and a total already placed in a whole is passed over, so that nested totals cost their size once.
        # Totals inside nothing but a `sum_of` loop come in the second round.
        totals = [t for t in views if t in parts_of]
        wholes: dict[str, list[int]] = defaultdict(list)
        whole = 0
        for total in [t for t in totals if t not in inner] + [t for t in totals if t in inner]:
            if total in wholes:
                continue
            stack, seen = list(parts_of[total]), set()
            while stack:
                part = stack.pop()
                if part in seen or part == total:
                    continue
                seen.add(part)
                stack.extend(parts_of.get(part, []))
            if seen:
                for member in seen | {total}:
                    wholes[member].append(whole)
                whole += 1
        self.wholes: dict[str, frozenset[int]] = {claim: frozenset(ids) for claim, ids in wholes.items()}

    def related(self, x: str, y: str) -> bool:
        """True when the claims `x` and `y` are pieces of one whole."""
        wx, wy = self.wholes.get(x), self.wholes.get(y)
        return wx is not None and wy is not None and not wx.isdisjoint(wy)

    def colour(self, claim: str) -> tuple[str, object]:
        """The whole a claim is a piece of, when just one; else the claim itself (then `tangled` says whether
        it is a piece of several wholes, whose pairs must each be asked about)."""
        wholes = self.wholes.get(claim)
        return ("whole", next(iter(wholes))) if wholes is not None and len(wholes) == 1 else ("claim", claim)

    def tangled(self, claim: str) -> bool:
        """True when a claim is a piece of several wholes."""
        return len(self.wholes.get(claim, ())) > 1


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
        ratio_high = None if hi.hi is None or lo.lo == 0 else _exact(Fraction(hi.hi, lo.lo))
        ratio = Bound(_exact(Fraction(high_low, lo.hi)), ratio_high, strict)
    return diff, ratio


def _exact(x: Fraction) -> Number:
    return x.numerator if x.denominator == 1 else x


def _ordered(x: ClaimView, y: ClaimView) -> tuple[ClaimView, ClaimView]:
    return (x, y) if (_start(x), x.id) <= (_start(y), y.id) else (y, x)


def _start(claim: ClaimView) -> date:
    return claim.when.start if claim.when else date.min


def _pair_finding(x: ClaimView, y: ClaimView) -> FigureFinding:
    a, b = _ordered(x, y)
    if a.interval.overlaps(b.interval):
        return FigureFinding("agree", a.measure, a, b)
    kind: Kind = "conflict" if a.period == b.period else "gap"
    low, high = (a, b) if a.interval.lo < b.interval.lo else (b, a)
    diff, ratio = difference(low, high)
    return FigureFinding(kind, a.measure, a, b, difference=diff, ratio=ratio)


class _Running:
    """The claims of one group whose periods still run at a sweep's date, filed so that a claim's rivals
    (another source, and no whole in common) are reached without a step over any claim that is not one.

    Claims are filed by colour (the whole they are a piece of, else themselves) and, within a colour, by
    source. A colour held by one source is filed under that source; one held by several is mixed. The
    rivals of a claim are then: in each mixed colour but its own, the claims of every source but its own
    (a mixed colour has another source); and every colour but its own filed under another source. Each
    step yields a rival, or skips the claim's own source or colour (its colour is in one place): O(1 +
    rivals) a claim, even when every claim has one source, or each its own.
    """

    def __init__(self, sums: SumGroups) -> None:
        self.sums = sums
        self.colours: dict[object, dict[str, dict[str, ClaimView]]] = {}  # colour -> source -> id -> claim
        self.alone: dict[str, dict[object, None]] = {}  # source -> the colours it alone holds (ordered set)
        self.mixed: dict[object, None] = {}
        self.ends: list[tuple[date, str, ClaimView]] = []  # a heap: the next period to end first

    def add(self, claim: ClaimView) -> None:
        colour, source = self.sums.colour(claim.id), claim.source.id
        sources = self.colours.setdefault(colour, {})
        before = len(sources)
        sources.setdefault(source, {})[claim.id] = claim
        if before == 0:
            self.alone.setdefault(source, {})[colour] = None
        elif before == 1 and len(sources) == 2:
            first = next(iter(sources))
            self._unfile(first, colour)
            self.mixed[colour] = None
        heapq.heappush(self.ends, (claim.period.end, claim.id, claim))

    def _unfile(self, source: str, colour: object) -> None:
        held = self.alone[source]
        del held[colour]
        if not held:
            del self.alone[source]

    def end_before(self, day: date) -> None:
        """Drop the claims whose periods end before `day`."""
        while self.ends and self.ends[0][0] < day:
            claim = heapq.heappop(self.ends)[2]
            colour, source = self.sums.colour(claim.id), claim.source.id
            sources = self.colours[colour]
            del sources[source][claim.id]
            if sources[source]:
                continue
            del sources[source]
            if not sources:
                del self.colours[colour]
                self._unfile(source, colour)
            elif len(sources) == 1:
                del self.mixed[colour]
                self.alone.setdefault(next(iter(sources)), {})[colour] = None

    def rivals(self, claim: ClaimView) -> Iterator[ClaimView]:
        """The running claims that `claim` is compared with."""
        colour, source = self.sums.colour(claim.id), claim.source.id
        tangled = self.sums.tangled(claim.id)
        for mixed in self.mixed:
            if mixed == colour:
                continue
            for other_source, claims in self.colours[mixed].items():
                if other_source != source:
                    yield from self._unrelated(claim, tangled, claims.values())
        for other_source, colours in self.alone.items():
            if other_source != source:
                for alone in colours:
                    if alone != colour:
                        yield from self._unrelated(claim, tangled, self.colours[alone][other_source].values())

    def _unrelated(self, claim: ClaimView, tangled: bool, others: Iterable[ClaimView]) -> Iterator[ClaimView]:
        # Claims of different colours are pieces of no common whole, unless one is a piece of several wholes
        # (coloured as itself): then the pair is asked about.
        for other in others:
            if not ((tangled or self.sums.tangled(other.id)) and self.sums.related(claim.id, other.id)):
                yield other


def _comparable(groups: dict[tuple[str, str, str], list[ClaimView]], sums: SumGroups) -> Iterable[FigureFinding]:
    for claims in groups.values():
        # a sweep over start dates: only claims whose periods still run can overlap this one
        running = _Running(sums)
        for claim in sorted(claims, key=lambda c: (c.period.start, c.id)):
            running.end_before(claim.period.start)
            for other in running.rivals(claim):
                yield _pair_finding(other, claim)
            running.add(claim)


@dataclass
class _Filed:
    """Claims with an upper bound, sorted by it, and for each the position of the next with another source."""

    his: list[int]
    claims: list[ClaimView]
    other_source: list[int]

    @classmethod
    def of(cls, claims: list[ClaimView]) -> _Filed:
        claims.sort(key=lambda c: (c.interval.hi, c.id))
        other_source = [len(claims)] * len(claims)
        for i in range(len(claims) - 2, -1, -1):
            same = claims[i].source.id == claims[i + 1].source.id
            other_source[i] = other_source[i + 1] if same else i + 1
        return cls([c.interval.hi for c in claims], claims, other_source)  # type: ignore[misc]  # all capped

    def below(self, lo: int, source: str) -> Iterator[ClaimView]:
        """The claims whose bound is below `lo`, but those of `source`: each run of them is one step."""
        end, i = bisect.bisect_left(self.his, lo), 0
        while i < end:
            claim = self.claims[i]
            if claim.source.id == source:
                i = self.other_source[i]
                continue
            yield claim
            i += 1


def _nested(ledger: Ledger, groups: dict[tuple[str, str, str], list[ClaimView]],
            sums: SumGroups) -> Iterable[FigureFinding]:
    config = ledger.config
    # In each group, the claims with an upper bound, filed under every month their period covers (long
    # periods apart), each file sorted by that bound: a narrower claim can only exceed a claim whose period
    # holds its first day, and whose bound is below its own lower bound: a prefix found by bisection.
    capped: dict[tuple[str, str, str], dict[int, _Filed]] = {}
    for key, claims in groups.items():
        months: dict[int, list[ClaimView]] = {}
        for c in claims:
            if c.interval.hi is None:
                continue
            first, last = _month(c.period.start), _month(c.period.end)
            for month in (range(first, last + 1) if last - first <= LONG_MONTHS else (LONG,)):
                months.setdefault(month, []).append(c)
        if months:
            capped[key] = {month: _Filed.of(filed) for month, filed in months.items()}
    # Only the entries of some capped group can lead to one: the ancestors are kept to those before their
    # product is taken, so that a deep nesting is walked once for each entry claims use, and the product
    # holds no more than the groups there are.
    measures = _ancestry(config.measures if config else {}, among={key[0] for key in capped})
    populations = _ancestry(config.populations if config else {}, root="all", among={key[1] for key in capped})
    places = _ancestry(config.places if config else {}, among={key[2] for key in capped})
    for (measure, population, place), narrows in groups.items():
        # the broader groups are worked out once for all the claims of a group, and not kept after them
        keys = [key for key in itertools.product(measures(measure), populations(population), places(place))
                if key != (measure, population, place) and key in capped]
        for narrow in narrows if keys else ():
            month = _month(narrow.period.start)
            for key in keys:
                for filed in (capped[key].get(month), capped[key].get(LONG)):
                    if filed is None:
                        continue
                    for broad in filed.below(narrow.interval.lo, narrow.source.id):
                        if not narrow.period.within(broad.period) or sums.related(broad.id, narrow.id):
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
    sums = SumGroups(ledger, views)
    groups: dict[tuple[str, str, str], list[ClaimView]] = defaultdict(list)
    for view in views.values():
        groups[view.key].append(view)
    findings = [*_comparable(groups, sums), *_nested(ledger, groups, sums), *_sums(ledger, views)]
    findings.sort(key=FigureFinding.sort_key)
    return FigureReport(views, findings, _breakdowns(views))


def select(report: FigureReport, ledger: Ledger, measure: str | None = None, place: str | None = None,
           kinds: Iterable[str] | None = None) -> tuple[list[FigureFinding], list[Breakdown]]:
    """The findings and breakdowns about `measure` and `place` (or anything within them), of `kinds`."""
    config = ledger.config
    # what lies within `measure` and `place`, found once, rather than the ancestors of every claim
    measures = within(config.measures if config else {}, measure) if measure is not None else None
    places = within(config.places if config else {}, place) if place is not None else None

    def about(claim: ClaimView) -> bool:
        return (measures is None or claim.measure in measures) and (places is None or claim.place in places)

    wanted = set(kinds) if kinds is not None else set(KINDS)
    findings = [f for f in report.findings if f.kind in wanted and any(about(c) for c in f.claims)]
    breakdowns = [b for b in report.breakdowns if any(about(c) for c in b.claims)]
    return findings, breakdowns


@dataclass
class Selection:
    """What `ledger diff-figures` shows: the engine's report, the findings and breakdowns selected, and the
    ledger's settings (its vocabularies' labels, its title)."""

    report: FigureReport
    findings: list[FigureFinding]
    breakdowns: list[Breakdown]
    config: LedgerConfig | None

    @property
    def title(self) -> str | None:
        return self.config.title if self.config is not None else None


def cross_check(root: Path, measure: str | None = None, place: str | None = None,
                kinds: Iterable[str] | None = None) -> Selection:
    """`ledger diff-figures` as one library call: the ledger at `root` read, cross-checked, and the findings about
    `measure` and `place` (or anything within them) of `kinds` selected."""
    from .collector import collecting
    from .load import load_ledger

    with collecting(False):  # reading turns it back on where it is needed
        loaded, _ = load_ledger(root)
        report = crosscheck(loaded)
        findings, breakdowns = select(report, loaded, measure, place, kinds)
    return Selection(report, findings, breakdowns, loaded.config)
