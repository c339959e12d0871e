"""The record kinds and the syntax of an id, named once: the models (ledger/models.py) are built for exactly these
kinds, in this order, and refuse to load otherwise; the command line's choices, the cache's columns and the keys'
labels are taken from here, which costs no import of pydantic."""

from __future__ import annotations

# kind -> the folder `ledger add` writes it into, under records/
PLURALS: dict[str, str] = {
    "person": "people",
    "org": "orgs",
    "event": "events",
    "testimony": "testimonies",
    "statement": "statements",
    "document": "documents",
    "claim": "claims",
}
KINDS: tuple[str, ...] = tuple(PLURALS)

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,79}$"
SLUG_HELP = "a slug: 2 to 80 lowercase letters, digits and hyphens, starting with a letter or digit"

# what `ledger diff-figures` finds, in the order a finding's headline is chosen and findings are listed
FINDING_KINDS: tuple[str, ...] = ("conflict", "exceeds", "gap", "spread", "revision", "sum", "agree")
