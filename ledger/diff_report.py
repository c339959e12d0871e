"""Renderers for `diff-figures`: rich tables, Markdown sentences for a letter, and JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .citation import long_date, on_date
from .crosscheck import Bound, Breakdown, ClaimView, FigureFinding, FigureReport, Number, Selection
from .display import json_text, markdown, one_line, prose
from .figures import FigureValue, Interval, Period, When
from .output import Output, renderer

if TYPE_CHECKING:
    from rich.console import Console

    from .models import LedgerConfig


class Vocab:
    """Labels of the ledger's vocabularies, falling back to ids, and any record text, made safe for one output
    (`escape`: `display.one_line` for a terminal, `display.markdown` for a letter's draft)."""

    def __init__(self, config: LedgerConfig | None, escape: Callable[[str], str] = prose) -> None:
        self.config = config
        self.text = escape

    def _label(self, vocab: str, key: str) -> str:
        entries = getattr(self.config, vocab, {}) if self.config else {}
        entry = entries.get(key)
        if entry is not None:
            return self.text(str(entry.label))
        return "everyone" if vocab == "populations" and key == "all" else key

    def measure(self, key: str) -> str:
        return self._label("measures", key)

    def place(self, key: str) -> str:
        return self._label("places", key)

    def population(self, key: str) -> str:
        return self._label("populations", key)


def period_words(period: Period) -> str:
    """`16 December 2011`, `16–17 December 2011`, `30 December 2011–2 January 2012`, `June 2022`, `2022`."""
    s, e = period.start, period.end
    one = period.as_when()  # one day, one whole month or one whole year
    if one is not None:
        return long_date(one)
    if (s.year, s.month) == (e.year, e.month):
        return f"{s.day}–{e.day} {e:%B %Y}"
    if s.year == e.year:
        return f"{s.day} {s:%B}–{e.day} {e:%B %Y}"
    return f"{long_date(s)}–{long_date(e)}"


def value_words(value: FigureValue) -> str:
    """The figure as a researcher would write it in a sentence, its digits grouped as they were written."""
    a, b = (value.number(n) if n is not None else None for n in (value.a, value.b))
    match value.form:
        case "exact":
            return f"{a}"
        case "gt":
            return f"more than {a}"
        case "ge":
            return f"at least {a}"
        case "lt":
            return f"fewer than {a}"
        case "le":
            return f"at most {a}"
        case "range":
            return f"between {a} and {b}"
        case "approx":
            return f"about {a}"
    if a is not None and b is not None:
        return f"between {a} and {b}"
    return f"at least {a}" if a is not None else f"at most {b}"


def _num(x: Number | float) -> str:
    # Exact, never through a float (which a count of 400 digits overflows): whole numbers as they are, others
    # to one decimal, a tie to the even tenth (as a float's formatting does with the ties a float can hold).
    exact = Fraction(x)
    if exact.denominator == 1:
        return str(exact.numerator)
    whole, tenth = divmod(round(abs(exact) * 10), 10)
    return f"{'-' if exact < 0 else ''}{whole}{f'.{tenth}' if tenth else ''}"


def bound_words(bound: Bound, unit: str = "") -> str:
    """`11`, `more than 570`, `at least 70`, `between 5 and 10`, with `unit` after the number."""
    low = _num(bound.low)
    if bound.high is not None and _num(bound.high) == low:
        return f"{low}{unit}"
    if bound.high is not None:
        return f"between {low} and {_num(bound.high)}{unit}"
    return f"{'more than' if bound.strict else 'at least'} {low}{unit}"


def difference_words(finding: FigureFinding) -> str:
    """`11 more (1.2 times as many)`: how far apart the two figures are."""
    assert finding.difference is not None
    diff = bound_words(finding.difference, " more")
    if finding.ratio is None:
        return f"{diff}, against none"
    return f"{diff} ({bound_words(finding.ratio, ' times as many')})"


def _figure(claim: ClaimView, vocab: Vocab, quotes: bool = True) -> str:
    among = f" among {vocab.population(claim.population)}" if claim.population != "all" else ""
    words = (f"{value_words(claim.value)} {vocab.measure(claim.measure)}{among} in {vocab.place(claim.place)}, "
             f"{period_words(claim.period)}")
    if claim.sum_text:
        words += f" ({claim.sum_text}{'' if claim.quoted else ', added up in this ledger'})"
    if quotes and claim.quote:
        words += f" (“{vocab.text(claim.quote.strip())}”)"
    return words


class Citations:
    """Numbers each source the first time it is cited, for the list at the end."""

    def __init__(self, vocab: Vocab) -> None:
        self.numbers: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.vocab = vocab

    def cite(self, claim: ClaimView) -> str:
        src = claim.source
        if src.id not in self.numbers:
            self.numbers[src.id] = len(self.numbers) + 1
            kind = src.kind if src.kind != "unknown" else "source"
            when = f" of {long_date(src.when)}" if src.when else ""
            self.titles[src.id] = f"{_cap(self.vocab.text(src.who))}, {kind}{when} (`{src.id}`)"
        return f"[{self.numbers[src.id]}]"

    def sources(self) -> list[str]:
        return [f"{n}. {self.titles[sid]}" for sid, n in sorted(self.numbers.items(), key=lambda kv: kv[1])]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _said(claim: ClaimView, vocab: Vocab, cites: Citations) -> str:
    when = f" {on_date(claim.when)}" if claim.when else ""
    who, verb = vocab.text(claim.source.who), vocab.text(claim.source.verb)
    return f"{who} {verb}{when}: {_figure(claim, vocab)} {cites.cite(claim)}"


def finding_sentence(finding: FigureFinding, vocab: Vocab, cites: Citations) -> str:
    """One finding as sentences a researcher could paste into a letter."""
    a, b = finding.a, finding.b
    if finding.kind == "sum":
        parts = " + ".join(str(p.value) for p in finding.parts)
        refs = "".join(sorted({cites.cite(p) for p in finding.parts}, key=lambda ref: int(ref.strip("[]"))))
        whose = "the source states this total itself" if a.quoted else "this total is the ledger's own arithmetic"
        return (f"**Sum.** {_cap(_said(a, vocab, cites))}; but its parts add up to {parts} = "
                f"{_interval_words(finding.total)} {refs} ({whose}).")
    assert b is not None
    if finding.kind == "exceeds":
        broad, narrow = _said(b, vocab, cites), _said(a, vocab, cites)
        why = _narrower_why(a, b, vocab)
        return (f"**Exceeds.** {_cap(broad)}; {narrow}. The second is a narrower count ({why}) yet it is larger: "
                f"{difference_words(finding)}.")
    first, second = _said(a, vocab, cites), _said(b, vocab, cites)
    if finding.kind == "agree":
        return f"**Agree.** {_cap(first)}; {second}. The figures agree."
    text = f"**{_cap(finding.kind)}.** {_cap(first)}; {second}: {_gap_words(finding)}."
    if finding.kind == "gap":
        text += f" The periods differ: {period_words(a.period)} against {period_words(b.period)}."
    return text


def _gap_words(finding: FigureFinding) -> str:
    a, b = finding.a, finding.b
    assert b is not None
    more = b.interval.lo > a.interval.lo
    words = difference_words(finding)
    return words if more else words.replace(" more", " fewer", 1).replace("times as many", "times fewer")


def _narrower_why(narrow: ClaimView, broad: ClaimView, vocab: Vocab) -> str:
    reasons = []
    if narrow.measure != broad.measure:
        reasons.append(f"{vocab.measure(narrow.measure)} are among {vocab.measure(broad.measure)}")
    if narrow.population != broad.population:
        reasons.append(f"{vocab.population(narrow.population)} are among {vocab.population(broad.population)}")
    if narrow.place != broad.place:
        reasons.append(f"{vocab.place(narrow.place)} is in {vocab.place(broad.place)}")
    if not reasons:
        reasons.append("its period lies within the other's")
    return "; ".join(reasons)


def _interval_words(interval: Interval | None) -> str:
    if interval is None:
        return "?"
    if interval.hi == interval.lo:
        return str(interval.lo)
    return f"at least {interval.lo}" if interval.hi is None else f"between {interval.lo} and {interval.hi}"


def breakdown_sentence(breakdown: Breakdown, vocab: Vocab, cites: Citations) -> str:
    """`People with gunshot wounds in Zhanaozen, 16–17 December 2011: everyone 64 [1]; civilians 75 [2]...`"""
    items = "; ".join(f"{vocab.population(c.population)}: {value_words(c.value)} {cites.cite(c)}"
                      for c in breakdown.claims)
    return (f"{_cap(vocab.measure(breakdown.measure))} in {vocab.place(breakdown.place)}, "
            f"{period_words(breakdown.period)}: {items}.")


def render_markdown(report: FigureReport, findings: list[FigureFinding], breakdowns: list[Breakdown],
                    vocab: Vocab, title: str | None) -> str:
    """The findings as Markdown for a letter's draft, sources numbered at the end."""
    cites = Citations(vocab)
    lines = [f"## Discrepancies in the figures{': ' + vocab.text(title) if title else ''}", ""]
    if not findings:
        lines += ["No discrepancies between the ledger's figures.", ""]
    for measure, group in _by_measure(findings):
        lines += [f"### {_cap(vocab.measure(measure))}", ""]
        lines += [f"- {finding_sentence(f, vocab, cites)}" for f in group]
        lines.append("")
    if breakdowns:
        lines += ["### Side by side", ""]
        lines += [f"- {breakdown_sentence(b, vocab, cites)}" for b in breakdowns]
        lines.append("")
    if cites.numbers:
        lines += ["### Sources", "", *cites.sources(), ""]
    return "\n".join(lines)


def _by_measure(findings: Iterable[FigureFinding]) -> list[tuple[str, list[FigureFinding]]]:
    groups: dict[str, list[FigureFinding]] = {}
    for f in findings:
        groups.setdefault(f.measure, []).append(f)
    return list(groups.items())


def _date(day: When | None) -> str | None:
    return str(day) if day else None


def _bound_json(bound: Bound | None) -> dict[str, Any] | None:
    if bound is None:
        return None

    def number(x: Number | float) -> float | int:
        # JSON has no fractions: a whole number as an int (of any size), else the nearest float; a ratio too
        # large for a float (counts of hundreds of digits) is the nearest whole number, which is as close.
        exact = Fraction(x)
        if exact.denominator == 1:
            return exact.numerator
        try:
            return float(exact)
        except OverflowError:
            return round(exact)

    return {"min": number(bound.low), "max": None if bound.high is None else number(bound.high),
            "strict": bound.strict}


def claim_json(claim: ClaimView) -> dict[str, Any]:
    """One claim as JSON: ids, the value as written, its interval, scope and source."""
    return {
        "id": claim.id,
        "source": {"id": claim.source.id, "kind": claim.source.kind, "who": claim.source.who,
                   "date": _date(claim.source.when)},
        "asserted": _date(claim.when),
        "measure": claim.measure,
        "value": str(claim.value),
        "interval": [claim.interval.lo, claim.interval.hi],
        "scope": {"place": claim.place, "period": str(claim.period), "population": claim.population},
        "quote": claim.quote,
        "file": claim.file,
        "line": claim.line,
    }


def render_json(findings: list[FigureFinding], breakdowns: list[Breakdown]) -> str:
    """Findings and breakdowns with claim ids, intervals and computed differences."""
    claims: dict[str, ClaimView] = {}
    for f in findings:
        for c in f.claims:
            claims[c.id] = c
    for b in breakdowns:
        for c in b.claims:
            claims[c.id] = c
    out = {
        "findings": [
            {
                "kind": f.kind,
                "measure": f.measure,
                "claims": [c.id for c in f.claims],
                "a": f.a.id,
                "b": f.b.id if f.b else None,
                "parts": [p.id for p in f.parts],
                "sum_of_parts": [f.total.lo, f.total.hi] if f.total else None,
                "difference": _bound_json(f.difference),
                "ratio": _bound_json(f.ratio),
                "periods": [str(c.period) for c in f.claims],
            }
            for f in findings
        ],
        "breakdowns": [
            {"measure": b.measure, "place": b.place, "period": str(b.period), "claims": [c.id for c in b.claims]}
            for b in breakdowns
        ],
        "claims": {cid: claim_json(c) for cid, c in sorted(claims.items())},
    }
    return json_text(out, indent=2)


_KIND_STYLE = {"conflict": "red bold", "gap": "yellow bold", "exceeds": "magenta bold", "sum": "red",
               "agree": "green"}


def render_text(report: FigureReport, findings: list[FigureFinding], breakdowns: list[Breakdown], vocab: Vocab,
                console: Console) -> None:
    """For each measure with findings, a table of its claims by date, then each finding under it."""
    from rich.table import Table
    from rich.text import Text

    for measure, group in _by_measure(findings):
        involved = {c.id: c for f in group for c in f.claims}
        for c in report.claims.values():
            if c.measure == measure:
                involved.setdefault(c.id, c)
        # cells and titles as Text: record text is data, never rich markup (`[sic]` stays, `[/b]` cannot fail)
        table = Table(title=Text(f"{measure}: {vocab.measure(measure)}"), title_justify="left", show_lines=False)
        for col in ("claim", "source", "value", "interval", "scope"):
            table.add_column(col, overflow="fold")
        for c in sorted(involved.values(), key=lambda c: (c.when.start if c.when else date.min, c.id)):
            table.add_row(Text(c.id), Text(vocab.text(c.source.title())), Text(str(c.value)), Text(str(c.interval)),
                          Text(f"{c.place}, {c.period}, {c.population}"))
        console.print(table)
        for f in group:
            line = Text("  ")
            line.append(f.kind, style=_KIND_STYLE[f.kind])
            line.append(f": {_text_line(f)}")
            console.print(line, soft_wrap=True)
        console.print()
    if breakdowns:
        from rich.table import Table

        for b in breakdowns:
            table = Table(title=Text(f"side by side: {vocab.measure(b.measure)} in {vocab.place(b.place)}, "
                                     f"{b.period}"), title_justify="left")
            for col in ("population", "value", "claim", "source"):
                table.add_column(col, overflow="fold")
            for c in b.claims:
                table.add_row(Text(vocab.population(c.population)), Text(str(c.value)), Text(c.id),
                              Text(vocab.text(c.source.title())))
            console.print(table)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no findings"
    console.print(Text(f"{len(report.claims)} claims compared: {summary}"), soft_wrap=True)


def _text_line(f: FigureFinding) -> str:
    if f.kind == "sum":
        parts = " + ".join(f"{p.id} ({p.value})" for p in f.parts)
        return f"{f.a.id} ({f.a.value}) is the sum of {parts} = {_interval_words(f.total)}"
    assert f.b is not None
    pair = f"{f.a.id} ({f.a.value}) vs {f.b.id} ({f.b.value})"
    if f.kind == "agree":
        return pair
    extra = f"; periods {f.a.period} vs {f.b.period}" if f.a.period != f.b.period else ""
    return f"{pair}: {difference_words(f)}{extra}"


@renderer("diff-figures", "text")
def text(selection: Selection, out: Output) -> None:
    """For each measure with findings, a table of its claims, then each finding under it; rich at a terminal."""
    render_text(selection.report, selection.findings, selection.breakdowns, Vocab(selection.config, one_line),
                out.console())


@renderer("diff-figures", "markdown")
def markdown_sentences(selection: Selection, out: Output) -> None:
    """Sentences for a letter's draft, sources numbered at the end."""
    out.write(render_markdown(selection.report, selection.findings, selection.breakdowns,
                              Vocab(selection.config, markdown), selection.title))


@renderer("diff-figures", "json")
def json_findings(selection: Selection, out: Output) -> None:
    """The findings, breakdowns and claims, for other tools."""
    out.write(render_json(selection.findings, selection.breakdowns) + "\n")
