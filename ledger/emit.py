"""A record as the YAML a researcher would write: the format's field order, block style, a schema modeline."""

from __future__ import annotations

import functools
import io
import os
import re
import textwrap
import types
from datetime import date
from pathlib import Path
from typing import Any

from .models import Record

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
        if _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)  # written unquoted; read back as the same text
            except ValueError:
                return value  # looks like a date, is not one: text, quoted by the dumper
        if _UNBLOCKABLE.search(value) or not all(c in "\n\t" or (c.isprintable() and c != "\ufeff") for c in value):
            return value  # characters a block scalar cannot keep as they are: quoted (and escaped) by the dumper
        if "\n" in value.rstrip("\n"):
            return LiteralScalarString(value)
        if len(value) > WIDTH - indent - 10 and value == value.strip() and "  " not in value:
            folded = FoldedScalarString(value)
            lines = textwrap.wrap(value, WIDTH - indent - 2, break_long_words=False, break_on_hyphens=False)
            if " ".join(lines) == value:
                positions, at = [], 0
                for line in lines[:-1]:
                    at += len(line)
                    positions.append(at)
                    at += 1
                folded.fold_pos = positions
                return folded
    return value


def dump_data(data: dict[str, Any]) -> str:
    """Plain record data as YAML in block style (valid or not: a draft is laid out the same way)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096  # folding is decided above, per string
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_block(data, 0), out)
    return out.getvalue()


def dump_record(record: Record, path: Path, root: Path) -> str:
    """The text of a record file: the modeline, then the record in block style."""
    return f"{modeline(path, root, record.kind)}\n{dump_data(record_data(record))}"


_STR_TAG = "tag:yaml.org,2002:str"


@functools.lru_cache(maxsize=1 << 16)
def _plain(value: str) -> bool:
    """Whether ruamel writes `value` plain in block context: its own resolver and scalar analysis, asked directly."""
    from ruamel.yaml.nodes import ScalarNode

    resolver, emitter = _analysers()
    if str(resolver.resolve(ScalarNode, value, (True, False))) != _STR_TAG:
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


def _fast_scalar(value: Any, indent: int, in_list: bool) -> str | None:
    """A scalar as `dump_data` writes it after `key: ` (or `- `), or None when only ruamel knows how; `indent` as
    `_block` has it for the value (2 at the top, 4 in a nested mapping, which is where a folded one's lines go)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    shaped = _block(value, indent)
    if isinstance(shaped, date):
        return value
    if shaped is value:
        return value if _plain(value) else None
    fold_pos = getattr(shaped, "fold_pos", None)
    if in_list or fold_pos is None or type(shaped).__name__ != "FoldedScalarString":
        return None
    pad = " " * indent
    starts = [0, *(p + 1 for p in fold_pos)]
    ends = [*fold_pos, len(value)]
    return ">-\n" + "\n".join(pad + value[a:b] for a, b in zip(starts, ends))


def fast_dump(data: dict[str, Any]) -> str | None:
    """`dump_data(data)` for the plain shapes a record mostly has (text, numbers, lists of text, a mapping of text),
    written without ruamel, a hundred times sooner; None for anything else (the caller then uses `dump_data`).
    The same text to the byte: a property test holds it to that."""
    if not data:
        return None
    out = []
    for key, value in data.items():
        if not isinstance(key, str) or not _plain(key):
            return None
        if isinstance(value, dict):
            if not value:
                return None
            out.append(f"{key}:")
            for sub, item in value.items():
                text = _fast_scalar(item, 4, False) if isinstance(sub, str) and _plain(sub) else None
                if text is None:
                    return None
                out.append(f"  {sub}: {text}")
        elif isinstance(value, list):
            if not value:
                return None
            out.append(f"{key}:")
            for item in value:
                text = _fast_scalar(item, 6, True)
                if text is None:
                    return None
                out.append(f"  - {text}")
        else:
            text = _fast_scalar(value, 2, False)
            if text is None:
                return None
            out.append(f"{key}: {text}")
    return "\n".join(out) + "\n"
