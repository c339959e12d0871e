"""Finding a ledger on disk and reading it: files -> documents -> records, with every problem as a finding."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def read_records(root: Path, files: list[str]) -> tuple[list[Entry], int, list[Finding]]:
    """Every record of `files`; a bad file or document never stops the others."""
    with collecting(True):
        return _read_records(root, files)


def _read_records(root: Path, files: list[str]) -> tuple[list[Entry], int, list[Finding]]:
    entries: list[Entry] = []
    findings: list[Finding] = []
    documents = 0
    for count, name in enumerate(files, 1):
        if count % SETTLE_EVERY == 0:
            settle()
        try:
            raw = read_bytes(root / name, root)
        except (OSError, Refused) as e:
            findings.append(refusal(name, e))
            continue
        try:
            file_entries, file_documents, file_findings = read_file(raw, name)
            entries.extend(file_entries)
            findings.extend(file_findings)
            documents += file_documents
        except Exception as e:  # noqa: BLE001 - one file's surprise must not stop the check of the others
            findings.append(Finding(name, 0, 0, "internal-error",
                                    f"ledger could not read this file ({type(e).__name__}); please report it"))
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


def _read_chunk(root: str, names: list[str]) -> tuple[list[tuple[str, Any, int, int, int, Any]], int, list[Finding]]:
    """Read files in a worker process: the records as plain data (cheaper to send back than models)."""
    entries, documents, findings = read_records(Path(root), names)
    # the text is read again from disk if a finding needs a position: cheaper than sending it back
    plain = [(e.file, e.doc.data, e.doc.index, e.doc.line, e.doc.column, (e.file, Path(root) / e.file))
             for e in entries]
    return plain, documents, findings


def _read_parallel(root: Path, files: list[str], jobs: int) -> tuple[list[Entry], int, list[Finding]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(50, len(files) // (jobs * 8))
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    entries: list[Entry] = []
    findings: list[Finding] = []
    documents = 0
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method)) as pool:
        for plain, count, found in pool.map(_read_chunk, [str(root)] * len(chunks), chunks):
            documents += count
            findings.extend(found)
            settle()
            for file, data, index, line, column, source in plain:
                doc = Document(data, index, line, column, source=source)
                record, _ = validate_record(doc, file)  # valid: the worker checked it
                if record is not None:
                    doc.data = None  # the record holds it now; a ledger of 100,000 records needs the memory
                    entries.append(Entry(record, file, doc))
    return entries, documents, findings


def load_ledger(root: Path, jobs: int | None = None) -> tuple[Ledger, list[Finding]]:
    """Read ledger.yaml and every record under records/: the ledger and the findings of reading it.

    Large ledgers are read on both cores unless `jobs` says otherwise."""
    config, config_doc, findings = read_config(root)
    files, folder_problems = record_files(root)
    findings += folder_problems
    if jobs is None:
        jobs = min(2, os.cpu_count() or 1) if len(files) >= PARALLEL_MIN_FILES else 1
    if jobs > 1 and len(files) > 1:
        entries, documents, record_findings = _read_parallel(root, files, jobs)
    else:
        entries, documents, record_findings = read_records(root, files)
    return Ledger(root, config, config_doc, entries, files, documents), findings + record_findings
