"""The record kinds, named once: the models (ledger/models.py) are built for exactly these, in this order, and
refuse to load otherwise; the command line's choices and the cache's columns are taken from here, which costs
no import of pydantic."""

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
