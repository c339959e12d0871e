"""Who said a figure and when, as output may show it: protected people by pseudonym only, never by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .figures import When
from .load import Ledger
from .models import Claim, Document, Org, Person, Record, Statement, Testimony


@dataclass(frozen=True)
class Source:
    """A claim's source as output shows it."""

    id: str
    kind: str
    who: str  # a pseudonym, a public name, an organisation, or a document title
    when: When | None
    verb: str  # "stated", "told Human Rights Watch", "reported"
    quotable: bool  # False for confidential testimonies: counted, never quoted

    def title(self) -> str:
        """`Who, date` for a source list or a table cell."""
        return f"{self.who}, {long_date(self.when)}" if self.when else self.who


def long_date(day: When | date | None) -> str:
    """A date in words, as precisely as it is known: `25 January 2012`, `May 2022`, `2022`."""
    if day is None:
        return "undated"
    if isinstance(day, When):
        if day.precision == "year":
            return f"{day.start.year}"
        if day.precision == "month":
            return f"{day.start:%B} {day.start.year}"
        day = day.start
    return f"{day.day} {day:%B} {day.year}"


def on_date(day: When) -> str:
    """When something was said, as a sentence puts it: `on 25 January 2012`, `in May 2022`, `in 2022`."""
    return f"{'on' if day.precision == 'day' else 'in'} {long_date(day)}"


def label(ledger: Ledger, ref: str | None) -> str:
    """How a person or org may be named in output: a protected person by pseudonym, never by name."""
    if ref is None:
        return "unknown"
    entry = ledger.by_id.get(ref)
    if entry is None:
        return ref
    rec = entry.record
    if isinstance(rec, Person):
        return rec.label
    if isinstance(rec, Org):
        return rec.name
    return ref


def witness_label(ledger: Ledger, ref: str, consent: str) -> str:
    """How output may name a testimony's witness: by name only when the testimony is `public`; under a
    pseudonym when `anonymous` (or as "a witness", if the person has none); never when `confidential`."""
    if consent == "confidential":
        return "a witness whose testimony is confidential"
    if consent == "anonymous":
        entry = ledger.by_id.get(ref)
        person = entry.record if entry is not None else None
        pseudonym = getattr(person, "pseudonym", None)
        return pseudonym if isinstance(pseudonym, str) else "a witness who asked not to be named"
    return label(ledger, ref)


def describe_source(ledger: Ledger, ref: str) -> Source:
    """The source record `ref` as output may name it."""
    entry = ledger.by_id.get(ref)
    rec: Record | None = entry.record if entry else None
    if isinstance(rec, Testimony):
        to = label(ledger, rec.recorded_by) if rec.recorded_by else "researchers"
        verb = f"told {to}" if rec.mode != "media" else f"told {to} in a media interview"
        who = witness_label(ledger, rec.witness, rec.consent)
        return Source(ref, "testimony", who, rec.date, verb, rec.consent != "confidential")
    if isinstance(rec, Statement):
        return Source(ref, "statement", label(ledger, rec.issuer), rec.date, "stated", True)
    if isinstance(rec, Document):
        who = f"{label(ledger, rec.author)}, “{rec.title}”" if rec.author else f"“{rec.title}”"
        return Source(ref, "document", who, rec.date, "reported", True)
    return Source(ref, "unknown", ref, None, "stated", False)


def claim_date(ledger: Ledger, claim: Claim) -> When | None:
    """When the figure was stated: `asserted`, else the source's date."""
    return claim.asserted or describe_source(ledger, claim.source).when
