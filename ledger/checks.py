"""Rules across records and ledger.yaml: one function each, in a registry, each yielding findings."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from .findings import Finding
from .load import CONFIG_NAME, Entry, Ledger
from .models import VOCABULARIES, Claim, Document
from .validate import dotted, suggest

Check = Callable[[Ledger], Iterable[Finding]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    """Register a rule; `run_checks` runs them all in registration order."""
    CHECKS.append(fn)
    return fn


def run_checks(ledger: Ledger) -> list[Finding]:
    """Every registered rule's findings on a loaded ledger; a rule that fails is itself a finding."""
    findings: list[Finding] = []
    for rule in CHECKS:
        try:
            findings.extend(rule(ledger))
        except Exception as e:  # noqa: BLE001 - one rule's bug must not hide the other rules' findings
            findings.append(Finding(CONFIG_NAME, 0, 0, "internal-error",
                                    f"the `{rule.__name__}` check failed ({type(e).__name__}); please report it"))
    return findings


def _a(kinds: Iterable[str]) -> str:
    names = [("an " if k[0] in "aeiou" else "a ") + k for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _ids(value: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield (i,), item
    elif value is not None:
        yield (), value


@check
def duplicate_ids(ledger: Ledger) -> Iterator[Finding]:
    """An id names one record across the whole ledger."""
    for entry in ledger.entries:
        first = ledger.by_id[entry.record.id]
        if first is not entry:
            line, _ = first.locate("id")
            yield entry.finding("duplicate-id", f"duplicate id `{entry.record.id}`: already used by the "
                                f"{first.record.kind} at {first.file}:{line}; give one of them a new id", "id")


@check
def references(ledger: Ledger) -> Iterator[Finding]:
    """Every reference names an existing record of a kind the field allows."""
    for entry in ledger.entries:
        rec = entry.record
        for fieldname, kinds in rec.references.items():
            for sub, ref in _ids(getattr(rec, fieldname)):
                path = (fieldname, *sub)
                target = ledger.by_id.get(ref)
                if target is None:
                    candidates = [i for i, e in ledger.by_id.items() if e.record.kind in kinds]
                    hint = suggest(ref, candidates)
                    yield entry.finding("unknown-ref", f"`{dotted(path)}` names `{ref}`, but no record has that id"
                                        f"{hint or f'; it must be the id of {_a(kinds)}'}", *path)
                elif target.record.kind not in kinds:
                    line, _ = target.locate()
                    yield entry.finding("wrong-kind-ref", f"`{dotted(path)}` must name {_a(kinds)}, but `{ref}` is "
                                        f"{_a([target.record.kind])} ({target.file}:{line})", *path)


_VOCAB_CODES = {"measures": "unknown-measure", "places": "unknown-place", "populations": "unknown-population",
                "allegations": "unknown-allegation"}


@check
def vocabulary_entries(ledger: Ledger) -> Iterator[Finding]:
    """Measures, places, populations and allegations come from ledger.yaml."""
    if ledger.config is None:
        return  # ledger.yaml's own findings say why; listing every use would only bury them
    for entry in ledger.entries:
        rec = entry.record
        for path, vocab in rec.vocabulary.items():
            value: Any = rec
            for part in path:
                value = getattr(value, part)
            known = ledger.config.vocabulary(vocab)
            for sub, ref in _ids(value):
                if ref not in known:
                    full = (*path, *sub)
                    singular = vocab[:-1]
                    yield entry.finding(_VOCAB_CODES[vocab], f"`{dotted(full)}`: `{ref}` is not a {singular} in "
                                        f"{CONFIG_NAME}{suggest(ref, known)}; add it under `{vocab}:` or fix the "
                                        "spelling", *full)


@check
def vocabulary_nesting(ledger: Ledger) -> Iterator[Finding]:
    """A `within` names an entry of the same vocabulary, and the nesting has no cycles."""
    config, doc = ledger.config, ledger.config_doc
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
        reported: set[str] = set()
        for name in entries:
            seen = [name]
            current = entries[name].within
            while current in entries and current not in seen:
                seen.append(current)
                current = entries[current].within
            if current == name and name not in reported:
                reported.update(seen)
                line, col = doc.locate((vocab, name, "within"))
                loop = " within ".join([*seen, name])
                yield Finding(CONFIG_NAME, line, col, "vocab-cycle",
                              f"`{vocab}` nesting loops: {loop}; remove one `within`")


def _claims(ledger: Ledger) -> dict[str, Entry]:
    return {i: e for i, e in ledger.by_id.items() if isinstance(e.record, Claim)}


@check
def sums(ledger: Ledger) -> Iterator[Finding]:
    """A total without a `quote` is the analyst's own arithmetic: it must equal the sum of its parts."""
    claims = _claims(ledger)
    approx = ledger.config.figures.approx if ledger.config else 0.1
    for entry in ledger.entries:
        rec = entry.record
        if not isinstance(rec, Claim) or not rec.sum_of:
            continue
        chain = _sum_cycle(rec.id, claims)
        if chain:
            yield entry.finding("sum-cycle", f"`sum_of` loops back to this claim: {' -> '.join(chain)}", "sum_of")
            continue
        if rec.quote is not None:
            continue  # the source states this total itself: `ledger diff-figures` reports a mismatch
        parts = [claims[i].record for i in rec.sum_of if i in claims]
        if len(parts) != len(rec.sum_of):
            continue  # the references check names the missing parts
        total = parts[0].value.interval(approx)  # type: ignore[attr-defined]
        for part in parts[1:]:
            total = total + part.value.interval(approx)  # type: ignore[attr-defined]
        own = rec.value.interval(approx)
        if not own.overlaps(total):
            written = " + ".join(str(p.value) for p in parts)  # type: ignore[attr-defined]
            yield entry.finding("sum-mismatch", f"the parts add up to {written} = {_interval_text(total)}, but "
                                f"`value` is {rec.value}; this total has no `quote`, so it is the ledger's own "
                                "arithmetic: fix the value or `sum_of`", "value")


def _interval_text(interval: Any) -> str:
    if interval.hi == interval.lo:
        return str(interval.lo)
    return f"at least {interval.lo}" if interval.hi is None else f"{interval.lo} to {interval.hi}"


def _sum_cycle(start: str, claims: dict[str, Entry]) -> list[str]:
    """The path from `start` back to itself through `sum_of`, or [] when there is none."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        entry = claims.get(current)
        if entry is None:
            continue
        for part in entry.record.sum_of:  # type: ignore[attr-defined]
            if part == start:
                return [*path, start]
            if part not in seen:
                seen.add(part)
                stack.append((part, [*path, part]))
    return []


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@check
def evidence_files(ledger: Ledger) -> Iterator[Finding]:
    """A document's files exist under the ledger root and have the recorded sha256."""
    root = ledger.root.resolve()
    for entry in ledger.entries:
        rec = entry.record
        if not isinstance(rec, Document):
            continue
        for i, item in enumerate(rec.files):
            yield from _evidence_file(entry, i, item.path, item.sha256.lower(), root)


def _evidence_file(entry: Entry, i: int, path: str, sha256: str, root: Path) -> Iterator[Finding]:
    where = ("files", i, "path")
    try:
        pure = PurePosixPath(path.replace("\\", "/"))
        target = (root / pure).resolve()
        inside = not pure.is_absolute() and target.is_relative_to(root)
        exists = inside and target.is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system...
        inside, exists = False, False
    if not inside:
        yield entry.finding("bad-path", f"`files[{i}].path` must be a path relative to the ledger root that stays "
                            "inside it (normally under evidence/)", *where)
    elif not exists:
        yield entry.finding("missing-file", f"`files[{i}].path`: `{path}` is not in the ledger; add the file or fix "
                            "the path", *where)
    else:
        actual = sha256_of(target)
        if actual != sha256:
            yield entry.finding("hash-mismatch", f"`{path}` has sha256 {actual}, not the recorded {sha256}: the "
                                "file changed, or the hash is wrong", "files", i, "sha256")


@check
def schemas_current(ledger: Ledger) -> Iterator[Finding]:
    """schemas/, where the ledger keeps it, is exactly what the models generate."""
    from .schema import drift_findings

    yield from drift_findings(ledger.root)


def check_ledger(root: Path) -> tuple[Ledger, list[Finding]]:
    """Load the ledger at `root` and run every rule: the ledger and all findings, in file order."""
    from .findings import sort_findings
    from .load import load_ledger

    ledger, findings = load_ledger(root)
    return ledger, sort_findings(findings + run_checks(ledger))
