"""Who said a figure and when, as output may show it (protected people by pseudonym only, never by name), and whose
figure it is: its voice, official or not, and whether it was withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .figures import When
from .load import Ledger
from .models import OFFICIAL_TYPES, Claim, Document, Org, Person, Record, Statement, Testimony


@dataclass(frozen=True)
class Source:
    """A claim's source as output shows it."""

    id: str
    kind: str
    who: str  # a pseudonym, a public name, an organisation, or a document title
    when: When | None
    verb: str  # "stated", "told Human Rights Watch", "reported"
    quotable: bool  # False for confidential testimonies: counted, never quoted
    reported_by: str | None = None  # a statement known only through a report: the report, as output names it
    url: str | None = None
    speaker: str = ""  # who said it, in a sentence: an official with their title, a document's author

    @property
    def by(self) -> str:
        """Who said it, as a sentence names them (a document: its author, else its title)."""
        return self.speaker or self.who

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


# Words that make an org's name a description ("the Prosecutor General's Office", "the Kazakh authorities")
# rather than a proper name ("Human Rights Watch", "Amnesty International"): a sentence gives the first "the".
_BODIES = frozenset({
    "office", "ministry", "committee", "commission", "department", "service", "services", "agency", "court",
    "council", "authorities", "police", "government", "bureau", "procuracy", "administration", "akimat",
    "parliament", "senate", "guard", "army", "forces", "embassy", "mission", "centre", "center", "institute",
    "union", "federation", "coalition", "network", "foundation", "prosecutor's",
})


def in_sentence(name: str) -> str:
    """An org's name as a sentence writes it mid-sentence: `the Prosecutor General's Office`, `Human Rights
    Watch`. A name that starts with "the" is kept as it is written."""
    words = name.split()
    if not words or words[0].lower() == "the":
        return name
    if " of " in f" {name} " or any(w.strip(",.()").lower() in _BODIES for w in words):
        return f"the {name}"
    return name


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
        return Source(ref, "testimony", who, rec.date, verb, rec.consent != "confidential", speaker=who)
    if isinstance(rec, Statement):
        report = ledger.by_id.get(rec.reported_by) if rec.reported_by else None
        through = describe_source(ledger, report.record.id).who if report is not None and isinstance(
            report.record, Document) else None
        who = official_label(ledger, rec.issuer)
        return Source(ref, "statement", who, rec.date, "stated", True, through, rec.url, _said(ledger, rec.issuer))
    if isinstance(rec, Document):
        who = f"{label(ledger, rec.author)}, “{rec.title}”" if rec.author else f"“{rec.title}”"
        return Source(ref, "document", who, rec.date, "reported", True, None, rec.url,
                      _said(ledger, rec.author) if rec.author else f"“{rec.title}”")
    return Source(ref, "unknown", ref, None, "stated", False)


def official_label(ledger: Ledger, ref: str | None) -> str:
    """`label`, with a person's title when the record gives one: `Deputy Prosecutor General Ivan Petrov`."""
    entry = ledger.by_id.get(ref) if ref is not None else None
    title = getattr(entry.record, "title", None) if entry is not None else None
    if isinstance(title, str) and title and isinstance(entry.record, Person):  # type: ignore[union-attr]
        return f"{title} {label(ledger, ref)}"
    return label(ledger, ref)


def _said(ledger: Ledger, ref: str) -> str:
    """A person or org as a sentence names them: an official with their title, an org with its article."""
    entry = ledger.by_id.get(ref)
    if entry is not None and isinstance(entry.record, Org):
        return in_sentence(entry.record.name)
    return official_label(ledger, ref)


@dataclass(frozen=True)
class Voice:
    """Who stands behind a figure (record-format.md, "Voices"): an org, a person, a witness or a document."""

    id: str  # `org:pgo`, `person:ivan-petrov`, `witness:ulan-u`, `document:d-1`: one voice, one id
    name: str  # as output may name it
    official: bool
    said: str = ""  # as a sentence names it: `the Prosecutor General's Office`; "" when the same as `name`

    @property
    def prose(self) -> str:
        """The voice as a sentence names it."""
        return self.said or self.name


def voice_of(ledger: Ledger, claim: Claim, hidden: dict[tuple[str, str], str] | None = None) -> Voice:
    """The voice of a claim: for a statement, the body it spoke for, else its issuer if an org, else the issuer's
    affiliation, else the issuer; for a document, its author if an org, else the author's affiliation, else the
    author, else the document itself; for a testimony, its witness. A statement known only through a report keeps
    its issuer's voice. `hidden`: `hidden_witnesses(ledger)`, worked out once for many claims."""
    entry = ledger.by_id.get(claim.source)
    rec = entry.record if entry is not None else None
    if isinstance(rec, Statement):
        speaker = getattr(rec, "on_behalf_of", None) or rec.issuer
        return _voice_of_party(ledger, speaker)
    if isinstance(rec, Document):
        if rec.author:
            return _voice_of_party(ledger, rec.author)
        return Voice(f"document:{rec.id}", f"“{rec.title}”", False)
    if isinstance(rec, Testimony):
        # a witness output may not name (a confidential testimony's; an anonymous one's without a pseudonym) is one
        # voice all the same, under an id that names nobody and that no guess of theirs can be checked against, and
        # never the voice of their testimonies that name them: nothing ties those figures to the name. Nor is it
        # official: "(official)" beside a confidential witness would say that a police officer or an official spoke
        hidden = hidden_witnesses(ledger) if hidden is None else hidden
        who = hidden.get((rec.witness, rec.consent))
        official = who is None and _official(ledger, rec.witness)
        return Voice(f"witness:{who or rec.witness}", witness_label(ledger, rec.witness, rec.consent), official)
    return Voice(f"source:{claim.source}", claim.source, False)


def _hides(ledger: Ledger, rec: Testimony) -> bool:
    """True when output names the testimony's witness otherwise than their testimonies that name them."""
    return rec.consent == "confidential" or (
        rec.consent == "anonymous" and witness_label(ledger, rec.witness, rec.consent) != label(ledger, rec.witness))


def hidden_witnesses(ledger: Ledger) -> dict[tuple[str, str], str]:
    """(witness, consent) → the voice id output gives a witness it may not name: `confidential-1`, `anonymous-1`,
    numbered in the order of their first testimony's id (stable for a given ledger), so that nothing about the
    witness (not a hash of their id, which a guess could be checked against) is in it."""
    first: dict[tuple[str, str], str] = {}
    for entry in ledger.entries:
        rec = entry.record
        if isinstance(rec, Testimony) and _hides(ledger, rec):
            key: tuple[str, str] = (rec.witness, str(rec.consent))
            if key not in first or rec.id < first[key]:
                first[key] = rec.id
    numbered: dict[str, int] = {}
    out: dict[tuple[str, str], str] = {}
    for key, _ in sorted(first.items(), key=lambda kv: kv[1]):
        numbered[key[1]] = numbered.get(key[1], 0) + 1
        out[key] = f"{key[1]}-{numbered[key[1]]}"
    return out


def _voice_of_party(ledger: Ledger, ref: str) -> Voice:
    """An org's voice, or a person's: the org they are affiliated with, else their own."""
    entry = ledger.by_id.get(ref)
    rec = entry.record if entry is not None else None
    if isinstance(rec, Person) and rec.affiliation and isinstance(
            getattr(ledger.by_id.get(rec.affiliation), "record", None), Org):
        return _voice_of_party(ledger, rec.affiliation)
    kind = "org" if isinstance(rec, Org) else "person"
    name = label(ledger, ref)
    said = _said(ledger, ref)
    return Voice(f"{kind}:{ref}", name, _official(ledger, ref), said if said != name else "")


def _official(ledger: Ledger, ref: str) -> bool:
    """An org whose type is among ledger.yaml's `figures.official`, or a person without affiliation whose roles
    include `official` or `police`."""
    entry = ledger.by_id.get(ref)
    rec = entry.record if entry is not None else None
    if isinstance(rec, Org):
        types = ledger.config.figures.official if ledger.config is not None else OFFICIAL_TYPES
        return rec.type is not None and rec.type in types
    if isinstance(rec, Person):
        return not rec.affiliation and bool({"official", "police"} & set(rec.roles))
    return False


@dataclass(frozen=True)
class Withdrawal:
    """A claim withdrawn by a later record: which, whose, when."""

    by: str  # the id of the statement or document that withdrew it
    who: str  # its voice, as output may name it
    when: When | None  # its date
    source: Source | None = None  # the record that withdrew it, as output cites it
    said: str = ""  # its voice as a sentence names it (`the Ministry of Internal Affairs`)


def withdrawals(ledger: Ledger) -> dict[str, Withdrawal]:
    """Every withdrawn claim, by the first record (by date) that `retracts` it."""
    out: dict[str, Withdrawal] = {}
    for entry in ledger.entries:
        rec = entry.record
        retracted = getattr(rec, "retracts", None)
        if not retracted or not isinstance(rec, (Statement, Document)):
            continue
        speaker = (getattr(rec, "on_behalf_of", None) or rec.issuer) if isinstance(rec, Statement) else rec.author
        voice = _voice_of_party(ledger, speaker) if speaker else None
        who = voice.name if voice is not None else f"“{rec.title}”"  # type: ignore[union-attr]
        found = Withdrawal(rec.id, who, rec.date, describe_source(ledger, rec.id),
                           voice.prose if voice is not None else who)
        for claim_id in retracted:
            known = out.get(claim_id)
            if known is None or _day(found.when) < _day(known.when):
                out[claim_id] = found
    return out


def _day(when: When | None) -> date:
    """The first day a date may be (a date given as a month or a year stands for any of its days)."""
    return when.start if when is not None else date.min


def claim_date(ledger: Ledger, claim: Claim) -> When | None:
    """When the figure was stated: `asserted`, else the source's date."""
    return claim.asserted or describe_source(ledger, claim.source).when
