"""How to fix the YAML mistakes every new user makes: a `: ` or a leading `- ` inside plain text, a comma inside
`{...}`, a tab, a quote or a bracket never closed, a list item under a key that has a value, text that YAML reads
as a number or true/false. Each hint names the key (only when it is a field name of the format: a key may be
record text, which messages never repeat) and the line."""

from __future__ import annotations

import re
from functools import cache

_KEY = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:(?:\s|$)")


@cache
def field_names() -> frozenset[str]:
    """Every key the format has: the fields of each kind, of their parts, and of ledger.yaml."""
    from pydantic import BaseModel

    from .models import MODELS, LedgerConfig

    names: set[str] = set()
    todo: list[type[BaseModel]] = [*MODELS.values(), LedgerConfig]
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            for arg in _types(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    todo.append(arg)
    return frozenset(names)


def _types(annotation: object) -> list[object]:
    import typing

    out, todo = [], [annotation]
    while todo:
        t = todo.pop()
        out.append(t)
        todo.extend(typing.get_args(t))
    return out


def key_at(text: str, line: int) -> str | None:
    """The field whose key starts line `line` (1-based), or None (no key there, or a key that is no field name)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    m = _KEY.match(lines[line - 1])
    return m[1] if m and m[1] in field_names() else None


def _key_above(text: str, line: int) -> tuple[str | None, int]:
    """The field of the nearest line at or above `line` that starts with a key, and that line."""
    for n in range(min(line, len(text.splitlines())), 0, -1):
        lines = text.splitlines()
        if _KEY.match(lines[n - 1]):
            return key_at(text, n), n
    return None, line


def _indent(text: str, line: int) -> int:
    lines = text.splitlines()
    raw = lines[line - 1] if 1 <= line <= len(lines) else ""
    return len(raw) - len(raw.lstrip(" "))


def _named(key: str | None, line: int) -> str:
    return f"`{key}` (line {line})" if key else f"the value on line {line}"


def _quoted(key: str | None) -> str:
    return f"`{key}: \"...\"`" if key else "`key: \"...\"`"


def syntax_hint(problem: str, context: str, text: str, line: int, opened: int | None) -> str:
    """What to do about a YAML syntax error the parser describes as `problem` (and `context`) at `line`; `opened`
    is the line where what is unclosed began. "" when there is nothing more useful to say."""
    if "'\\t'" in problem or "\\t" in problem:
        return f"line {line} is indented with a tab: YAML indents with spaces only; replace the tab with spaces"
    if "mapping values are not allowed" in problem:
        key, at = _key_above(text, line)
        own = key_at(text, line)
        previous, before = _key_above(text, line - 1) if line > 1 else (None, line)
        if own is not None and at == line and line > 1 and _indent(text, line) > _indent(text, before):
            return (f"`{own}` on line {line} is indented under {_named(previous, before)}, which already has a "
                    f"value: line `{own}` up with the keys above it")
        return (f"a `: ` inside {_named(key, at)} ends the text there; put the whole text in quotes: "
                f"{_quoted(key)}")
    if "sequence entries are not allowed" in problem:
        key, at = _key_above(text, line)
        return (f"a `- ` after the key of {_named(key, at)} starts a list where text was expected; put the text in "
                f"quotes: {_quoted(key)}")
    if "expected <block end>, but found '-'" in problem:
        key, at = _key_above(text, line - 1)
        return (f"a list item on line {line} under {_named(key, at)}, which already has a value on its own line: "
                f"write `{key or 'key'}: [a, b]`, or put each item on its own line under `{key or 'key'}:` alone")
    if "quoted scalar" in context and opened is not None:
        key, at = _key_above(text, opened)
        return f"the quote opened in {_named(key, at)} is never closed: end the text with the same quote mark"
    if ("flow sequence" in context or "flow mapping" in context) and opened is not None:
        key, at = _key_above(text, opened)
        mark, end = ("[", "]") if "sequence" in context else ("{", "}")
        return f"the `{mark}` opened in {_named(key, at)} is never closed: end it with `{end}`"
    return ""


def value_hint(given: object, expected_text: bool) -> str:
    """For a value of the wrong type: how YAML read it, when text was meant ("" otherwise)."""
    if not expected_text:
        return ""
    if isinstance(given, bool):
        return "; YAML reads true/false, yes/no as a truth value: put the text in quotes"
    if isinstance(given, (int, float)):
        return "; YAML read this as a number: put the text in quotes (`\"2011\"`)"
    if isinstance(given, dict):
        return ("; YAML read `{...}` or a `: ` as a mapping: put the text in quotes (inside `{...}`, a comma or a "
                "`: ` separates entries)")
    if isinstance(given, list):
        return "; YAML read `[...]` or `- ` as a list: put the text in quotes"
    return ""


COMMA_IN_BRACES = ("a key that is no field of the format: text that a comma inside `{...}` split from its value? "
                   "Put text with commas in quotes: `{label: \"police, National Guard\"}`")
