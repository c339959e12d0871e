"""`ledger check` from end to end: read what changed since the last run (on both cores when it pays),
reuse the rest from the cache, and run every rule on all records.

With or without the cache, on one core or two, the findings are the same: the cache only keeps
what reading a file gave (its findings and its records' facts), keyed by the file's content.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cache as cache_store
from .findings import Finding, sort_findings
from .layout import CONFIG_NAME, RECORD_SUFFIXES, RECORDS_DIR

Progress = Callable[[int, int], None]  # (files read, files to read)
PARALLEL_MIN_FILES = 2000  # below this, starting a second process costs more than it saves


@dataclass
class CheckResult:
    """What `ledger check` reports: the findings, and how much it read."""

    findings: list[Finding]
    records: int
    files: int


def _plain(f: Finding) -> tuple[str, int, int, str, str, str]:
    return (f.file, f.line, f.column, f.code, f.message, f.severity)


def _finding(t: Any) -> Finding:
    return Finding(t[0], t[1], t[2], t[3], t[4], t[5])


def scan(root: Path) -> list[tuple[str, int, int]]:
    """Every record file under records/ with its size and mtime, sorted; hidden files and folders skipped."""
    found: list[tuple[str, int, int]] = []
    stack = [(root / RECORDS_DIR, RECORDS_DIR + "/")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), name + "/"))
                elif entry.name.endswith(RECORD_SUFFIXES):
                    st = entry.stat()
                    found.append((name, st.st_size, st.st_mtime_ns))
            except OSError:
                found.append((name, -1, -1))  # reading it will say why
    found.sort()
    return found


def read_one(root: Path, name: str) -> tuple[str, int, list[Any], list[Any], dict[tuple[str, int], Any]]:
    """Read and check one file: (sha256, documents, findings, facts, its YAML documents by (file, index))."""
    from .facts import facts_of
    from .load import read_file

    try:
        raw = (root / name).read_bytes()
    except OSError as e:
        return "", 0, [_plain(Finding(name, 0, 0, "unreadable-file", f"cannot read the file: {e.strerror}"))], [], {}
    sha = hashlib.sha256(raw).hexdigest()
    try:
        entries, documents, findings = read_file(raw, name)
    except Exception as e:  # noqa: BLE001 - one file's surprise must not stop the check of the others
        problem = Finding(name, 0, 0, "internal-error",
                          f"ledger could not read this file ({type(e).__name__}); please report it")
        return sha, 0, [_plain(problem)], [], {}
    facts = [tuple(facts_of(e.record, e.file, e.doc.index, e.doc.line, e.doc.column)) for e in entries]
    docs = {(e.file, e.doc.index): e.doc for e in entries}
    return sha, documents, [_plain(f) for f in findings], facts, docs


def _read_chunk(root: str, names: list[str]) -> list[tuple[str, str, int, list[Any], list[Any]]]:
    out = []
    for name in names:
        sha, documents, findings, facts, _ = read_one(Path(root), name)
        out.append((name, sha, documents, findings, facts))
    return out


def _jobs(requested: int | None, files: int) -> int:
    if requested is not None:
        return max(1, requested)
    env = os.environ.get("LEDGER_JOBS")
    if env and env.isdigit():
        return max(1, int(env))
    return min(2, os.cpu_count() or 1) if files >= PARALLEL_MIN_FILES else 1


def read_files(root: Path, names: list[str], jobs: int, progress: Progress | None,
               documents: dict[tuple[str, int], Any]) -> dict[str, tuple[str, int, list[Any], list[Any]]]:
    """Read `names`: (sha, documents, findings, facts) by name; YAML documents read here go into `documents`."""
    results: dict[str, tuple[str, int, list[Any], list[Any]]] = {}
    total = len(names)
    if jobs <= 1 or total < 2:
        for i, name in enumerate(names, 1):
            sha, count, findings, facts, docs = read_one(root, name)
            results[name] = (sha, count, findings, facts)
            documents.update(docs)
            if progress and i % 200 == 0:
                progress(i, total)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    size = max(50, total // (jobs * 16))
    chunks = [names[i:i + size] for i in range(0, total, size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    done = 0
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(_read_chunk, str(root), chunk): len(chunk) for chunk in chunks}
        for future in as_completed(futures):
            for name, sha, count, findings, facts in future.result():
                results[name] = (sha, count, findings, facts)
            done += futures[future]
            if progress:
                progress(done, total)
    return results


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _schemas_signature(root: Path) -> Any:
    folder = root / "schemas"
    if not folder.is_dir():
        return None
    return sorted((p.name, *(_stat(p) or (-1, -1))) for p in folder.glob("*.json"))


def check(root: Path, use_cache: bool = True, jobs: int | None = None,
          progress: Progress | None = None) -> CheckResult:
    """Check the ledger at `root`: every finding, in file order."""
    fingerprint = cache_store.fingerprint()
    cached = cache_store.load(root, fingerprint) if use_cache else None
    old_files: dict[str, Any] = cached["files"] if cached else {}
    written = cached["written"] if cached else 0

    listing = scan(root)
    config_stat = _stat(root / CONFIG_NAME)
    files: dict[str, Any] = {}
    to_read: list[str] = []
    for name, size, mtime in listing:
        old = old_files.get(name)
        if old is not None and (old[0], old[1]) == (size, mtime) and mtime < written - cache_store.RACY_NS:
            files[name] = old
            continue
        if old is not None:
            try:
                if _sha(root / name) == old[2]:
                    files[name] = (size, mtime, *old[2:])
                    continue
            except OSError:
                pass
        to_read.append(name)

    config_same = cached is not None and cached.get("config") == _config_key(root, config_stat, cached)
    evidence_same = cached is not None and all(
        _stat(Path(path)) == (size, mtime) for path, (size, mtime, _) in cached["evidence"].items())
    schemas_signature = _schemas_signature(root)
    if (cached is not None and not to_read and len(files) == len(old_files) and config_same and evidence_same
            and cached.get("schemas", (None,))[0] == schemas_signature):
        return CheckResult([_finding(t) for t in cached["result"]], cached["records"], len(listing))

    documents: dict[tuple[str, int], Any] = {}
    fresh = read_files(root, to_read, _jobs(jobs, len(to_read)), progress, documents)
    sizes = {name: (size, mtime) for name, size, mtime in listing}
    for name, (sha, count, found, facts) in fresh.items():
        files[name] = (*sizes[name], sha, count, found, facts)

    findings, records, state = _run_rules(root, files, documents, cached, schemas_signature)
    if use_cache:
        cache_store.save(root, {
            "fingerprint": fingerprint, "files": files, "config": _config_key(root, config_stat, None),
            "result": [_plain(f) for f in findings], "records": records, **state,
        })
    return CheckResult(findings, records, len(listing))


def _config_key(root: Path, config_stat: tuple[int, int] | None, cached: dict[str, Any] | None) -> Any:
    if config_stat is None:
        return None
    if cached is not None and cached.get("config") and tuple(cached["config"][:2]) == config_stat:
        return cached["config"]
    try:
        return (*config_stat, _sha(root / CONFIG_NAME))
    except OSError:
        return None


def _run_rules(root: Path, files: dict[str, Any], documents: dict[tuple[str, int], Any],
               cached: dict[str, Any] | None, schemas_signature: Any) -> tuple[list[Finding], int, dict[str, Any]]:
    from .checks import Context, run_rules
    from .facts import from_plain
    from .load import read_config

    config, config_doc, findings = read_config(root)
    facts = []
    for name in sorted(files):
        entry = files[name]
        findings.extend(_finding(t) for t in entry[4])
        facts.extend(from_plain(t) for t in entry[5])

    evidence_cache: dict[str, Any] = dict(cached["evidence"]) if cached else {}
    evidence_used: dict[str, Any] = {}

    def sha256(path: Path) -> str:
        key, stat = str(path), _stat(path)
        old = evidence_cache.get(key)
        if old is not None and stat is not None and (old[0], old[1]) == stat:
            digest = old[2]
        else:
            from .checks import sha256_of

            digest = sha256_of(path)
        if stat is not None:
            evidence_used[key] = (*stat, digest)
        return digest

    old_schemas = cached.get("schemas") if cached else None
    schema_findings: list[Finding] | None = None
    if old_schemas is not None and old_schemas[0] == schemas_signature:
        schema_findings = [_finding(t) for t in old_schemas[1]]

    ctx = Context(root, facts, config, config_doc, documents, sha256=sha256)
    if schema_findings is not None:
        ctx.schema_drift = lambda: schema_findings  # type: ignore[method-assign]
    rule_findings = run_rules(ctx)
    drift = [f for f in rule_findings if f.code == "schema-stale"]
    state = {"evidence": evidence_used, "schemas": (schemas_signature, [_plain(f) for f in drift])}
    return sort_findings(findings + rule_findings), len(facts), state
