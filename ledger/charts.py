"""The report's charts, drawn by pygal as inline SVG: a timeline of one question's figures (when each was asserted,
against its value, one series per voice) and the range of each voice's standing figure.

Official voices are drawn solid and thick, the others dashed and thin, and every series names itself "(official)"
where it is, so that the two tell apart in greyscale print as on screen. A figure's interval is a vertical range, an
unbounded one ("more than 700") runs to the top of the chart under an arrow, a withdrawn figure is hollow and
labelled, an unverified or disputed one is labelled so. Text from records reaches the SVG only through pygal's XML
writer, which escapes it; pygal's script (tooltips) is left out: the page works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .crosscheck import ClaimView

# Okabe and Ito's palette, which readers with a colour-vision deficiency tell apart; official voices take the darkest
PALETTE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D1F")
WIDTH, HEIGHT = 720, 300


def _style() -> Any:
    from pygal.style import Style

    return Style(background="white", plot_background="white", foreground="#222222", foreground_strong="#000000",
                 foreground_subtle="#dddddd", guide_stroke_color="#e5e5e5", major_guide_stroke_color="#cccccc",
                 font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
                 label_font_size=12, major_label_font_size=12, legend_font_size=13, value_label_font_size=11,
                 title_font_size=14, colors=PALETTE, opacity="1", opacity_hover="1", transition="none")


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _finish(svg: str, chart_id: str, label: str, lines: Sequence[str]) -> str:
    """pygal's SVG as the page inlines it: without its script, with an id that is the same on every run (pygal
    draws a random one), named for screen readers (the table under it is its text alternative), and each series'
    line drawn as `lines` says (CSS declarations, by series): pygal's own per-series stroke styles lose to its
    `.reactive` rule, so these name the line itself."""
    from html import escape

    svg = _SCRIPT.sub("", svg)
    svg = _CHART_ID.sub(chart_id, svg)
    rules = "".join(f"#{chart_id} .series.serie-{i} .line{{{css}}}" for i, css in enumerate(lines) if css)
    if rules:
        svg = svg.replace("</svg>", f"<style>{rules}</style></svg>")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def plotted(claim: ClaimView) -> int:
    """The value a chart puts a figure at: the number written (`~60`: 60), the middle of a range, an upper
    bound for "fewer than"."""
    v, lo, hi = claim.value, claim.interval.lo, claim.interval.hi
    if v.form in ("range", "minmax") and hi is not None:
        return (lo + hi) // 2
    if v.form in ("lt", "le") and hi is not None:
        return hi
    return v.a if v.a is not None and v.form in ("exact", "approx") else lo


def _top(claims: Sequence[ClaimView]) -> int:
    """The top of the value axis: above every bounded figure and every lower bound, with room for an arrow."""
    highest = max([c.interval.hi if c.interval.hi is not None else c.interval.lo for c in claims] + [1])
    return highest + max(1, highest // 8)


def _bottom(claims: Sequence[ClaimView], top: int) -> int:
    """Zero when the figures are far apart (a chart that starts at zero shows how far), else just below them."""
    lowest = min(c.interval.lo for c in claims)
    return 0 if lowest <= top // 2 else max(0, lowest - max(1, (top - lowest) // 4))


def nice_ticks(low: int, high: int, most: int = 6) -> list[int]:
    """Round values to label an axis from `low` to `high` with: steps of 1, 2 or 5 times a power of ten."""
    span, step = max(1, high - low), 1
    while span // step > most:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2  # 1, 2, 5, 10, 20, 50, ...
    return list(range(-(-low // step) * step, high + 1, step))


def _date_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _date_ticks(first: date, last: date) -> list[date]:
    """A few dates to label the time axis with: the first of each month (or of every few months), else the days."""
    span = (last - first).days
    if span <= 45:
        step = max(1, span // 6)
        return [date.fromordinal(first.toordinal() + k) for k in range(0, span + 1, step)]
    months = (last.year - first.year) * 12 + last.month - first.month
    every = max(1, -(-months // 6))
    ticks, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        if (m - first.month) % every == 0:
            ticks.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return [t for t in ticks if first <= t <= last] or [first, last]


def timeline(chart_id: str, label: str, series: Sequence[tuple[str, bool, Sequence[ClaimView]]],
             words: Callable[[ClaimView], str]) -> str | None:
    """One question's figures over time: `series` is (voice name, official, claims in the order asserted) for each
    voice; `words` writes a figure as a sentence would ("more than 700"). None when no figure is dated."""
    import pygal

    dated = [c for _, _, claims in series for c in claims if c.when is not None]
    if not dated:
        return None
    first = min(c.when.start for c in dated if c.when is not None)
    last = max(c.when.start for c in dated if c.when is not None)
    if first == last:  # one day: a little room either side, so that the points are not on the frame
        first = date.fromordinal(max(1, first.toordinal() - 3))  # within the calendar: 1 January 1 and 31
        last = date.fromordinal(min(date.max.toordinal(), last.toordinal() + 3))  # December 9999 pass `check`
    top = _top(dated)
    chart = pygal.DateLine(
        width=WIDTH, height=HEIGHT + 22 * len(series), style=_style(), js=[], disable_xml_declaration=True,
        explicit_size=True, print_labels=True, legend_at_bottom=True, legend_at_bottom_columns=1, truncate_legend=-1,
        truncate_label=-1, show_x_guides=False, range=(_bottom(dated, top), top), x_value_formatter=_date_label,
        x_labels=_date_ticks(first, last), xrange=(first, last), margin_top=12, margin_left=12, margin_bottom=12,
        margin_right=80, dots_size=4, value_formatter=lambda v: f"{v:,.0f}" if isinstance(v, (int, float)) else "")
    ranges: dict[int, list[Any]] = {}  # by voice: its figures' ranges, each a segment, None between them
    lines: list[str] = []
    for voice, (name, official, claims) in enumerate(series):
        points = []
        for c in claims:
            if c.when is None:
                continue
            x = c.when.start
            marks = []
            style = None
            if c.withdrawn is not None:
                marks.append("withdrawn")
                style = "fill: white; stroke-width: 2"
            elif c.status:
                marks.append(c.status)
            # a point with a label or a style of its own costs pygal a configuration of its own: only those
            point: Any = (x, plotted(c))
            if marks:
                point = {"value": point, "label": ", ".join(marks), **({"style": style} if style else {})}
            points.append(point)
            lo, hi = c.interval.lo, c.interval.hi
            if hi is None:  # unbounded: a range to the top of the chart, and an arrow
                ranges.setdefault(voice, []).extend([(x, lo), {"value": (x, top), "label": "▲"}, None])
            elif hi != lo:
                ranges.setdefault(voice, []).extend([(x, lo), (x, hi), None])
        title = f"{name} (official)" if official else name
        lines.append("stroke-width:3" if official else "stroke-width:1.5;stroke-dasharray:6 4")
        chart.add(title, points, dots_size=5 if official else 4)
    for voice, segments in ranges.items():  # untitled: no legend entry; in its voice's colour; pygal prints a
        # point's label only beside a dot: the dots are a pixel
        chart.add(None, segments[:-1], dots_size=1, allow_interruptions=True)
        lines.append(f"stroke-width:2.5;stroke:{PALETTE[voice % len(PALETTE)]}")
    return _finish(chart.render(is_unicode=True), chart_id, f"Timeline: {label}", lines)


def standing_ranges(chart_id: str, label: str, rows: Sequence[tuple[str, bool, ClaimView]],
                    words: Callable[[ClaimView], str]) -> str | None:
    """Each voice's standing figure as a range (a dot where it is one number), one row per voice, the official
    ones thick and dark, the lowest and the highest labelled. None with fewer than two voices."""
    import pygal

    if len(rows) < 2:
        return None
    claims = [c for _, _, c in rows]
    top = _top(claims)
    lowest = min(claims, key=lambda c: (c.interval.hi if c.interval.hi is not None else top, c.id))
    highest = max(claims, key=lambda c: (c.interval.lo, c.id))
    height = 70 + 34 * len(rows)

    def row_label(name: str, official: bool, c: ClaimView) -> str:
        mark = " (lowest)" if c is lowest else " (highest)" if c is highest else ""
        return f"{name}{' (official)' if official else ''}: {words(c)}{mark}"

    chart = pygal.XY(width=WIDTH, height=height, style=_style(), js=[], disable_xml_declaration=True,
                     explicit_size=True, print_labels=True, show_legend=False, show_y_guides=False,
                     range=(0.5, len(rows) + 0.5), xrange=(_bottom(claims, top), top), margin=12,
                     margin_right=30, truncate_label=-1,
                     y_labels=[{"label": row_label(*row), "value": len(rows) - i} for i, row in enumerate(rows)],
                     x_labels=nice_ticks(_bottom(claims, top), top), x_value_formatter=lambda v: f"{v:,.0f}")
    lines: list[str] = []
    for i, (name, official, c) in enumerate(rows):
        y = len(rows) - i
        lo, hi = c.interval.lo, c.interval.hi
        extreme = c is lowest or c is highest
        # an unbounded figure runs to the edge under an arrow; a figure of one number is a dot
        points: list[Any] = [(lo, y), {"value": (top, y), "label": "▶"} if hi is None else (hi, y)] \
            if hi != lo else [(lo, y)]
        lines.append(f"stroke-width:{10 if official else 6 if extreme else 4};stroke-linecap:butt")
        chart.add(name, points, dots_size=(8 if official else 6) if hi == lo else 1)
    return _finish(chart.render(is_unicode=True), chart_id, f"Each voice's figure: {label}", lines)
