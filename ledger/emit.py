"""A record as the YAML a researcher would write: the format's field order, block style, a schema modeline."""

from __future__ import annotations

import functools
import io
import os
import re
import types
from datetime import date
from pathlib import Path
from typing import Any

from .models import Record
from .yamlio import resolve_plain

WIDTH = 78
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNBLOCKABLE = re.compile("[\r\x85\u2028\u2029]" + r"|\n\n+$|^\n|[ \t]\n|^[ \t]")


def field_order(model: type[Record]) -> list[str]:
    """`kind`, `id`, the kind's own fields in the format's order, then `tags` and `notes`."""
    own = [name for name in model.model_fields if name not in ("kind", "id", "tags", "notes")]
    return ["kind", "id", *own, "tags", "notes"]


def record_data(record: Record) -> dict[str, Any]:
    """The record's fields as plain data, in the format's order, leaving out what equals the default."""
    data = record.model_dump(mode="python", exclude_defaults=True)
    data["kind"] = record.kind
    return {name: data[name] for name in field_order(type(record)) if name in data}


def modeline(path: Path, root: Path, kind: str) -> str:
    """The yaml-language-server comment that points an editor at the kind's schema."""
    schema = root / "schemas" / f"{kind}.schema.json"
    rel = Path(os.path.relpath(schema, path.parent)).as_posix()
    return f"# yaml-language-server: $schema={rel}"


def _block(value: Any, indent: int) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    if isinstance(value, dict):
        return CommentedMap((k, _block(v, indent + 2)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_block(v, indent + 4) for v in value)
    if isinstance(value, str):
        if value and resolve_plain(value) != value and not _ISO_DATE.match(value):
            from ruamel.yaml.scalarstring import SingleQuotedScalarString

            # `.5e3` is a number to ledger's reader, text to ruamel's, which would write it plain
            if "'" not in value and "\n" not in value and _printable(value):
                return SingleQuotedScalarString(value)
        if _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)  # written unquoted; read back as the same text
            except ValueError:
                return value  # looks like a date, is not one: text, quoted by the dumper
        if _UNBLOCKABLE.search(value) or not _printable(value):
            return value  # characters a block scalar cannot keep as they are: quoted (and escaped) by the dumper
        if "\n" in value.rstrip("\n"):
            return LiteralScalarString(value)
        if len(value) > WIDTH - indent - 10 and value == value.strip() and "  " not in value:
            folded = FoldedScalarString(value)
            lines = wrap(value, WIDTH - indent - 2)
            if " ".join(lines) == value:
                positions, at = [], 0
                for line in lines[:-1]:
                    at += len(line)
                    positions.append(at)
                    at += 1
                folded.fold_pos = positions
                return folded
    return value


def wrap(value: str, width: int) -> list[str]:
    """`textwrap.wrap(value, width, break_long_words=False, break_on_hyphens=False)` for a text whose only white
    space is single spaces (what is folded), in a tenth of the time: words filled greedily, a long one alone."""
    words = value.split(" ")
    # other white space (a tab, which textwrap expands) or a word of it alone (which textwrap drops): textwrap's
    if any(c in value for c in "\t\n\x0b\x0c\r") or not all(word.strip() for word in words):
        import textwrap

        return textwrap.wrap(value, width, break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    line = ""
    for word in words:
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _printable(value: str) -> bool:
    """Every character one a block scalar can hold as it is (line breaks and tabs too)."""
    if value.isprintable():  # the usual case, in C
        return "\ufeff" not in value
    return all(c in "\n\t" or (c.isprintable() and c != "\ufeff") for c in value)


def dump_data(data: dict[str, Any]) -> str:
    """Plain record data as YAML in block style (valid or not: a draft is laid out the same way)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 1 << 30  # folding is decided above, per string: ruamel breaks no line of its own
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_block(data, 0), out)
    return out.getvalue()


def dump_record(record: Record, path: Path, root: Path) -> str:
    """The text of a record file: the modeline, then the record in block style."""
    return f"{modeline(path, root, record.kind)}\n{dump_data(record_data(record))}"


_STR_TAG = "tag:yaml.org,2002:str"


# Text that ruamel's analysis always finds plain in block context: a letter first, then letters, digits, spaces and
# `.,()'/-` only (no `:` nor `#`, no other indicator), not ending in a space; most names, titles and summaries are.
_SURELY_PLAIN = re.compile(r"[A-Za-z\u00c0-\u024f\u0400-\u04ff][\w .,()'/-]*(?<! )")
_RUAMEL_WORDS = frozenset(("true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"))


@functools.lru_cache(maxsize=1 << 16)
def _plain(value: str) -> bool:
    """Whether ruamel writes `value` plain in block context (its own resolver and scalar analysis, asked directly,
    unless the text has a shape it always writes plain) and ledger's reader reads it as the same text."""
    from ruamel.yaml.nodes import ScalarNode

    if _SURELY_PLAIN.fullmatch(value) and value.isprintable() and value not in _RUAMEL_WORDS:
        return bool(resolve_plain(value) == value)
    resolver, emitter = _analysers()
    # plain only when both readers take it for this text: ruamel, which writes it, and ledger's own
    if str(resolver.resolve(ScalarNode, value, (True, False))) != _STR_TAG or resolve_plain(value) != value:
        return False
    analysis = emitter.analyze_scalar(value)
    return bool(analysis.allow_block_plain and not analysis.multiline and not analysis.empty)


@functools.cache
def _analysers() -> tuple[Any, Any]:
    from ruamel.yaml.emitter import Emitter
    from ruamel.yaml.resolver import VersionedResolver

    # its analysis asks the dumper's serializer which YAML version is written: none named, as `dump_data` writes
    emitter = Emitter(io.StringIO(), allow_unicode=True,
                      dumper=types.SimpleNamespace(typ="rt", serializer=types.SimpleNamespace(use_version=None)))
    return VersionedResolver(), emitter


def _one_line(value: str) -> str | None:
    """A text as ruamel writes it on one line in block context: plain, else single-quoted, else double-quoted when
    nothing in it needs an escape; None otherwise (or when so long that ruamel would break it)."""
    if _plain(value):
        return value
    if len(value) > 1000 or not _printable(value) or "\t" in value or not value.strip():
        return None
    if "'" not in value and _quotable(value):
        return f"'{value}'"
    if '"' not in value and "\\" not in value and _quotable(value):
        return f'"{value}"'
    return None


@functools.lru_cache(maxsize=1 << 16)
def _quotable(value: str) -> bool:
    _, emitter = _analysers()
    analysis = emitter.analyze_scalar(value)
    return bool(analysis.allow_single_quoted and not analysis.multiline)


def _fast_scalar(value: Any, indent: int, pad: int) -> str | None:
    """A scalar as `dump_data` writes it after `key: ` (or `- `), or None when only ruamel knows how. `indent` is
    as `_block` has it for the value (2 at the top, 4 in a nested mapping, 8 in a mapping in a list); `pad`, where a
    folded text's lines go (2, 4, 6)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    if len(value) <= WIDTH - indent - 10 and "\n" not in value and not _ISO_DATE.match(value):
        return _one_line(value)  # what `_block` leaves as it is: short, on one line, no date
    shaped = _block(value, indent)
    if isinstance(shaped, date):
        return value
    if shaped is value:
        return _one_line(value)
    fold_pos = getattr(shaped, "fold_pos", None)
    if fold_pos is None or type(shaped).__name__ != "FoldedScalarString":
        return None
    starts = [0, *(p + 1 for p in fold_pos)]
    ends = [*fold_pos, len(value)]
    return ">-\n" + "\n".join(" " * pad + value[a:b] for a, b in zip(starts, ends))


def _fast_mapping(mapping: dict[str, Any], first: str, rest: str, indent: int, pad: int) -> list[str] | None:
    """The lines of a mapping of scalars: the first after `first`, the others after `rest`."""
    lines = []
    for n, (key, value) in enumerate(mapping.items()):
        text = _fast_scalar(value, indent, pad) if isinstance(key, str) and _plain(key) else None
        if text is None:
            return None
        lines.append(f"{first if n == 0 else rest}{key}: {text}")
    return lines


def fast_dump(data: dict[str, Any]) -> str | None:
    """`dump_data(data)` for the shapes records have (text, numbers, lists of text, a mapping of text, a list of
    mappings of text), written without ruamel, many times sooner; None for anything else (the caller then uses
    `dump_data`). The same text to the byte: a property test holds it to that."""
    if not data:
        return None
    out: list[str] = []
    for key, value in data.items():
        if not isinstance(key, str) or not _plain(key):
            return None
        if isinstance(value, dict):
            lines = _fast_mapping(value, "  ", "  ", 4, 4) if value else None
            if lines is None:
                return None
            out += [f"{key}:", *lines]
        elif isinstance(value, list):
            if not value:
                return None
            out.append(f"{key}:")
            for item in value:
                if isinstance(item, dict):
                    lines = _fast_mapping(item, "  - ", "    ", 8, 6) if item else None
                    if lines is None:
                        return None
                    out += lines
                    continue
                text = _fast_scalar(item, 6, 4)
                if text is None:
                    return None
                out.append(f"  - {text}")
        else:
            text = _fast_scalar(value, 2, 2)
            if text is None:
                return None
            out.append(f"{key}: {text}")
    return "\n".join(out) + "\n"
