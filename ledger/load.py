"""Finding a ledger on disk and reading it: files -> documents -> records, with every problem as a finding."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .collector import SETTLE_EVERY, collecting, settle
from .findings import Finding
from .layout import CONFIG_NAME, PARALLEL_MIN_FILES
from .models import LedgerConfig, Record
from .reading import Refused, read_bytes, refusal
from .validate import validate_config, validate_record
from .yamlio import Document, ParsedFile, fast_parse, parse_bytes


@dataclass
class Entry:
    """A valid record and where it was read from."""

    record: Record
    file: str
    doc: Document

    def locate(self, *path: object, key: bool = False) -> tuple[int, int]:
        return self.doc.locate(path, key=key)

    def finding(self, code: str, message: str, *path: object, key: bool = False) -> Finding:
        """A finding at `path` inside this record (the record itself when no path is given)."""
        line, col = self.locate(*path, key=key)
        return Finding(self.file, line, col, code, message)


@dataclass
class Ledger:
    """A loaded ledger: its root, its ledger.yaml (None when unusable) and its valid records, in file order."""

    root: Path
    config: LedgerConfig | None
    config_doc: Document | None
    entries: list[Entry]
    files: list[str]
    documents: int = 0
    by_id: dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self.by_id.setdefault(entry.record.id, entry)


def record_files(root: Path) -> tuple[list[str], list[Finding]]:
    """Every .yaml/.yml file under records/, relative to the root, sorted (hidden files and folders skipped),
    and a finding for each folder that could not be listed."""
    from .listing import folder_findings, scan

    listing = scan(root)
    return [name for name, _, _ in listing.sorted()], folder_findings(listing)


def read_config(root: Path) -> tuple[LedgerConfig | None, Document | None, list[Finding]]:
    """ledger.yaml, validated."""
    try:
        raw = read_bytes(root / CONFIG_NAME, root)
    except (OSError, Refused) as e:
        return None, None, [Finding(CONFIG_NAME, 0, 0, "ledger-config", f"cannot read {CONFIG_NAME}: "
                                    f"{refusal(CONFIG_NAME, e).message}")]
    fast = fast_parse(raw, CONFIG_NAME)
    if fast is not None and len(fast.documents) == 1:
        config, errors = validate_config(fast.documents[0], CONFIG_NAME)
        if not errors:  # a valid ledger.yaml needs no positions until a rule points into it
            return config, fast.documents[0], []
    parsed = parse_bytes(raw, CONFIG_NAME)
    findings = [
        Finding(f.file, f.line, f.column, "ledger-config", f"{CONFIG_NAME} is empty; it needs at least `ledger: 1`")
        if f.code == "empty-file" else f
        for f in parsed.findings
    ]
    if not parsed.documents:
        return None, None, findings
    if len(parsed.documents) > 1:
        second = parsed.documents[1]
        findings.append(Finding(CONFIG_NAME, second.line, second.column, "ledger-config",
                                f"{CONFIG_NAME} must hold one YAML document; merge the documents"))
    doc = parsed.documents[0]
    config, errors = validate_config(doc, CONFIG_NAME)
    return config, doc, findings + errors


T = TypeVar("T")


def in_parallel(jobs: int, files: int) -> bool:
    """Whether `read_many` reads on several processes."""
    return jobs > 1 and files > 1


def read_many(root: Path, names: list[str], jobs: int, remote: Callable[[Path, str], T], local: Callable[[str], T],
              progress: Callable[[int, int], None] | None = None) -> dict[str, T]:
    """Every file of `names`, read by `local(name)` in this process, or (see `in_parallel`) by `remote(root, name)`
    on `jobs` processes, whose result must be cheap to send back; garbage collection on meanwhile (the YAML
    readers leave cycles), settled every SETTLE_EVERY files."""
    with collecting(True):  # in the processes forked here too
        if not in_parallel(jobs, len(names)):
            results: dict[str, T] = {}
            for i, name in enumerate(names, 1):
                results[name] = local(name)
                if i % SETTLE_EVERY == 0:
                    settle()
                if progress and i % 200 == 0:
                    progress(i, len(names))
            return results
        return _read_on_processes(root, names, jobs, remote, progress)


def _read_on_processes(root: Path, names: list[str], jobs: int, remote: Callable[[Path, str], T],
                       progress: Callable[[int, int], None] | None) -> dict[str, T]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    total = len(names)
    size = max(50, total // (jobs * 16))
    chunks = [names[i:i + size] for i in range(0, total, size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    results: dict[str, T] = {}
    done = 0
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {pool.submit(_read_chunk, remote, root, chunk): len(chunk) for chunk in chunks}
        for future in as_completed(futures):
            results.update(future.result())
            settle()
            done += futures[future]
            if progress:
                progress(done, total)
    return results


def _read_chunk(remote: Callable[[Path, str], T], root: Path, names: list[str]) -> list[tuple[str, T]]:
    out = []
    for count, name in enumerate(names, 1):
        if count % 500 == 0:
            settle()
        out.append((name, remote(root, name)))
    return out


FileRecords = tuple[list[Entry], int, list[Finding]]  # a file's valid records, its documents, its findings


def read_records_of(root: Path, name: str) -> FileRecords:
    """The records of one file; a bad file or document is a finding, never an exception."""
    try:
        raw = read_bytes(root / name, root)
    except (OSError, Refused) as e:
        return [], 0, [refusal(name, e)]
    try:
        return read_file(raw, name)
    except Exception as e:  # noqa: BLE001 - one file's surprise must not stop the check of the others
        return [], 0, [Finding(name, 0, 0, "internal-error",
                               f"ledger could not read this file ({type(e).__name__}); please report it")]


PlainEntry = tuple[str, Any, int, int, int, Any]


def _plain_records_of(root: Path, name: str) -> tuple[list[PlainEntry], int, list[Finding]]:
    """`read_records_of` in a worker process: the records as plain data (cheaper to send back than models); the
    text is read again from disk if a finding needs a position, which costs less than sending it back."""
    entries, documents, findings = read_records_of(root, name)
    plain = [(e.file, e.doc.data, e.doc.index, e.doc.line, e.doc.column, (e.file, root / e.file)) for e in entries]
    return plain, documents, findings


def _entries_of(plain: list[PlainEntry]) -> list[Entry]:
    entries = []
    for file, data, index, line, column, source in plain:
        doc = Document(data, index, line, column, source=source)
        record, _ = validate_record(doc, file)  # valid: the worker checked it
        if record is not None:
            doc.data = None  # the record holds it now; a ledger of 100,000 records needs the memory
            entries.append(Entry(record, file, doc))
    return entries


def read_records(root: Path, files: list[str], jobs: int = 1) -> tuple[list[Entry], int, list[Finding]]:
    """Every record of `files`, in file order; a bad file or document never stops the others."""
    remote = in_parallel(jobs, len(files))
    results: dict[str, Any] = read_many(root, files, jobs, _plain_records_of, lambda name: read_records_of(root, name))
    entries: list[Entry] = []
    findings: list[Finding] = []
    documents = 0
    for name in files:
        file_entries, count, found = results[name]
        entries += _entries_of(file_entries) if remote else file_entries
        documents += count
        findings += found
    return entries, documents, findings


def _validate_all(parsed: ParsedFile, name: str) -> tuple[list[Entry], list[Finding]]:
    entries, findings = [], list(parsed.findings)
    for doc in parsed.documents:
        record, errors = validate_record(doc, name)
        findings.extend(errors)
        if record is not None:
            entries.append(Entry(record, name, doc))
    return entries, findings


def read_file(raw: bytes, name: str) -> tuple[list[Entry], int, list[Finding]]:
    """The records of one file: by the fast path when it reads the file cleanly, else by the precise one,
    whose findings are the ones reported."""
    fast = fast_parse(raw, name)
    if fast is not None:
        entries, findings = _validate_all(fast, name)
        if not findings:
            return entries, len(fast.documents), []
    parsed = parse_bytes(raw, name)
    entries, findings = _validate_all(parsed, name)
    return entries, len(parsed.documents), findings


def load_ledger(root: Path, jobs: int | None = None) -> tuple[Ledger, list[Finding]]:
    """Read ledger.yaml and every record under records/: the ledger and the findings of reading it.

    Large ledgers are read on both cores unless `jobs` says otherwise."""
    config, config_doc, findings = read_config(root)
    files, folder_problems = record_files(root)
    findings += folder_problems
    if jobs is None:
        jobs = min(2, os.cpu_count() or 1) if len(files) >= PARALLEL_MIN_FILES else 1
    entries, documents, record_findings = read_records(root, files, jobs)
    return Ledger(root, config, config_doc, entries, files, documents), findings + record_findings
