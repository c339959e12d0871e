"""`ledger export KIND`: one row per record of a kind, for a colleague who works in a spreadsheet.

Fields are flattened (`scope.place`), lists joined by `; `, lists of mappings (quotes, files) written as JSON. A
claim's row also holds what `diff-figures` resolves: its interval, its voice (id, name, official), its source's
date and URL, its status and its withdrawal. A protected person's sealed identity and a confidential testimony's
quotes never appear. A CSV cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is written
as text, with a leading `'`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from .load import Ledger

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False) if any(isinstance(v, (dict, list)) for v in value) \
                else "; ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def records_of(ledger: Ledger, kind: str) -> Iterator[dict[str, Any]]:
    """Each record of `kind` as a flat mapping, what may not be shown left out; claims with their resolved figure."""
    views = None
    if kind == "claim":
        from .crosscheck import crosscheck

        views = crosscheck(ledger).claims
    for entry in ledger.entries:
        rec = entry.record
        if rec.kind != kind:
            continue
        data = rec.model_dump(mode="json", exclude_none=True, exclude={"identity"})
        if kind == "testimony" and getattr(rec, "consent", None) == "confidential":
            data.pop("quotes", None)  # counted, never quoted
        view = views.get(rec.id) if views is not None else None
        if view is not None and not view.source.quotable:
            data.pop("quote", None)  # a confidential testimony's words, through the claim that counts them
        row = _flat(data)
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
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: list[dict[str, Any]], bom: bool = False) -> str:
    """The rows as CSV: a header of every column any row has, in the order first seen."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return ("\ufeff" if bom else "") + out.getvalue()


def to_jsonl(rows: list[dict[str, Any]]) -> str:
    """The rows as JSON Lines: one object a line."""
    from .display import json_text

    return "".join(json_text(row) + "\n" for row in rows)
