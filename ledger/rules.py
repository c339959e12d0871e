"""The registry of rules across records, and what each may read.

A rule is one function that yields findings. It declares, in its `Reach`, what it reads besides the records it
is given; the check cache works out from these declarations alone which records to check again after a change
(ledger/checker.py has no rule of its own), and each rule runs on a view of the context that refuses what its
reach does not declare, so that a wrong declaration fails loudly in any test rather than hiding a finding
behind the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .facts import Facts, FactsIndex, Figure, Referrer, Target
from .findings import Finding
from .layout import CONFIG_NAME

if TYPE_CHECKING:
    from .models import LedgerConfig
    from .yamlio import Document


@dataclass(frozen=True)
class Reach:
    """What a rule reads besides the record it checks. The cache runs the rule again on a record whenever
    anything its reach covers changed; a rule that reads the whole ledger (`everything`) runs every time."""

    config: bool = False  # ledger.yaml (its vocabularies and settings)
    targets: bool = False  # the records that its references name: kind, file, line, figure
    through: tuple[str, ...] = ()  # fields followed at any depth (`sum_of`): every record reached through them
    same_id: bool = False  # the other records that have its id
    referrers: bool = False  # the records whose references name it, and in which field
    every_id: bool = False  # the id and kind of every record (for a "did you mean" in its findings)
    files: bool = False  # the files on disk that its record names (evidence), through links too
    schemas: bool = False  # schemas/ (for a rule about the ledger)
    everything: bool = False  # every record of the ledger

    def __or__(self, other: Reach) -> Reach:
        values = {f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self) if f.name != "through"}
        return Reach(**values, through=tuple(sorted({*self.through, *other.through})))


class Index(Protocol):
    """The whole ledger's records as rules may look them up: `facts.FactsIndex` in memory, the cache's
    `checkbase.Index` without loading every record."""

    def __getitem__(self, rid: str) -> Target: ...
    def __contains__(self, rid: object) -> bool: ...
    def get(self, rid: str, default: Target | None = None) -> Target | None: ...
    def claim(self, rid: str) -> Figure | None: ...
    def kinds(self) -> dict[str, str]: ...
    def referrers(self, rid: str) -> list[Referrer]: ...


class Claims(Mapping[str, Figure]):
    """The figures of the claims among the first records of every id, looked up one at a time."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def __getitem__(self, rid: str) -> Figure:
        claim = self.index.claim(rid) if isinstance(rid, str) else None
        if claim is None:
            raise KeyError(rid)
        return claim

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self.index.claim(rid) is not None

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the claims are looked up by id, never listed: a rule that needs them all reads everything")

    def __len__(self) -> int:
        raise TypeError("the claims are looked up by id, never counted")


class Context:
    """What the rules run on: the facts of the records to check, the whole ledger by id, ledger.yaml, the files on
    disk, and a way to locate a finding."""

    def __init__(self, root: Path, facts: list[Facts], config: LedgerConfig | None, config_doc: Document | None,
                 documents: dict[tuple[str, int], Document] | None = None,
                 sha256: Callable[[Path, str], str] | None = None, index: Index | None = None,
                 every_record: Callable[[], list[Facts]] | None = None) -> None:
        from .reading import sha256_of

        self.root = root
        self.facts = facts
        self.config = config
        self.config_doc = config_doc
        self.first: Index = index if index is not None else FactsIndex(facts)
        self.claims = Claims(self.first)
        self._documents = documents if documents is not None else {}
        self._parsed_files: set[str] = set()
        # (the file, resolved; its path as the record writes it) -> its sha256: the cache answers from its last run
        self.sha256: Callable[[Path, str], str] = sha256 or (lambda target, written: sha256_of(target))
        self._kinds: dict[str, str] | None = None
        self._every_record = every_record or (lambda: facts)

    def kinds(self) -> dict[str, str]:
        """Every id and the kind of its first record (for a "did you mean"), worked out once."""
        if self._kinds is None:
            self._kinds = self.first.kinds()
        return self._kinds

    def referrers(self, rid: str) -> list[Referrer]:
        """The records whose references name `rid`, and in which field."""
        return self.first.referrers(rid)

    def every_record(self) -> list[Facts]:
        """The facts of every record of the ledger (a rule that reads `everything`)."""
        return self._every_record()

    def document(self, file: str, index: int) -> Document | None:
        """The YAML document of a record, re-read from disk (precisely) when this run has not got it."""
        from .reading import Refused, read_bytes
        from .yamlio import parse_bytes

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
        """Line and column of `path` inside the record `f` (the record itself when no path is given)."""
        column = f.column if isinstance(f, Facts) else 1
        if not path and not key:
            return f.line, column
        doc = self.document(f.file, f.document)
        return doc.locate(path, key=key) if doc is not None else (f.line, column)

    def finding(self, f: Facts, code: str, message: str, *path: Any, key: bool = False) -> Finding:
        """A finding at `path` inside the record (the record itself when no path is given)."""
        line, col = self.locate(f, *path, key=key)
        return Finding(f.file, line, col, code, message)


# What each part of the context needs declared: a rule that reads anything else fails at once.
_DECLARED: dict[str, Callable[[Reach], bool]] = {
    "config": lambda r: r.config,
    "config_doc": lambda r: r.config,
    "first": lambda r: r.targets or r.same_id or bool(r.through),
    "claims": lambda r: r.targets or bool(r.through),
    "kinds": lambda r: r.every_id,
    "referrers": lambda r: r.referrers,
    "sha256": lambda r: r.files,
    "schema_drift": lambda r: r.schemas,
    "every_record": lambda r: r.everything,
}


class UndeclaredRead(Exception):
    """A rule read what its reach does not declare: the cache could not know when to run it again."""


class _Scoped:
    """The context as one rule may see it: what its reach declares, and nothing else."""

    def __init__(self, ctx: Context, rule: Rule) -> None:
        self._ctx, self._rule = ctx, rule

    def __getattr__(self, name: str) -> Any:
        declared = _DECLARED.get(name)
        if declared is not None and not declared(self._rule.reach):
            raise UndeclaredRead(f"the rule `{self._rule.name}` reads `{name}`, which its Reach does not declare")
        return getattr(self._ctx, name)


About = Literal["records", "ledger"]


@dataclass(frozen=True)
class Rule:
    """A registered rule: its function, what it reads, and whether its findings are about the records it is given
    (each in the file of its record) or about the ledger as a whole (ledger.yaml, schemas/)."""

    name: str
    run: Callable[[Any], Iterable[Finding]]
    reach: Reach = field(default_factory=Reach)
    about: About = "records"


RECORD_RULES: list[Rule] = []
LEDGER_RULES: list[Rule] = []


def check(reach: Reach = Reach()) -> Callable[[Callable[[Any], Iterable[Finding]]], Callable[[Any], Iterable[Finding]]]:
    """Register a rule about records, with what it reads; `run_rules` runs the rules in registration order."""
    def register(fn: Callable[[Any], Iterable[Finding]]) -> Callable[[Any], Iterable[Finding]]:
        RECORD_RULES.append(Rule(fn.__name__, fn, reach, "records"))
        return fn

    return register


def ledger_check(reach: Reach = Reach(everything=True)) -> Callable[[Callable[[Any], Iterable[Finding]]],
                                                                    Callable[[Any], Iterable[Finding]]]:
    """Register a rule about the ledger as a whole (its findings are in ledger.yaml or schemas/), with what it
    reads: it runs again when that changes, or on every check when it reads everything."""
    def register(fn: Callable[[Any], Iterable[Finding]]) -> Callable[[Any], Iterable[Finding]]:
        LEDGER_RULES.append(Rule(fn.__name__, fn, reach, "ledger"))
        return fn

    return register


def registered() -> tuple[list[Rule], list[Rule]]:
    """The rules about records and the rules about the ledger, every one registered."""
    from . import checks  # noqa: F401 - the rules register themselves when their module is imported

    return RECORD_RULES, LEDGER_RULES


def reach_of(rules: Iterable[Rule]) -> Reach:
    """What a set of rules reads, together."""
    total = Reach()
    for rule in rules:
        total = total | rule.reach
    return total


def run_rule(ctx: Context, rule: Rule) -> list[Finding]:
    """One rule's findings; a rule that fails (or reads what it did not declare) is itself a finding."""
    try:
        return list(rule.run(_Scoped(ctx, rule)))
    except Exception as e:  # noqa: BLE001 - one rule's bug must not hide the other rules' findings
        return [Finding(CONFIG_NAME, 0, 0, "internal-error",
                        f"the `{rule.name}` check failed ({type(e).__name__}); please report it")]


def run_rules(ctx: Context, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every rule's findings (or those of `rules`), in registration order."""
    return [f for rule in (rules if rules is not None else [rule for kind in registered() for rule in kind])
            for f in run_rule(ctx, rule)]
