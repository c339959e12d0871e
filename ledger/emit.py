"""A record as the YAML a researcher would write: the format's field order, block style, a schema modeline."""

from __future__ import annotations

import io
import os
import re
import textwrap
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
