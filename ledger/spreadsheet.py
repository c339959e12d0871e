"""`ledger import FILE.csv`: each row a record, checked as `ledger add` checks one, written all or none.

Columns are named by the header: a field (`name`), a nested one dotted (`scope.place`), a list in one cell
separated by `;` or in a repeated column, a list of mappings (`quotes`) as the JSON `ledger export` writes. The
columns `ledger export` computes (a claim's interval, voice, source date...; every row's `file`) are ignored, so an
export imports as it is. Rows are read one at a time and each record is staged as it is made: what is kept is what
the cross-record rules need (`facts`), not the rows nor the records. A problem is a finding at `FILE.csv:ROW:COLUMN`
(the spreadsheet's row, the header being row 1) with the code `ledger check` gives it.
"""

from __future__ import annotations

import csv
import json
import os
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .export import COMPUTED, FORMULA_START, HIDDEN
from .findings import Finding
from .yamlio import Document

MAX_CELL = 1 << 20  # characters in one cell: a record file may not be larger either


class ImportRefused(Exception):
    """The files cannot be imported: the findings say where and why; nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{len(findings)} problems")
        self.findings = findings


@dataclass
class Column:
    """One column of a file: where it is, which field it fills, and how its cells are read."""

    number: int  # 1-based, as a spreadsheet counts (A is 1)
    path: tuple[str, ...]
    shape: str  # "text", "bool", "list", "models", "model", "figure", "kind", "ignored"


@dataclass
class Columns:
    """A file's columns, and where a field's value is, for a finding about it."""

    columns: list[Column]
    at: dict[tuple[str, ...], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for col in self.columns:
            if col.shape not in ("ignored", "kind"):
                self.at.setdefault(col.path, []).append(col.number)

    def locate(self, path: tuple[Any, ...]) -> int:
        """The column of a value (0 when no column holds it: a missing field)."""
        names = tuple(p for p in path if not isinstance(p, int))
        index = next((p for p in path if isinstance(p, int)), 0)
        while names:
            numbers = self.at.get(names)
            if numbers:
                return numbers[index] if len(numbers) > 1 and index < len(numbers) else numbers[0]
            below = [n for p, ns in self.at.items() if p[:len(names)] == names for n in ns]
            if below:
                return min(below)
            names = names[:-1]
        return 0


@dataclass
class RowDocument(Document):
    """A record read from a row: a finding about any of its fields points at the row and that field's column."""

    table: Columns | None = None

    def locate(self, path: Any, key: bool = False) -> tuple[int, int]:
        return self.line, self.table.locate(tuple(path)) if self.table is not None else 0


@dataclass
class Imported:
    """What `import_files` did, or would do."""

    records: dict[str, int]  # kind -> records
    folders: list[str]
    ignored: list[str]  # the computed columns that were left out
    written: bool


def _shape(model: type[Any], name: str) -> str:
    from .add import is_list, submodel
    from .figures import FigureValue

    info = model.model_fields.get(name)
    if info is None:
        return ""
    if is_list(model, name):
        return "models" if submodel(model, name) is not None else "list"
    if submodel(model, name) is not None:
        return "model"
    flat: list[Any] = [info.annotation]
    seen = []
    while flat:
        ann = flat.pop()
        seen.append(ann)
        flat.extend(typing.get_args(ann))
    if bool in seen:
        return "bool"
    if FigureValue in seen:
        return "figure"
    return "text"


def columns_of(header: list[str], kind: str, file: str) -> tuple[Columns, list[str], list[Finding]]:
    """The columns a header names for records of `kind`; the computed ones it ignores; a finding for each column
    that is no field."""
    from .add import submodel
    from .models import FIELD_NAMES, MODELS
    from .validate import is_word, suggest

    model = MODELS[kind]
    known = sorted({*model.model_fields} - set(HIDDEN) | {f"{name}.{sub}" for name in model.model_fields
                                                        if (m := submodel(model, name)) is not None
                                                        for sub in m.model_fields})
    columns, ignored, findings = [], [], []
    for number, raw in enumerate(header, 1):
        name = _uncell(raw.strip())
        path = tuple(name.split("."))
        if not name:
            columns.append(Column(number, (), "ignored"))  # an unnamed column must stay empty (checked by row)
            continue
        if name in COMPUTED.get(kind, ()) or name == "file":
            columns.append(Column(number, path, "ignored"))
            ignored.append(name)
            continue
        if name == "kind":
            columns.append(Column(number, path, "kind"))
            continue
        shape = _shape(model, path[0])
        sub = submodel(model, path[0]) if shape in ("model", "models") else None
        if shape and len(path) == 1:
            columns.append(Column(number, path, shape))
            continue
        if len(path) == 2 and sub is not None and path[1] in sub.model_fields:
            columns.append(Column(number, path, f"{shape}.{_shape(sub, path[1])}"))
            continue
        hint = suggest(name, known) if is_word(name.replace(".", "_")) else ""
        # a header that names no field may be data (a file without a header row): repeated only when it is the
        # format's own word, as everywhere else
        shown = f"`{name}`" if all(part in FIELD_NAMES for part in path) else "this column"
        listed = f"; the columns are the fields: {', '.join(known)}"
        findings.append(Finding(file, 1, number, "unknown-field", f"{shown} is no field of a {kind}{hint or listed}"))
    return Columns(columns), ignored, findings


def _uncell(text: str) -> str:
    """A cell as written before `ledger export` defused it: `'=x` was `=x`, `''x` was `'x`."""
    return text[1:] if text[:1] == "'" and text[1:2] != "" and text[1:2] in (*FORMULA_START, "'") else text


class _CellError(Exception):
    pass


def _read_cell(text: str, shape: str) -> Any:
    """A cell's value for a field of `shape`; _CellError (naming no value) when it cannot be one."""
    base = shape.split(".")[-1]
    if base == "bool":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise _CellError("should be true or false")
    # JSON where the field is structured: a list `[...]` (as `ledger export` writes one whose items hold `;`), a
    # mapping `{...}` (a `value` such as `{"min": 30}`, a `scope` whole)
    opener = "[" if base in ("list", "models") else "{" if shape == "model" or base == "figure" else ""
    if opener and text[:1] == opener:
        try:
            return json.loads(text)  # as `ledger export` writes it; in C
        except (ValueError, RecursionError):
            pass
        from .add import AddError, parse_scalar

        try:
            return parse_scalar(text)  # `{min: 30}`, as a researcher writes it in YAML
        except AddError:
            raise _CellError(f"starts with {opener} but is not a valid JSON (or YAML flow) "
                             f"{'list' if opener == '[' else 'mapping'}") from None
    if base == "list":
        return [item.strip() for item in text.split(";") if item.strip()]
    if base == "models" or shape == "model":
        raise _CellError("holds a list of mappings, written as JSON (`ledger export` writes it so), or use a "
                         "column for each of its fields (`quotes.text`)" if base == "models" else
                         "is given by its parts (`scope.place`, `scope.period`) or as a JSON mapping")
    return text


def _put(data: dict[str, Any], col: Column, value: Any) -> str | None:
    """Put a cell's value into the draft; what is wrong, when it cannot be."""
    top = col.path[0]
    if len(col.path) == 1:
        if col.shape == "list":
            items = data.setdefault(top, [])
            if not isinstance(value, list):
                value = [value]
            items.extend(value)
            return None
        if top in data:
            return "is given in two columns; a field that is not a list takes one value"
        data[top] = value
        return None
    sub = col.path[1]
    if col.shape.startswith("models."):
        items = data.setdefault(top, [])
        if not isinstance(items, list):
            return "is given both as a whole and by its fields"
        if not items or not isinstance(items[-1], dict) or sub in items[-1]:
            items.append({})  # a repeated column starts the next item
        items[-1][sub] = value
        return None
    nested = data.setdefault(top, {})
    if not isinstance(nested, dict):
        return "is given both as a whole and by its fields"
    if sub in nested:
        return "is given in two columns"
    nested[sub] = value
    return None


@dataclass
class Row:
    """One row read into a draft record, with the findings of reading it."""

    number: int
    data: dict[str, Any]
    findings: list[Finding]


def rows_of(path: Path, file: str, kind: str | None) -> tuple[str, Columns, list[str], Iterator[Row]]:
    """The kind, the columns and the rows of a CSV file, the rows read one at a time as they are asked for (a file
    of no rows: the kind ""); ImportRefused for a file that cannot be read at all (its header)."""
    csv.field_size_limit(MAX_CELL)
    with _open(path, file) as handle:
        try:
            header = next(csv.reader(handle, strict=True), None)
        except (csv.Error, UnicodeDecodeError) as e:
            raise ImportRefused([_unreadable(path, file, 1, e)]) from None
    if header is None or not any(h.strip() for h in header):
        raise ImportRefused([Finding(file, 0, 0, "empty-file", "the file has no header row: its first row names "
                                     "the columns (`id`, `name`, `scope.place`...)")])
    if kind is None:
        kind = _kind_of(path, file, header)
        if not kind:
            return "", Columns([]), [], iter(())  # a header and no rows, as an export of a kind none has
    table, ignored, findings = columns_of(header, kind, file)
    if findings:
        raise ImportRefused(findings)
    return kind, table, ignored, _rows(path, table, kind, file)


def _open(path: Path, file: str) -> Any:
    try:
        return open(path, encoding="utf-8-sig", newline="", errors="strict")
    except OSError as e:
        raise ImportRefused([Finding(file, 0, 0, "unreadable-file", f"cannot read the file: {e.strerror}")]) from None


def _unreadable(path: Path, file: str, row: int, e: Exception) -> Finding:
    if isinstance(e, UnicodeDecodeError):
        line = _bad_line(path)
        return Finding(file, line, 0, "not-utf8", f"the file is not UTF-8 text (line {line}): save it as CSV UTF-8")
    return Finding(file, row, 0, "csv-syntax", f"the file cannot be read as CSV here ({str(e)[:80]}): an unclosed "
                   "quote, or a cell too long")


def _bad_line(path: Path) -> int:
    """The line of the first byte that is not UTF-8 (the text reader decodes ahead, so its error says no line)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                return line + chunk.count(b"\n", 0, max(e.start, 0))
            line += chunk.count(b"\n")
    return line


def _kind_of(path: Path, file: str, header: list[str]) -> str:
    """The kind the `kind` column gives in the first row that has one ("" when no row has any cell); ImportRefused
    when there is no such column, or it names no kind."""
    from .models import MODELS

    names = [h.strip() for h in header]
    at = names.index("kind") if "kind" in names else -1
    number = 1
    with _open(path, file) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            next(reader, None)
            for row in reader:
                number += 1
                if not any(c.strip() for c in row):
                    continue
                if at < 0:
                    break
                value = row[at].strip() if at < len(row) else ""
                if value in MODELS:
                    return value
                raise ImportRefused([Finding(file, number, at + 1, "unknown-kind",
                                             f"the `kind` column holds no kind of record ({', '.join(MODELS)})")])
            else:
                return ""
        except (csv.Error, UnicodeDecodeError) as e:
            raise ImportRefused([_unreadable(path, file, number + 1, e)]) from None
    raise ImportRefused([Finding(file, 1, 0, "unknown-kind", "the file has no `kind` column to say what its rows "
                                 "are: name it (`--kind person`)")])


def _rows(path: Path, table: Columns, kind: str, file: str) -> Iterator[Row]:
    with _open(path, file) as handle:
        # strict: an unclosed quote is an error, not the rest of the file read as one cell
        reader = csv.reader(handle, strict=True)
        next(reader, None)
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as e:
                yield Row(number + 1, {}, [_unreadable(path, file, number + 1, e)])
                return
            number += 1
            if not any(c.strip() for c in cells):
                continue  # a blank row, as spreadsheets leave at the end
            yield _row(number, cells, table, kind, file)


def _row(number: int, cells: list[str], table: Columns, kind: str, file: str) -> Row:
    data: dict[str, Any] = {}
    findings = []
    stray = next((n for n, c in enumerate(cells[len(table.columns):], len(table.columns) + 1) if c.strip()), 0)
    if stray:
        findings.append(Finding(file, number, stray, "unknown-field",
                                "a cell beyond the last named column: name its column in the header row"))
    for col in table.columns:
        raw = cells[col.number - 1] if col.number <= len(cells) else ""
        if not raw.strip():
            continue
        # text as written (its spaces and line ends are the record's); ids, lists and flags without stray spaces
        text = raw if col.shape.endswith("text") else raw.strip()
        if col.shape == "ignored":
            if not col.path:
                findings.append(Finding(file, number, col.number, "unknown-field",
                                        "a cell in a column without a name: name the column in the header row"))
            continue
        text = _uncell(text)
        where = ".".join(col.path)
        if col.shape == "kind":
            if text != kind:
                findings.append(Finding(file, number, col.number, "unknown-kind",
                                        f"every row of this file is a {kind}; put other kinds in a file of their own"))
            continue
        try:
            problem = _put(data, col, _read_cell(text, col.shape))
        except _CellError as e:
            problem = str(e)
        if problem:
            findings.append(Finding(file, number, col.number, "invalid-value", f"`{where}` {problem}"))
    return Row(number, data, findings)


class _Staged(typing.NamedTuple):
    """Where a new record's row is: the CSV file as findings name it, the row, the file's columns."""

    file: str
    row: int
    table: Columns


class _RowDocuments(dict[tuple[str, int], Document]):
    """The documents the rules locate findings in: the ledger's own, and for each new record one made when a
    finding asks for it (a hundred thousand rows need not hold a hundred thousand documents)."""

    def __init__(self, own: dict[tuple[str, int], Document], new_files: dict[str, _Staged]) -> None:
        super().__init__(own)
        self.new_files = new_files

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (isinstance(key, tuple) and key[0] in self.new_files)

    def get(self, key: tuple[str, int], default: Any = None) -> Any:
        found = super().get(key)
        if found is None and key[0] in self.new_files:
            staged = self.new_files[key[0]]
            return RowDocument(None, 0, staged.row, 0, table=staged.table)
        return found if found is not None else default


def import_files(root: Path, files: list[Path], kind: str | None = None, dry_run: bool = False,
                 shown: Callable[[Path], str] = str) -> Imported:
    """Import every row of every file, all or none: ImportRefused with every finding when any row cannot be a
    record of the ledger; `shown(path)` is how a finding names a file."""
    from . import kinds as kinds_module
    from .add import suggest_id
    from .collector import SETTLE_EVERY, collecting, settle
    from .emit import dump_data, fast_dump, modeline, record_data
    from .facts import facts_of
    from .journal import Batch, Change
    from .layout import RECORDS_DIR
    from .load import load_ledger
    from .lock import writer_lock
    from .protection import draft_problems
    from .rules import Context, run_rules
    from .validate import validate_record
    from .yamledit import same_data
    from .yamlio import fast_parse, parse_bytes

    findings: list[Finding] = []
    opened = []
    for path in files:
        try:
            opened.append(rows_of(path, shown(path), kind))
        except ImportRefused as e:
            findings += e.findings
    if findings:
        raise ImportRefused(findings)
    with writer_lock(root, "ledger import"):
        ledger, _ = load_ledger(root)
        facts = [facts_of(e.record, e.file, e.doc.index, e.doc.line, e.doc.column) for e in ledger.entries]
        new_files: dict[str, _Staged] = {}
        documents = _RowDocuments({(e.file, e.doc.index): e.doc for e in ledger.entries}, new_files)
        taken: set[str] = set()
        counters: dict[str, int] = {}
        counts: dict[str, int] = {}
        folders: set[str] = set()
        modelines: dict[str, str] = {}
        ignored: list[str] = []
        batch = None if dry_run else Batch(root)
        read = 0
        try:
            for (row_kind, table, file_ignored, rows), path in zip(opened, files):
                if not row_kind:
                    continue  # a header and no rows
                file = shown(path)
                ignored += [c for c in file_ignored if c not in ignored]
                folder = f"{RECORDS_DIR}/{kinds_module.PLURALS[row_kind]}"
                for row in rows:
                    read += 1
                    if read % SETTLE_EVERY == 0:
                        settle()  # what was made so far stays: the collector need not walk it again
                    findings += row.findings
                    if row.findings and not row.data:
                        continue
                    cells_wrong = {f.column for f in row.findings}  # left out of the draft: said once, there
                    draft = row.data
                    problems = draft_problems(row_kind, draft)  # what `ledger add` refuses, whatever the model says
                    if problems:
                        findings += [Finding(file, row.number, table.locate((_field_of(p),)),
                                             "invalid-value" if _field_of(p) == "identity" else "protected-name", p)
                                     for p in problems]
                        continue
                    if not draft.get("id"):
                        draft["id"] = suggest_id(ledger, row_kind, draft, taken, counters)
                    data = {"kind": row_kind, **draft}
                    doc = RowDocument(data, 0, row.number, 0, table=table)
                    record, errors = validate_record(doc, file)
                    findings += [f for f in errors if f.column not in cells_wrong]
                    if record is None:
                        continue  # (a row whose other cells make a record is checked against the ledger still)
                    target = f"{folder}/{record.id}.yaml"
                    if target in new_files or os.path.lexists(os.path.join(root, target)) or record.id in taken:
                        other = new_files.get(target)
                        where = f"{other.file}:{other.row}" if other else target
                        findings.append(Finding(file, row.number, table.locate(("id",)), "duplicate-id",
                                                f"duplicate id `{record.id}`: already used by {where}; give one of "
                                                "them a new id"))
                        continue
                    taken.add(record.id)
                    new_files[target] = _Staged(file, row.number, table)
                    facts.append(facts_of(record, target, 0, row.number, 0))
                    counts[row_kind] = counts.get(row_kind, 0) + 1
                    folders.add(folder + "/")
                    if findings:
                        continue  # nothing will be written: stage nothing more, check the rest
                    plain = record_data(record)
                    if folder not in modelines:
                        modelines[folder] = modeline(root / target, root, row_kind)
                    fast = fast_dump(plain)
                    raw = f"{modelines[folder]}\n{fast or dump_data(plain)}".encode()
                    # ruamel's text is read back as `ledger check` reads it: exactly the data of the record checked
                    # (which the models read as that record), never a file that says something else. The fast
                    # writer's is that text to the byte, its plain values each read as the same text by both YAML
                    # readers (emit._plain), which property tests hold it to: reading it again would cost a fifth
                    # of the import.
                    parsed = None if fast else (fast_parse(raw, target) or parse_bytes(raw, target))
                    if not fast and (parsed is None or len(parsed.documents) != 1
                                     or not same_data(parsed.documents[0].data, plain)):
                        findings.append(Finding(file, row.number, 0, "internal-error",
                                                "this row's record would not read back as it was given (a character "
                                                "YAML cannot hold as it is?); please report it"))
                        continue
                    if batch is not None:
                        batch.add(Change(target, raw, None))
            ctx = Context(root, facts, ledger.config, ledger.config_doc, documents)
            with collecting(False):  # the rules make nothing to collect
                found = run_rules(ctx)
            for f in found:
                staged = new_files.get(f.file)
                if staged is not None:
                    findings.append(Finding(staged.file, f.line, f.column, f.code, f.message, f.severity))
            if findings:
                raise ImportRefused(findings)
            if batch is not None:
                names = ", ".join(shown(p) for p in files)
                batch.commit(f"ledger import {names}"[:200])
        except BaseException:
            if batch is not None:
                batch.abandon()
            raise
    return Imported(counts, sorted(folders), ignored, not dry_run)


def _field_of(problem: str) -> str:
    """The field a problem of `ledger add`'s names first (`missing required field `scope.place``)."""
    start = problem.find("`")
    end = problem.find("`", start + 1)
    return problem[start + 1:end].rstrip(":") if start >= 0 and end > start else ""
