"""The one Finding type every check returns and every output format renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# Stable codes: what a user can grep for, silence in CI, or read about in the README.
CODES: dict[str, str] = {
    "unreadable-file": "a file that cannot be read (permissions, a broken link)",
    "unreadable-folder": "a folder under records/ that cannot be listed: its records were not checked",
    "not-regular-file": "a FIFO, device, socket, link to a folder or link out of the ledger: never opened",
    "file-too-large": "a file over the size a record file may have: refused unread",
    "not-utf8": "the file is not UTF-8 text",
    "binary-file": "the file holds binary data (NUL bytes)",
    "empty-file": "the file holds no record",
    "yaml-syntax": "the file is not valid YAML",
    "csv-syntax": "a CSV file (`ledger import`) that cannot be read as rows: an unclosed quote, a cell too long",
    "yaml-duplicate-key": "a mapping has the same key twice",
    "yaml-alias-bomb": "aliases would expand to too many values",
    "yaml-too-deep": "lists and mappings nested deeper than records ever are: refused",
    "yaml-recursive-alias": "an alias refers to the node that contains it",
    "yaml-tag": "an explicit YAML tag that records do not use",
    "yaml-key": "a mapping key that is not a plain scalar",
    "not-a-record": "a YAML document that is not a mapping",
    "unknown-kind": "`kind` is missing or not one of the record kinds",
    "missing-field": "a required field is missing",
    "unknown-field": "a field the format does not define (often a typo)",
    "invalid-value": "a field's value has the wrong type or form",
    "protected-name": "a protected person carries a plaintext `name`",
    "duplicate-id": "two records share one id",
    "unknown-ref": "a reference to an id no record has",
    "wrong-kind-ref": "a reference to a record of the wrong kind",
    "unknown-measure": "a measure not in ledger.yaml",
    "unknown-place": "a place not in ledger.yaml",
    "unknown-population": "a population not in ledger.yaml",
    "unknown-allegation": "an allegation not in ledger.yaml",
    "vocab-unknown-parent": "a vocabulary entry `within` an entry that does not exist",
    "vocab-cycle": "vocabulary `within` nesting that loops",
    "sum-mismatch": "an analyst's total (no `quote`) that differs from the sum of its parts",
    "sum-cycle": "a `sum_of` chain that includes the claim itself",
    "retraction-before-claim": "a record withdraws (`retracts`) a claim asserted after the record's own date",
    "missing-file": "a document's file is not on disk",
    "hash-mismatch": "a document's file does not have the recorded sha256",
    "bad-path": "a document's file path is absolute or leaves the ledger",
    "schema-stale": "schemas/ differs from what the models generate",
    "ledger-config": "ledger.yaml is missing or unusable",
    "identity-leak": "a protected person's real name appears in plaintext",
    "identity-unreadable": "a sealed identity that this key cannot decrypt, or that was copied from another record",
    "identity-forged": "a sealed identity whose signature does not verify, or whose signer ledger.yaml does not list",
    "identity-unsigned": "a sealed identity without a signature: sealed before signatures, or forged without one",
    "identity-leak-skipped": "the leak check could not search where it was asked to",
    "internal-error": "ledger failed on this file; please report it",
}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: `path:line:col: severity[code]: message`.

    `file` is relative to the ledger root, in POSIX form; `line` and `column` are 1-based, 0 when unknown.
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered finding code {self.code!r}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Findings in file order, so output is the same run after run."""
    return sorted(set(findings))
