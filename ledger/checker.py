"""`ledger check` from end to end: read what changed since the last run (on both cores when it pays),
reuse the rest from the cache, and run the rules on the records whose findings may have changed.

With or without the cache, on one core or two, the findings are the same. The cache keeps what
reading each file gave (its findings, its records' facts) with the file's size, change time and
sha256, and an index of every record; a file whose size or change time moved is hashed, and read
again when its content changed. A record's rules run again when its file changed, when an id it
refers to (or that it shares) changed, when ledger.yaml or an evidence file it names changed.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cache as cache_store
from .checkbase import Base, Claims, Index, build, pack
from .collector import SETTLE_EVERY, collecting, settle
from .findings import Finding, sort_findings
from .layout import CONFIG_NAME, PARALLEL_MIN_FILES
from .listing import HeadStart, Listing, changed_at, folder_findings, scan
from .reading import Refused, read_bytes, refusal

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


# Reading files -----------------------------------------------------------------------------------------

FileRead = tuple[str, int, list[Any], list[Any], bytes]  # sha256, documents, findings, facts, facts as marshal


def read_one(root: Path, name: str, documents: dict[tuple[str, int], Any] | None = None) -> FileRead:
    """Read and check one file; its YAML documents go into `documents` when given."""
    from .facts import facts_of
    from .load import read_file

    try:
        raw = read_bytes(os.path.join(root, name), root)
    except (OSError, Refused) as e:
        problem = refusal(name, e)
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
    out = []
    for count, name in enumerate(names, 1):
        if count % 500 == 0:
            settle()
        out.append((name, read_one(Path(root), name)))
    return out


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
    with collecting(True):  # in the processes forked here too
        return _read_files(root, names, jobs, progress, documents)


def _read_files(root: Path, names: list[str], jobs: int, progress: Progress | None,
                documents: dict[tuple[str, int], Any]) -> dict[str, FileRead]:
    results: dict[str, FileRead] = {}
    total = len(names)
    if jobs <= 1 or total < 2:
        for i, name in enumerate(names, 1):
            results[name] = read_one(root, name, documents)
            if i % SETTLE_EVERY == 0:
                settle()
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
            settle()
            done += futures[future]
            if progress:
                progress(done, total)
    return results


# The state kept between runs ---------------------------------------------------------------------------
#
# The base (ledger/checkbase.py) holds every file as it was when it was written, in columns that are
# searched without being loaded into objects; the delta holds the files read or gone since. When the
# delta grows, a new base is written.

# a new base is written once the delta holds more files than REBUILD_MIN_FILES, and than 1/REBUILD_SHARE of all
REBUILD_MIN_FILES = 200
REBUILD_SHARE = 50


def _deps(facts: list[Any]) -> list[str]:
    """The ids a file's records refer to: references and the parts of totals."""
    deps: set[str] = set()
    for f in facts:
        deps.update(ref for _, ref, _ in f[6])
        if f[8] is not None:
            deps.update(f[8][3])
    return sorted(deps)


def _evidence(facts: list[Any]) -> list[str]:
    return [path for f in facts for _, path, _ in f[9]]


def _empty_base() -> Base:
    return Base(pack(build([])))


# The check ---------------------------------------------------------------------------------------------

class _StaleCache(Exception):
    """A part of the cache that should be there is not: the check starts again without it."""


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, changed_at(st)


def _evidence_stat(root: Path, key: str) -> tuple[int, int]:
    """Size and mtime of an evidence file, (-1, -1) when it is not there: its absence is a state too."""
    return _stat(root / key) or (-1, -1)


def _sha(path: Path, root: Path) -> str:
    """The sha256 of a file of the ledger, read as safely as a record; OSError (or Refused) when it cannot be."""
    return hashlib.sha256(read_bytes(path, root)).hexdigest()


def _schemas_signature(root: Path) -> Any:
    """The schema files' names and contents' hashes (a few small files: hashing beats trusting a stat)."""
    folder = root / "schemas"
    if not folder.is_dir():
        return None
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append((path.name, _sha(path, root)))
        except (OSError, Refused):
            out.append((path.name, ""))
    return out


def _config_key(root: Path) -> Any:
    """ledger.yaml's hash: a small file, hashed every time rather than trusted by its stat."""
    try:
        return _sha(root / CONFIG_NAME, root)
    except (OSError, Refused):
        return None


def check(root: Path, use_cache: bool = True, jobs: int | None = None,
          progress: Progress | None = None) -> CheckResult:
    """Check the ledger at `root`: every finding, in file order."""
    with collecting(False):
        return _check(root, use_cache, jobs, progress)


def _check(root: Path, use_cache: bool, jobs: int | None, progress: Progress | None) -> CheckResult:
    started = time.time_ns()  # files changed after this are seen by the next run
    fingerprint = cache_store.fingerprint()
    state = cache_store.load(root, fingerprint) if use_cache else None
    written = state["written"] if state else 0
    trusted_before = written - cache_store.RACY_NS
    config_key = _config_key(root)
    schemas_signature = _schemas_signature(root)
    others_same = state is not None and state.get("config") == config_key and all(
        _evidence_stat(root, key) == (size, mtime) and mtime < trusted_before
        for key, (size, mtime, _) in state["evidence"].items()) \
        and state.get("schemas", (None,))[0] == schemas_signature \
        and not any(t[3] == "unreadable-file" for t in state["result"])  # permissions change no stat
    named = cache_store.load_names(root, state) if state else None
    last = cache_store.load_listing(root, state) if state else None
    ready: dict[str, Any] = {}

    def head_start() -> None:  # what a check of changed files needs, begun while the other process stats
        _import_checking()
        ready["base"] = cache_store.load_base(root, state)  # type: ignore[arg-type]

    head = HeadStart(head_start, tuple(last) if last else None, trusted_before, not others_same) if state else None
    listing = scan(root, _jobs(jobs, PARALLEL_MIN_FILES),  # the scan itself judges whether two processes pay
                   Listing(named[1], array("q"), array("q"), named[2], _names_digest=named[0]) if named else None,
                   trusted_before, head)
    digest = listing.digest()
    newest = max(listing.mtimes, default=0)
    if others_same and state.get("digest") == digest and newest < trusted_before:  # type: ignore[union-attr]
        return CheckResult([_finding(t) for t in state["result"]], state["records"], len(listing))  # type: ignore
    base = None
    if state is not None:
        try:
            base = Base(ready["base"] if "base" in ready else cache_store.load_base(root, state))
        except ValueError:
            base = None
    if base is None:
        state, base, named, last = None, _empty_base(), None, None
    try:
        return _check_changes(root, listing, base, state, config_key, schemas_signature, digest, use_cache, jobs,
                              progress, fingerprint, started, named, last)
    except _StaleCache:
        return _check_changes(root, listing, _empty_base(), None, config_key, schemas_signature, digest,
                              use_cache, jobs, progress, fingerprint, started, None, None)


def _import_checking() -> None:
    """Import what a check of changed files needs, and make the libyaml loader: the slow part of such a check."""
    import importlib

    for module in ("checks", "facts", "load"):
        importlib.import_module(f"{__package__}.{module}")
    from .yamlio import fast_parse

    fast_parse(b"{}", "")


def _check_changes(root: Path, listing: Listing, base: Base,
                   state: dict[str, Any] | None, config_key: Any, schemas_signature: Any, digest: bytes,
                   use_cache: bool, jobs: int | None, progress: Progress | None, fingerprint: str,
                   started: int, named: Any, last: Any) -> CheckResult:
    from .checks import LEDGER_RULES, RECORD_RULES, Context, evidence_key, run_rules
    from .facts import from_plain
    from .load import read_config

    written = state["written"] if state else 0
    delta: dict[str, Any] = dict(state["delta"]) if state else {}
    delta_rules: dict[str, Any] = dict(state["delta_rules"]) if state else {}
    number = base.number

    racy = written - cache_store.RACY_NS  # a change time from here on may hide a second change
    stats: dict[str, tuple[int, int]] = {}  # of the files that may have changed
    positions = None
    if last is not None and last[0] == listing.names_digest():
        positions = listing.differences(Listing([], array("q", last[1]), array("q", last[2])), racy)
    if positions is not None:  # the same files as last time: only those whose stat changed are suspects
        for i in positions:
            stats[listing.names[i]] = (listing.sizes[i], listing.mtimes[i])
        gone: list[str] = []
    else:  # what the last run saw of every file: the base, with the delta laid over it
        seen: dict[str, tuple[int, int]] = dict(zip(base.names, zip(base.sizes, base.mtimes)))
        for name, entry in delta.items():
            if entry is None:
                seen.pop(name, None)
            else:
                seen[name] = (entry[0], entry[1])
        for name, size, mtime in zip(listing.names, listing.sizes, listing.mtimes):
            if mtime >= racy or seen.get(name) != (size, mtime):
                stats[name] = (size, mtime)
        gone = sorted(seen.keys() - set(listing.names))
    # a file that could not be read may be readable now (permissions change no size nor mtime)
    unreadable = {name for name, found in base.parse_findings.items()
                  if name not in delta and any(t[3] == "unreadable-file" for t in found)}
    unreadable |= {name for name, entry in delta.items()
                   if entry is not None and any(t[3] == "unreadable-file" for t in entry[5])}
    if unreadable:
        for name, size, mtime in zip(listing.names, listing.sizes, listing.mtimes):
            if name in unreadable:
                stats[name] = (size, mtime)

    def seen_sha(name: str) -> str | None:
        if name in delta:
            return delta[name][2] if delta[name] is not None else None
        i = number(name)
        return base.sha(i) if i is not None else None

    to_read: list[str] = []
    touched: dict[str, Any] = {}  # same content, new stat
    for name in sorted(stats):
        sha = seen_sha(name)
        if sha is not None:
            try:
                if _sha(root / name, root) == sha:
                    touched[name] = stats[name]
                    continue
            except (OSError, Refused):
                pass
        to_read.append(name)

    documents: dict[tuple[str, int], Any] = {}
    fresh = read_files(root, to_read, _jobs(jobs, len(to_read)), progress, documents)

    def delta_facts(name: str) -> list[Any]:
        entry = delta.get(name)
        return [] if entry is None else marshal.loads(entry[4])

    stored = _Stored(root, base)

    # the ids whose records changed in this run, as they were and as they are; and whether any file's ids
    # and kinds changed, not only what its records say
    changed_ids: set[str] = set()
    ids_changed = False
    for name in [*to_read, *gone]:
        if name in delta:
            was = [(f[1], f[0]) for f in delta_facts(name)]
        elif number(name) is not None:
            i = number(name)
            was = [(base.r_id[row], base.kind(row)) for row in range(base.starts[i], base.starts[i + 1])]  # type: ignore
        else:
            was = []
        now = [(f[1], f[0]) for f in fresh[name][3]] if name in fresh else []
        changed_ids.update(rid for rid, _ in [*was, *now])
        ids_changed = ids_changed or was != now

    # the new delta
    for name in gone:
        if number(name) is not None:
            delta[name] = None
        else:
            delta.pop(name, None)
        delta_rules.pop(name, None)
    for name in [n for n, entry in delta.items() if entry is None and number(n) is None]:
        del delta[name]
    for name, (size, mtime) in touched.items():
        # a file of the delta keeps its new stat; one of the base is left as it is, and hashed again by a run
        # that compares stats with the base's (the next ones compare them with this run's listing)
        if name in delta:
            delta[name] = (size, mtime, *delta[name][2:])
    for name, (sha, count, parsed, facts, blob) in fresh.items():
        delta[name] = (*stats[name], sha, count, blob, parsed)

    dead = {i for i in map(number, delta) if i is not None}
    extra = {name: (fresh[name][3] if name in fresh else delta_facts(name))
             for name, entry in delta.items() if entry is not None}
    index = Index(base, dead, extra)

    config, config_doc, findings = read_config(root)
    findings += folder_findings(listing)
    config_same = state is not None and state.get("config") == config_key

    # every evidence file the records name, stat taken once: what this run saw is what the next one compares
    uses = [(base.names[i], evidence_key(root, path)) for k, path in enumerate(base.e_path)
            if (i := base.file_of_evidence(k)) not in dead]
    uses += [(name, evidence_key(root, path)) for name, facts in extra.items() for path in _evidence(facts)]
    ev_stats = {key: _evidence_stat(root, key) for _, key in uses if key}

    # which files must have their rules run again
    affected: set[str] = set(fresh)
    if not config_same:
        affected.update(listing.names)
    else:
        grown = _sum_closure(changed_ids, base, extra)
        for rid in grown:
            affected.update(base.names[i] for i in base.files_naming(rid))
        for rid in changed_ids:
            affected.update(base.names[base.file_of_row(row)] for row in base.rows_with(rid))
        for name, facts in extra.items():
            if any(f[1] in changed_ids for f in facts) or any(dep in grown for dep in _deps(facts)):
                affected.add(name)
        if ids_changed:  # a new id, or one gone, may change the "did you mean" of any unknown reference
            for name in _rule_findings_view(base, delta_rules, delta):
                found = delta_rules[name] if name in delta_rules else base.rule_findings.get(name, [])
                if any(t[3] == "unknown-ref" for t in found):
                    affected.add(name)
        old_evidence = state["evidence"] if state else {}
        for name, key in uses:
            old = old_evidence.get(key) if key else None
            if old is None or ev_stats.get(key) != (old[0], old[1]) or old[1] >= racy:
                affected.add(name)
    # gone files have no rules to run: only files that are there now
    affected = {name for name in affected if name in extra or (name not in delta and number(name) is not None)}

    facts_to_check = []
    for name in sorted(affected):
        plain = extra[name] if name in extra else stored.facts(number(name))  # type: ignore[arg-type]
        facts_to_check.extend(from_plain(t) for t in plain)

    evidence_cache: dict[str, Any] = dict(state["evidence"]) if state else {}
    hashed: dict[str, str] = {}

    def sha256(path: Path) -> str:
        key = path.relative_to(root.resolve()).as_posix()
        old = evidence_cache.get(key)
        if old is not None and old[2] and ev_stats.get(key) == (old[0], old[1]) and old[1] < racy:
            return str(old[2])
        from .checks import sha256_of

        hashed[key] = sha256_of(path)
        return hashed[key]

    ctx = Context(root, facts_to_check, config, config_doc, documents, sha256=sha256,
                  index=(index, Claims(index)))
    old_schemas = state.get("schemas") if state else None
    if old_schemas is not None and old_schemas[0] == schemas_signature:
        cached_drift = [_finding(t) for t in old_schemas[1]]
        ctx.schema_drift = lambda: cached_drift  # type: ignore[method-assign]
    new_rules: dict[str, list[Any]] = {name: [] for name in affected}
    ledger_findings = run_rules(ctx, LEDGER_RULES)
    for f in run_rules(ctx, RECORD_RULES):
        if f.file in new_rules:
            new_rules[f.file].append(_plain(f))
        else:  # a rule that failed: about the ledger as a whole
            ledger_findings.append(f)
    delta_rules.update(new_rules)
    # A rule that fails (a bug) loses the findings it had yet to make, which no cache can know: such a run
    # is a full one, and leaves no cache behind.
    rule_failed = any(f.code == "internal-error" and f.file == CONFIG_NAME for f in ledger_findings)
    if rule_failed and state is not None:
        stored.close()
        raise _StaleCache

    # every finding: parse findings and rule findings of every file, then ledger.yaml's
    for name in _parse_findings_view(base, delta):
        entry = delta.get(name)
        found = entry[5] if entry is not None and name in delta else base.parse_findings.get(name, [])
        findings.extend(_finding(t) for t in found)
    for name in _rule_findings_view(base, delta_rules, delta):
        found = delta_rules[name] if name in delta_rules else base.rule_findings.get(name, [])
        findings.extend(_finding(t) for t in found)
    findings = sort_findings(findings + ledger_findings)
    records = base.rows - sum(base.starts[i + 1] - base.starts[i] for i in dead) + sum(map(len, extra.values()))

    if rule_failed:
        cache_store.forget(root)
    elif use_cache:
        scanned = [listing.names_digest(), listing.sizes.tobytes(), listing.mtimes.tobytes()]
        names_same = named is not None and named[0] == listing.names_digest() and named[2] == listing.folders
        names = None if names_same else cache_store.names_payload(listing.names_digest(), listing.names,
                                                                   listing.folders)
        evidence: dict[str, Any] = {}
        for key, stat in ev_stats.items():
            old = evidence_cache.get(key)
            known = hashed.get(key) or (old[2] if old is not None and (old[0], old[1]) == stat else "")
            evidence[key] = (*stat, known)
        new_state = {
            "fingerprint": fingerprint, "digest": digest, "config": config_key, "evidence": evidence,
            "schemas": (schemas_signature, [_plain(f) for f in ledger_findings if f.code == "schema-stale"]),
            "result": [_plain(f) for f in findings], "records": records,
            "written": started, "names": state.get("names") if state and names_same else None,
        }
        # a name that left the ledger (a file's, or an evidence file's: either may be a real name) leaves the
        # cache too: the base, which still holds it, is written anew
        named_now = {path for _, path in uses}
        forget = any(entry is None for entry in delta.values()) or any(
            evidence_key(root, path) not in named_now for k, path in enumerate(base.e_path)
            if base.file_of_evidence(k) in dead)
        if forget or len(delta) > max(REBUILD_MIN_FILES, len(listing) // REBUILD_SHARE):
            files = []
            for name, size, mtime in listing.sorted():
                ruled = delta_rules[name] if name in delta_rules else base.rule_findings.get(name, [])
                if name in delta:
                    sha, count, blob, parsed = delta[name][2], delta[name][3], delta[name][4], delta[name][5]
                    files.append((name, size, mtime, sha, count, blob, extra[name], parsed, ruled))
                else:
                    i = number(name)
                    blob = stored.blob(i)  # type: ignore[arg-type]
                    files.append((name, size, mtime, base.sha(i), base.docs[i], blob,  # type: ignore[arg-type]
                                  marshal.loads(blob), base.parse_findings.get(name, []), ruled))
            stored.close()  # before blobs.bin is replaced: a file still mapped cannot be, on Windows
            blobs = b"".join(entry[5] for entry in files)
            cache_store.save(root, {**new_state, "delta": {}, "delta_rules": {}}, pack(build(files)), blobs,
                             listing=scanned, names=names)
        elif state is not None:
            cache_store.save(root, {**new_state, "base": state["base"], "delta": delta, "delta_rules": delta_rules},
                             listing=scanned, names=names)
        else:
            cache_store.save(root, {**new_state, "delta": delta, "delta_rules": delta_rules},
                             pack(build([])), b"", listing=scanned, names=names)
    stored.close()
    return CheckResult(findings, records, len(listing))


class _Stored:
    """The facts of the base's files, read from blobs.bin when asked for; a blob that is missing or not what
    the base recorded makes the check start again without the cache."""

    def __init__(self, root: Path, base: Base) -> None:
        self.root, self.base = root, base
        self.blobs: Any = None
        self.opened = False

    def blob(self, i: int) -> bytes:
        if not self.opened:
            self.blobs, self.opened = cache_store.open_blobs(self.root, self.base), True
        blob = self.blobs.blob(i) if self.blobs is not None else None
        if blob is None:
            raise _StaleCache
        return blob  # type: ignore[no-any-return]

    def facts(self, i: int) -> list[Any]:
        return marshal.loads(self.blob(i))  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.blobs is not None:
            self.blobs.close()
            self.blobs = None
        self.opened = False


def _parse_findings_view(base: Base, delta: dict[str, Any]) -> list[str]:
    names = {name for name in base.parse_findings if name not in delta}
    names.update(name for name, entry in delta.items() if entry is not None and entry[5])
    return sorted(names)


def _rule_findings_view(base: Base, delta_rules: dict[str, Any], delta: dict[str, Any]) -> list[str]:
    names = {name for name in base.rule_findings if name not in delta_rules and delta.get(name, 0) is not None}
    names.update(name for name, found in delta_rules.items() if found)
    return sorted(names)


def _sum_closure(ids: set[str], base: Base, extra: dict[str, list[Any]]) -> set[str]:
    """`ids` and every claim that adds any of them up, at any depth: a changed part can change a total."""
    totals_of: dict[str, list[str]] = {}
    for facts in extra.values():
        for f in facts:
            if f[8] is not None:
                for part in f[8][3]:
                    totals_of.setdefault(part, []).append(f[1])
    grown, stack = set(ids), list(ids)
    while stack:
        part = stack.pop()
        for total in [*base.totals_of(part), *totals_of.get(part, ())]:
            if total not in grown:
                grown.add(total)
                stack.append(total)
    return grown
