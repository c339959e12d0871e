"""`ledger report`: one self-contained HTML page of the figures for colleagues who do not open a terminal.

It is made from the same analysis as `diff-figures` (voices, series, withdrawn and unverified figures, findings)
and says what its Markdown says, with a chart of each question's figures over time, the range of each voice's
figure, and the figures as a table (the charts' text alternative). Everything Markdown withholds it withholds:
it names people by `citation`'s labels only (a protected person by pseudonym), quotes nothing a confidential
testimony holds, and never reads a sealed identity. Record text is escaped by Jinja2's autoescape or by
`display.html_text`; the page loads nothing and runs no script (its Content-Security-Policy says so to the
browser too).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .citation import long_date
from .crosscheck import KINDS, ClaimView, FigureFinding, Question, Selection
from .diff_report import (
    _WEB,
    Citations,
    Vocab,
    _finding_line,
    _questions,
    period_words,
    question_paragraph,
    value_words,
)
from .display import html_text, prose

if TYPE_CHECKING:
    from .load import Ledger

# questions charted: those that matter most; a chart costs pygal some milliseconds, and a page of hundreds of charts
# is slow to open and read by no one
DEFAULT_CHARTS = 20


@dataclass
class Row:
    """One figure in a question's table."""

    asserted: str
    voice: str
    official: bool
    figure: str
    interval: str
    period: str
    status: str
    cite: str


@dataclass
class QuestionView:
    """One question as the page shows it."""

    anchor: str
    title: str
    kinds: list[str]
    paragraph: str  # HTML: escaped record text, citations as links
    findings: list[str]  # plain text, escaped by the template
    rows: list[Row]
    timeline: str | None = None  # SVG
    ranges: str | None = None  # SVG
    charted: bool = True


@dataclass
class SourceView:
    """One numbered source."""

    number: int
    who: str
    kind: str
    when: str | None
    reported_by: str | None
    url: str | None
    record: str | None  # None for a confidential testimony, whose id may describe its witness
    quotes: list[str] = field(default_factory=list)


_CITE = re.compile(r"\[(\d+(?:(?:, |–)\d+)*)\]")


def _linked(html: str) -> str:
    """`[1–4]` with each number a link to its source."""
    def numbers(m: re.Match[str]) -> str:
        inner = re.sub(r"\d+", lambda n: f'<a href="#source-{n[0]}">{n[0]}</a>', m[1])
        return f"[{inner}]"

    return _CITE.sub(numbers, html)


def git_describe(root: Path) -> str | None:
    """`git describe --always --dirty` of the ledger's repository, or None where it is none (or git is absent)."""
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--tags"],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _question_claims(selection: Selection, key: Question, findings: list[FigureFinding]) -> list[ClaimView]:
    """The question's own figures, and those of other questions its findings name, in the order asserted."""
    shown = {c.id: c for claims in selection.report.series.get(key, {}).values() for c in claims}
    for f in findings:
        shown.update((c.id, c) for c in f.claims)
    return sorted(shown.values(), key=lambda c: (c.day, c.id))


def _status(claim: ClaimView) -> str:
    marks = []
    if claim.status:
        marks.append({"disputed": "attribution disputed"}.get(claim.status, claim.status))
    if claim.withdrawn is not None:
        when = f" on {long_date(claim.withdrawn.when)}" if claim.withdrawn.when is not None else ""
        marks.append(f"withdrawn by {prose(claim.withdrawn.said or claim.withdrawn.who)}{when}")
    return "; ".join(marks)


def _row(claim: ClaimView, vocab: Vocab, cites: Citations, key: Question) -> Row:
    scope = []
    if claim.measure != key[0]:
        scope.append(prose(vocab.measure(claim.measure)))
    if claim.population != key[1]:
        scope.append(f"among {prose(vocab.population(claim.population))}")
    if claim.place != key[2]:
        scope.append(f"in {prose(vocab.place(claim.place))}")
    hi = claim.interval.hi
    interval = f"{claim.interval.lo:,}" if hi == claim.interval.lo else \
        f"{claim.interval.lo:,} or more" if hi is None else f"{claim.interval.lo:,}–{hi:,}"
    return Row(long_date(claim.when) if claim.when is not None else "undated", prose(claim.voice.name),
               claim.voice.official, value_words(claim.value), interval,
               " ".join([*scope, period_words(claim.period)]), _status(claim), cites.cite(claim))


def _charts(view: QuestionView, index: int, claims: list[ClaimView]) -> tuple[str | None, str | None]:
    """The question's charts, of the figures its table lists (its own, and those its findings set against them),
    one series per voice in the order asserted: official voices first."""
    from . import charts

    by_voice: dict[str, list[ClaimView]] = {}
    for c in claims:
        by_voice.setdefault(c.voice.id, []).append(c)
    series = [(prose(cs[0].voice.name), cs[0].voice.official, cs)
              for _, cs in sorted(by_voice.items(), key=lambda kv: (not kv[1][0].voice.official, kv[1][0].day, kv[0]))]
    timeline = charts.timeline(f"timeline-{index}", prose(view.title), series, lambda c: value_words(c.value))
    standing = []
    for name, official, voice_claims in series:
        stood = [c for c in voice_claims if c.withdrawn is None]
        if stood:
            standing.append((name, official, stood[-1]))
    return timeline, charts.standing_ranges(f"ranges-{index}", prose(view.title), standing,
                                            lambda c: value_words(c.value))


# The charts to draw, set before the worker processes are forked: they inherit it, and are sent only indices.
_JOBS: list[tuple[QuestionView, int, list[ClaimView]]] = []


def _chart_chunk(indices: list[int]) -> list[tuple[int, tuple[str | None, str | None]]]:
    return [(i, _charts(*_JOBS[i])) for i in indices]


def _draw(jobs: list[tuple[QuestionView, int, list[ClaimView]]]) -> None:
    """Draw every job's charts into its view: on two processes or more where the machine has the cores and the
    system forks (a chart costs pygal milliseconds), else here."""
    import multiprocessing
    import os

    workers = min(4, os.cpu_count() or 1)
    if len(jobs) < 8 or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        drawn = [(i, _charts(*job)) for i, job in enumerate(jobs)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        import pygal  # noqa: F401  # imported once, before the fork, for every worker

        _JOBS[:] = jobs
        try:
            chunks = [list(range(k, len(jobs), workers)) for k in range(workers)]
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                drawn = [pair for chunk in pool.map(_chart_chunk, chunks) for pair in chunk]
        finally:
            _JOBS.clear()
    for i, (timeline, ranges) in drawn:
        jobs[i][0].timeline, jobs[i][0].ranges = timeline, ranges


def _sources(cites: Citations, ledger: Ledger | None) -> list[SourceView]:
    out = []
    for sid, number in sorted(cites.numbers.items(), key=lambda kv: kv[1]):
        src = cites.cited[sid]
        quotes: list[str] = []
        entry = ledger.by_id.get(sid) if ledger is not None else None
        if src.quotable and entry is not None:
            quotes = [prose(q.text) for q in getattr(entry.record, "quotes", []) or []]
        kind = src.kind if src.kind != "unknown" else "source"
        out.append(SourceView(number, prose(src.who), kind, long_date(src.when) if src.when else None,
                              prose(src.reported_by) if src.reported_by else None,
                              src.url if src.url and _WEB.fullmatch(src.url) else None,
                              sid if src.quotable else None, quotes))  # a confidential testimony's id: not named
    return out


def _summary(selection: Selection) -> dict[str, Any]:
    ledger = selection.ledger
    records = Counter(e.record.kind for e in ledger.entries) if ledger is not None else Counter()
    voices = {c.voice.id: c.voice.official for c in selection.claims}
    found = Counter(k for f in selection.findings for k in f.kinds)
    return {
        "records": sorted(records.items(), key=lambda kv: kv[0]),
        "record_total": sum(records.values()),
        "sources": sum(records[k] for k in ("testimony", "statement", "document")),
        "claims": len(selection.claims),
        "voices": len(voices),
        "official": sum(voices.values()),
        "findings": [(k, found[k]) for k in KINDS if found[k]],
        "finding_total": len(selection.findings),
    }


def render_report(selection: Selection, made: datetime, commit: str | None, charts: int = DEFAULT_CHARTS,
                  all_questions: bool = True) -> str:
    """The page: a summary, then each question (findings first) with its charts, paragraph, findings and table,
    then the numbered sources. `charts` questions at most are charted; `all_questions` adds the questions without
    findings after those with: those several voices answer as sections, those one voice answers (nothing to
    compare) as one table of other figures."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    vocab = Vocab(selection.config, html_text)
    plain = Vocab(selection.config, prose)
    cites = Citations(vocab)
    groups = _questions(selection.findings)
    seen = {key for key, _ in groups}
    others: list[ClaimView] = []  # the figures of questions that one voice alone answers: one table at the end
    if all_questions:
        for key in sorted({c.key for c in selection.claims} - seen):
            if len(selection.report.series.get(key, {})) > 1 or key not in selection.report.series:
                groups.append((key, []))
            else:
                others += _question_claims(selection, key, [])
    questions = []
    jobs: list[tuple[QuestionView, int, list[ClaimView]]] = []
    for index, (key, findings) in enumerate(groups, start=1):
        lines = question_paragraph(key, findings, selection.report, vocab, cites)
        title = plain.question(key)
        view = QuestionView(
            anchor=f"q-{index}", title=_cap(title),
            kinds=sorted({k for f in findings for k in f.kinds}, key=KINDS.index),
            paragraph=_linked(lines[2]) if len(lines) > 2 else "",
            findings=[_finding_line(f, plain) for f in findings], rows=[])
        claims = _question_claims(selection, key, findings)
        view.rows = [_row(c, plain, cites, key) for c in claims]
        if index <= charts:
            jobs.append((view, index, claims))
        else:
            view.charted = False
        questions.append(view)
    _draw(jobs)
    env = Environment(loader=PackageLoader("ledger", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("report.html")
    from markupsafe import Markup

    return template.render(
        title=prose(selection.title) if selection.title else "Ledger",
        made=f"{made.day} {made:%B %Y, %H:%M} UTC", commit=commit, summary=_summary(selection),
        questions=[{**q.__dict__, "paragraph": Markup(q.paragraph),
                    "timeline": Markup(q.timeline) if q.timeline else None,
                    "ranges": Markup(q.ranges) if q.ranges else None} for q in questions],
        others=[(_cap(plain.question(c.key)), _row(c, plain, cites, c.key)) for c in others],
        sources=_sources(cites, selection.ledger), charts=charts, charted=sum(q.charted for q in questions))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
