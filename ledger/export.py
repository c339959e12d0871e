"""`ledger export KIND`: one row per record of a kind, for a colleague who works in a spreadsheet.

Fields are flattened (`scope.place`), lists joined by `; `, lists of mappings (quotes, files) written as JSON. A
claim's row also holds what `diff-figures` resolves: its interval, its voice (id, name, official), its source's
date and URL, its status and its withdrawal. A protected person's sealed identity and a confidential testimony's
quotes never appear. A CSV cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is written
as text, with a leading `'`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from .load import Ledger

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# the columns export adds to the fields: resolved by the figures' engine, or where the record is; import ignores them
COMPUTED: dict[str, tuple[str, ...]] = {
    "claim": ("interval.low", "interval.high", "voice.id", "voice.name", "voice.official", "source.date",
              "source.url", "withdrawn.by", "withdrawn.date"),
}
HIDDEN = ("identity",)  # a field no export shows
WITHHELD = "(withheld: the words of a confidential testimony)"


def columns(kind: str) -> list[str]:
    """The columns of an export of `kind`, the same whichever records it holds: the fields in the format's order
    (a nested one's by their names, `scope.place`), the computed ones, then `file`."""
    from .add import is_list, submodel
    from .emit import field_order
    from .models import MODELS

    model = MODELS[kind]
    out = []
    for name in field_order(model):
        sub = submodel(model, name)
        if name in HIDDEN:
            continue
        if sub is not None and not is_list(model, name):
            out += [f"{name}.{inner}" for inner in sub.model_fields]
        else:
            out.append(name)
    return [*out, *COMPUTED.get(kind, ()), "file"]


def _list_cell(items: list[Any]) -> str:
    """A list as one cell: joined by `; ` when that reads back as the same items, else as JSON."""
    texts = [str(v) for v in items]
    if all(isinstance(v, str) and ";" not in v and v == v.strip() and v for v in items) and \
            not (texts and texts[0].startswith(("[", "{"))):
        return "; ".join(texts)
    return json.dumps(items, ensure_ascii=False)


def _flat(data: dict[str, Any], nested: frozenset[str] = frozenset(), prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key in nested:
            out.update(_flat(value, prefix=name + "."))
        elif isinstance(value, dict):
            out[name] = json.dumps(value, ensure_ascii=False)  # `value: {min: 30}`: one cell, read back as it is
        elif isinstance(value, list):
            out[name] = _list_cell(value)
        else:
            out[name] = value
    return out


def records_of(ledger: Ledger, kind: str) -> Iterator[dict[str, Any]]:
    """Each record of `kind` as a flat mapping, what may not be shown left out; claims with their resolved figure."""
    from .add import is_list, submodel
    from .models import MODELS

    model = MODELS[kind]
    nested = frozenset(name for name in model.model_fields if submodel(model, name) and not is_list(model, name))
    views = None
    if kind == "claim":
        from .crosscheck import crosscheck

        views = crosscheck(ledger).claims
    for entry in ledger.entries:
        rec = entry.record
        if rec.kind != kind:
            continue
        data = rec.model_dump(mode="json", exclude_none=True, exclude=set(HIDDEN))
        if kind == "testimony" and getattr(rec, "consent", None) == "confidential":
            data.pop("quotes", None)  # counted, never quoted
        view = views.get(rec.id) if views is not None else None
        if view is not None and not view.source.quotable and "quote" in data:
            # a confidential testimony's words, through the claim that counts them: withheld, but said to be there,
            # as a quoted figure is the source's own (a total with a quote is not the analyst's arithmetic)
            data["quote"] = WITHHELD
        row = _flat(data, nested)
        if view is not None:
            withdrawn = view.withdrawn
            row.update({
                "interval.low": view.interval.lo, "interval.high": view.interval.hi,
                "voice.id": view.voice.id, "voice.name": view.voice.name, "voice.official": view.voice.official,
                "source.date": str(view.source.when) if view.source.when is not None else None,
                "source.url": view.source.url,
                "withdrawn.by": withdrawn.by if withdrawn is not None else None,
                "withdrawn.date": str(withdrawn.when) if withdrawn is not None and withdrawn.when else None,
            })
        row["file"] = entry.file
        yield row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # `'` before a formula sign: the text marker of spreadsheets; before a `'` too, so that import takes off one
    return "'" + text if text.startswith((*FORMULA_START, "'")) else text


def write_csv(rows: Iterable[dict[str, Any]], kind: str, out: TextIO, bom: bool = False) -> int:
    """The rows as CSV, written as they come: the header of `columns(kind)`, then a line a row; how many rows."""
    names = columns(kind)
    writer = csv.writer(out, lineterminator="\r\n")
    if bom:
        out.write("\ufeff")
    writer.writerow(names)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in names])
        count += 1
    return count


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """The rows as JSON Lines, written as they come: one object a line; how many rows."""
    from .display import json_text

    count = 0
    for row in rows:
        out.write(json_text(row) + "\n")
        count += 1
    return count
