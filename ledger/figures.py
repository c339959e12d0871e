"""The figure syntax: a claim's `value` as an interval of whole counts, and the `period` syntax."""

from __future__ import annotations

import math
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal

VALUE_FORMS = (
    '64 (exactly), ">700" (more than), ">=64" or "64+" (at least), "<10" (fewer than), '
    '"<=10" (at most), "30-40" (between, inclusive), "~60" (about), or {min: 30, max: 40}; '
    'digits may be grouped in threes by a comma, a space or a no-break space (4,578 or "4 578")'
)


class FigureError(ValueError):
    """A value or period that does not parse; the message says what is accepted."""


@dataclass(frozen=True, order=True)
class Interval:
    """A closed interval of whole counts; `hi` None means unbounded above."""

    lo: int
    hi: int | None = None

    def __post_init__(self) -> None:
        if self.lo < 0:
            raise FigureError(f"an interval cannot start below 0 (got {self.lo})")
        if self.hi is not None and self.hi < self.lo:
            raise FigureError(f"an empty interval: [{self.lo}, {self.hi}]")

    @property
    def bounded(self) -> bool:
        return self.hi is not None

    def overlaps(self, other: Interval) -> bool:
        """True when some count lies in both intervals."""
        return (self.hi is None or other.lo <= self.hi) and (other.hi is None or self.lo <= other.hi)

    def disjoint(self, other: Interval) -> bool:
        return not self.overlaps(other)

    def contains(self, n: int) -> bool:
        return self.lo <= n and (self.hi is None or n <= self.hi)

    def __add__(self, other: Interval) -> Interval:
        hi = None if self.hi is None or other.hi is None else self.hi + other.hi
        return Interval(self.lo + other.lo, hi)

    def gap(self, other: Interval) -> int:
        """How far apart two disjoint intervals are (0 when they overlap)."""
        if self.overlaps(other):
            return 0
        low, high = (self, other) if self.lo < other.lo else (other, self)
        assert low.hi is not None  # disjoint, so the lower one is bounded
        return high.lo - low.hi

    def __str__(self) -> str:
        if self.hi is None:
            return f"[{self.lo}, ∞)"
        return f"[{self.lo}, {self.hi}]"


# A count as written: plain digits, or digits grouped in threes by one separator used throughout (a comma, a
# space, a no-break space), its first group without a leading zero. `4,5678` or `45,78` match neither, and a
# value with a comma that matches nothing is named as such.
GROUP_SEPARATORS = (",", " ", "\u00a0")
_NUM = r"(\d+|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d{0,2}(?: \d{3})+|[1-9]\d{0,2}(?:\u00a0\d{3})+)"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("exact", re.compile(rf"^{_NUM}$")),
    ("ge", re.compile(rf"^>=\s*{_NUM}$")),
    ("ge", re.compile(rf"^{_NUM}\s*\+$")),
    ("gt", re.compile(rf"^>\s*{_NUM}$")),
    ("le", re.compile(rf"^<=\s*{_NUM}$")),
    ("lt", re.compile(rf"^<\s*{_NUM}$")),
    ("range", re.compile(rf"^{_NUM}\s*-\s*{_NUM}$")),
    ("approx", re.compile(rf"^~\s*{_NUM}$")),
]


@dataclass(frozen=True)
class FigureValue:
    """A claim's `value` as the analyst wrote it, before the ledger's `approx` turns it into an interval.

    `form` is one of exact, gt, ge, lt, le, range, approx, minmax; `a` and `b` are its numbers; `group` the
    separator that grouped its digits in threes as written (`,` for `4,578`), "" when they were not grouped, so that
    output writes the figure as the researcher did. A value has one: a number of four digits or more written
    ungrouped beside a grouped one (`4,500-5000`) is written back grouped (`4,500-5,000`).
    """

    form: str
    a: int | None
    b: int | None = None
    group: str = ""

    def interval(self, approx: float | Fraction = Fraction(1, 10)) -> Interval:
        """The whole counts this value admits; `approx` is the ledger's `figures.approx`."""
        a, b = self.a, self.b
        match self.form:
            case "exact":
                assert a is not None
                return Interval(a, a)
            case "gt":
                assert a is not None
                return Interval(a + 1, None)
            case "ge":
                assert a is not None
                return Interval(a, None)
            case "lt":
                assert a is not None
                return Interval(0, a - 1)
            case "le":
                assert a is not None
                return Interval(0, a)
            case "range":
                assert a is not None
                return Interval(a, b)
            case "minmax":
                return Interval(a or 0, b)
            case "approx":
                assert a is not None
                f = Fraction(str(approx)) if isinstance(approx, float) else Fraction(approx)
                # Counts are whole: round the bounds inwards.
                return Interval(math.ceil(a * (1 - f)), math.floor(a * (1 + f)))
        raise AssertionError(self.form)

    def number(self, n: int | None) -> str:
        """One of the value's numbers as it is written: grouped in threes when the value's were."""
        if n is None or not self.group or n < 1000:
            return str(n)
        return f"{n:,}".replace(",", self.group)

    def __str__(self) -> str:
        a, b = self.number(self.a), self.number(self.b)
        match self.form:
            case "exact":
                return a
            case "gt":
                return f">{a}"
            case "ge":
                return f">={a}"
            case "lt":
                return f"<{a}"
            case "le":
                return f"<={a}"
            case "range":
                return f"{a}-{b}"
            case "approx":
                return f"~{a}"
            case "minmax":
                parts = [f"min: {a}"] if self.a is not None else []
                parts += [f"max: {b}"] if self.b is not None else []
                return "{" + ", ".join(parts) + "}"
        raise AssertionError(self.form)

    def _written(self, n: int) -> int | str:
        # a grouped number is text in YAML (`4,578`); an ungrouped one stays a number
        return self.number(n) if self.group and n >= 1000 else n

    def to_yaml(self) -> int | str | dict[str, int | str]:
        """The value as it would be written in a record, reading back as the same value."""
        if self.form == "exact":
            assert self.a is not None
            return self._written(self.a)
        if self.form == "minmax":
            out: dict[str, int | str] = {}
            if self.a is not None:
                out["min"] = self._written(self.a)
            if self.b is not None:
                out["max"] = self._written(self.b)
            return out
        return str(self)


MAX_DIGITS = 15  # under a quadrillion, more people than ever lived: a longer number is a typo or an attack
TOO_LARGE = "a number that large is no count of people; check the value"


def _count(raw: object, what: str) -> int:
    # bool is an int in Python, but `value: true` is no count.
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FigureError(f"{what} must be a whole number, not {type(raw).__name__}")
    if raw < 0:
        raise FigureError(f"{what} cannot be negative; counts are 0 or more")
    if raw >= 10**MAX_DIGITS:
        raise FigureError(TOO_LARGE)
    return raw


_COUNT_TEXT = re.compile(rf"^{_NUM}$")
_COMMA = ("a comma in a value only groups digits in threes (4,578); this is no count (a decimal comma, or groups "
          "of another size?)")


def _digits(written: str) -> tuple[int, str]:
    """A number as written in a value (matched by _NUM): the count, and the separator that grouped its digits."""
    group = next((c for c in written if not c.isdigit()), "")
    digits = written.replace(group, "") if group else written
    if len(digits) > MAX_DIGITS:
        raise FigureError(TOO_LARGE)
    return int(digits), group


def _one_group(groups: list[str]) -> str:
    """The separator a value's numbers were grouped by; two different ones in one value are refused."""
    used = {g for g in groups if g}
    if len(used) > 1:
        raise FigureError(f"a value groups its digits one way, not several; accepted forms: {VALUE_FORMS}")
    return used.pop() if used else ""


def _bound(raw: object, what: str) -> tuple[int, str]:
    """A bound of {min, max}: a whole number, or text that writes one (grouped or not, as a value is)."""
    if isinstance(raw, str):
        m = _COUNT_TEXT.match(raw.strip())
        if m is None:
            raise FigureError(f"{what} must be a whole number, written 4578 or grouped in threes: 4,578")
        return _digits(m.group(1))
    return _count(raw, what), ""


def parse_value(raw: object) -> FigureValue:
    """Parse a `value` as written in a record; raise FigureError naming the accepted forms."""
    if isinstance(raw, FigureValue):
        return raw
    if isinstance(raw, dict):
        unknown = sorted(str(k) for k in raw if k not in ("min", "max"))
        if unknown:
            # `{min: 4,500}` is `{min: 4, 500: null}` to YAML: a comma inside braces separates entries
            hint = ' (inside braces, quote a number with a comma: {min: "4,500"})' if all(
                k.isdigit() for k in unknown) else ""
            raise FigureError("a value's mapping holds a key other than `min` and `max`; use {min: N, max: M}"
                              + hint)
        if not raw:
            raise FigureError("{min, max} needs at least one of `min` and `max`")
        lo, lo_group = _bound(raw["min"], "min") if raw.get("min") is not None else (None, "")
        hi, hi_group = _bound(raw["max"], "max") if raw.get("max") is not None else (None, "")
        if lo is None and hi is None:
            raise FigureError("{min, max} needs at least one of `min` and `max`")
        if lo is not None and hi is not None and lo > hi:
            raise FigureError(f"min ({lo}) is greater than max ({hi})")
        return FigureValue("minmax", lo, hi, _one_group([lo_group, hi_group]))
    if isinstance(raw, (bool, float)):
        raise FigureError(f"a value must be a whole count; accepted forms: {VALUE_FORMS}")
    if isinstance(raw, int):
        return FigureValue("exact", _count(raw, "a value"))
    if not isinstance(raw, str):
        raise FigureError(f"a value must be a number, a string or {{min, max}}; accepted forms: {VALUE_FORMS}")
    text = raw.strip()
    for form, pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            read = [_digits(g) for g in m.groups()]
            nums = [n for n, _ in read]
            group = _one_group([g for _, g in read])
            if form == "lt" and nums[0] == 0:
                raise FigureError('"<0" admits no count; counts are 0 or more')
            if form == "range" and nums[0] > nums[1]:
                raise FigureError("in a range, the first number must not exceed the second")
            return FigureValue(form, nums[0], nums[1] if len(nums) > 1 else None, group)
    if "," in text:
        raise FigureError(f"{_COMMA}; accepted forms: {VALUE_FORMS}")
    raise FigureError(f"cannot read this as a figure; accepted forms: {VALUE_FORMS}")


Precision = Literal["day", "month", "year"]
DATE_FORMS = "a day (2011-12-16), a month (2011-12) or a year (2011)"
# a year, a month or a day, each as ISO writes it: what a date may be, before the calendar is asked
_WHEN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_YEARS = (1000, 2999)  # a year written as a YAML number: anything outside is a typo (`born: 197`)


@dataclass(frozen=True, order=True)
class When:
    """A date as a record writes it: a day, or a month or a year that stands for a day not known more precisely.

    `start` and `end` are the first and last days it may be. Two dates whose spans overlap are "at about the
    same time": neither is before the other (June 2022 is neither before nor after 15 June 2022).
    """

    start: date
    end: date
    precision: Precision = "day"

    def __post_init__(self) -> None:
        if (self.start, self.end) != _span(self.start, self.precision):
            raise FigureError(f"a {self.precision} runs from its first day to its last")

    @classmethod
    def of_day(cls, day: date) -> When:
        """One day."""
        return cls(day, day, "day")

    @classmethod
    def of_month(cls, year: int, month: int) -> When:
        """A whole month: `2022-06`."""
        first = date(year, month, 1)
        return cls(*_span(first, "month"), "month")

    @classmethod
    def of_year(cls, year: int) -> When:
        """A whole year: `2022`."""
        return cls(date(year, 1, 1), date(year, 12, 31), "year")

    def before(self, other: When) -> bool:
        """True when this date is certainly before `other`: it ends before the other starts."""
        return self.end < other.start

    def after(self, other: When) -> bool:
        """True when this date is certainly after `other`."""
        return other.before(self)

    def overlaps(self, other: When) -> bool:
        """True when the two may be the same day: at about the same time."""
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        if self.precision == "year":
            return f"{self.start.year:04d}"
        if self.precision == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def to_yaml(self) -> int | str:
        """The date as a record writes it: a year as a number (`born: 1973`), anything else as its ISO text."""
        return self.start.year if self.precision == "year" else str(self)


def _span(day: date, precision: Precision) -> tuple[date, date]:
    """The first and last days of the month or the year of `day`."""
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == "month":
        return date(day.year, day.month, 1), date(day.year, day.month, monthrange(day.year, day.month)[1])
    return day, day


def parse_date(raw: object) -> When:
    """A date as written in a record: an ISO day, month or year as text, a year as a YAML number (1973), or a
    `date`; raise FigureError naming the accepted forms otherwise."""
    if isinstance(raw, When):
        return raw
    if isinstance(raw, date):
        return When.of_day(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if not _YEARS[0] <= raw <= _YEARS[1]:
            raise FigureError(f"must be a year from {_YEARS[0]} to {_YEARS[1]} (1973) or an ISO date: {DATE_FORMS}")
        return When.of_year(raw)
    m = _WHEN.match(raw.strip()) if isinstance(raw, str) else None
    if m is None:
        raise FigureError(f"expected an ISO date: {DATE_FORMS}")
    year, month, day = (int(g) if g else None for g in m.groups())
    assert year is not None  # the pattern requires it
    try:
        if month is None:
            return When.of_year(year)
        if day is None:
            return When.of_month(year, month)
        return When.of_day(date(year, month, day))
    except ValueError:
        raise FigureError("not a calendar date: the year, the month or the day is out of range") from None


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of days: one date (`2011-12-16`), a month (`2022-06`), a year (`2022`) or a range of any of
    them (`2011-12-16..2011-12-19`, `2022-01..2022-03`: January to March)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise FigureError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def within(self, other: Period) -> bool:
        """True when every day of this period lies in `other`."""
        return other.start <= self.start and self.end <= other.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def whole_months(self) -> bool:
        """True when the period starts on a first of a month and ends on a last."""
        return self.start.day == 1 and self.end.day == monthrange(self.end.year, self.end.month)[1]

    def as_when(self) -> When | None:
        """The period as one date when it is exactly one day, one whole month or one whole year; else None."""
        s, e = self.start, self.end
        if s == e:
            return When.of_day(s)
        if self.whole_months() and s.year == e.year:
            if (s.month, e.month) == (1, 12):
                return When.of_year(s.year)
            if s.month == e.month:
                return When.of_month(s.year, s.month)
        return None

    def __str__(self) -> str:
        # canonical and compact: one period has one written form, the shortest that says it
        one = self.as_when()
        if one is not None:
            return str(one)
        if self.whole_months():
            return f"{When.of_month(self.start.year, self.start.month)}..{When.of_month(self.end.year, self.end.month)}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def to_yaml(self) -> int | str:
        """The period as a record writes it: a whole year as a number (`period: 2022`), anything else as text."""
        one = self.as_when()
        return one.to_yaml() if one is not None else str(self)


PERIOD_FORMS = ("a date (2011-12-16, or a month: 2011-12, or a year: 2011) or a closed range of them "
                "(2011-12-16..2011-12-19, 2022-01..2022-03)")
_PERIOD_END = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def parse_period(raw: object) -> Period:
    """Parse a period as written in a record; raise FigureError naming the accepted forms."""
    if isinstance(raw, Period):
        return raw
    if isinstance(raw, (When, date)) or (isinstance(raw, int) and not isinstance(raw, bool)):
        when = parse_date(raw)
        return Period(when.start, when.end)
    if not isinstance(raw, str):
        raise FigureError(f"a period must be {PERIOD_FORMS}")
    parts = [p.strip() for p in raw.strip().split("..")]
    if len(parts) > 2 or not all(_PERIOD_END.match(p) for p in parts):
        raise FigureError(f"cannot read this as a period; write {PERIOD_FORMS}")
    try:
        ends = [parse_date(p) for p in parts]
    except FigureError:
        raise FigureError("the period holds a date that is not in the calendar") from None
    return Period(ends[0].start, ends[-1].end)
