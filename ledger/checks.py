"""Rules across records and ledger.yaml: one function each, registered with what it reads (ledger/rules.py), each
yielding findings."""

from __future__ import annotations

import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from .facts import Facts, Figure, facts_of
from .figures import FigureValue, parse_date
from .findings import Finding
from .layout import CONFIG_NAME, NOT_EVIDENCE
from .load import Ledger
from .models import VOCABULARIES
from .reading import Refused, what_it_is
from .rules import Context, Reach, check, ledger_check, run_rules
from .validate import dotted, suggest


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


@check(Reach(same_id=True))
def duplicate_ids(ctx: Context) -> Iterator[Finding]:
    """An id names one record across the whole ledger."""
    for f in ctx.facts:
        first = ctx.first[f.id]
        if (first.file, first.document) != (f.file, f.document):
            line, _ = ctx.locate(first, "id")
            yield ctx.finding(f, "duplicate-id", f"duplicate id `{f.id}`: already used by the {first.kind} at "
                              f"{first.file}:{line}; give one of them a new id", "id")


@check(Reach(targets=True, every_id=True))
def references(ctx: Context) -> Iterator[Finding]:
    """Every reference names an existing record of a kind the field allows."""
    candidates: dict[tuple[str, ...], list[str]] = {}  # the ids of each set of kinds, sorted once
    for f in ctx.facts:
        for path, ref, kinds in f.refs:
            target = ctx.first.get(ref)
            if target is None:
                if kinds not in candidates:
                    candidates[kinds] = sorted(i for i, kind in ctx.kinds().items() if kind in kinds)
                hint = suggest(ref, candidates[kinds])
                yield ctx.finding(f, "unknown-ref", f"`{dotted(path)}` names `{ref}`, but no record has that id"
                                  f"{hint or f'; it must be the id of {_a(kinds)}'}", *path)
            elif target.kind not in kinds:
                yield ctx.finding(f, "wrong-kind-ref", f"`{dotted(path)}` must name {_a(kinds)}, but `{ref}` is "
                                  f"{_a([target.kind])} ({target.file}:{target.line})", *path)


_VOCAB_CODES = {"measures": "unknown-measure", "places": "unknown-place", "populations": "unknown-population",
                "allegations": "unknown-allegation"}


@check(Reach(config=True))
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


@ledger_check(Reach(config=True))
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


def _value(claim: Figure) -> FigureValue:
    return FigureValue(claim.form, claim.a, claim.b, claim.group)


@check(Reach(config=True, targets=True, through=("sum_of",)))
def sums(ctx: Context) -> Iterator[Finding]:
    """A total without a `quote` is the analyst's own arithmetic: it must equal the sum of its parts."""
    claims = ctx.claims
    approx = ctx.config.figures.approx if ctx.config else 0.1
    for f in ctx.facts:
        if f.claim is None or not f.claim.sum_of:
            continue
        chain = _sum_cycle(f.id, f.claim.sum_of, claims)
        if chain:
            yield ctx.finding(f, "sum-cycle", f"`sum_of` loops back to this claim: {' -> '.join(chain)}", "sum_of")
            continue
        if f.claim.quoted:
            continue  # the source states this total itself: `ledger diff-figures` reports a mismatch
        parts = [claims[i] for i in f.claim.sum_of if i in claims]
        if len(parts) != len(f.claim.sum_of):
            continue  # the references check names the missing parts
        values = [_value(p) for p in parts]
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


def _sum_cycle(start: str, parts: tuple[str, ...], claims: Mapping[str, Figure]) -> list[str]:
    """The path from the claim `start` (whose own parts are `parts`) back to itself through `sum_of`, or [].

    Each claim is visited once and remembers who reached it first: the path is read back from those, so that a
    chain thousands of claims deep costs its length, not its square."""
    came_from: dict[str, str] = {part: start for part in parts}
    stack = list(reversed(parts))
    while stack:
        current = stack.pop()
        if current == start:
            path = [start]
            step = came_from[start]
            while step != start:
                path.append(step)
                step = came_from[step]
            return [start, *reversed(path[1:]), start]
        claim = claims.get(current)
        for part in claim.sum_of if claim is not None else ():
            if part not in came_from:
                came_from[part] = current
                stack.append(part)
    return []


# the kinds whose `date` a claim's figure takes when it has no `asserted` of its own
_SOURCE_KINDS = ("testimony", "statement", "document")


# A retraction reads the claims it names and, through them, their sources: `through` says both (a claim's date or
# source changed, a source's date changed: the retracting record is checked again).
@check(Reach(targets=True, through=("retracts", "source")))
def retractions(ctx: Context) -> Iterator[Finding]:
    """A record cannot withdraw a claim asserted after its own date: a claim's date is its `asserted`, else its
    source's date; "after" means certainly after, so dates of a month or a year that overlap pass."""
    for f in ctx.facts:
        retracted = [ref for ref in f.refs if ref.field == "retracts"]
        if not retracted or f.date is None:
            continue
        own = parse_date(f.date)
        for path, rid, _ in retracted:
            target = ctx.first.get(rid)
            if target is None or target.kind != "claim":
                continue  # the references check names it
            asserted, whose = target.date, "asserted"
            if asserted is None and target.source is not None:
                source = ctx.first.get(target.source)
                if source is not None and source.kind in _SOURCE_KINDS:
                    asserted, whose = source.date, f"the date of its source `{target.source}`"
            if asserted is None:
                continue
            when = parse_date(asserted)
            if own.before(when):
                yield ctx.finding(f, "retraction-before-claim", f"`{dotted(path)}` withdraws `{rid}`, asserted "
                                  f"{when} ({whose}), but this {f.kind} is dated {own}: a record cannot withdraw a "
                                  "claim stated after it; fix a date or `retracts`", *path)


@check(Reach(files=True))
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
        if pure.is_absolute() or not target.is_relative_to(root):
            return None
        inner = target.relative_to(root).parts
        return None if inner and inner[0] in NOT_EVIDENCE else target
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system...
        return None


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
        assert target is not None  # inside the ledger, so resolved
        try:
            actual = ctx.sha256(target, path)
        except (OSError, Refused) as e:
            reason = e.message if isinstance(e, Refused) else e.strerror
            yield ctx.finding(f, "missing-file", f"`files[{i}].path` names a file that cannot be read ({reason})",
                              *where)
            return
        if actual != sha256:
            yield ctx.finding(f, "hash-mismatch", f"`files[{i}].path`: the file has sha256 {actual}, not the "
                                f"recorded {sha256}: the file changed, or the hash is wrong", "files", i, "sha256")


@ledger_check(Reach(schemas=True))
def schemas_current(ctx: Context) -> Iterator[Finding]:
    """schemas/, where the ledger keeps it, is exactly what the models generate."""
    yield from ctx.schema_drift()


def check_ledger(root: Path) -> tuple[Ledger, list[Finding]]:
    """Load the ledger at `root` and run every rule: the ledger and all findings, in file order."""
    from .findings import sort_findings
    from .load import load_ledger

    ledger, findings = load_ledger(root)
    return ledger, sort_findings(findings + run_checks(ledger))
