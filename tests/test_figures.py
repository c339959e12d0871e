"""The value and period syntax: examples from the format, and properties over the whole input space."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.figures import FigureError, FigureValue, Interval, Period, When, parse_date, parse_period, parse_value


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
                                 {"min": -1}, {"avg": 3}, "64.0", ">", "~", "1,5", "45,78", "4,5678", "0,578",
                                 ",578", "4,578,", "4 5678", "4,578 000", "4,500-5 000", {"min": "4,5"},
                                 {"min": "lots"}, "1,000.5"])
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


@pytest.mark.parametrize("bad", ["2011-13", "2011-00", "2011-12-16..", "2011-12-16..2011-12-17..2011-12-18",
                                 "16.12.2011", "2011-02-30", "2011-12-19..2011-12-16", "2011-12..2011-11", 999, 3000,
                                 True, None, "2011-1", "11-12-16"])
def test_periods_that_do_not_parse(bad: object) -> None:
    with pytest.raises(FigureError):
        parse_period(bad)


def test_a_single_date_is_a_one_day_period() -> None:
    assert parse_period("2011-12-16") == Period(date(2011, 12, 16), date(2011, 12, 16))
    assert str(parse_period("2011-12-16..2011-12-19")) == "2011-12-16..2011-12-19"


# Digits grouped in threes, as sources print them --------------------------------------------------------------

@pytest.mark.parametrize(("written", "lo", "hi", "shown"), [
    ("4,578", 4578, 4578, "4,578"),
    ("4 578", 4578, 4578, "4 578"),
    ("4\u00a0578", 4578, 4578, "4\u00a0578"),
    (">4,500", 4501, None, ">4,500"),
    ("~12,000", 10800, 13200, "~12,000"),
    ("4,500-5,000", 4500, 5000, "4,500-5,000"),
    ("4,500-5000", 4500, 5000, "4,500-5,000"),  # one value, one grouping: the ungrouped number is written grouped
    ("999-1,000", 999, 1000, "999-1,000"),
    ("1,234,567+", 1234567, None, ">=1,234,567"),
    ("<= 12 000", 0, 12000, "<=12 000"),
    ({"min": "4,500", "max": 5000}, 4500, 5000, "{min: 4,500, max: 5,000}"),
    ({"min": "4500"}, 4500, None, "{min: 4500}"),
])
def test_grouped_digits(written: object, lo: int, hi: int | None, shown: str) -> None:
    value = parse_value(written)
    assert value.interval(0.1) == Interval(lo, hi)
    assert str(value) == shown
    assert parse_value(value.to_yaml()) == value


@pytest.mark.parametrize("bad", ["1,5", "45,78", "4,5678", ">45,78", "1,5-2"])
def test_a_comma_that_groups_nothing_names_the_accepted_forms(bad: str) -> None:
    with pytest.raises(FigureError, match="groups digits in threes") as e:
        parse_value(bad)
    assert '"~60" (about)' in str(e.value) and "4,578" in str(e.value)


def test_a_comma_in_braces_is_explained() -> None:
    # YAML reads `{min: 4,500}` as `{min: 4, 500: null}`
    with pytest.raises(FigureError, match='quote a number with a comma'):
        parse_value({"min": 4, 500: None})


@pytest.mark.parametrize("large", ["1,000,000,000,000,000", ">1 000 000 000 000 000", {"min": "1,000,000,000,000,000"}])
def test_grouped_digits_keep_the_15_digit_bound(large: object) -> None:
    with pytest.raises(FigureError, match="no count of people"):
        parse_value(large)


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@given(values, st.sampled_from([",", " ", "\u00a0"]), approxes)
def test_grouped_values_mean_what_ungrouped_ones_do(value: FigureValue, sep: str, approx: object) -> None:
    ungrouped = value.to_yaml()
    if isinstance(ungrouped, dict):
        grouped: object = {k: _grouped(v, sep) for k, v in ungrouped.items()}  # type: ignore[arg-type]
    else:
        grouped = str(ungrouped)
        for n in sorted({n for n in (value.a, value.b) if n is not None}, reverse=True):
            grouped = grouped.replace(str(n), _grouped(n, sep))  # type: ignore[union-attr]
    read = parse_value(grouped)
    assert read.interval(approx) == value.interval(approx)  # type: ignore[arg-type]
    assert (read.form, read.a, read.b) == (value.form, value.a, value.b)
    assert parse_value(read.to_yaml()) == read
    if read.form != "minmax":
        assert parse_value(str(read)) == read


# Dates of a day, a month or a year ----------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "start", "end", "precision", "text"), [
    ("2011-12-16", date(2011, 12, 16), date(2011, 12, 16), "day", "2011-12-16"),
    ("2022-06", date(2022, 6, 1), date(2022, 6, 30), "month", "2022-06"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month", "2024-02"),
    ("2022", date(2022, 1, 1), date(2022, 12, 31), "year", "2022"),
    (2022, date(2022, 1, 1), date(2022, 12, 31), "year", "2022"),  # YAML reads a plain 2022 as a number
    (" 2022-06 ", date(2022, 6, 1), date(2022, 6, 30), "month", "2022-06"),
])
def test_dates_of_each_precision(written: object, start: date, end: date, precision: str, text: str) -> None:
    when = parse_date(written)
    assert (when.start, when.end, when.precision, str(when)) == (start, end, precision, text)
    assert parse_date(when.to_yaml()) == when


@pytest.mark.parametrize("bad", ["2022-13", "2022-00", "2022-02-30", "0000", "22", "2022-6", "June 2022", 999, 3000,
                                 True, None, 20.22])
def test_dates_that_do_not_parse(bad: object) -> None:
    with pytest.raises(FigureError):
        parse_date(bad)


def test_a_month_out_of_the_calendar_is_named() -> None:
    with pytest.raises(FigureError, match="out of range"):
        parse_date("2022-13")


def test_overlapping_dates_are_at_about_the_same_time() -> None:
    june, june_15, july, year = (parse_date(d) for d in ("2022-06", "2022-06-15", "2022-07-01", "2022"))
    assert not june.before(june_15) and not june_15.before(june) and june.overlaps(june_15)
    assert june.before(july) and july.after(june) and not june.overlaps(july)
    assert not year.before(july) and not july.before(year)


whens = st.one_of(
    st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31)).map(When.of_day),
    st.tuples(st.integers(1000, 2999), st.integers(1, 12)).map(lambda t: When.of_month(*t)),
    st.integers(1000, 2999).map(When.of_year),
)


@given(whens)
def test_a_date_reads_back_from_its_text_and_its_yaml(when: When) -> None:
    assert parse_date(str(when)) == when
    assert parse_date(when.to_yaml()) == when
    assert when.start <= when.end


@given(whens, whens)
def test_before_after_and_overlap_are_exclusive(a: When, b: When) -> None:
    assert [a.before(b), b.before(a), a.overlaps(b)].count(True) == 1
    assert a.overlaps(b) == b.overlaps(a) and a.after(b) == b.before(a)


# Periods of months and years ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "start", "end", "text"), [
    ("2022-06", date(2022, 6, 1), date(2022, 6, 30), "2022-06"),
    ("2022", date(2022, 1, 1), date(2022, 12, 31), "2022"),
    (2022, date(2022, 1, 1), date(2022, 12, 31), "2022"),
    ("2022-01..2022-03", date(2022, 1, 1), date(2022, 3, 31), "2022-01..2022-03"),
    ("2021..2022", date(2021, 1, 1), date(2022, 12, 31), "2021-01..2022-12"),
    ("2022-06-15..2022-07", date(2022, 6, 15), date(2022, 7, 31), "2022-06-15..2022-07-31"),
    ("2011-12-01..2011-12-31", date(2011, 12, 1), date(2011, 12, 31), "2011-12"),  # the shortest form
    ("2022-01-01..2022-12-31", date(2022, 1, 1), date(2022, 12, 31), "2022"),
    ("2011-12-16..2011-12-19", date(2011, 12, 16), date(2011, 12, 19), "2011-12-16..2011-12-19"),
])
def test_periods_of_months_and_years(written: object, start: date, end: date, text: str) -> None:
    period = parse_period(written)
    assert (period.start, period.end, str(period)) == (start, end, text)
    assert parse_period(period.to_yaml()) == period


@given(whens, whens)
def test_a_period_of_any_two_dates_reads_back_from_its_text(a: When, b: When) -> None:
    first, last = sorted((a, b), key=lambda w: w.start)
    if last.end < first.start:
        return
    period = Period(first.start, max(first.end, last.end))
    assert parse_period(str(period)) == period
    assert parse_period(period.to_yaml()) == period
    one = period.as_when()
    assert one is None or (one.start, one.end) == (period.start, period.end)
