"""The `diff-figures` engine (record-format.md, "What `ledger diff-figures` compares").

Every claim has a voice (who stands behind it) and a date (when it was asserted). One voice's figures for one
scope, in the order they were asserted, are its series: a change along it is a `revision`, a running total that
grows is nothing. Whenever a voice asserts a figure, the figure is compared with the figures the other voices
stood by on that date (an official voice's with every other voice's, another voice's with the official voices'),
each pair once; among the voices that are not official, one `spread` per scope says how far apart the extremes
are. A withdrawn figure is compared with nothing after its withdrawal.

Each finding is about one claim, the one asserted when the disagreement arose, and holds everything about it: the
figures it disagrees with, the voice's own figure it revised, the parts it does not add up to, the spread it
opened. So there are never more findings than claims, however many voices speak.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from .citation import (
    Source,
    Voice,
    Withdrawal,
    claim_date,
    describe_source,
    hidden_witnesses,
    voice_of,
    withdrawals,
)
from .figures import FigureValue, Interval, Period, When
from .kinds import FINDING_KINDS
from .load import Ledger
from .models import Claim, LedgerConfig

Kind = Literal["conflict", "gap", "exceeds", "spread", "revision", "sum", "agree"]
KINDS: tuple[Kind, ...] = FINDING_KINDS  # type: ignore[assignment]  # the command line's, which imports nothing
Question = tuple[str, str, str]  # (measure, population, place): what is counted, among whom, where


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
    voice: Voice = field(default_factory=lambda: Voice("", "", False))
    status: str | None = None  # `unverified`, `disputed`
    withdrawn: Withdrawal | None = None
    stock: bool = False  # the measure counts people in a state on a date, not events within a period

    @property
    def key(self) -> Question:
        return (self.measure, self.population, self.place)

    @property
    def day(self) -> date:
        """The first day it may have been asserted on (an undated claim: before every other)."""
        return _day(self.when)

    def withdrawn_by(self, day: date) -> bool:
        """True when it had been withdrawn on or before `day`."""
        return self.withdrawn is not None and _day(self.withdrawn.when) <= day


def _day(when: When | None) -> date:
    """The first day a date may be (an undated claim: before every other)."""
    return when.start if when is not None else date.min


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
class Relation:
    """How a finding's claim stands against one other figure: `conflict`, `gap`, `exceeds` or `agree`."""

    kind: Kind
    other: ClaimView
    narrower: ClaimView | None = None  # for `exceeds`: which of the two counts the narrower scope
    difference: Bound | None = None
    ratio: Bound | None = None


@dataclass(frozen=True)
class Spread:
    """The figures that are not official for one scope, when their extremes disagree: the lowest, the highest, the
    others, how far apart the extremes are."""

    low: ClaimView
    high: ClaimView
    others: tuple[ClaimView, ...]
    difference: Bound
    ratio: Bound | None


@dataclass(frozen=True)
class FigureFinding:
    """Everything wrong (or, on request, right) about one claim: the figures it disagrees with, the voice's own
    figure it revised, the parts it does not add up to, the spread among the figures that are not official that
    it opened (it is one of the extremes, the later asserted)."""

    kind: Kind  # the most serious of what it holds (KINDS order)
    measure: str
    a: ClaimView  # the claim it is about
    b: ClaimView | None  # the main other figure: of the headline's relation, the one revised, the other extreme
    relations: tuple[Relation, ...] = ()
    revised: ClaimView | None = None  # the voice's own earlier figure for the scope, when `a` changes it
    parts: tuple[ClaimView, ...] = ()  # for `sum`: the parts `a` does not add up to
    total: Interval | None = None  # the sum of the parts
    spread: Spread | None = None
    difference: Bound | None = None  # of `a` and `b`
    ratio: Bound | None = None

    @property
    def claims(self) -> tuple[ClaimView, ...]:
        """Every claim involved, `a` first, each once."""
        found: dict[str, ClaimView] = {}
        spread = (self.spread.low, self.spread.high, *self.spread.others) if self.spread is not None else ()
        for c in (self.a, self.b, self.revised, *(r.other for r in self.relations), *self.parts, *spread):
            if c is not None:
                found.setdefault(c.id, c)
        return tuple(found.values())

    @property
    def kinds(self) -> set[str]:
        """Every kind of disagreement it holds (a conflict that also revises the voice's figure: both)."""
        held: set[str] = {r.kind for r in self.relations} | {self.kind}
        if self.revised is not None:
            held.add("revision")
        if self.parts:
            held.add("sum")
        if self.spread is not None:
            held.add("spread")
        return held

    @property
    def statuses(self) -> dict[str, str]:
        """The status of each claim involved that has one (`unverified`, `disputed`), by claim id: a letter must
        not state them as established."""
        return {c.id: c.status for c in self.claims if c.status}

    def sort_key(self) -> tuple[str, str, str, date, int, str]:
        return (self.measure, self.a.population, self.a.place, self.a.day, KINDS.index(self.kind), self.a.id)


@dataclass(frozen=True)
class Breakdown:
    """Figures of one measure for several populations in one place and period, side by side."""

    measure: str
    place: str
    period: Period
    claims: tuple[ClaimView, ...]


@dataclass
class FigureReport:
    """Everything `diff-figures` shows: the claims, each question's series, the findings, the breakdowns."""

    claims: dict[str, ClaimView]
    findings: list[FigureFinding] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    series: dict[Question, dict[str, list[ClaimView]]] = field(default_factory=dict)  # question -> voice -> claims


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


def _ancestry(vocab: Mapping[str, object], root: str | None = None) -> Callable[[str], list[str]]:
    """`ancestors` in `vocab`, worked out once per entry however many claims ask."""
    memo: dict[str, list[str]] = {}

    def of(start: str) -> list[str]:
        if start not in memo:
            memo[start] = ancestors(vocab, start, root)
        return memo[start]

    return of


def within(vocab: Mapping[str, object], broad: str) -> set[str]:
    """`broad` and every entry that lies within it at any depth, found in one walk down the nesting."""
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
    config = ledger.config
    approx = config.figures.approx if config else 0.1
    stock = {name for name, entry in (config.measures.items() if config else ()) if entry.counts == "stock"}
    withdrawn = withdrawals(ledger)
    hidden = hidden_witnesses(ledger)
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
            voice=voice_of(ledger, rec, hidden), status=getattr(rec, "status", None), withdrawn=withdrawn.get(rec.id),
            stock=rec.measure in stock)
    for entry in ledger.entries:
        rec = entry.record
        if isinstance(rec, Claim) and rec.sum_of and all(p in views for p in rec.sum_of):
            text = " + ".join(str(views[p].value) for p in rec.sum_of)
            views[rec.id] = dataclasses.replace(views[rec.id], sum_text=text)
    return views


class SumGroups:
    """Claims linked through `sum_of`: a total and its parts (at any depth), and the parts of one total.

    They count pieces of one whole, not the same thing twice, so they are never rivals. Each claim is mapped to
    the wholes it is a piece of instead of every pair of pieces being listed.
    """

    def __init__(self, ledger: Ledger, views: Mapping[str, ClaimView]) -> None:
        parts_of = {e.record.id: list(e.record.sum_of) for e in ledger.entries  # type: ignore[attr-defined]
                    if e.record.kind == "claim" and e.record.sum_of}  # type: ignore[attr-defined]
        inner = {part for total, parts in parts_of.items() for part in parts if part != total}
        # A total inside another total's whole adds no piece that whole lacks: the outermost totals go first
        # and a total already placed in a whole is passed over. Totals inside nothing but a loop come last.
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


def _apart(x: ClaimView, y: ClaimView) -> tuple[Bound, Bound | None]:
    """`difference` of two disjoint figures, whichever is the larger."""
    return difference(x, y) if x.interval.lo < y.interval.lo else difference(y, x)


class _Nesting:
    """Whether one question lies within another: each of its measure, population and place is the other's or
    lies `within` it (every population lies within `all`)."""

    def __init__(self, config: LedgerConfig | None) -> None:
        self.measures = _ancestry(config.measures if config else {})
        self.populations = _ancestry(config.populations if config else {}, root="all")
        self.places = _ancestry(config.places if config else {})

        self._measure_sets: dict[str, frozenset[str]] = {}

    def measure_set(self, measure: str) -> frozenset[str]:
        """`measures(measure)` as a set: a nesting may be thousands deep."""
        found = self._measure_sets.get(measure)
        if found is None:
            found = self._measure_sets[measure] = frozenset(self.measures(measure))
        return found

    def inside(self, narrow: Question, broad: Question) -> bool:
        return (broad[0] in self.measure_set(narrow[0]) and broad[1] in self.populations(narrow[1])
                and broad[2] in self.places(narrow[2]))

    def broader(self, key: Question, among: Iterable[Question]) -> list[Question]:
        return [other for other in among if other != key and self.inside(key, other)]


def _relation(c: ClaimView, s: ClaimView, nesting: _Nesting) -> Relation | None:
    """How the newer figure `c` stands against `s`, or None when the two count nothing comparable."""
    if c.stock or s.stock:  # people in a state on a date: comparable on the same date only
        if c.period != s.period:
            return None
    elif not c.period.overlaps(s.period):
        return None
    same = c.key == s.key
    if same and c.period == s.period:
        if c.interval.overlaps(s.interval):
            return Relation("agree", s)
        diff, ratio = _apart(c, s)
        return Relation("conflict", s, None, diff, ratio)
    # one scope within the other: its measure, population and place, and (counting events) its period
    narrow: ClaimView | None = None
    if nesting.inside(c.key, s.key) and (c.stock or c.period.within(s.period)):
        narrow, broad = c, s
    elif nesting.inside(s.key, c.key) and (s.stock or s.period.within(c.period)):
        narrow, broad = s, c
    if narrow is not None and broad.interval.hi is not None and narrow.interval.lo > broad.interval.hi:
        diff, ratio = difference(broad, narrow)
        return Relation("exceeds", s, narrow, diff, ratio)
    if not same and narrow is None:
        return None  # neither scope within the other: nothing in common to compare
    if c.interval.overlaps(s.interval):
        return Relation("agree", s)
    if same:  # the same count over periods that overlap
        diff, ratio = _apart(c, s)
        return Relation("gap", s, None, diff, ratio)
    return None  # a narrower count below a broader one: as it should be


class _Series:
    """One voice's figures for one question and, counting events, one first day (its running totals), or, for
    people in a state, one date: in the order they were asserted."""

    def __init__(self) -> None:
        self.claims: list[ClaimView] = []

    def standing(self, day: date, period: Period | None = None) -> ClaimView | None:
        """The figure the voice stood by on `day` (for `period`, if given): the last it asserted by then and had
        not withdrawn by then."""
        for claim in reversed(self.claims):  # in the order asserted: the last one asserted by `day` comes soon
            if claim.day <= day and not claim.withdrawn_by(day) and (period is None or claim.period == period):
                return claim
        return None


def _series_key(c: ClaimView) -> tuple[str, Question, object]:
    return (c.voice.id, c.key, c.period if c.stock else c.period.start)


class _Timeline:
    """The claims in the order they were asserted, each compared, as it comes, with what stood on that day."""

    def __init__(self, config: LedgerConfig | None, views: dict[str, ClaimView], sums: SumGroups) -> None:
        self.nesting = _Nesting(config)
        self.views, self.sums = views, sums
        self.series: dict[tuple[str, Question, object], _Series] = {}
        # The series each figure meets, found without walking them all: by question and by the months their periods
        # cover (a figure meets only series whose periods may overlap its own), all of them
        # (what an official figure meets) and the official ones (what any other figure meets), and each voice's own.
        # A question can hold figures for years of events: walking all its series for each figure grew with the
        # square of the ledger.
        self.by_month: dict[int, dict[Question, list[tuple[str, Question, object]]]] = defaultdict(
            lambda: defaultdict(list))
        self.official: dict[int, dict[Question, list[tuple[str, Question, object]]]] = defaultdict(
            lambda: defaultdict(list))
        self.own_by_voice: dict[str, list[tuple[str, Question, object]]] = defaultdict(list)
        self.own: dict[tuple[str, Question], list[tuple[str, Question, object]]] = defaultdict(list)
        self.months: dict[tuple[str, Question, object], tuple[int, int]] = {}  # the months a series is filed under
        # every series of a question, and its official ones: walked instead of the months when a figure's period is
        # longer than _LONG months (a figure for 16 years of events)
        self.in_question: dict[Question, list[tuple[str, Question, object]]] = defaultdict(list)
        self.official_in: dict[Question, list[tuple[str, Question, object]]] = defaultdict(list)
        self.order: dict[tuple[str, Question, object], int] = {}  # when each series began: the order they are met
        self.reported: set[frozenset[str]] = set()
        self.related = self._related_questions({c.key for c in views.values()})
        self.related_sets: dict[Question, frozenset[Question]] = {}  # made as asked for: a deep nesting is long

    def _related_questions(self, questions: set[Question]) -> dict[Question, list[Question]]:
        """For each question, itself and the questions within or around it: for each of the (few) populations and
        places around its own, the measures the ledger counts there that its measure lies within; the narrower
        ones as the inverse; never every pair of questions, nor every ancestor of a deep nesting."""
        nesting = self.nesting
        related: dict[Question, list[Question]] = {q: [q] for q in questions}
        counted: dict[tuple[str, str], list[str]] = defaultdict(list)  # (population, place) -> measures
        for measure, population, place in sorted(questions):
            counted[(population, place)].append(measure)
        for q in sorted(questions):
            within = nesting.measure_set(q[0])
            for population in nesting.populations(q[1]):
                for place in nesting.places(q[2]):
                    for measure in counted.get((population, place), ()):
                        broad = (measure, population, place)
                        if broad != q and measure in within:
                            related[q].append(broad)
                            related[broad].append(q)
        return related

    def run(self) -> dict[str, tuple[list[Relation], ClaimView | None]]:
        """For each claim with something to say, how it stands against the figures standing when it came, and the
        voice's own figure it revised."""
        found = {}
        for claim in sorted(self.views.values(), key=_asserted):
            relations, revised = self._newcomer(claim)
            if relations or revised is not None:
                found[claim.id] = (relations, revised)
            key = _series_key(claim)
            if key not in self.series:
                self.order[key] = len(self.order)
                self.in_question[claim.key].append(key)
                if claim.voice.official:
                    self.official_in[claim.key].append(key)
                else:
                    self.own[(claim.voice.id, claim.key)].append(key)
                    self.own_by_voice[claim.voice.id].append(key)
                self.series[key] = _Series()
            self._file(key, claim)
            self.series[key].claims.append(claim)
        return found

    def _file(self, key: tuple[str, Question, object], claim: ClaimView) -> None:
        """File the series under the months its periods now cover (a running total's grow)."""
        first, last = _month(claim.period.start), _month(claim.period.end)
        had = self.months.get(key)
        if had is not None:
            first, last = min(first, had[0]), max(last, had[1])
        for month in range(first, last + 1):
            if had is None or not had[0] <= month <= had[1]:
                self._under(key, claim, month)
        self.months[key] = (first, last)

    def _under(self, key: tuple[str, Question, object], claim: ClaimView, month: int) -> None:
        self.by_month[month][claim.key].append(key)
        if claim.voice.official:
            self.official[month][claim.key].append(key)

    def _met(self, claim: ClaimView) -> list[tuple[str, Question, object]]:
        """The series `claim` meets, in the order they began: of its question and those within or around it, whose
        periods may overlap its own; all of them for an official figure, else the official ones and the voice's own.
        Each lookup walks the shorter of two lists (a broad question has hundreds of narrower ones; a month, a
        few questions), so that neither many questions nor many months make it slow."""
        first, last = _month(claim.period.start), _month(claim.period.end)
        official = claim.voice.official
        related = self.related[claim.key]
        related_set = self.related_sets.get(claim.key)
        if related_set is None:
            related_set = self.related_sets[claim.key] = frozenset(related)
        met: set[tuple[str, Question, object]] = set()
        if last - first >= _LONG:  # a figure for years: each series of the questions it meets is checked
            listed, months = (self.in_question if official else self.official_in), self.months
            for question in related:
                met.update(k for k in listed.get(question, ()) if months[k][0] <= last and months[k][1] >= first)
        else:
            index = self.by_month if official else self.official
            for month in range(first, last + 1):
                bucket = index.get(month)
                if not bucket:
                    continue
                if len(bucket) < len(related):
                    for question, keys in bucket.items():
                        if question in related_set:
                            met.update(keys)
                else:
                    for question in related:
                        met.update(bucket.get(question, ()))
        if not official:
            mine = self.own_by_voice.get(claim.voice.id, ())
            if len(mine) < len(related):
                met.update(k for k in mine if k[1] in related_set)
            else:
                for question in related:
                    met.update(self.own.get((claim.voice.id, question), ()))
        return sorted(met, key=self.order.__getitem__)

    def _newcomer(self, claim: ClaimView) -> tuple[list[Relation], ClaimView | None]:
        own = self.series.get(_series_key(claim))
        revised = own.standing(claim.day, claim.period) if own is not None else None
        if revised is not None and (revised.source.id == claim.source.id or str(revised.value) == str(claim.value)
                                    or self.sums.related(claim.id, revised.id)):
            revised = None  # two figures of one statement, the same figure again, pieces of one whole: no revision
        relations = []
        for key in self._met(claim):  # the spread among the voices that are not official says how far apart they are
            other = self.series[key].standing(claim.day)
            if other is None or other is revised or self.sums.related(claim.id, other.id):
                continue
            pair = frozenset((claim.id, other.id))
            if pair in self.reported:
                continue
            relation = _relation(claim, other, self.nesting)
            if relation is None or (key[0] == claim.voice.id and relation.kind != "exceeds"):
                continue  # a voice's own figures: only a narrower one above a broader one (a total that fell)
            self.reported.add(pair)
            relations.append(relation)
        return relations, revised


_LONG = 24  # months: a figure's period longer than this meets series by checking each one's months


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _day_end(when: When | None) -> date:
    return when.end if when is not None else date.min


def _asserted(c: ClaimView) -> tuple[date, date, str]:
    """The order claims were asserted in: by first possible day, then last, then id (file order plays no part)."""
    return (c.day, _day_end(c.when), c.id)


def _finding(claim: ClaimView, relations: list[Relation], revised: ClaimView | None,
             parts: tuple[ClaimView, ...] = (), total: Interval | None = None,
             spread: Spread | None = None) -> FigureFinding:
    """The finding about one claim, headed by the most serious of what it holds."""
    relations.sort(key=lambda r: (KINDS.index(r.kind), r.other.day, r.other.id))
    held = [r.kind for r in relations if r.kind != "agree"]
    if spread is not None:
        held.append("spread")
    if revised is not None:
        held.append("revision")
    if parts:
        held.append("sum")
    kind: Kind = min(held, key=KINDS.index) if held else "agree"
    main = next((r for r in relations if r.kind == kind), None)
    if main is not None:
        return FigureFinding(kind, claim.measure, claim, main.other, tuple(relations), revised, parts, total, spread,
                             main.difference, main.ratio)
    if kind == "spread":
        assert spread is not None
        other = spread.high if spread.low is claim else spread.low
        return FigureFinding(kind, claim.measure, claim, other, tuple(relations), revised, parts, total, spread,
                             spread.difference, spread.ratio)
    if kind == "revision":
        assert revised is not None
        diff, ratio = _apart(claim, revised) if not claim.interval.overlaps(revised.interval) else (None, None)
        return FigureFinding(kind, claim.measure, claim, revised, tuple(relations), revised, parts, total, spread,
                             diff, ratio)
    return FigureFinding(kind, claim.measure, claim, None, tuple(relations), revised, parts, total, spread)


def _sums(ledger: Ledger, views: dict[str, ClaimView]) -> Iterable[tuple[str, tuple[ClaimView, ...], Interval]]:
    """Each total that does not overlap the sum of its parts: its id, its parts, their sum."""
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
        if not views[rec.id].interval.overlaps(total):
            yield rec.id, parts, total


def _spreads(series: dict[tuple[str, Question, object], _Series], sums: SumGroups) -> Iterable[Spread]:
    """For each scope, the latest figures of the voices that are not official (a withdrawn one set aside), when
    their extremes disagree and are not pieces of one whole."""
    latest: dict[tuple[Question, Period], list[ClaimView]] = defaultdict(list)
    for (_, question, _), one in series.items():
        for claim in one.claims:
            if not claim.voice.official:
                latest[(question, claim.period)].append(claim)
    for claims in latest.values():
        by_voice: dict[str, ClaimView] = {}
        for claim in claims:  # in the order asserted: the last of each voice not withdrawn stands
            if claim.withdrawn is None:
                by_voice[claim.voice.id] = claim
        standing = list(by_voice.values())
        if len(standing) < 2:
            continue
        low = min(standing, key=lambda c: (_top(c), c.id))
        high = max(standing, key=lambda c: (c.interval.lo, c.id))
        if low.interval.hi is not None and low.interval.hi < high.interval.lo and not sums.related(low.id, high.id):
            diff, ratio = difference(low, high)
            others = tuple(sorted((c for c in standing if c.id not in (low.id, high.id)), key=_asserted))
            yield Spread(low, high, others, diff, ratio)


def _top(claim: ClaimView) -> float | int:
    return claim.interval.hi if claim.interval.hi is not None else float("inf")


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
    timeline = _Timeline(ledger.config, views, sums)
    held: dict[str, dict[str, Any]] = {cid: {"relations": relations, "revised": revised}
                                       for cid, (relations, revised) in timeline.run().items()}
    for cid, parts, total in _sums(ledger, views):
        held.setdefault(cid, {}).update(parts=parts, total=total)
    for spread in _spreads(timeline.series, sums):
        anchor = max(spread.low, spread.high, key=_asserted)  # the one whose coming opened the spread
        held.setdefault(anchor.id, {})["spread"] = spread
    findings = [_finding(views[cid], found.pop("relations", []), found.pop("revised", None), **found)
                for cid, found in held.items()]
    findings.sort(key=FigureFinding.sort_key)
    series: dict[Question, dict[str, list[ClaimView]]] = defaultdict(lambda: defaultdict(list))
    for (voice, question, _), one in timeline.series.items():
        series[question][voice].extend(one.claims)
    for voices in series.values():
        for claims in voices.values():
            claims.sort(key=_asserted)
    return FigureReport(views, findings, _breakdowns(views), {q: dict(v) for q, v in series.items()})


def _about(ledger: Ledger, measure: str | None, place: str | None) -> Callable[[ClaimView], bool]:
    """Whether a claim is about `measure` and `place` (or anything within them)."""
    config = ledger.config
    measures = within(config.measures if config else {}, measure) if measure is not None else None
    places = within(config.places if config else {}, place) if place is not None else None

    def about(claim: ClaimView) -> bool:
        return (measures is None or claim.measure in measures) and (places is None or claim.place in places)

    return about


def select(report: FigureReport, ledger: Ledger, measure: str | None = None, place: str | None = None,
           kinds: Iterable[str] | None = None) -> tuple[list[FigureFinding], list[Breakdown]]:
    """The findings and breakdowns about `measure` and `place` (or anything within them) holding any of `kinds`."""
    about = _about(ledger, measure, place)
    wanted = set(kinds) if kinds is not None else set(KINDS)
    findings = report.findings
    if "agree" not in wanted:  # figures that agree are shown on request only, even beside a disagreement
        findings = [dataclasses.replace(f, relations=tuple(r for r in f.relations if r.kind != "agree"))
                    if any(r.kind == "agree" for r in f.relations) else f for f in findings]
    # selected by what is left of them: a figure it only agrees with does not bring a finding into a selection
    findings = [f for f in findings if f.kinds & wanted and any(about(c) for c in f.claims)]
    breakdowns = [b for b in report.breakdowns if any(about(c) for c in b.claims)]
    return findings, breakdowns


def _known(config: LedgerConfig | None, vocab: str, name: str | None) -> None:
    """Nothing, when `name` is None or in ledger.yaml's `vocab`; else a LedgerError that suggests the nearest."""
    if name is None:
        return
    from .errors import LedgerError
    from .validate import suggest

    if config is None:
        raise LedgerError(f"ledger.yaml is not valid, so it names no {vocab}: run `ledger check`")
    entries = getattr(config, vocab)
    if name not in entries:
        raise LedgerError(f"no {vocab[:-1]} `{name}` in ledger.yaml{suggest(name, entries)}")


@dataclass
class Selection:
    """What `ledger diff-figures` shows: the engine's report, the findings and breakdowns selected, and the
    ledger's settings (its vocabularies' labels, its title)."""

    report: FigureReport
    findings: list[FigureFinding]
    breakdowns: list[Breakdown]
    config: LedgerConfig | None
    claims: list[ClaimView] = field(default_factory=list)  # every claim about the measure and place asked for
    ledger: Ledger | None = None  # the ledger read, for a report that says what it holds

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
        _known(loaded.config, "measures", measure)
        _known(loaded.config, "places", place)
        report = crosscheck(loaded)
        findings, breakdowns = select(report, loaded, measure, place, kinds)
        about = _about(loaded, measure, place)
        claims = [c for c in report.claims.values() if about(c)]
    return Selection(report, findings, breakdowns, loaded.config, claims, loaded)
