"""What the rules across records need to know of each record, as plain tuples.

Facts are small, picklable and marshal-able: the cache keeps them for unchanged files, and worker
processes send them back instead of whole records.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Path = tuple[Any, ...]


class Facts(NamedTuple):
    """One record, as the cross-record rules see it."""

    kind: str
    id: str
    file: str
    index: int  # the document's index in its file
    line: int  # where the record starts
    column: int
    refs: tuple[tuple[Path, str, tuple[str, ...]], ...]  # (field path, id, kinds it may name)
    vocab: tuple[tuple[Path, str, str], ...]  # (field path, vocabulary, entry)
    claim: tuple[str, int | None, int | None, tuple[str, ...], bool] | None  # (form, a, b, sum_of, quoted)
    files: tuple[tuple[int, str, str], ...]  # a document's evidence: (index, path, sha256)


def _ids(value: Any) -> list[tuple[Path, str]]:
    if isinstance(value, list):
        return [((i,), item) for i, item in enumerate(value)]
    return [((), value)] if value is not None else []


def facts_of(record: Any, file: str, index: int, line: int, column: int) -> Facts:
    """The facts of a validated record."""
    refs = tuple(
        ((name, *sub), ref, kinds)
        for name, kinds in record.references.items()
        for sub, ref in _ids(getattr(record, name))
    )
    vocab = []
    for path, vocabulary in record.vocabulary.items():
        value: Any = record
        for part in path:
            value = getattr(value, part)
        vocab += [((*path, *sub), vocabulary, ref) for sub, ref in _ids(value)]
    claim = None
    if record.kind == "claim":
        v = record.value
        claim = (v.form, v.a, v.b, tuple(record.sum_of), record.quote is not None)
    files = tuple((i, f.path, f.sha256.lower()) for i, f in enumerate(record.files)) if record.kind == "document" \
        else ()
    return Facts(record.kind, record.id, file, index, line, column, refs, tuple(vocab), claim, files)


def from_plain(plain: Any) -> Facts:
    """Facts from the plain nested tuples the cache stores (marshal knows no named tuples)."""
    return Facts._make(plain)
