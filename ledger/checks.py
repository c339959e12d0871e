"""Rules across records and ledger.yaml: one function each, in a registry, each yielding findings."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from .facts import Facts, facts_of
from .figures import FigureValue
from .findings import Finding
from .layout import CONFIG_NAME
from .load import Ledger
from .models import VOCABULARIES, LedgerConfig
from .reading import Refused, read_bytes, sha256_of, what_it_is
from .validate import dotted, suggest
from .yamlio import Document as YamlDocument
from .yamlio import parse_bytes

class Target(NamedTuple):
    """Where an id is defined (its first record in file order), as the rules need to know it."""

    kind: str
    file: str
    index: int
    line: int


def index_of(facts: Iterable[Facts]) -> tuple[dict[str, Target], dict[str, Any]]:
    """The first record of every id, and the figures of the claims among them."""
    first: dict[str, Target] = {}
    claims: dict[str, Any] = {}
    for f in facts:
        if f.id not in first:
            first[f.id] = Target(f.kind, f.file, f.index, f.line)
            if f.claim is not None:
                claims[f.id] = f.claim
    return first, claims


class Context:
    """What the rules run on: the facts of the records to check, the index of every id in the ledger,
    ledger.yaml, and a way to locate a finding."""

    def __init__(self, root: Path, facts: list[Facts], config: LedgerConfig | None, config_doc: YamlDocument | None,
                 documents: dict[tuple[str, int], YamlDocument] | None = None,
                 sha256: Callable[[Path], str] | None = None,
                 index: tuple[dict[str, Target], dict[str, Any]] | None = None) -> None:
        self.root = root
        self.facts = facts
        self.config = config
        self.config_doc = config_doc
        self.first, self.claims = index if index is not None else index_of(facts)
        self._documents = documents if documents is not None else {}
        self._parsed_files: set[str] = set()
        self.sha256 = sha256 or sha256_of
        self._kinds: dict[str, str] | None = None

    def kinds(self) -> dict[str, str]:
        """Every id and the kind of its first record (for a "did you mean"), worked out once."""
        if self._kinds is None:
            fast = getattr(self.first, "kinds", None)  # the cache's index has them without making every target
            self._kinds = fast() if fast is not None else {i: t.kind for i, t in self.first.items()}
        return self._kinds

    def document(self, file: str, index: int) -> YamlDocument | None:
        """The YAML document of a record, re-read from disk (precisely) when this run has not got it."""
        key = (file, index)
        if key not in self._documents and file not in self._parsed_files:
            self._parsed_files.add(file)
            try:
                parsed = parse_bytes(read_bytes(self.root / file, self.root), file)
                for doc in parsed.documents:
                    self._documents.setdefault((file, doc.index), doc)
            except (OSError, Refused):
                pass
        return self._documents.get(key)

    def schema_drift(self) -> list[Finding]:
        """The schema-stale findings of the ledger's schemas/ folder."""
        from .schema import drift_findings

        return drift_findings(self.root)

    def locate(self, f: Facts | Target, *path: Any, key: bool = False) -> tuple[int, int]:
        if not path and not key:
            return f.line, getattr(f, "column", 1)
        doc = self.document(f.file, f.index)
        return doc.locate(path, key=key) if doc is not None else (f.line, getattr(f, "column", 1))

    def finding(self, f: Facts, code: str, message: str, *path: Any, key: bool = False) -> Finding:
        """A finding at `path` inside the record (the record itself when no path is given)."""
        line, col = self.locate(f, *path, key=key)
        return Finding(f.file, line, col, code, message)


Check = Callable[[Context], Iterable[Finding]]
RECORD_RULES: list[Check] = []  # each finding is in the file of the record it is about
LEDGER_RULES: list[Check] = []  # about ledger.yaml or schemas/


def check(fn: Check) -> Check:
    """Register a rule about records; `run_rules` runs them all in registration order."""
    RECORD_RULES.append(fn)
    return fn


def ledger_check(fn: Check) -> Check:
    """Register a rule about the ledger as a whole."""
    LEDGER_RULES.append(fn)
    return fn


def run_rules(ctx: Context, rules: Iterable[Check] | None = None) -> list[Finding]:
    """Every rule's findings (or those of `rules`); a rule that fails is itself a finding."""
    findings: list[Finding] = []
    for rule in rules if rules is not None else [*RECORD_RULES, *LEDGER_RULES]:
        try:
            findings.extend(rule(ctx))
        except Exception as e:  # noqa: BLE001 - one rule's bug must not hide the other rules' findings
            findings.append(Finding(CONFIG_NAME, 0, 0, "internal-error",
                                    f"the `{rule.__name__}` check failed ({type(e).__name__}); please report it"))
    return findings


def context_of(ledger: Ledger) -> Context:
    """The rules' view of a ledger loaded in full."""
    facts = [facts_of(e.record, e.file, e.doc.index, e.doc.line, e.doc.column) for e in ledger.entries]
    documents = {(e.file, e.doc.index): e.doc for e in ledger.entries}
    return Context(ledger.root, facts, ledger.config, ledger.config_doc, documents)


def run_checks(ledger: Ledger) -> list[Finding]:
    """Every rule's findings on a ledger loaded in full."""
    return run_rules(context_of(ledger))


def _a(kinds: Iterable[str]) -> str:
    names = [("an " if k[0] in "aeiou" else "a ") + k for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@check
def duplicate_ids(ctx: Context) -> Iterator[Finding]:
    """An id names one record across the whole ledger."""
    for f in ctx.facts:
        first = ctx.first[f.id]
        if (first.file, first.index) != (f.file, f.index):
            line, _ = ctx.locate(first, "id")
            yield ctx.finding(f, "duplicate-id", f"duplicate id `{f.id}`: already used by the {first.kind} at "
                              f"{first.file}:{line}; give one of them a new id", "id")


@check
def references(ctx: Context) -> Iterator[Finding]:
    """Every reference names an existing record of a kind the field allows."""
    for f in ctx.facts:
        for path, ref, kinds in f.refs:
            target = ctx.first.get(ref)
            if target is None:
                candidates = [i for i, kind in ctx.kinds().items() if kind in kinds]
                hint = suggest(ref, candidates)
                yield ctx.finding(f, "unknown-ref", f"`{dotted(path)}` names `{ref}`, but no record has that id"
                                  f"{hint or f'; it must be the id of {_a(kinds)}'}", *path)
            elif target.kind not in kinds:
                yield ctx.finding(f, "wrong-kind-ref", f"`{dotted(path)}` must name {_a(kinds)}, but `{ref}` is "
                                  f"{_a([target.kind])} ({target.file}:{target.line})", *path)


_VOCAB_CODES = {"measures": "unknown-measure", "places": "unknown-place", "populations": "unknown-population",
                "allegations": "unknown-allegation"}


@check
def vocabulary_entries(ctx: Context) -> Iterator[Finding]:
    """Measures, places, populations and allegations come from ledger.yaml."""
    if ctx.config is None:
        return  # ledger.yaml's own findings say why; listing every use would only bury them
    known = {name: ctx.config.vocabulary(name) for name in _VOCAB_CODES}
    for f in ctx.facts:
        for path, vocab, ref in f.vocab:
            if ref not in known[vocab]:
                yield ctx.finding(f, _VOCAB_CODES[vocab], f"`{dotted(path)}`: `{ref}` is not a {vocab[:-1]} in "
                                  f"{CONFIG_NAME}{suggest(ref, known[vocab])}; add it under `{vocab}:` or fix the "
                                  "spelling", *path)


@ledger_check
def vocabulary_nesting(ctx: Context) -> Iterator[Finding]:
    """A `within` names an entry of the same vocabulary, and the nesting has no cycles."""
    config, doc = ctx.config, ctx.config_doc
    if config is None or doc is None:
        return
    for vocab in VOCABULARIES:
        entries = getattr(config, vocab)
        for name, item in entries.items():
            parent = item.within
            if parent is None:
                continue
            if parent not in entries and not (vocab == "populations" and parent == "all"):
                line, col = doc.locate((vocab, name, "within"))
                yield Finding(CONFIG_NAME, line, col, "vocab-unknown-parent",
                              f"`{vocab}.{name}` is within `{parent}`, which is not in `{vocab}`"
                              f"{suggest(parent, entries)}")
        for cycle in _cycles(entries):
            name = cycle[0]
            line, col = doc.locate((vocab, name, "within"))
            loop = " within ".join([*cycle, name])
            yield Finding(CONFIG_NAME, line, col, "vocab-cycle",
                          f"`{vocab}` nesting loops: {loop}; remove one `within`")


def _cycles(entries: dict[str, Any]) -> list[list[str]]:
    """Every loop of `within` among `entries`, each once, starting at its member that comes first in `entries`,
    in that order.

    Each entry has at most one parent, so a walk up from an entry either leaves the vocabulary, joins a walk
    already done, or comes back onto itself: colouring the entries as walks pass makes the whole search linear,
    however deep the nesting.
    """
    order = {name: i for i, name in enumerate(entries)}
    walk_of: dict[str, int] = {}  # the walk that first reached each entry
    cycles: list[list[str]] = []
    for walk, start in enumerate(entries):
        if start in walk_of:
            continue
        path: list[str] = []
        current: str | None = start
        while current is not None and current in entries and current not in walk_of:
            walk_of[current] = walk
            path.append(current)
            current = entries[current].within
        if current is not None and walk_of.get(current) == walk:  # back onto this walk: the loop is its tail
            loop = path[path.index(current):]
            first = min(range(len(loop)), key=lambda i: order[loop[i]])
            cycles.append(loop[first:] + loop[:first])
    cycles.sort(key=lambda loop: order[loop[0]])
    return cycles


def _value(claim: tuple[Any, ...]) -> FigureValue:
    return FigureValue(claim[0], claim[1], claim[2])


@check
def sums(ctx: Context) -> Iterator[Finding]:
    """A total without a `quote` is the analyst's own arithmetic: it must equal the sum of its parts."""
    claims = ctx.claims
    approx = ctx.config.figures.approx if ctx.config else 0.1
    for f in ctx.facts:
        if f.claim is None or not f.claim[3]:
            continue
        sum_of, quoted = f.claim[3], f.claim[4]
        chain = _sum_cycle(f.id, sum_of, claims)
        if chain:
            yield ctx.finding(f, "sum-cycle", f"`sum_of` loops back to this claim: {' -> '.join(chain)}", "sum_of")
            continue
        if quoted:
            continue  # the source states this total itself: `ledger diff-figures` reports a mismatch
        parts = [claims[i] for i in sum_of if i in claims]
        if len(parts) != len(sum_of):
            continue  # the references check names the missing parts
        values = [_value(p) for p in parts]  # type: ignore[arg-type]
        total = values[0].interval(approx)
        for value in values[1:]:
            total = total + value.interval(approx)
        own = _value(f.claim)
        if not own.interval(approx).overlaps(total):
            written = " + ".join(str(v) for v in values)
            yield ctx.finding(f, "sum-mismatch", f"the parts add up to {written} = {_interval_text(total)}, but "
                              f"`value` is {own}; this total has no `quote`, so it is the ledger's own "
                              "arithmetic: fix the value or `sum_of`", "value")


def _interval_text(interval: Any) -> str:
    if interval.hi == interval.lo:
        return str(interval.lo)
    return f"at least {interval.lo}" if interval.hi is None else f"{interval.lo} to {interval.hi}"


def _sum_cycle(start: str, parts: tuple[str, ...], claims: Any) -> list[str]:
    """The path from the claim `start` (whose own parts are `parts`) back to itself through `sum_of`, or []."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        claim = (None, None, None, parts) if len(path) == 1 else claims.get(current)
        if claim is None:
            continue
        for part in claim[3]:
            if part == start:
                return [*path, start]
            if part not in seen:
                seen.add(part)
                stack.append((part, [*path, part]))
    return []


@check
def evidence_files(ctx: Context) -> Iterator[Finding]:
    """A document's files exist under the ledger root and have the recorded sha256."""
    root = ctx.root.resolve()
    for f in ctx.facts:
        for i, path, sha256 in f.files:
            yield from _evidence_file(ctx, f, i, path, sha256, root)


def evidence_target(root: Path, path: str) -> Path | None:
    """The evidence file a document's `files[].path` names, or None when the path leaves the ledger."""
    try:
        pure = PurePosixPath(path.replace("\\", "/"))
        target = (root / pure).resolve()
        return target if not pure.is_absolute() and target.is_relative_to(root) else None
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system...
        return None


def evidence_key(root: Path, path: str) -> str | None:
    """The evidence file as the cache names it (resolved, relative to the root: a copied ledger's cache still
    fits it), or None when the path leaves the ledger."""
    resolved = root.resolve()
    target = evidence_target(resolved, path)
    return target.relative_to(resolved).as_posix() if target is not None else None


def _evidence_file(ctx: Context, f: Facts, i: int, path: str, sha256: str, root: Path) -> Iterator[Finding]:
    where = ("files", i, "path")
    target = evidence_target(root, path)
    inside, mode = target is not None, None
    try:
        mode = target.stat().st_mode if target is not None else None
    except FileNotFoundError:
        pass
    except (OSError, ValueError):  # a name too long for the file system
        inside = False
    # the path is record text: messages name the field, never repeat it
    if not inside:
        yield ctx.finding(f, "bad-path", f"`files[{i}].path` must be a path relative to the ledger root that stays "
                            "inside it (normally under evidence/)", *where)
    elif mode is None:
        yield ctx.finding(f, "missing-file", f"`files[{i}].path` names a file that is not in the ledger; add the "
                            "file or fix the path", *where)
    elif not stat.S_ISREG(mode):
        yield ctx.finding(f, "not-regular-file", f"`files[{i}].path` names {what_it_is(mode)}, not a regular file: "
                            "not read", *where)
    else:
        try:
            actual = ctx.sha256(target)  # type: ignore[arg-type]
        except (OSError, Refused) as e:
            reason = e.message if isinstance(e, Refused) else e.strerror
            yield ctx.finding(f, "missing-file", f"`files[{i}].path` names a file that cannot be read ({reason})",
                              *where)
            return
        if actual != sha256:
            yield ctx.finding(f, "hash-mismatch", f"`files[{i}].path`: the file has sha256 {actual}, not the "
                                f"recorded {sha256}: the file changed, or the hash is wrong", "files", i, "sha256")


@ledger_check
def schemas_current(ctx: Context) -> Iterator[Finding]:
    """schemas/, where the ledger keeps it, is exactly what the models generate."""
    yield from ctx.schema_drift()


def check_ledger(root: Path) -> tuple[Ledger, list[Finding]]:
    """Load the ledger at `root` and run every rule: the ledger and all findings, in file order."""
    from .findings import sort_findings
    from .load import load_ledger

    ledger, findings = load_ledger(root)
    return ledger, sort_findings(findings + run_checks(ledger))
