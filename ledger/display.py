"""Text from a record made safe to show: data, never markup or control.

Records are written by anyone who can commit to the ledger. Their text reaches a terminal (where an
escape sequence moves the cursor or erases lines, and a newline forges a line of output), a letter's
Markdown draft (where `[x](javascript:…)`, raw HTML or a `### Sources` heading would be rendered) and
other tools' JSON. Every renderer passes record text through here.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional controls that reorder what
# a reader sees (the "Trojan Source" characters). Tabs and newlines are handled by each function.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?", re.DOTALL)
# in JSON every such character may be written as \uXXXX: the same data, nothing a terminal acts on
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` on one line with every control character shown as an escape (`\\x1b`, `\\u202e`, `\\n`): what a
    terminal prints is exactly what the record holds, and nothing moves, erases or reorders output."""
    return _CONTROL.sub(_visible, text)


def lines_shown(text: str) -> str:
    """Text of several lines (a record's YAML, a table of keys) for a terminal: each line as `one_line` shows it,
    its line breaks and tabs kept."""
    return "\n".join("\t".join(one_line(cell) for cell in line.split("\t")) for line in text.split("\n"))


def prose(text: str) -> str:
    """`text` as running prose: white space (line breaks included) collapsed to single spaces, escape sequences
    dropped, any other control character shown as an escape."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = " ".join(text.split())
    return one_line(text)


# Markdown punctuation that can open a link, an image, raw HTML, an entity, emphasis, code or strike-through
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&~|!#])")
# what can still open a block where a line starts once the above is escaped: a list, a rule, a heading's line
_MARKDOWN_BLOCK_START = re.compile(r"^(?:([-+=])|(\d+)([.)]))")


def _block_escape(match: re.Match[str]) -> str:
    return "\\" + match.group(1) if match.group(1) else match.group(2) + "\\" + match.group(3)


def html_text(text: str) -> str:
    """Record text for an HTML page: prose, with `<`, `>`, `&` and quotes as entities, so that it shows as the words
    the record holds and can open no element, attribute or script; `[` too, so that a `[9]` in a quote is never
    taken for a citation and linked to a source."""
    from html import escape

    return escape(prose(text), quote=True).replace("[", "&#91;")


def markdown(text: str) -> str:
    """Record text for a Markdown draft: prose, with every character that could open a link, an image, raw HTML,
    a heading or emphasis escaped by a backslash, so that it renders as the words the record holds."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", prose(text))
    return _MARKDOWN_BLOCK_START.sub(_block_escape, escaped, count=1)


def json_text(data: Any, indent: int | None = None) -> str:
    """`json.dumps(data)`, with the characters a terminal acts on written as \\u escapes (the same data).

    Written by orjson, in C, indented too (the standard library's encoder is pure Python once asked to indent:
    a fifth of `diff-figures --format json` on a large ledger); by the standard library when orjson cannot (an
    integer beyond 64 bits: counts are bounded, exact ratios of them need not be)."""
    import orjson

    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent == 2 else 0).decode()
        if indent not in (None, 2):
            raise TypeError("orjson indents by two spaces only")
    except TypeError:  # orjson.JSONEncodeError is one
        text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
