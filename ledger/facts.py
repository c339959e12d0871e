"""What the rules across records need to know of each record, as named tuples.

Facts are small, picklable and, as plain nested tuples (`plain`), marshal-able: the cache keeps them for unchanged
files, and worker processes send them back instead of whole records. The cache's own columns read the plain form
by the field positions below, which are taken from the named tuples.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Path = tuple[Any, ...]


class Ref(NamedTuple):
    """A reference to another record: the field path that holds it, the id, and the kinds it may name."""

    path: Path
    id: str
    kinds: tuple[str, ...]

    @property
    def field(self) -> str:
        """The record's field that holds the reference (`sum_of` for `sum_of[2]`)."""
        return str(self.path[0])


class VocabUse(NamedTuple):
    """An entry of one of ledger.yaml's vocabularies, used at a field path."""

    path: Path
    vocabulary: str
    entry: str


class Figure(NamedTuple):
    """A claim's figure as written (`form`, `a`, `b`, `group`: see figures.FigureValue), its parts and whether it
    is quoted."""

    form: str
    a: int | None
    b: int | None
    sum_of: tuple[str, ...]
    quoted: bool
    group: str


class Evidence(NamedTuple):
    """A document's evidence file: its position in `files`, its path as written, its recorded sha256."""

    position: int
    path: str
    sha256: str


class Facts(NamedTuple):
    """One record, as the cross-record rules see it."""

    kind: str
    id: str
    file: str
    document: int  # which of its file's YAML documents holds it (from 0)
    line: int  # where the record starts
    column: int
    refs: tuple[Ref, ...]
    vocab: tuple[VocabUse, ...]
    claim: Figure | None
    files: tuple[Evidence, ...]
    # when it was said, as written (`2012-01-25`, `2022-06`): a source's `date`, a claim's `asserted`; else None
    date: str | None
    source: str | None  # a claim's source


# The positions of the plain form's fields, by name, for the cache's columns, which read them on every record of a
# large ledger: taken from the named tuples, never written out by hand.
_AT = {name: i for i, name in enumerate(Facts._fields)}
KIND, ID, DOCUMENT, LINE, REFS, CLAIM, FILES, DATE, SOURCE = (
    _AT[n] for n in ("kind", "id", "document", "line", "refs", "claim", "files", "date", "source"))
SUM_OF = Figure._fields.index("sum_of")
REF_PATH, REF_ID = Ref._fields.index("path"), Ref._fields.index("id")
EVIDENCE_PATH = Evidence._fields.index("path")


def _ids(value: Any) -> list[tuple[Path, str]]:
    if isinstance(value, list):
        return [((i,), item) for i, item in enumerate(value)]
    return [((), value)] if value is not None else []


def facts_of(record: Any, file: str, document: int, line: int, column: int) -> Facts:
    """The facts of a validated record, the `document`-th of its file."""
    refs = tuple(
        Ref((name, *sub), ref, kinds)
        for name, kinds in record.references.items()
        for sub, ref in _ids(getattr(record, name))
    )
    vocab = []
    for path, vocabulary in record.vocabulary.items():
        value: Any = record
        for part in path:
            value = getattr(value, part)
        vocab += [VocabUse((*path, *sub), vocabulary, ref) for sub, ref in _ids(value)]
    claim = None
    source = None
    if record.kind == "claim":
        v = record.value
        claim = Figure(v.form, v.a, v.b, tuple(record.sum_of), record.quote is not None, v.group)
        source = record.source
    files = tuple(Evidence(i, f.path, f.sha256.lower()) for i, f in enumerate(record.files)) \
        if record.kind == "document" else ()
    when = getattr(record, "asserted" if record.kind == "claim" else "date", None)
    return Facts(record.kind, record.id, file, document, line, column, refs, tuple(vocab), claim, files,
                 str(when) if when is not None else None, source)


def plain(facts: Facts) -> tuple[Any, ...]:
    """The facts as plain nested tuples, which marshal stores."""
    return (*facts[:REFS], tuple(map(tuple, facts.refs)), tuple(map(tuple, facts.vocab)),
            tuple(facts.claim) if facts.claim is not None else None, tuple(map(tuple, facts.files)), facts.date,
            facts.source)


def from_plain(raw: Any) -> Facts:
    """Facts from the plain nested tuples the cache stores."""
    kind, rid, file, document, line, column, refs, vocab, claim, files, when, source = raw
    return Facts(kind, rid, file, document, line, column, tuple(Ref._make(r) for r in refs),
                 tuple(VocabUse._make(v) for v in vocab), Figure._make(claim) if claim is not None else None,
                 tuple(Evidence._make(e) for e in files), when, source)


class Target(NamedTuple):
    """The first record (in file order) that has an id, as a rule may see it from another record."""

    kind: str
    file: str
    document: int
    line: int
    date: str | None  # as written: a source's `date`, a claim's `asserted` (see Facts)
    source: str | None  # a claim's source


class Referrer(NamedTuple):
    """A record that names another in one of its references: its kind, id and file, and the field."""

    kind: str
    id: str
    file: str
    field: str


class FactsIndex:
    """Every record of a ledger held in memory, looked up by id: the first record of each id, the figures of
    claims, and who refers to whom. The cache's base (ledger/checkbase.py) answers the same questions without
    holding every record."""

    def __init__(self, facts: list[Facts]) -> None:
        self.facts = facts
        self.first: dict[str, Target] = {}
        self._claims: dict[str, Figure] = {}
        for f in facts:
            if f.id not in self.first:
                self.first[f.id] = Target(f.kind, f.file, f.document, f.line, f.date, f.source)
                if f.claim is not None:
                    self._claims[f.id] = f.claim
        self._referrers: dict[str, list[Referrer]] | None = None

    def __getitem__(self, rid: str) -> Target:
        return self.first[rid]

    def __contains__(self, rid: object) -> bool:
        return rid in self.first

    def get(self, rid: str, default: Target | None = None) -> Target | None:
        return self.first.get(rid, default)

    def claim(self, rid: str) -> Figure | None:
        """The figure of the claim that is the first record of `rid`, or None."""
        return self._claims.get(rid)

    def kinds(self) -> dict[str, str]:
        """Every id and the kind of its first record."""
        return {rid: target.kind for rid, target in self.first.items()}

    def referrers(self, rid: str) -> list[Referrer]:
        """Every record whose references name `rid`, in file order."""
        if self._referrers is None:
            self._referrers = {}
            for f in self.facts:
                for ref in f.refs:
                    self._referrers.setdefault(ref.id, []).append(Referrer(f.kind, f.id, f.file, ref.field))
        return self._referrers.get(rid, [])
