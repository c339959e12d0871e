"""`ledger check` from end to end: read what changed since the last run (on both cores when it pays),
reuse the rest from the cache, and run the rules on the records whose findings may have changed.

With or without the cache, on one core or two, the findings are the same. The cache keeps what
reading each file gave (its findings, its records' facts), keyed by the file's content, and an
index of every record; a record's rules run again when its file changed, when an id it refers to
(or that it shares) changed, when ledger.yaml or an evidence file it names changed.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cache as cache_store
from .findings import Finding, sort_findings
from .layout import CONFIG_NAME, PARALLEL_MIN_FILES, RECORD_SUFFIXES, RECORDS_DIR

Progress = Callable[[int, int], None]  # (files read, files to read)


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
    stack = [(os.path.join(root, RECORDS_DIR), RECORDS_DIR + "/")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name[0] == ".":
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append((entry.path, prefix + name + "/"))
                        elif name.endswith(RECORD_SUFFIXES):
                            st = entry.stat()
                            found.append((prefix + name, st.st_size, st.st_mtime_ns))
                    except OSError:
                        found.append((prefix + name, -1, -1))  # reading it will say why
        except OSError:
            continue
    found.sort()
    return found


# Reading files -----------------------------------------------------------------------------------------

FileRead = tuple[str, int, list[Any], list[Any], bytes]  # sha256, documents, findings, facts, facts as marshal


def read_one(root: Path, name: str, documents: dict[tuple[str, int], Any] | None = None) -> FileRead:
    """Read and check one file; its YAML documents go into `documents` when given."""
    from .facts import facts_of
    from .load import read_file

    try:
        with open(os.path.join(root, name), "rb") as handle:
            raw = handle.read()
    except OSError as e:
        problem = Finding(name, 0, 0, "unreadable-file", f"cannot read the file: {e.strerror}")
        return "", 0, [_plain(problem)], [], marshal.dumps([])
    sha = hashlib.sha256(raw).hexdigest()
    try:
        entries, count, findings = read_file(raw, name)
    except Exception as e:  # noqa: BLE001 - one file's surprise must not stop the check of the others
        problem = Finding(name, 0, 0, "internal-error",
                          f"ledger could not read this file ({type(e).__name__}); please report it")
        return sha, 0, [_plain(problem)], [], marshal.dumps([])
    facts = [tuple(facts_of(e.record, e.file, e.doc.index, e.doc.line, e.doc.column)) for e in entries]
    if documents is not None:
        documents.update(((e.file, e.doc.index), e.doc) for e in entries)
    return sha, count, [_plain(f) for f in findings], facts, marshal.dumps(facts)


def _read_chunk(root: str, names: list[str]) -> list[tuple[str, FileRead]]:
    return [(name, read_one(Path(root), name)) for name in names]


def _jobs(requested: int | None, files: int) -> int:
    if requested is not None:
        return max(1, requested)
    env = os.environ.get("LEDGER_JOBS")
    if env and env.isdigit():
        return max(1, int(env))
    return min(2, os.cpu_count() or 1) if files >= PARALLEL_MIN_FILES else 1


def read_files(root: Path, names: list[str], jobs: int, progress: Progress | None,
               documents: dict[tuple[str, int], Any]) -> dict[str, FileRead]:
    """Read `names`, on `jobs` processes; the YAML documents read in this process go into `documents`."""
    results: dict[str, FileRead] = {}
    total = len(names)
    if jobs <= 1 or total < 2:
        for i, name in enumerate(names, 1):
            results[name] = read_one(root, name, documents)
            if progress and i % 200 == 0:
                progress(i, total)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    size = max(50, total // (jobs * 16))
    chunks = [names[i:i + size] for i in range(0, total, size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    done = 0
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {pool.submit(_read_chunk, str(root), chunk): len(chunk) for chunk in chunks}
        for future in as_completed(futures):
            results.update(future.result())
            done += futures[future]
            if progress:
                progress(done, total)
    return results


# The index kept between runs ---------------------------------------------------------------------------

@dataclass
class Table:
    """What the last run knew, in columns (cheap to store and load): per file, and per record."""

    names: list[str] = field(default_factory=list)  # files, sorted
    sizes: list[int] = field(default_factory=list)
    mtimes: list[int] = field(default_factory=list)
    shas: list[str] = field(default_factory=list)
    docs: list[int] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)  # each file's facts, marshalled
    parse_findings: dict[str, list[Any]] = field(default_factory=dict)  # only files that have some
    rule_findings: dict[str, list[Any]] = field(default_factory=dict)
    # one row per record, in file order
    r_id: list[str] = field(default_factory=list)
    r_kind: list[str] = field(default_factory=list)
    r_file: list[int] = field(default_factory=list)
    r_index: list[int] = field(default_factory=list)
    r_line: list[int] = field(default_factory=list)
    r_claim: list[Any] = field(default_factory=list)  # the claim's figure, or None
    # the ids each file's records refer to (references and sum_of), and the evidence they name
    d_file: list[int] = field(default_factory=list)
    d_id: list[str] = field(default_factory=list)
    e_file: list[int] = field(default_factory=list)
    e_path: list[str] = field(default_factory=list)

    COLUMNS = ("names", "sizes", "mtimes", "shas", "docs", "blobs", "parse_findings", "rule_findings", "r_id",
               "r_kind", "r_file", "r_index", "r_line", "r_claim", "d_file", "d_id", "e_file", "e_path")

    def to_plain(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.COLUMNS}

    @classmethod
    def from_plain(cls, plain: Any) -> Table | None:
        if not isinstance(plain, dict) or set(plain) != set(cls.COLUMNS):
            return None
        table = cls(**plain)
        lengths = {len(table.names), len(table.sizes), len(table.mtimes), len(table.shas), len(table.docs),
                   len(table.blobs)}
        rows = {len(table.r_id), len(table.r_kind), len(table.r_file), len(table.r_index), len(table.r_line),
                len(table.r_claim)}
        if len(lengths) != 1 or len(rows) != 1 or len(table.d_file) != len(table.d_id) \
                or len(table.e_file) != len(table.e_path):
            return None
        return table


# The check ---------------------------------------------------------------------------------------------

def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _evidence_stat(key: str) -> tuple[int, int]:
    """Size and mtime of an evidence file, (-1, -1) when it is not there: its absence is a state too."""
    return _stat(Path(key)) or (-1, -1)


def _sha(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _schemas_signature(root: Path) -> Any:
    folder = root / "schemas"
    if not folder.is_dir():
        return None
    return sorted((p.name, *(_stat(p) or (-1, -1))) for p in folder.glob("*.json"))


def _listing_digest(listing: list[tuple[str, int, int]]) -> str:
    return hashlib.sha256("\n".join(f"{n}\t{s}\t{m}" for n, s, m in listing).encode()).hexdigest()


def _config_key(root: Path, state: dict[str, Any] | None) -> Any:
    stat = _stat(root / CONFIG_NAME)
    if stat is None:
        return None
    old = state.get("config") if state else None
    if isinstance(old, tuple) and old[:2] == stat:
        return old
    try:
        return (*stat, _sha(root / CONFIG_NAME))
    except OSError:
        return None


def check(root: Path, use_cache: bool = True, jobs: int | None = None,
          progress: Progress | None = None) -> CheckResult:
    """Check the ledger at `root`: every finding, in file order."""
    fingerprint = cache_store.fingerprint()
    listing = scan(root)
    state = cache_store.load(root, fingerprint) if use_cache else None
    written = state["written"] if state else 0
    digest = _listing_digest(listing)
    config_key = _config_key(root, state)
    evidence_same = state is not None and all(
        _evidence_stat(key) == (size, mtime) for key, (size, mtime, _) in state["evidence"].items())
    schemas_signature = _schemas_signature(root)
    newest = max((m for _, _, m in listing), default=0)
    if (state is not None and state.get("digest") == digest and newest < written - cache_store.RACY_NS
            and state.get("config") == config_key and evidence_same
            and state.get("schemas", (None,))[0] == schemas_signature):
        return CheckResult([_finding(t) for t in state["result"]], state["records"], len(listing))

    table = None
    if state is not None:
        table = Table.from_plain(cache_store.load_table(root, state))
    table = table or Table()
    return _check_changes(root, listing, table, state, config_key, schemas_signature, digest, use_cache, jobs,
                          progress, fingerprint)


def _check_changes(root: Path, listing: list[tuple[str, int, int]], table: Table, state: dict[str, Any] | None,
                   config_key: Any, schemas_signature: Any, digest: str, use_cache: bool, jobs: int | None,
                   progress: Progress | None, fingerprint: str) -> CheckResult:
    from .checks import LEDGER_RULES, RECORD_RULES, Context, Target, evidence_key, run_rules
    from .facts import from_plain
    from .load import read_config

    written = state["written"] if state else 0
    number_of = {name: i for i, name in enumerate(table.names)}
    kept: dict[str, int] = {}  # name -> file number in the old table
    to_read: list[str] = []
    stats = {name: (size, mtime) for name, size, mtime in listing}
    for name, size, mtime in listing:
        i = number_of.get(name)
        if i is not None:
            if table.sizes[i] == size and table.mtimes[i] == mtime and mtime < written - cache_store.RACY_NS:
                kept[name] = i
                continue
            try:
                if _sha(root / name) == table.shas[i]:
                    kept[name] = i
                    continue
            except OSError:
                pass
        to_read.append(name)

    documents: dict[tuple[str, int], Any] = {}
    fresh = read_files(root, to_read, _jobs(jobs, len(to_read)), progress, documents)

    # the ids whose records changed: those of every file read again or gone, before and after
    kept_numbers = set(kept.values())
    changed_ids: set[str] = set()
    for row, number in enumerate(table.r_file):
        if number not in kept_numbers:
            changed_ids.add(table.r_id[row])
    for _, _, _, facts, _ in fresh.values():
        changed_ids.update(f[1] for f in facts)

    config, config_doc, findings = read_config(root)
    config_same = state is not None and state.get("config") == config_key

    # the facts of every record, as rows: kept rows first look-up, then fresh files
    first: dict[str, Target] = {}
    first_key: dict[str, tuple[str, int]] = {}
    claims: dict[str, Any] = {}

    def index(rid: str, kind: str, file: str, doc_index: int, line: int, claim: Any) -> None:
        key = (file, doc_index)
        if rid not in first or key < first_key[rid]:
            first[rid], first_key[rid] = Target(kind, file, doc_index, line), key
            if claim is not None:
                claims[rid] = claim
            else:
                claims.pop(rid, None)

    for row, number in enumerate(table.r_file):
        if number in kept_numbers:
            index(table.r_id[row], table.r_kind[row], table.names[number], table.r_index[row], table.r_line[row],
                  table.r_claim[row])
    for name, (_, _, _, facts, _) in fresh.items():
        for f in facts:
            index(f[1], f[0], name, f[3], f[4], f[8])

    # which kept files must have their rules run again
    affected: set[str] = set(fresh)
    if not config_same:
        affected.update(kept)
    else:
        grown = _sum_closure(changed_ids, claims)
        for number, rid in zip(table.d_file, table.d_id):
            if rid in grown:
                affected.add(table.names[number])
        for row, number in enumerate(table.r_file):
            if table.r_id[row] in changed_ids:
                affected.add(table.names[number])
        if changed_ids:  # a new id may be a better "did you mean" for any unknown reference
            affected.update(name for name, found in table.rule_findings.items()
                            if any(t[3] == "unknown-ref" for t in found))
        for number, path in zip(table.e_file, table.e_path):
            key = evidence_key(root, path)
            old = state["evidence"].get(key) if state and key else None
            if key and (old is None or _evidence_stat(key) != (old[0], old[1])):
                affected.add(table.names[number])
    affected &= set(stats)

    facts_to_check = []
    for name in sorted(affected):
        if name in fresh:
            facts_to_check.extend(from_plain(t) for t in fresh[name][3])
        else:
            facts_to_check.extend(from_plain(t) for t in marshal.loads(table.blobs[kept[name]]))

    evidence_cache: dict[str, Any] = dict(state["evidence"]) if state else {}
    hashed: dict[str, str] = {}

    def sha256(path: Path) -> str:
        key = str(path)
        old = evidence_cache.get(key)
        if old is not None and old[2] and _evidence_stat(key) == (old[0], old[1]):
            return str(old[2])
        from .checks import sha256_of

        hashed[key] = sha256_of(path)
        return hashed[key]

    ctx = Context(root, facts_to_check, config, config_doc, documents, sha256=sha256, index=(first, claims))
    old_schemas = state.get("schemas") if state else None
    if old_schemas is not None and old_schemas[0] == schemas_signature:
        cached_drift = [_finding(t) for t in old_schemas[1]]
        ctx.schema_drift = lambda: cached_drift  # type: ignore[method-assign]
    rule_findings: dict[str, list[Any]] = {}
    for f in run_rules(ctx, RECORD_RULES):
        rule_findings.setdefault(f.file, []).append(_plain(f))
    ledger_findings = run_rules(ctx, LEDGER_RULES)

    # everything, file by file
    rows = []
    for name, _, _ in listing:
        size, mtime = stats[name]
        if name in fresh:
            sha, count, parsed, facts, blob = fresh[name]
        else:
            i = kept[name]
            sha, count, blob = table.shas[i], table.docs[i], table.blobs[i]
            parsed = table.parse_findings.get(name, [])
            facts = None
        ruled = rule_findings.get(name, []) if name in affected else table.rule_findings.get(name, [])
        findings.extend(_finding(t) for t in parsed)
        findings.extend(_finding(t) for t in ruled)
        rows.append((name, size, mtime, sha, count, blob, facts, parsed, ruled))
    findings = sort_findings(findings + ledger_findings)
    records = sum(1 for number in table.r_file if number in kept_numbers) + sum(len(v[3]) for v in fresh.values())

    if use_cache:
        new_table = _merge(rows, table, kept)
        drift = [_plain(f) for f in ledger_findings if f.code == "schema-stale"]
        evidence: dict[str, Any] = {}
        for path in new_table.e_path:
            key = evidence_key(root, path)
            if key:
                stat = _evidence_stat(key)
                old = evidence_cache.get(key)
                known = hashed.get(key) or (old[2] if old is not None and (old[0], old[1]) == stat else "")
                evidence[key] = (*stat, known)
        cache_store.save(root, {
            "fingerprint": fingerprint, "digest": digest, "config": config_key, "evidence": evidence,
            "schemas": (schemas_signature, drift), "result": [_plain(f) for f in findings], "records": records,
        }, new_table.to_plain())
    return CheckResult(findings, records, len(listing))


def _sum_closure(ids: set[str], claims: dict[str, Any]) -> set[str]:
    """`ids` and every claim that adds any of them up, at any depth: a changed part can change a total."""
    totals_of: dict[str, list[str]] = {}
    for cid, claim in claims.items():
        for part in claim[3]:
            totals_of.setdefault(part, []).append(cid)
    grown, stack = set(ids), list(ids)
    while stack:
        for total in totals_of.get(stack.pop(), ()):
            if total not in grown:
                grown.add(total)
                stack.append(total)
    return grown


def _merge(rows: list[Any], old: Table, kept: dict[str, int]) -> Table:
    """The new table: fresh files' facts as they were read, kept files' rows copied from the old table."""
    rows_of: dict[int, list[int]] = {}
    for row, number in enumerate(old.r_file):
        rows_of.setdefault(number, []).append(row)
    deps_of: dict[int, list[str]] = {}
    for number, rid in zip(old.d_file, old.d_id):
        deps_of.setdefault(number, []).append(rid)
    ev_of: dict[int, list[str]] = {}
    for number, path in zip(old.e_file, old.e_path):
        ev_of.setdefault(number, []).append(path)
    table = Table()
    for number, (name, size, mtime, sha, count, blob, facts, parsed, ruled) in enumerate(rows):
        table.names.append(name)
        table.sizes.append(size)
        table.mtimes.append(mtime)
        table.shas.append(sha)
        table.docs.append(count)
        table.blobs.append(blob)
        if parsed:
            table.parse_findings[name] = parsed
        if ruled:
            table.rule_findings[name] = ruled
        if facts is None:  # kept: copy its rows
            i = kept[name]
            for row in rows_of.get(i, ()):
                table.r_id.append(old.r_id[row])
                table.r_kind.append(old.r_kind[row])
                table.r_file.append(number)
                table.r_index.append(old.r_index[row])
                table.r_line.append(old.r_line[row])
                table.r_claim.append(old.r_claim[row])
            deps, evidence = deps_of.get(i, []), ev_of.get(i, [])
        else:
            deps_set: set[str] = set()
            evidence = []
            for f in facts:
                table.r_id.append(f[1])
                table.r_kind.append(f[0])
                table.r_file.append(number)
                table.r_index.append(f[3])
                table.r_line.append(f[4])
                table.r_claim.append(f[8])
                deps_set.update(ref for _, ref, _ in f[6])
                if f[8] is not None:
                    deps_set.update(f[8][3])
                evidence.extend(path for _, path, _ in f[9])
            deps = sorted(deps_set)
        table.d_file.extend([number] * len(deps))
        table.d_id.extend(deps)
        table.e_file.extend([number] * len(evidence))
        table.e_path.extend(evidence)
    return table
