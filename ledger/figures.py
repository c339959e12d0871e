"""The figure syntax: a claim's `value` as an interval of whole counts, and the `period` syntax."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

VALUE_FORMS = (
    '64 (exactly), ">700" (more than), ">=64" or "64+" (at least), "<10" (fewer than), '
    '"<=10" (at most), "30-40" (between, inclusive), "~60" (about), or {min: 30, max: 40}'
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


_NUM = r"(\d+)"
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

    `form` is one of exact, gt, ge, lt, le, range, approx, minmax; `a` and `b` are its numbers.
    """

    form: str
    a: int | None
    b: int | None = None

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

    def __str__(self) -> str:
        a, b = self.a, self.b
        match self.form:
            case "exact":
                return str(a)
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
                parts = [f"min: {a}"] if a is not None else []
                parts += [f"max: {b}"] if b is not None else []
                return "{" + ", ".join(parts) + "}"
        raise AssertionError(self.form)

    def to_yaml(self) -> int | str | dict[str, int]:
        """The value as it would be written in a record."""
        if self.form == "exact":
            assert self.a is not None
            return self.a
        if self.form == "minmax":
            out: dict[str, int] = {}
            if self.a is not None:
                out["min"] = self.a
            if self.b is not None:
                out["max"] = self.b
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


def parse_value(raw: object) -> FigureValue:
    """Parse a `value` as written in a record; raise FigureError naming the accepted forms."""
    if isinstance(raw, FigureValue):
        return raw
    if isinstance(raw, dict):
        unknown = sorted(str(k) for k in raw if k not in ("min", "max"))
        if unknown:
            raise FigureError("a value's mapping holds a key other than `min` and `max`; use {min: N, max: M}")
        if not raw:
            raise FigureError("{min, max} needs at least one of `min` and `max`")
        lo = _count(raw["min"], "min") if raw.get("min") is not None else None
        hi = _count(raw["max"], "max") if raw.get("max") is not None else None
        if lo is None and hi is None:
            raise FigureError("{min, max} needs at least one of `min` and `max`")
        if lo is not None and hi is not None and lo > hi:
            raise FigureError(f"min ({lo}) is greater than max ({hi})")
        return FigureValue("minmax", lo, hi)
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
            if any(len(g) > MAX_DIGITS for g in m.groups() if g):
                raise FigureError(TOO_LARGE)
            nums = [int(g) for g in m.groups()]
            if form == "lt" and nums[0] == 0:
                raise FigureError('"<0" admits no count; counts are 0 or more')
            if form == "range" and nums[0] > nums[1]:
                raise FigureError("in a range, the first number must not exceed the second")
            return FigureValue(form, nums[0], nums[1] if len(nums) > 1 else None)
    raise FigureError(f"cannot read this as a figure; accepted forms: {VALUE_FORMS}")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(raw: object) -> date:
    """An ISO date (YYYY-MM-DD) from a string or a date; raise FigureError otherwise."""
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str) or not _DATE.match(raw.strip()):
        raise FigureError("expected an ISO date such as 2011-12-16")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise FigureError("not a calendar date: the month or the day is out of range") from None


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of days: one date (`2011-12-16`) or `2011-12-16..2011-12-19`."""

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

    def __str__(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


PERIOD_FORMS = "a date (2011-12-16) or a closed range (2011-12-16..2011-12-19)"


def parse_period(raw: object) -> Period:
    """Parse a period as written in a record; raise FigureError naming the accepted forms."""
    if isinstance(raw, Period):
        return raw
    if isinstance(raw, date):
        return Period(raw, raw)
    if not isinstance(raw, str):
        raise FigureError(f"a period must be {PERIOD_FORMS}")
    text = raw.strip()
    parts = text.split("..")
    if len(parts) > 2 or not all(_DATE.match(p.strip()) for p in parts):
        raise FigureError(f"cannot read this as a period; write {PERIOD_FORMS}")
    try:
        days = [date.fromisoformat(p.strip()) for p in parts]
    except ValueError:
        raise FigureError("the period holds a date that is not in the calendar") from None
    return Period(days[0], days[-1])
