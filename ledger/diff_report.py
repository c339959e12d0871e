"""The renderers of `diff-figures`: a timeline per question at a terminal, a paragraph per question for a letter's
draft (Markdown), and JSON for other tools. All three show the same findings; record text is made safe for each
output by `Vocab`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .citation import Source, long_date, on_date
from .crosscheck import (
    KINDS,
    Bound,
    Breakdown,
    ClaimView,
    FigureFinding,
    FigureReport,
    Number,
    Question,
    Relation,
    Selection,
)
from .display import json_text, markdown, one_line, prose
from .figures import FigureValue, Interval, Period, When
from .output import Output, renderer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

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

    def question(self, key: Question) -> str:
        """`people detained among civilians in Zhanaozen`."""
        measure, population, place = key
        among = f" among {self.population(population)}" if population != "all" else ""
        return f"{self.measure(measure)}{among} in {self.place(place)}"


# Numbers as people write them ----------------------------------------------------------------------------

def number(n: int) -> str:
    """`4,578`: thousands grouped by commas."""
    return f"{n:,}"


def period_words(period: Period) -> str:
    """`16 December 2011`, `16–17 December 2011`, `30 December 2011–2 January 2012`, `June 2022`, `2022`."""
    s, e = period.start, period.end
    if s == e:
        return long_date(s)
    if period.whole_months() and s.year == e.year:
        if (s.month, e.month) == (1, 12):
            return str(s.year)
        if s.month == e.month:
            return f"{s:%B %Y}"
        return f"{s:%B}–{e:%B %Y}"
    if (s.year, s.month) == (e.year, e.month):
        return f"{s.day}–{e.day} {e:%B %Y}"
    if s.year == e.year:
        return f"{s.day} {s:%B}–{e.day} {e:%B %Y}"
    return f"{long_date(s)}–{long_date(e)}"


def value_words(value: FigureValue) -> str:
    """The figure as a researcher would write it in a sentence: `4,578`, `more than 700`, `about 60`."""
    a = number(value.a) if value.a is not None else None
    b = number(value.b) if value.b is not None else None
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
    # Exact, never through a float (which a count of 400 digits overflows): whole numbers grouped by thousands,
    # others to one decimal, a tie to the even tenth.
    exact = Fraction(x)
    if exact.denominator == 1:
        return number(exact.numerator)
    whole, tenth = divmod(round(abs(exact) * 10), 10)
    return f"{'-' if exact < 0 else ''}{number(whole)}{f'.{tenth}' if tenth else ''}"


def bound_words(bound: Bound, unit: str = "") -> str:
    """`11`, `more than 570`, `at least 70`, `between 5 and 10`, with `unit` after the number."""
    low = _num(bound.low)
    if bound.high is not None and _num(bound.high) == low:
        return f"{low}{unit}"
    if bound.high is not None:
        return f"between {low} and {_num(bound.high)}{unit}"
    return f"{'more than' if bound.strict else 'at least'} {low}{unit}"


def _percent(x: Number) -> str:
    """How much more a ratio is, in percent: `17`; under one percent, `under 1`."""
    pct = (Fraction(x) - 1) * 100
    return "under 1" if pct < 1 else str(round(pct))


def ratio_words(ratio: Bound) -> str:
    """`5.4 times as many`, or under one and a half times, a percentage: `17% more` (never "1 times")."""
    if ratio.low >= Fraction(3, 2):
        return bound_words(ratio, " times as many")
    if ratio.high is not None and ratio.high >= Fraction(3, 2):
        return f"between {_percent(ratio.low)}% more and {_num(ratio.high)} times as many"
    if ratio.high is not None and _percent(ratio.high) != _percent(ratio.low):
        return f"between {_percent(ratio.low)}% and {_percent(ratio.high)}% more"
    if ratio.high is None:
        if _percent(ratio.low) == "under 1":
            return ""  # "more than under 1% more" says nothing the difference does not
        return f"{'more than' if ratio.strict else 'at least'} {_percent(ratio.low)}% more"
    return f"{_percent(ratio.low)}% more"


def apart_words(difference: Bound | None, ratio: Bound | None) -> str:
    """How much more the larger of two figures is: `11 more (17% more)`, `more than 570 more (more than 5.4 times
    as many)`. Always said of the larger: "17% fewer" would be a percentage of the other figure."""
    if difference is None:
        return ""
    if difference.strict and difference.low == 0 and difference.high is None:
        return "more"  # "more than 700" against 700: more, by how much unknown
    if ratio is None:
        return f"{bound_words(difference, ' more')}, against none"
    times = ratio_words(ratio)
    return f"{bound_words(difference, ' more')}" + (f" ({times})" if times else "")


def _interval_words(interval: Interval | None) -> str:
    if interval is None:
        return "?"
    if interval.hi == interval.lo:
        return number(interval.lo)
    return f"at least {number(interval.lo)}" if interval.hi is None else \
        f"between {number(interval.lo)} and {number(interval.hi)}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(claim: ClaimView) -> str:
    return f" {on_date(claim.when)}" if claim.when is not None else ""


def _status(claim: ClaimView) -> str:
    return {"unverified": " (unverified)", "disputed": " (attribution disputed)"}.get(claim.status or "", "")


# Markdown: a paragraph per question -----------------------------------------------------------------------

# a web address a Markdown autolink shows as it is: no other scheme (`javascript:`), nothing that ends the link, no
# control character a terminal acts on or that reorders what a reader sees (display._CONTROL's)
_WEB = re.compile("https?://[^\\s<>`\\\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


class Citations:
    """Numbers each source the first time it is cited, for the list at the end (who, what, when, as reported by
    whom, the record's id, the URL): the body of the letter names no record ids."""

    def __init__(self, vocab: Vocab) -> None:
        self.numbers: dict[str, int] = {}
        self.titles: dict[str, str] = {}
        self.cited: dict[str, Source] = {}  # the sources cited, by id, for a list other than Markdown's
        self.vocab = vocab

    def number(self, src: Source) -> int:
        if src.id not in self.numbers:
            self.numbers[src.id] = len(self.numbers) + 1
            self.cited[src.id] = src
            kind = src.kind if src.kind != "unknown" else "source"
            when = f" of {long_date(src.when)}" if src.when else ""
            through = f", as reported by {self.vocab.text(src.reported_by)}" if src.reported_by else ""
            url = f", <{src.url}>" if src.url and _WEB.fullmatch(src.url) else ""
            # a confidential testimony's id may describe its witness (`t-…-relative-threats`): not named
            record = f" (`{src.id}`)" if src.quotable else ""
            self.titles[src.id] = f"{_cap(self.vocab.text(src.who))}, {kind}{when}{through}{record}{url}"
        return self.numbers[src.id]

    def cite(self, *claims: ClaimView) -> str:
        """`[3]`, `[1, 4]`, `[1–4]`."""
        return self.cite_sources(*(c.source for c in claims))

    def cite_sources(self, *sources: Source) -> str:
        numbers = sorted({self.number(s) for s in sources})
        if len(numbers) > 2 and numbers[-1] - numbers[0] == len(numbers) - 1:
            return f"[{numbers[0]}–{numbers[-1]}]"
        return "[" + ", ".join(map(str, numbers)) + "]"

    def sources(self) -> list[str]:
        return [f"{n}. {self.titles[sid]}" for sid, n in sorted(self.numbers.items(), key=lambda kv: kv[1])]


def _dates(claims: list[ClaimView]) -> list[str]:
    """`on 15 January 2022`, `on 14 March`, `in May`, `on 16 August`: the year once, until it changes."""
    out, year = [], None
    for claim in claims:
        when = claim.when
        if when is None:
            out.append("")
            continue
        day = when.start
        shown_year = "" if day.year == year else f" {day.year}"
        year = day.year
        precision = when.precision
        if precision == "year":
            out.append(f" in {day.year}")
        elif precision == "month":
            out.append(f" in {day:%B}{shown_year}")
        else:
            out.append(f" on {day.day} {day:%B}{shown_year}")
    return out


class Paragraph:
    """The sentences of one question's paragraph. The first time a claim is named it is named in full (who, when,
    the figure, its status, its quote, its source's number); after that, briefly (`the 130 of Kazakh authorities
    [3]`)."""

    def __init__(self, key: Question, vocab: Vocab, cites: Citations) -> None:
        self.key, self.vocab, self.cites = key, vocab, cites
        self.said: set[str] = set()
        self.periods: set[str] = set()  # the claims whose period has been said
        self.listed: set[str] = set()  # the claims a series sentence lists: their revisions are said there
        self.sentences: list[str] = []
        # (voice, other claim, kind, other above) → the voice's later figures found against the same claim in the
        # same way, on the same side
        self.met: dict[tuple[str, str, str, bool], list[ClaimView]] = {}
        self.claims: dict[str, ClaimView] = {}

    def figure(self, claim: ClaimView, period: bool = False, detail: bool = True, status: bool = True) -> str:
        """`75 among civilians`, `at least 200 for 16–19 December 2011`: the figure with what sets its scope apart
        from the paragraph's question, its status, how its total was found."""
        measure, population, place = self.key
        words = value_words(claim.value)
        if claim.measure != measure:
            words += f" {self.vocab.measure(claim.measure)}"
        if claim.population != population:
            words += f" among {self.vocab.population(claim.population)}"
        if claim.place != place:
            words += f" in {self.vocab.place(claim.place)}"
        if period:
            words += f" for {period_words(claim.period)}"
            self.periods.add(claim.id)
        if claim.sum_text is not None and detail:
            words += f" ({claim.sum_text}{'' if claim.quoted else ', added up in this ledger'})"
        return words + (_status(claim) if status else "")

    def full(self, claim: ClaimView, period: bool = False) -> str:
        """`Zhanna Zh. told Human Rights Watch on 28 December 2011: at least 200 (“...”) [5]`, or, once said, `ref`."""
        if claim.id in self.said:
            return self.ref(claim, period)
        self.said.add(claim.id)
        v = self.vocab
        quote = f" (“{v.text(claim.quote)}”)" if claim.quote else ""
        return (f"{v.text(claim.source.by)} {v.text(claim.source.verb)}{_when(claim)}: "
                f"{self.figure(claim, period)}{quote} {self.cites.cite(claim)}")

    def ref(self, claim: ClaimView, period: bool = False) -> str:
        """`the 130 of the Kazakh authorities [3]`; named for the first time, with its date: `the 225 that the
        Prosecutor General's Office gave on 15 January 2022 [3]`. Its period only when asked for and not said."""
        first = claim.id not in self.said
        self.said.add(claim.id)
        figure = self.figure(claim, period and claim.id not in self.periods, detail=False)
        who = self.vocab.text(claim.voice.prose)
        if first and claim.when is not None:
            return f"the {figure} that {who} gave{_when(claim)} {self.cites.cite(claim)}"
        return f"the {figure} of {who} {self.cites.cite(claim)}"

    def brief(self, claim: ClaimView) -> str:
        """`139 (Human Rights Watch, 26 January 2022) [5]`: a figure in a list."""
        self.said.add(claim.id)
        when = f", {long_date(claim.when)}" if claim.when is not None else ""
        status = {"unverified": "; unverified", "disputed": "; attribution disputed"}.get(claim.status or "", "")
        return (f"{self.figure(claim, detail=False, status=False)} ({self.vocab.text(claim.voice.name)}{when}"
                f"{status}) {self.cites.cite(claim)}")

    def series(self, claims: list[ClaimView]) -> None:
        """One voice's figures in one sentence: `For 2–11 January 2022, the Prosecutor General's Office gave 225 on
        15 January 2022, 230 on 14 March, 232 in May and 238 on 16 August [1–4].`, then what it withdrew."""
        one_period = len({c.period for c in claims}) == 1
        self.periods.update(c.id for c in claims)
        self.listed.update(c.id for c in claims)
        items = [f"{self.figure(c, period=not one_period)}{when}" for c, when in zip(claims, _dates(claims))]
        if len(claims) == 1 and claims[0].quote:
            items[0] += f" (“{self.vocab.text(claims[0].quote)}”)"
        self.said.update(c.id for c in claims)
        listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
        who = self.vocab.text(claims[0].voice.prose)
        if one_period:
            self.sentences.append(f"For {period_words(claims[0].period)}, {who} gave {listed} "
                                  f"{self.cites.cite(*claims)}.")
        else:
            self.sentences.append(f"{_cap(who)} gave {listed} {self.cites.cite(*claims)}.")
        for claim in claims:
            w = claim.withdrawn
            if w is not None:
                by = f" {self.cites.cite_sources(w.source)}" if w.source is not None else ""
                when = f" {on_date(w.when)}" if w.when is not None else ""
                self.sentences.append(f"The figure of {value_words(claim.value)}{_when(claim)} was withdrawn by "
                                      f"{self.vocab.text(w.said or w.who)}{when}{by}.")

    def finding(self, finding: FigureFinding) -> None:
        """What a letter says of one finding: the revision, then each disagreement, the sum, the spread."""
        a = finding.a
        if finding.revised is not None and not {finding.revised.id, a.id} <= self.listed:
            r = finding.revised
            change = "up" if a.interval.lo > r.interval.lo else "down"
            whose = "their" if a.voice.id.startswith(("person:", "witness:")) else "its"  # a person's, an org's
            self.sentences.append(f"{_cap(self.vocab.text(a.voice.prose))} revised {whose} figure {change} from "
                                  f"{value_words(r.value)}{_when(r)} {self.cites.cite(r)} to "
                                  f"{value_words(a.value)}{_when(a)} {self.cites.cite(a)}.")
            self.said.update((r.id, a.id))
        for relation in finding.relations:
            self.relation(a, relation)
        if finding.parts:
            parts = " + ".join(value_words(p.value) for p in finding.parts)
            whose = "as the source states it" if a.quoted else "in this ledger's own arithmetic"
            total = f"{self.full(a)} in all" if a.id not in self.said else f"{self.ref(a)} is a total"
            self.sentences.append(f"{_cap(total)} ({whose}), but its parts add up to {parts} = "
                                  f"{_interval_words(finding.total)} {self.cites.cite(*finding.parts)}.")
        spread = finding.spread
        if spread is not None:
            others = "; ".join(self.brief(c) for c in spread.others)
            also = f" Between them: {others}." if others else ""
            self.sentences.append(f"The figures that are not official run from {self.brief(spread.low)} to "
                                  f"{self.brief(spread.high)}: {apart_words(spread.difference, spread.ratio)}.{also}")

    def relation(self, a: ClaimView, relation: Relation) -> None:
        """One disagreement, said of the larger figure (as a ratio is), each figure named in full once."""
        o = relation.other
        # the same figure found again, on the same side, against a voice's later figures: said once, in `also`
        met = (a.voice.id, o.id, relation.kind, o.interval.lo > a.interval.lo)
        if met in self.met:
            self.met[met].append(a)
            return
        self.met[met] = []
        if relation.kind == "agree":
            head = f"{self.full(a)}, which agrees with" if a.id not in self.said else f"{self.ref(a)} agrees with"
            self.sentences.append(f"{_cap(head)} {self.ref(o)}.")
            return
        apart = apart_words(relation.difference, relation.ratio)
        if relation.kind == "exceeds":
            larger = relation.narrower or a
            smaller = o if larger is a else a
            period = larger.period != smaller.period
            yet = f"a narrower count ({_narrower_why(larger, smaller, self.vocab)}), yet {apart}"
        else:
            larger, smaller = (a, o) if a.interval.lo > o.interval.lo else (o, a)
            period = relation.kind == "gap"
            yet = apart
        if larger.id not in self.said:
            self.sentences.append(f"{_cap(self.full(larger, period))}, {yet} than {self.ref(smaller, period)}.")
        elif smaller.id not in self.said:
            self.sentences.append(f"{_cap(self.full(smaller, period))}; {self.ref(larger, period)} is {yet}.")
        else:
            self.sentences.append(f"{_cap(self.ref(larger, period))} is {yet} than {self.ref(smaller, period)}.")

    def withdrawn(self, claims: list[ClaimView]) -> None:
        """What was withdrawn of the figures said that no series sentence lists (those of voices that are not
        official): `The 120 of Human Rights Watch [2] was withdrawn by Human Rights Watch on 14 January 2022 [3].`"""
        done: set[str] = set()
        for claim in sorted(claims, key=lambda c: (c.day, c.id)):
            w = claim.withdrawn
            if w is None or claim.id not in self.said or claim.id in self.listed or claim.id in done:
                continue
            done.add(claim.id)
            by = f" {self.cites.cite_sources(w.source)}" if w.source is not None else ""
            when = f" {on_date(w.when)}" if w.when is not None else ""
            self.sentences.append(f"{_cap(self.ref(claim))} was withdrawn by {self.vocab.text(w.said or w.who)}"
                                  f"{when}{by}.")

    def also(self) -> None:
        """For a figure found again against a voice's later figures: one sentence that names them."""
        for (_, other_id, _, _), later in self.met.items():
            if not later:
                continue
            o = next(iter(later))  # the voice's figures, in the order asserted
            other = self.claims[other_id]
            side = "above" if other.interval.lo > o.interval.lo else "below"
            figures = [f"{value_words(c.value)}{_when(c)} {self.cites.cite(c)}" for c in later]
            listed = figures[0] if len(figures) == 1 else ", ".join(figures[:-1]) + " and " + figures[-1]
            many = "figure" if len(later) == 1 else "figures"
            self.sentences.append(f"{_cap(self.ref(other))} is {side} the later {many} of "
                                  f"{self.vocab.text(o.voice.prose)} too: {listed}.")
            self.said.update(c.id for c in later)


def _narrower_why(narrow: ClaimView, broad: ClaimView, vocab: Vocab) -> str:
    reasons = []
    if narrow.measure != broad.measure:
        reasons.append(f"{vocab.measure(narrow.measure)} are among {vocab.measure(broad.measure)}")
    if narrow.population != broad.population:
        reasons.append(f"{vocab.population(narrow.population)} are among {vocab.population(broad.population)}")
    if narrow.place != broad.place:
        reasons.append(f"{vocab.place(narrow.place)} is in {vocab.place(broad.place)}")
    if narrow.period != broad.period:
        reasons.append(f"{period_words(narrow.period)} lies within {period_words(broad.period)}")
    return "; ".join(reasons)


def _questions(findings: Iterable[FigureFinding]) -> list[tuple[Question, list[FigureFinding]]]:
    """The findings by question, the questions with the most serious findings first, then by name."""
    groups: dict[Question, list[FigureFinding]] = {}
    for f in findings:
        groups.setdefault(f.a.key, []).append(f)
    return sorted(groups.items(), key=lambda kv: (min(KINDS.index(f.kind) for f in kv[1]), kv[0]))


def question_paragraph(key: Question, findings: list[FigureFinding], report: FigureReport, vocab: Vocab,
                       cites: Citations) -> list[str]:
    """The official series of one question, what was withdrawn, then the discrepancies."""
    paragraph = Paragraph(key, vocab, cites)
    for _, claims in sorted(report.series.get(key, {}).items(), key=lambda kv: (kv[1][0].day, kv[0])):
        if claims[0].voice.official:
            paragraph.series(claims)
    for finding in findings:
        paragraph.claims.update((r.other.id, r.other) for r in finding.relations)
        paragraph.finding(finding)
    paragraph.also()
    paragraph.withdrawn([c for f in findings for c in f.claims])
    return [f"### {_cap(vocab.question(key))}", "", " ".join(paragraph.sentences), ""]


def breakdown_sentence(breakdown: Breakdown, vocab: Vocab, cites: Citations) -> str:
    """`People with gunshot wounds in Zhanaozen, 16–17 December 2011: everyone 64 [1]; civilians 75 [2]...`"""
    items = "; ".join(f"{vocab.population(c.population)}: {value_words(c.value)} {cites.cite(c)}"
                      for c in breakdown.claims)
    return (f"{_cap(vocab.measure(breakdown.measure))} in {vocab.place(breakdown.place)}, "
            f"{period_words(breakdown.period)}: {items}.")


def render_markdown(report: FigureReport, findings: list[FigureFinding], breakdowns: list[Breakdown],
                    vocab: Vocab, title: str | None) -> str:
    """The findings as Markdown for a letter's draft: a paragraph per question, sources numbered at the end."""
    cites = Citations(vocab)
    lines = [f"## Discrepancies in the figures{': ' + vocab.text(title) if title else ''}", ""]
    if not findings:
        lines += ["No discrepancies between the ledger's figures.", ""]
    for key, group in _questions(findings):
        lines += question_paragraph(key, group, report, vocab, cites)
    if breakdowns:
        lines += ["### Side by side", ""]
        lines += [f"- {breakdown_sentence(b, vocab, cites)}" for b in breakdowns]
        lines.append("")
    if cites.numbers:
        lines += ["### Sources", "", *cites.sources(), ""]
    return "\n".join(lines)


# JSON ----------------------------------------------------------------------------------------------------

def _date(when: When | None) -> str | None:
    return str(when) if when is not None else None


def _bound_json(bound: Bound | None) -> dict[str, Any] | None:
    if bound is None:
        return None

    def figure(x: Number | float) -> float | int:
        # JSON has no fractions: a whole number as an int (of any size), else the nearest float; a ratio too
        # large for a float (counts of hundreds of digits) is the nearest whole number, which is as close.
        exact = Fraction(x)
        if exact.denominator == 1:
            return exact.numerator
        try:
            return float(exact)
        except OverflowError:
            return round(exact)

    return {"min": figure(bound.low), "max": None if bound.high is None else figure(bound.high),
            "strict": bound.strict}


def claim_json(claim: ClaimView) -> dict[str, Any]:
    """One claim as JSON: ids, the value as written, its interval, scope, source, voice, status, withdrawal."""
    withdrawn = claim.withdrawn
    return {
        "id": claim.id,
        "source": {"id": claim.source.id, "kind": claim.source.kind, "who": claim.source.who,
                   "date": _date(claim.source.when), "reported_by": claim.source.reported_by,
                   "url": claim.source.url},
        "voice": {"id": claim.voice.id, "name": claim.voice.name, "official": claim.voice.official},
        "asserted": _date(claim.when),
        "measure": claim.measure,
        "value": str(claim.value),
        "interval": [claim.interval.lo, claim.interval.hi],
        "scope": {"place": claim.place, "period": str(claim.period), "population": claim.population},
        "counts": "stock" if claim.stock else "events",
        "status": claim.status,
        "withdrawn": None if withdrawn is None else {"by": withdrawn.by, "who": withdrawn.who,
                                                      "date": _date(withdrawn.when)},
        "quote": claim.quote,
        "file": claim.file,
        "line": claim.line,
    }


def _relation_json(relation: Relation) -> dict[str, Any]:
    return {"kind": relation.kind, "claim": relation.other.id,
            "narrower": relation.narrower.id if relation.narrower is not None else None,
            "difference": _bound_json(relation.difference), "ratio": _bound_json(relation.ratio)}


def render_json(findings: list[FigureFinding], breakdowns: list[Breakdown], report: FigureReport | None = None,
                claims: Iterable[ClaimView] | None = None) -> str:
    """The findings, each voice's series, the breakdowns, and every claim (`claims`, else every claim of `report`,
    else those the findings and breakdowns name) with its voice, status and withdrawal."""
    listed: dict[str, ClaimView] = {}
    if claims is None and report is not None:
        claims = report.claims.values()
    for c in claims or ():
        listed[c.id] = c
    for f in findings:
        listed.update((c.id, c) for c in f.claims)
    for b in breakdowns:
        listed.update((c.id, c) for c in b.claims)
    questions = sorted({c.key for c in listed.values()})
    series = [] if report is None else [
        {"measure": q[0], "population": q[1], "place": q[2], "voice": voice,
         "claims": [c.id for c in one]}
        for q in questions for voice, one in sorted(report.series.get(q, {}).items())]
    out = {
        "findings": [
            {
                "kind": f.kind,
                "kinds": sorted(f.kinds, key=KINDS.index),
                "measure": f.measure,
                "claims": [c.id for c in f.claims],
                "a": f.a.id,
                "b": f.b.id if f.b else None,
                "relations": [_relation_json(r) for r in f.relations],
                "revised": f.revised.id if f.revised is not None else None,
                "parts": [p.id for p in f.parts],
                "sum_of_parts": [f.total.lo, f.total.hi] if f.total else None,
                "spread": None if f.spread is None else {
                    "low": f.spread.low.id, "high": f.spread.high.id, "others": [c.id for c in f.spread.others],
                    "difference": _bound_json(f.spread.difference), "ratio": _bound_json(f.spread.ratio)},
                "difference": _bound_json(f.difference),
                "ratio": _bound_json(f.ratio),
                "periods": [str(c.period) for c in f.claims],
                "statuses": f.statuses,
            }
            for f in findings
        ],
        "series": series,
        "breakdowns": [
            {"measure": b.measure, "place": b.place, "period": str(b.period), "claims": [c.id for c in b.claims]}
            for b in breakdowns
        ],
        "claims": {cid: claim_json(c) for cid, c in sorted(listed.items())},
    }
    return json_text(out, indent=2)


# Text: a timeline per question ---------------------------------------------------------------------------

_KIND_STYLE = {"conflict": "red bold", "gap": "yellow bold", "exceeds": "magenta bold", "sum": "red",
               "spread": "yellow", "revision": "cyan", "agree": "green"}


def _timeline_row(claim: ClaimView, vocab: Vocab, key: Question) -> tuple[str, str, str]:
    """Date, value as written, and whose figure for what period (and what else sets its scope apart from the
    question `key`), with its status or withdrawal."""
    marks = [claim.status] if claim.status else []
    if claim.withdrawn is not None:
        marks.append(f"withdrawn {_date(claim.withdrawn.when) or ''}".strip())
    official = " (official)" if claim.voice.official else ""
    mark = f" [{', '.join(marks)}]" if marks else ""
    scope = [vocab.measure(claim.measure)] if claim.measure != key[0] else []
    if claim.population != key[1]:
        scope.append(f"among {vocab.population(claim.population)}")
    if claim.place != key[2]:
        scope.append(f"in {vocab.place(claim.place)}")
    return (_date(claim.when) or "undated", str(claim.value),
            f"{vocab.text(claim.voice.name)}{official}, {' '.join([*scope, str(claim.period)])}{mark}")


def _finding_line(f: FigureFinding, vocab: Vocab) -> str:
    def said(c: ClaimView) -> str:
        return f"{vocab.text(c.voice.name)} {c.value}"

    parts = []  # each says the claim `a` itself, or follows one that does
    head = f"{said(f.a)} of {_date(f.a.when) or 'undated'}"
    if f.revised is not None:
        up = "up" if f.a.interval.lo > f.revised.interval.lo else "down"
        parts.append(f"{head}, revised {up} from {f.revised.value} of {_date(f.revised.when) or 'undated'}")
    for r in f.relations:
        label = "" if r.kind == f.kind and not parts else f"{r.kind}: "
        if r.kind == "exceeds":
            narrow = r.narrower or f.a
            broad = r.other if narrow is f.a else f.a
            parts.append(f"{label}{said(narrow)} ({_narrower_why(narrow, broad, vocab)}) is above {said(broad)}: "
                         f"{apart_words(r.difference, r.ratio)}")
            continue
        if r.kind == "agree":
            parts.append(f"{label}{head if not parts else 'it'} agrees with {said(r.other)}")
            continue
        high, low = (f.a, r.other) if f.a.interval.lo > r.other.interval.lo else (r.other, f.a)
        lead = f"{head}: " if not parts and high is not f.a else ""  # the line starts with the claim it is about
        parts.append(f"{label}{lead}{said(high)} is {apart_words(r.difference, r.ratio)} than {said(low)}")
    if f.parts:
        label = "" if f.kind == "sum" and not parts else "sum: "
        parts.append(f"{label}{said(f.a)} in all, but {' + '.join(str(p.value) for p in f.parts)} = "
                     f"{_interval_words(f.total)}")
    if f.spread is not None:
        label = "" if f.kind == "spread" and not parts else "spread: "
        others = f"; between them {', '.join(said(c) for c in f.spread.others)}" if f.spread.others else ""
        parts.append(f"{label}{said(f.spread.low)} to {said(f.spread.high)}: "
                     f"{apart_words(f.spread.difference, f.spread.ratio)}{others}")
    return "; ".join(parts)


def _wrapped(first: str, rest: str, width: int, style: str = "") -> Text:
    """`first` then `rest` wrapped to `width`, each further line indented to where `rest` starts: no trailing
    spaces, so that a copied block pastes cleanly."""
    import textwrap

    from rich.text import Text

    indent = " " * len(first)
    lines = textwrap.wrap(rest, max(width - len(first), 20), break_on_hyphens=False) or [""]
    out = Text()
    out.append(first, style=style)
    out.append(lines[0])
    for line in lines[1:]:
        out.append("\n" + indent + line)
    return out


def render_text(report: FigureReport, findings: list[FigureFinding], breakdowns: list[Breakdown], vocab: Vocab,
                console: Console) -> None:
    """For each question with findings, its claims in the order asserted (date, value, whose, for what period,
    status or withdrawal), then each finding under it; wrapped to the terminal's width (80 when piped)."""
    from rich.text import Text

    width = console.width
    for key, group in _questions(findings):
        console.print(_wrapped("", _cap(vocab.question(key)), width, "bold"), soft_wrap=True)
        # the question's own figures, and those of other questions its findings name (a broader count, a part)
        shown = {c.id: c for claims in report.series.get(key, {}).values() for c in claims}
        for f in group:
            shown.update((c.id, c) for c in f.claims)
        rows = [_timeline_row(c, vocab, key) for c in sorted(shown.values(), key=lambda c: (c.day, c.id))]
        wide = max(len(value) for _, value, _ in rows)
        for when, value, whose in rows:
            console.print(_wrapped(f"  {when:<10}  {value:>{wide}}  ", whose, width), soft_wrap=True)
        for f in group:
            line = _wrapped(f"  {f.kind:<9} ", _finding_line(f, vocab), width)
            line.stylize(_KIND_STYLE[f.kind], 2, 2 + len(f.kind))
            console.print(line, soft_wrap=True)
        console.print()
    for b in breakdowns:
        console.print(_wrapped("", f"Side by side: {vocab.measure(b.measure)} in {vocab.place(b.place)}, {b.period}",
                               width, "bold"), soft_wrap=True)
        wide = max(len(str(c.value)) for c in b.claims)
        for c in b.claims:
            console.print(_wrapped(f"  {c.value!s:>{wide}}  ", f"{vocab.population(c.population)} "
                                   f"({vocab.text(c.voice.name)}, {_date(c.when) or 'undated'})", width),
                          soft_wrap=True)
        console.print()
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: KINDS.index(kv[0])))
    console.print(Text(f"{len(report.claims)} claims compared: {summary or 'no findings'}"), soft_wrap=True)


@renderer("diff-figures", "text")
def text(selection: Selection, out: Output) -> None:
    """A timeline per question with its findings; rich at a terminal."""
    render_text(selection.report, selection.findings, selection.breakdowns, Vocab(selection.config, one_line),
                out.console())


@renderer("diff-figures", "markdown")
def markdown_sentences(selection: Selection, out: Output) -> None:
    """A paragraph per question for a letter's draft, sources numbered at the end."""
    out.write(render_markdown(selection.report, selection.findings, selection.breakdowns,
                              Vocab(selection.config, markdown), selection.title))


@renderer("diff-figures", "json")
def json_findings(selection: Selection, out: Output) -> None:
    """The findings, series, breakdowns and claims, for other tools."""
    out.write(render_json(selection.findings, selection.breakdowns, selection.report, selection.claims) + "\n")
