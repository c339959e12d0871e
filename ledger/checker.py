"""`ledger check` from end to end: read what changed since the last run (on both cores when it pays),
reuse the rest from the cache, and run the rules on the records whose findings may have changed.

With or without the cache, on one core or two, the findings are the same. The cache keeps what
reading each file gave (its findings, its records' facts) with the file's size, change time and
sha256; a file whose size or change time moved is hashed, and read again when its content changed.
Which records the rules run on again is worked out from what each rule declares it reads
(`rules.Reach`): nothing here knows any rule.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import posixpath
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import cache as cache_store
from .checkbase import Base, Index, build, pack
from .collector import collecting
from .findings import Finding, sort_findings
from .layout import CONFIG_NAME, NOT_EVIDENCE, PARALLEL_MIN_FILES
from .listing import HeadStart, Listing, changed_at, folder_findings, scan
from .reading import Refused, read_bytes, refusal

if TYPE_CHECKING:
    from .facts import Facts
    from .rules import Rule

Progress = Callable[[int, int], None]  # (files read, files to read)
PlainFinding = tuple[Any, ...]  # (file, line, column, code, message, severity) and, for a rule's, the rule's name


@dataclass
class CheckResult:
    """What `ledger check` reports: the findings, and how much it read."""

    findings: list[Finding]
    records: int
    files: int


def _plain(f: Finding, rule: str | None = None) -> PlainFinding:
    found = (f.file, f.line, f.column, f.code, f.message, f.severity)
    return found if rule is None else (*found, rule)


def _finding(t: PlainFinding) -> Finding:
    return Finding(t[0], t[1], t[2], t[3], t[4], t[5])


# Reading files -----------------------------------------------------------------------------------------

class FileRead(NamedTuple):
    """What reading one file gave."""

    sha: str  # of its bytes; "" when it could not be read
    documents: int
    findings: list[PlainFinding]  # of reading it: YAML, the models
    facts: list[Facts]
    blob: bytes  # the facts as the cache stores them (marshal of their plain form)


def read_one(root: Path, name: str, documents: dict[tuple[str, int], Any] | None = None) -> FileRead:
    """Read and check one file; its YAML documents go into `documents` when given."""
    from .facts import facts_of, plain
    from .load import read_file

    try:
        raw = read_bytes(os.path.join(root, name), root)
    except (OSError, Refused) as e:
        return FileRead("", 0, [_plain(refusal(name, e))], [], marshal.dumps([]))
    sha = hashlib.sha256(raw).hexdigest()
    try:
        entries, count, findings = read_file(raw, name)
    except Exception as e:  # noqa: BLE001 - one file's surprise must not stop the check of the others
        problem = Finding(name, 0, 0, "internal-error",
                          f"ledger could not read this file ({type(e).__name__}); please report it")
        return FileRead(sha, 0, [_plain(problem)], [], marshal.dumps([]))
    facts = [facts_of(e.record, e.file, e.doc.index, e.doc.line, e.doc.column) for e in entries]
    if documents is not None:
        documents.update(((e.file, e.doc.index), e.doc) for e in entries)
    return FileRead(sha, count, [_plain(f) for f in findings], facts, marshal.dumps([plain(f) for f in facts]))


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
    from .load import read_many

    def here(name: str) -> FileRead:
        return read_one(root, name, documents)

    return read_many(root, names, jobs, read_one, here, progress)


# The state kept between runs ---------------------------------------------------------------------------
#
# The base (ledger/checkbase.py) holds every file as it was when it was written, in columns that are
# searched without being loaded into objects; the delta holds the files read or gone since. When the
# delta grows, or a name leaves the ledger, a new base is written.

# a new base is written once the delta holds more files than REBUILD_MIN_FILES, and than 1/REBUILD_SHARE of all
REBUILD_MIN_FILES = 200
REBUILD_SHARE = 50


class DeltaEntry(NamedTuple):
    """A file read since the base was written (a gone file is None in the delta)."""

    size: int
    mtime: int
    sha: str
    documents: int
    blob: bytes
    parsed: list[PlainFinding]


class _StaleCache(Exception):
    """A part of the cache that should be there is not: the check starts again without it."""


def evidence_key(path: str) -> str | None:
    """An evidence file as the cache names it: the path as written, normalised but not resolved (a link may be
    pointed elsewhere without the path changing: its target's stat tells), or None when it leaves the ledger (or
    goes into its `.ledger/` or `.git/`, which are no evidence: `checks.evidence_target`)."""
    clean = posixpath.normpath(path.replace("\\", "/"))
    if clean.startswith(("/", "../")) or clean == ".." or "\0" in clean or clean.split("/")[0] in NOT_EVIDENCE:
        return None
    return clean


def _evidence_stat(root: Path, key: str) -> tuple[int, int, int, int]:
    """Size, change time, device and inode of an evidence file, through any link, (-1, -1, 0, 0) when it is not
    there: a link pointed at another file changes the inode even when size and times agree."""
    try:
        st = os.stat(root / key)
    except (OSError, ValueError):
        return -1, -1, 0, 0
    return st.st_size, changed_at(st), st.st_dev, st.st_ino


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


class _Prior:
    """The last run, as the cache keeps it, and what this run sees of the files outside records/."""

    def __init__(self, root: Path, use_cache: bool) -> None:
        self.root = root
        self.fingerprint = cache_store.fingerprint()
        self.state = cache_store.load(root, self.fingerprint) if use_cache else None
        self.racy = (self.state["written"] if self.state else 0) - cache_store.RACY_NS  # an mtime from here on
        self.config_key = _config_key(root)  # may hide a second change within one tick of the clock
        self.schemas = _schemas_signature(root)
        self.named = cache_store.load_names(root, self.state) if self.state else None
        self.last = cache_store.load_listing(root, self.state) if self.state else None
        self.base_read: Any = None

    def others_same(self) -> bool:
        """True when nothing but records/ may have changed: ledger.yaml, the evidence, schemas/, and no file whose
        reading failed (what made it fail may have changed without any stat showing it)."""
        state = self.state
        return state is not None and state.get("config") == self.config_key and all(
            _evidence_stat(self.root, key) == tuple(known[:4]) and known[1] < self.racy
            for key, known in state["evidence"].items()) \
            and state.get("schemas") == self.schemas and not state.get("retry")

    def scan(self, jobs: int | None, others_same: bool) -> Listing:
        """The record files; when a file changed, the checking modules load on this process meanwhile."""
        def head_start() -> None:
            _import_checking()
            self.base_read = cache_store.load_base(self.root, self.state)  # type: ignore[arg-type]

        head = HeadStart(head_start, tuple(self.last) if self.last else None, self.racy, not others_same) \
            if self.state else None
        named = self.named
        last = Listing(named[1], array("q"), array("q"), named[2], _names_digest=named[0]) if named else None
        # the scan itself judges whether two processes pay
        return scan(self.root, _jobs(jobs, PARALLEL_MIN_FILES), last, self.racy, head)

    def base(self) -> Base | None:
        """The base that goes with the state, or None."""
        if self.state is None:
            return None
        try:
            return Base(self.base_read if self.base_read is not None else cache_store.load_base(self.root, self.state))
        except ValueError:
            return None

    def forget(self) -> None:
        """Take nothing from the cache: a part of it is missing."""
        self.state = self.named = self.last = None


def _empty_base() -> Base:
    return Base(pack(build([])))


# The check ---------------------------------------------------------------------------------------------

def check(root: Path, use_cache: bool = True, jobs: int | None = None,
          progress: Progress | None = None) -> CheckResult:
    """Check the ledger at `root`: every finding, in file order."""
    with collecting(False):
        return _check(root, use_cache, jobs, progress)


def _check(root: Path, use_cache: bool, jobs: int | None, progress: Progress | None) -> CheckResult:
    started = time.time_ns()  # files changed after this are seen by the next run
    prior = _Prior(root, use_cache)
    others_same = prior.others_same()
    listing = prior.scan(jobs, others_same)
    state = prior.state
    if state is not None and others_same and state.get("digest") == listing.digest() \
            and max(listing.mtimes, default=0) < prior.racy:
        return CheckResult([_finding(t) for t in state["result"]], state["records"], len(listing))
    base = prior.base()
    if base is None:
        prior.forget()
    try:
        return _Run(root, listing, prior, base or _empty_base(), use_cache, jobs, progress, started).check()
    except _StaleCache:
        prior.forget()
        return _Run(root, listing, prior, _empty_base(), use_cache, jobs, progress, started).check()


def _import_checking() -> None:
    """Import what a check of changed files needs, and make the libyaml loader: the slow part of such a check."""
    import importlib

    for module in ("checks", "facts", "load"):
        importlib.import_module(f"{__package__}.{module}")
    from .yamlio import fast_parse

    fast_parse(b"{}", "")


@dataclass
class _Changes:
    """What changed in the records since the last run."""

    read: list[str]  # files read again: their content changed, or they are new
    gone: list[str]  # files no longer there
    ids: set[str] = field(default_factory=set)  # ids of the records of those files, as they were and as they are
    named: set[str] = field(default_factory=set)  # ids that those records name, as they were and as they are
    id_set: bool = False  # some file's ids or kinds changed: an id appeared, left, or changed kind
    left_base: bool = False  # an id that the base holds left its file (an id may be a name: it must leave too)


class _Run:
    """One check that goes beyond the cache's last result: what changed is read, the rules run where their
    reach says a change may show, and the new state is saved."""

    def __init__(self, root: Path, listing: Listing, prior: _Prior, base: Base, use_cache: bool,
                 jobs: int | None, progress: Progress | None, started: int) -> None:
        state = prior.state
        self.root, self.listing, self.prior, self.base = root, listing, prior, base
        self.use_cache, self.jobs, self.progress, self.started = use_cache, jobs, progress, started
        self.delta: dict[str, DeltaEntry | None] = {
            name: DeltaEntry._make(entry) if entry is not None else None
            for name, entry in (state["delta"] if state else {}).items()}
        self.delta_rules: dict[str, list[PlainFinding]] = dict(state["delta_rules"]) if state else {}
        self.stored = _Stored(root, base)
        self.documents: dict[tuple[str, int], Any] = {}

    def check(self) -> CheckResult:
        from .load import read_config
        from .rules import registered

        record_rules, ledger_rules = registered()
        try:
            stats, gone = self._suspects()
            to_read, touched = self._sort(stats)
            fresh = read_files(self.root, to_read, _jobs(self.jobs, len(to_read)), self.progress, self.documents)
            changes = self._changes(to_read, gone, fresh)
            self._update_delta(stats, gone, touched, fresh)
            extra = self._extra(fresh)
            index = Index(self.base, self.dead, extra)
            config, config_doc, findings = read_config(self.root)
            evidence = _EvidenceUse(self.root, self.base, self.dead, extra, self.prior)
            affected = self._affected(record_rules, changes, index, evidence, extra)
            ledger_found = self._run_ledger_rules(ledger_rules, config, config_doc, index)
            failed = self._run_record_rules(record_rules, affected, extra, config, config_doc, index, evidence)
            found = sort_findings(findings + folder_findings(self.listing) + self._findings() + ledger_found + failed)
            self._save(found, evidence, extra)
            return CheckResult(found, self._records(extra), len(self.listing))
        finally:
            self.stored.close()

    @property
    def dead(self) -> set[int]:
        """The base's files that the delta replaces or removes."""
        return {i for i in map(self.base.number, self.delta) if i is not None}

    def _suspects(self) -> tuple[dict[str, tuple[int, int]], list[str]]:
        """The files whose stat changed since the last run (or is too recent to trust), and the files gone."""
        listing, last, racy = self.listing, self.prior.last, self.prior.racy
        if last is not None and last[0] == listing.names_digest():  # the same files: only changed stats count
            positions = listing.differences(Listing([], array("q", last[1]), array("q", last[2])), racy) or []
            stats = {listing.names[i]: (listing.sizes[i], listing.mtimes[i]) for i in positions}
            gone: list[str] = []
        else:  # what the last run saw of every file: the base, with the delta laid over it
            b = self.base
            seen = dict(zip(b.names, zip(b.sizes, b.mtimes)))
            for name, entry in self.delta.items():
                if entry is None:
                    seen.pop(name, None)
                else:
                    seen[name] = (entry.size, entry.mtime)
            stats = {name: (size, mtime) for name, size, mtime in zip(listing.names, listing.sizes, listing.mtimes)
                     if mtime >= racy or seen.get(name) != (size, mtime)}
            gone = sorted(seen.keys() - set(listing.names))
        for name in self._retry():  # reading them failed: what made it fail may have changed without a stat
            i = listing.names.index(name) if name in listing.names else None
            if i is not None:
                stats[name] = (listing.sizes[i], listing.mtimes[i])
        return stats, gone

    def _retry(self) -> list[str]:
        state = self.prior.state
        return list(state.get("retry", ())) if state else []

    def _seen_sha(self, name: str) -> str | None:
        if name in self.delta:
            entry = self.delta[name]
            return entry.sha if entry is not None else None
        i = self.base.number(name)
        return self.base.sha(i) if i is not None else None

    def _sort(self, stats: dict[str, tuple[int, int]]) -> tuple[list[str], dict[str, tuple[int, int]]]:
        """Of the suspects, the files to read (their content changed) and those only touched (same content)."""
        to_read, touched = [], {}
        for name in sorted(stats):
            sha = self._seen_sha(name)
            if sha:
                try:
                    if _sha(self.root / name, self.root) == sha:
                        touched[name] = stats[name]
                        continue
                except (OSError, Refused):
                    pass
            to_read.append(name)
        return to_read, touched

    def _facts_of(self, name: str) -> list[Facts]:
        """The facts of a file as the last run saw it: from the delta, or the base's blobs."""
        from .facts import from_plain

        entry = self.delta.get(name)
        if entry is not None:
            return [from_plain(t) for t in marshal.loads(entry.blob)]
        if name in self.delta:
            return []
        i = self.base.number(name)
        return [from_plain(t) for t in self.stored.facts(i)] if i is not None else []

    def _changes(self, to_read: list[str], gone: list[str], fresh: dict[str, FileRead]) -> _Changes:
        """The ids touched by the files read or gone, as they were and as they are."""
        changes = _Changes(to_read, gone)
        for name in [*to_read, *gone]:
            was = self._facts_of(name)
            now = fresh[name].facts if name in fresh else []
            for f in [*was, *now]:
                changes.ids.add(f.id)
                changes.named.update(ref.id for ref in f.refs)
            changes.id_set = changes.id_set or [(f.id, f.kind) for f in was] != [(f.id, f.kind) for f in now]
            in_base = name not in self.delta and self.base.number(name) is not None
            changes.left_base = changes.left_base or (in_base and bool({f.id for f in was} - {f.id for f in now}))
        self.changes = changes
        return changes

    def _update_delta(self, stats: dict[str, tuple[int, int]], gone: list[str],
                      touched: dict[str, tuple[int, int]], fresh: dict[str, FileRead]) -> None:
        number, delta = self.base.number, self.delta
        for name in gone:
            if number(name) is not None:
                delta[name] = None
            else:
                delta.pop(name, None)
            self.delta_rules.pop(name, None)
        for name, (size, mtime) in touched.items():
            # a file of the delta keeps its new stat; one of the base is left as it is, and hashed again by a run
            # that compares stats with the base's (the next ones compare them with this run's listing)
            entry = delta.get(name)
            if entry is not None:
                delta[name] = entry._replace(size=size, mtime=mtime)
        for name, read in fresh.items():
            delta[name] = DeltaEntry(*stats[name], read.sha, read.documents, read.blob, read.findings)

    def _extra(self, fresh: dict[str, FileRead]) -> dict[str, list[Facts]]:
        """The facts of every file of the delta."""
        return {name: (fresh[name].facts if name in fresh else self._facts_of(name))
                for name, entry in self.delta.items() if entry is not None}

    def _current(self, extra: dict[str, list[Facts]]) -> set[str]:
        """Every record file there is now."""
        b, dead = self.base, self.dead
        return set(extra) | {b.names[i] for i in range(b.files) if i not in dead}

    def _affected(self, rules: list[Rule], changes: _Changes, index: Index, evidence: _EvidenceUse,
                  extra: dict[str, list[Facts]]) -> dict[str, set[str]]:
        """For each rule, the files whose records it must check again: those read, and those that its reach
        (`rules.Reach`) says a change may show in. A rule that reads everything checks every file."""
        current = self._current(extra)
        state = self.prior.state
        config_changed = state is None or state.get("config") != self.prior.config_key
        parts = _Parts(changes, index, evidence, lambda: self._hinted(rules))
        out = {}
        for rule in rules:
            reach = rule.reach
            if state is None or reach.everything or (reach.config and config_changed):
                out[rule.name] = current
                continue
            affected = set(changes.read)
            for flag in ("targets", "same_id", "referrers", "every_id", "files"):
                if getattr(reach, flag):
                    affected |= parts.get(flag, rule.name)
            if reach.through:
                affected |= parts.through(reach.through)
            out[rule.name] = affected & current
        return out

    def _hinted(self, rules: list[Rule]) -> dict[str, set[str]]:
        """For each rule, the files that hold its stored findings."""
        out: dict[str, set[str]] = {rule.name: set() for rule in rules}
        for name, found in self._rule_findings():
            for t in found:
                out.setdefault(t[6], set()).add(name)
        return out

    def _rule_findings(self) -> Iterable[tuple[str, list[PlainFinding]]]:
        """Every file's stored rule findings: the delta's over the base's."""
        b, delta_rules, delta = self.base, self.delta_rules, self.delta
        names = {name for name in b.rule_findings if name not in delta_rules and delta.get(name, 0) is not None}
        names.update(name for name, found in delta_rules.items() if found)
        for name in sorted(names):
            yield name, delta_rules[name] if name in delta_rules else b.rule_findings.get(name, [])

    def _parse_findings(self) -> Iterable[PlainFinding]:
        """Every file's findings of reading it: the delta's over the base's."""
        b, delta = self.base, self.delta
        for name, found in b.parse_findings.items():
            if name not in delta:
                yield from found
        for entry in delta.values():
            if entry is not None:
                yield from entry.parsed

    def _context(self, facts: list[Facts], config: Any, config_doc: Any, index: Index,
                 extra: dict[str, list[Facts]], sha256: Callable[[Path, str], str] | None = None) -> Any:
        from .rules import Context

        return Context(self.root, facts, config, config_doc, self.documents, sha256=sha256, index=index,
                       every_record=lambda: [f for name in sorted(self._current(extra))
                                             for f in (extra[name] if name in extra else self._facts_of(name))])

    def _run_ledger_rules(self, rules: list[Rule], config: Any, config_doc: Any, index: Index) -> list[Finding]:
        """The rules about the ledger as a whole: each run again when what it reads changed (ledger.yaml,
        schemas/), or every time when it reads everything."""
        from .rules import run_rule

        state = self.prior.state
        cached = state.get("ledger", {}) if state else {}
        ctx = self._context([], config, config_doc, index, {})
        self.ledger_results: dict[str, tuple[Any, list[PlainFinding]]] = {}
        out = []
        for rule in rules:
            signature = self._signature(rule)
            known = cached.get(rule.name)
            if signature is not None and known is not None and known[0] == signature:
                found = [_finding(t) for t in known[1]]
            else:
                found = run_rule(ctx, rule)
                if any(f.code == "internal-error" for f in found):
                    self._failed()
            self.ledger_results[rule.name] = (signature, [_plain(f) for f in found])
            out += found
        return out

    def _signature(self, rule: Rule) -> Any:
        """What a rule about the ledger read, to know when it must run again; None: on every check."""
        reach = rule.reach
        if reach.everything or not (reach.config or reach.schemas):
            return None
        return (self.prior.config_key if reach.config else None, self.prior.schemas if reach.schemas else None)

    def _failed(self) -> None:
        """A rule failed (a bug): it lost the findings it had yet to make, which no cache can know. Such a run is
        a full one, and leaves no cache behind."""
        if self.prior.state is not None:
            raise _StaleCache
        self.use_cache = False
        cache_store.forget(self.root)

    def _run_record_rules(self, rules: list[Rule], affected: dict[str, set[str]], extra: dict[str, list[Facts]],
                          config: Any, config_doc: Any, index: Index, evidence: _EvidenceUse) -> list[Finding]:
        """Run each rule about records on the records of the files it must check again, and keep each file's
        findings, rule by rule; return the failures of rules, which are about no file."""
        from .rules import run_rule

        facts_by_file: dict[str, list[Facts]] = {}

        def facts_of(name: str) -> list[Facts]:
            if name not in facts_by_file:
                facts_by_file[name] = extra[name] if name in extra else self._facts_of(name)
            return facts_by_file[name]

        touched = set().union(*affected.values()) if affected else set()
        new = {name: [t for t in self._stored_rule_findings(name) if t[6] not in
                      {rule.name for rule in rules if name in affected[rule.name]}] for name in touched}
        failed = []
        for rule in rules:
            facts = [f for name in sorted(affected[rule.name]) for f in facts_of(name)]
            ctx = self._context(facts, config, config_doc, index, extra, evidence.sha256)
            for f in run_rule(ctx, rule):
                if f.file in affected[rule.name]:
                    new[f.file].append(_plain(f, rule.name))
                else:  # the rule failed
                    self._failed()
                    failed.append(f)
        self.delta_rules.update(new)
        return failed

    def _stored_rule_findings(self, name: str) -> list[PlainFinding]:
        """The rule findings the cache holds for one file: the delta's, else the base's."""
        if name in self.delta_rules:
            return self.delta_rules[name]
        if self.delta.get(name, 0) is None or name in self.delta:
            return []  # gone, or read again: what the base holds of it is stale
        found: list[PlainFinding] = self.base.rule_findings.get(name, [])
        return found

    def _findings(self) -> list[Finding]:
        """Every file's findings: of reading it, then of the rules."""
        out = [_finding(t) for t in self._parse_findings()]
        out += [_finding(t) for _, found in self._rule_findings() for t in found]
        return out

    def _records(self, extra: dict[str, list[Facts]]) -> int:
        b = self.base
        dead = sum(int(b.starts[i + 1]) - int(b.starts[i]) for i in self.dead)
        return b.rows - dead + sum(map(len, extra.values()))

    def _save(self, findings: list[Finding], evidence: _EvidenceUse, extra: dict[str, list[Facts]]) -> None:
        if not self.use_cache:
            return
        listing, prior = self.listing, self.prior
        named = prior.named
        names_same = named is not None and named[0] == listing.names_digest() and named[2] == listing.folders
        state = {
            "fingerprint": prior.fingerprint, "digest": listing.digest(), "config": prior.config_key,
            "evidence": evidence.state(), "schemas": prior.schemas, "ledger": self.ledger_results,
            "result": [_plain(f) for f in findings], "records": self._records(extra), "written": self.started,
            "names": prior.state.get("names") if prior.state and names_same else None,
            "retry": sorted({t[0] for t in self._parse_findings() if t[3] == "unreadable-file"}),
        }
        scanned = [listing.names_digest(), listing.sizes.tobytes(), listing.mtimes.tobytes()]
        names = None if names_same else cache_store.names_payload(listing.names_digest(), listing.names,
                                                                   listing.folders)
        if self._rebuild(evidence):
            base, blobs = self._new_base(extra)
            cache_store.save(self.root, {**state, "delta": {}, "delta_rules": {}}, base, blobs, scanned, names)
        else:
            delta = {name: tuple(entry) if entry is not None else None for name, entry in self.delta.items()}
            extra_state = {"base": prior.state["base"]} if prior.state is not None else {}
            cache_store.save(self.root, {**state, **extra_state, "delta": delta, "delta_rules": self.delta_rules},
                             None if prior.state is not None else pack(build([])),
                             None if prior.state is not None else b"", scanned, names)

    def _rebuild(self, evidence: _EvidenceUse) -> bool:
        """Whether to write a new base: the delta grew, or a name (a file's, an evidence file's: either may be a
        real name) left the ledger and must leave the cache too."""
        grown = len(self.delta) > max(REBUILD_MIN_FILES, len(self.listing) // REBUILD_SHARE)
        return grown or any(entry is None for entry in self.delta.values()) or evidence.dropped() \
            or self.changes.left_base

    def _new_base(self, extra: dict[str, list[Facts]]) -> tuple[dict[str, Any], bytes]:
        """Every file, from the delta or the old base, as a new base and its blobs."""
        from .facts import plain

        files = []
        b, delta = self.base, self.delta
        for name, size, mtime in self.listing.sorted():
            ruled = self.delta_rules[name] if name in self.delta_rules else b.rule_findings.get(name, [])
            entry = delta.get(name)
            if entry is not None:
                files.append((name, size, mtime, entry.sha, entry.documents, entry.blob,
                              [plain(f) for f in extra[name]], entry.parsed, ruled))
            else:
                i = b.number(name)
                if i is None:
                    raise _StaleCache
                blob = self.stored.blob(i)
                files.append((name, size, mtime, b.sha(i), b.docs[i], blob, marshal.loads(blob),
                              b.parse_findings.get(name, []), ruled))
        self.stored.close()  # before blobs.bin is replaced: a file still mapped cannot be, on Windows
        return pack(build(files)), b"".join(entry[5] for entry in files)


class _Parts:
    """The files a kind of change reaches, each worked out once for every rule that asks."""

    def __init__(self, changes: _Changes, index: Index, evidence: _EvidenceUse,
                 hinted: Callable[[], dict[str, set[str]]]) -> None:
        self.changes, self.index, self.evidence, self.hinted = changes, index, evidence, hinted
        self.done: dict[Any, set[str]] = {}

    def get(self, flag: str, rule: str) -> set[str]:
        """The files that a change reaches through one kind of reach (for `every_id`, those of `rule`)."""
        key = (flag, rule) if flag == "every_id" else flag
        if key not in self.done:
            changes, index = self.changes, self.index
            if flag == "targets":
                self.done[key] = index.files_naming(changes.ids)
            elif flag == "same_id":
                self.done[key] = index.files_with(changes.ids)
            elif flag == "referrers":
                self.done[key] = index.files_with(changes.named)
            elif flag == "every_id":  # its findings' "did you mean" may change when an id appears or leaves
                self.done[key] = self.hinted().get(rule, set()) if changes.id_set else set()
            else:
                self.done[key] = self.evidence.changed()
        return self.done[key]

    def through(self, fields: tuple[str, ...]) -> set[str]:
        """The files of the records that reach a changed id through `fields`, at any depth."""
        if fields not in self.done:
            self.done[fields] = self.index.files_with(self.index.reaching(self.changes.ids, fields))
        return self.done[fields]


class _EvidenceUse:
    """The evidence files the records name, their stat taken once: what this run saw is what the next one
    compares, and a file whose stat did not change is not hashed again."""

    def __init__(self, root: Path, base: Base, dead: set[int], extra: dict[str, list[Facts]], prior: _Prior) -> None:
        self.root, self.prior = root, prior
        self.uses = [(base.names[i], evidence_key(path)) for k, path in enumerate(base.e_path)
                     if (i := base.file_of_evidence(k)) not in dead]
        self.uses += [(name, evidence_key(e.path)) for name, facts in extra.items() for f in facts for e in f.files]
        self.dropped_paths = [evidence_key(path) for k, path in enumerate(base.e_path)
                              if base.file_of_evidence(k) in dead]
        self.stats = {key: _evidence_stat(root, key) for _, key in self.uses if key}
        self.known: dict[str, Any] = dict(prior.state["evidence"]) if prior.state else {}
        self.hashed: dict[str, str] = {}

    def _same(self, key: str) -> bool:
        known = self.known.get(key)
        return known is not None and tuple(known[:4]) == self.stats.get(key) and known[1] < self.prior.racy

    def changed(self) -> set[str]:
        """The files whose records name evidence that changed since the last run (or is too recent to trust)."""
        return {name for name, key in self.uses if key and not self._same(key)}

    def dropped(self) -> bool:
        """True when an evidence path the base holds is named by no record any more."""
        now = {key for _, key in self.uses}
        return any(key not in now for key in self.dropped_paths)

    def sha256(self, target: Path, written: str) -> str:
        """The sha256 of the evidence file `written` names (resolved to `target`): from the last run when its
        stat is the same."""
        from .reading import sha256_of

        key = evidence_key(written)
        known = self.known.get(key) if key else None
        if key is not None and known is not None and known[4] and self._same(key):
            return str(known[4])
        digest = sha256_of(target)
        if key is not None:
            self.hashed[key] = digest
        return digest

    def state(self) -> dict[str, Any]:
        """What the next run compares: each evidence file's stat, and its hash when known for that stat."""
        out: dict[str, Any] = {}
        for key, stat in self.stats.items():
            known = self.known.get(key)
            digest = self.hashed.get(key) or (known[4] if known is not None and tuple(known[:4]) == stat else "")
            out[key] = (*stat, digest)
        return out


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
