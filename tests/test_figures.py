"""The value and period syntax: examples from the format, and properties over the whole input space."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.figures import FigureError, FigureValue, Interval, Period, parse_period, parse_value


@pytest.mark.parametrize(("written", "lo", "hi"), [
    (64, 64, 64),
    ("64", 64, 64),
    (">700", 701, None),
    ("> 700", 701, None),
    (">=64", 64, None),
    ("64+", 64, None),
    ("<10", 0, 9),
    ("<=10", 0, 10),
    ("30-40", 30, 40),
    ("30 - 40", 30, 40),
    ("~60", 54, 66),
    ("~25", 23, 27),  # 22.5..27.5, rounded inwards to whole counts
    ({"min": 30, "max": 40}, 30, 40),
    ({"min": 30}, 30, None),
    ({"max": 40}, 0, 40),
    (0, 0, 0),
])
def test_the_formats_table(written: object, lo: int, hi: int | None) -> None:
    assert parse_value(written).interval(0.1) == Interval(lo, hi)


@pytest.mark.parametrize("bad", ["about 60", "-5", -5, "40-30", "<0", 6.5, True, None, [], {}, {"min": 5, "max": 2},
                                 {"min": -1}, {"avg": 3}, "1,000", "64.0", ">", "~"])
def test_values_that_do_not_parse(bad: object) -> None:
    with pytest.raises(FigureError):
        parse_value(bad)


@pytest.mark.parametrize("large", [10**15, 10**309, "1000000000000000", ">1000000000000000", "1-1000000000000000",
                                   {"min": 10**15}, {"max": 10**16}, {"min": 1, "max": 10**400}])
def test_no_count_has_more_than_15_digits_in_any_form(large: object) -> None:
    with pytest.raises(FigureError, match="no count of people"):
        parse_value(large)


@pytest.mark.parametrize("largest", [10**15 - 1, "999999999999999", {"min": 0, "max": 10**15 - 1}])
def test_a_count_of_15_digits_is_read(largest: object) -> None:
    assert parse_value(largest).interval().hi == 10**15 - 1


def test_error_names_the_accepted_forms() -> None:
    with pytest.raises(FigureError, match=r'">700" \(more than\)'):
        parse_value("lots")


counts = st.integers(min_value=0, max_value=10**9)
values = st.one_of(
    counts.map(lambda n: FigureValue("exact", n)),
    counts.map(lambda n: FigureValue("gt", n)),
    counts.map(lambda n: FigureValue("ge", n)),
    st.integers(min_value=1, max_value=10**9).map(lambda n: FigureValue("lt", n)),
    counts.map(lambda n: FigureValue("le", n)),
    st.tuples(counts, counts).map(lambda t: FigureValue("range", min(t), max(t))),
    counts.map(lambda n: FigureValue("approx", n)),
    st.tuples(st.none() | counts, st.none() | counts).filter(lambda t: t != (None, None)).map(
        lambda t: FigureValue("minmax", *sorted(t)) if None not in t else FigureValue("minmax", *t)),
)
approxes = st.fractions(min_value=0, max_value=0.99)


@given(values)
def test_value_round_trips_through_its_written_form(value: FigureValue) -> None:
    assert parse_value(value.to_yaml()) == value
    if value.form != "minmax":
        assert parse_value(str(value)) == value


@given(values, approxes)
def test_an_interval_is_never_empty_and_holds_the_written_number(value: FigureValue, approx: object) -> None:
    interval = value.interval(approx)  # type: ignore[arg-type]
    assert interval.lo >= 0
    assert interval.hi is None or interval.lo <= interval.hi
    if value.form in ("exact", "ge", "le", "approx", "range") and value.a is not None:
        assert interval.contains(value.a)


intervals = st.tuples(counts, st.none() | counts).map(lambda t: Interval(*sorted(t)) if t[1] is not None
                                                      else Interval(t[0], None))


@given(intervals, intervals)
def test_overlap_and_gap_are_symmetric(a: Interval, b: Interval) -> None:
    assert a.overlaps(b) == b.overlaps(a)
    assert a.gap(b) == b.gap(a)
    assert (a.gap(b) > 0) == a.disjoint(b)


@given(intervals, intervals, counts, counts)
def test_sum_holds_every_sum_of_members(a: Interval, b: Interval, x: int, y: int) -> None:
    total = a + b
    if a.contains(x) and b.contains(y):
        assert total.contains(x + y)
    assert total.lo == a.lo + b.lo


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))


@given(days, st.integers(min_value=0, max_value=1000))
def test_period_round_trips(start: date, length: int) -> None:
    period = Period(start, start + timedelta(days=length))
    assert parse_period(str(period)) == period
    assert period.days == length + 1
    assert period.within(period) and period.overlaps(period)


@given(days, days, days, days)
def test_period_overlap_is_symmetric_and_within_implies_overlap(a: date, b: date, c: date, d: date) -> None:
    p, q = Period(min(a, b), max(a, b)), Period(min(c, d), max(c, d))
    assert p.overlaps(q) == q.overlaps(p)
    if p.within(q):
        assert p.overlaps(q)


@pytest.mark.parametrize("bad", ["2011-12", "2011-12-16..", "2011-12-16..2011-12-17..2011-12-18", "16.12.2011",
                                 "2011-02-30", "2011-12-19..2011-12-16", 2011, None])
def test_periods_that_do_not_parse(bad: object) -> None:
    with pytest.raises(FigureError):
        parse_period(bad)


def test_a_single_date_is_a_one_day_period() -> None:
    assert parse_period("2011-12-16") == Period(date(2011, 12, 16), date(2011, 12, 16))
    assert str(parse_period("2011-12-16..2011-12-19")) == "2011-12-16..2011-12-19"
