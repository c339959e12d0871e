"""The renderers of `ledger check`: the same findings as text (rich at a terminal), JSON, or GitHub Actions
annotations, registered in the one table of renderers (ledger/output.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .display import json_text, one_line
from .findings import Finding
from .output import Output, renderer

if TYPE_CHECKING:
    from rich.console import Console

    from .checking import CheckReport


def location(f: Finding) -> str:
    """`path:line:col`, leaving out what is unknown (a file name's control characters shown as escapes)."""
    file = one_line(f.file)
    if f.line <= 0:
        return file
    return f"{file}:{f.line}:{f.column}" if f.column > 0 else f"{file}:{f.line}"


def text_lines(findings: list[Finding], summary: str) -> list[str]:
    """What `render_text` prints, without colour."""
    return [f"{location(f)}: {f.severity}[{f.code}]: {one_line(f.message)}" for f in findings] + [summary]


def render_text(findings: list[Finding], console: Console, summary: str) -> None:
    """One `path:line:col: error[code]: message` line per finding, then the summary line."""
    from rich.text import Text

    for f in findings:
        line = Text()
        line.append(location(f), style="bold")
        line.append(": ")
        line.append(f.severity, style="red bold" if f.severity == "error" else "yellow bold")
        line.append(f"[{f.code}]", style="dim")
        line.append(": ")
        line.append(one_line(f.message))
        console.print(line, soft_wrap=True)
    errors = sum(1 for f in findings if f.severity == "error")
    console.print(Text(summary, style="red" if errors else "green"), soft_wrap=True)


def render_json(findings: list[Finding]) -> str:
    """A JSON list of findings: code, severity, message, file, line, column."""
    keys = ("code", "severity", "message", "file", "line", "column")
    return json_text([{k: getattr(f, k) for k in keys} for f in findings], indent=2)


def _escape_data(text: str) -> str:
    return one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`."""
    lines = []
    for f in findings:
        props = [f"file={_escape_property(f.file)}"]
        if f.line > 0:
            props.append(f"line={f.line}")
        if f.column > 0:
            props.append(f"col={f.column}")
        props.append(f"title={_escape_property('ledger ' + f.code)}")
        lines.append(f"::{f.severity} {','.join(props)}::{_escape_data(f.message)}")
    return "\n".join(lines)


@renderer("check", "text")
def text(report: CheckReport, out: Output) -> None:
    """`path:line:col: severity[code]: message` lines, then the summary; coloured at a terminal."""
    if out.plain:
        out.write("\n".join(text_lines(report.findings, report.summary())) + "\n")
    else:
        render_text(report.findings, out.console(), report.summary())


@renderer("check", "json")
def json(report: CheckReport, out: Output) -> None:
    """The findings as a JSON list."""
    out.write(render_json(report.findings) + "\n")


@renderer("check", "github")
def github(report: CheckReport, out: Output) -> None:
    """One workflow command per finding, nothing when there is none."""
    if report.findings:
        out.write(render_github(report.findings) + "\n")
