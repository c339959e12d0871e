"""The record format, version 1, as Pydantic models: one per kind, and one for ledger.yaml."""

from __future__ import annotations

import typing
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .figures import (
    DATE_FORMS,
    PERIOD_FORMS,
    VALUE_FORMS,
    FigureError,
    FigureValue,
    Period,
    When,
    parse_date,
    parse_period,
    parse_value,
)
from .identity import RECIPIENT_PATTERN, SIGNER_PATTERN
from .kinds import KINDS, SLUG_HELP, SLUG_PATTERN

FORMAT_VERSION = 1


def _custom(kind: str):  # type: ignore[no-untyped-def]
    def wrap(parse):  # type: ignore[no-untyped-def]
        def validate(value: Any) -> Any:
            try:
                return parse(value)
            except FigureError as e:
                raise PydanticCustomError(kind, str(e)) from None

        return validate

    return wrap


Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description=SLUG_HELP)]
# a year written as a number (`born: 1973`): YAML reads a plain 2022 as one
_YEAR = {"type": "integer", "minimum": 1000, "maximum": 2999}
_MONTH_TEXT = r"\d{4}-(0[1-9]|1[0-2])"
_DATE_SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "format": "date"},
    {"type": "string", "pattern": rf"^{_MONTH_TEXT}$"},
    {"type": "string", "pattern": r"^\d{4}$"},
    _YEAR,
]
DateField = Annotated[
    When,
    PlainValidator(_custom("when")(parse_date)),
    PlainSerializer(lambda w: w.to_yaml()),
    WithJsonSchema({"anyOf": _DATE_SCHEMAS, "description": f"a date: {DATE_FORMS}"}),
]
_END = r"\d{4}(-\d{2}(-\d{2})?)?"
PeriodField = Annotated[
    Period,
    PlainValidator(_custom("period")(parse_period)),
    PlainSerializer(lambda p: p.to_yaml()),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": rf"^{_END}(\.\.{_END})?$"}, _YEAR],
            "description": f"a period: {PERIOD_FORMS}",
        }
    ),
]
_COUNT = {"type": "integer", "minimum": 0}
# a count as text: plain digits, or grouped in threes by a comma, a space or a no-break space
_NUMBER = r"(\d+|[1-9]\d{0,2}(,\d{3})+|[1-9]\d{0,2}( \d{3})+|[1-9]\d{0,2}(\u00a0\d{3})+)"
_COUNT_TEXT = {"type": "string", "pattern": rf"^\s*{_NUMBER}\s*$"}
ValueField = Annotated[
    FigureValue,
    PlainValidator(_custom("figure_value")(parse_value)),
    PlainSerializer(lambda v: v.to_yaml()),
    WithJsonSchema(
        {
            "description": f"the figure as coded by the analyst: {VALUE_FORMS}",
            "anyOf": [
                _COUNT,
                {"type": "string", "pattern": rf"^\s*({_NUMBER}|[<>]=?\s*{_NUMBER}|{_NUMBER}\s*\+"
                                              rf"|{_NUMBER}\s*-\s*{_NUMBER}|~\s*{_NUMBER})\s*$"},
                {
                    "type": "object",
                    "properties": {"min": {"anyOf": [_COUNT, _COUNT_TEXT]}, "max": {"anyOf": [_COUNT, _COUNT_TEXT]}},
                    "additionalProperties": False,
                    "minProperties": 1,
                },
            ],
        }
    ),
]
LangCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="BCP 47: ru, kk, en")]
Url = Annotated[str, Field(pattern=r"^https?://\S+$", description="an http(s) address")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$", description="hex sha256 of the file (`sha256sum FILE`)")]

SealedIdentity = Annotated[
    str,
    Field(pattern=r"^\s*-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\s*$",
          description="the real identity, encrypted with age for the ledger's recipients (`ledger add person "
                      "--protected`); never plaintext"),
]
AgeRecipient = Annotated[str, Field(pattern=RECIPIENT_PATTERN, description="an age public key: age1…")]
SigningPublicKey = Annotated[str, Field(pattern=SIGNER_PATTERN, description="an Ed25519 public key, derived from "
                                         "the member's age key: ed25519: and 64 hex digits (`ledger keys show`)")]

Role = Literal[
    "witness", "victim", "detainee", "official", "police", "journalist", "activist", "worker", "medic", "relative"
]
OrgType = Literal[
    "government", "prosecutor", "police", "court", "ngo", "media", "company", "hospital", "party", "union",
    "intergovernmental",
]
Mode = Literal["in-person", "telephone", "written", "video", "media"]
Consent = Literal["public", "anonymous", "confidential"]
Relation = Literal["eyewitness", "victim", "relative", "professional", "hearsay"]
Medium = Literal["press-release", "speech", "interview", "letter", "report", "court-ruling", "media-quote"]
DocType = Literal[
    "media-report", "medical-record", "ngo-report", "un-report", "court-document", "list", "photo", "video", "other"
]


class _Strict(BaseModel):
    # strict: `protected: "yes"` or `id: 2011` are errors, not silent coercions.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Quote(_Strict):
    """A source's own words: `text` as quoted, `original` in the original language."""

    text: str
    original: str | None = None
    lang: LangCode | None = None


class EvidenceFile(_Strict):
    """A file under the ledger root and the sha256 that proves it is the one recorded."""

    path: str
    sha256: Sha256


class Scope(_Strict):
    """Where, when and among whom a claim's figure counts."""

    place: Slug
    period: PeriodField
    population: Slug = "all"


class Record(_Strict):
    """Fields every record has."""

    kind: str
    id: Slug
    tags: list[Slug] = []
    notes: str | None = None

    # Fields that hold ids of other records, and the kinds each may name.
    references: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Fields that hold ids from ledger.yaml's vocabularies: field path -> vocabulary.
    vocabulary: ClassVar[dict[tuple[str, ...], str]] = {}


class Person(Record):
    """Someone the ledger cites: by public `name`, or by `pseudonym` when protected."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["name"]}, {"required": ["pseudonym"]}],
            "if": {"properties": {"protected": {"const": True}}, "required": ["protected"]},
            "then": {"required": ["pseudonym"], "not": {"required": ["name"]}},
        }
    )
    kind: Literal["person"]
    name: str | None = None
    pseudonym: str | None = None
    protected: bool = False
    aliases: list[str] = []
    roles: list[Role] = []
    born: DateField | None = None
    died: DateField | None = None
    affiliation: Slug | None = None
    title: str | None = Field(None, description="the office as a letter names it: Deputy Prosecutor General")
    summary: str | None = None
    identity: SealedIdentity | None = None

    references: ClassVar[dict[str, tuple[str, ...]]] = {"affiliation": ("org",)}

    @model_validator(mode="after")
    def _identity(self) -> Person:
        # Messages name fields only, never their values: a protected name must not reach any output.
        if self.protected and self.name is not None:
            raise PydanticCustomError(
                "protected_name",
                "this person is `protected: true` but has a plaintext `name`; delete `name` and cite them "
                "by `pseudonym` only: a real identity must never be stored in plaintext",
                {"field": "name"},
            )
        if self.protected and self.pseudonym is None:
            raise PydanticCustomError(
                "missing", "a protected person needs a `pseudonym` (how they are cited, e.g. `Gaukhar G.`)",
                {"field": "pseudonym"},
            )
        if self.name is None and self.pseudonym is None:
            raise PydanticCustomError("missing", "a person needs a `name` or a `pseudonym`", {"field": ""})
        if self.identity is not None and not self.protected:
            raise PydanticCustomError(
                "identity_unprotected", "an encrypted `identity` belongs to a protected person: set `protected: true`",
                {"field": "identity"},
            )
        if self.name is not None and self.pseudonym is not None:
            raise PydanticCustomError(
                "name_and_pseudonym",
                "a person has a `name` or a `pseudonym`, not both; keep other spellings in `aliases`",
                {"field": "pseudonym"},
            )
        return self

    @property
    def label(self) -> str:
        """How the person may be cited in output: the pseudonym of a protected person, never the name."""
        return self.pseudonym or self.name or self.id


class Org(Record):
    """An organisation: a government body, an NGO, a media outlet, a hospital..."""

    kind: Literal["org"]
    name: str
    aliases: list[str] = []
    type: OrgType | None = None
    summary: str | None = None


class Event(Record):
    """What happened, as the ledger's researchers understand it."""

    kind: Literal["event"]
    title: str | None = None
    period: PeriodField | None = None
    place: Slug | None = None
    summary: str | None = None

    vocabulary: ClassVar[dict[tuple[str, ...], str]] = {("place",): "places"}


class Testimony(Record):
    """What a witness told the researchers."""

    kind: Literal["testimony"]
    witness: Slug
    date: DateField
    mode: Mode
    consent: Consent
    relation: Relation | None = None
    recorded_by: Slug | None = None
    place: Slug | None = None
    language: LangCode | None = None
    about: list[Slug] = []
    allegations: list[Slug] = []
    summary: str
    quotes: list[Quote] = []

    references: ClassVar[dict[str, tuple[str, ...]]] = {
        "witness": ("person",),
        "recorded_by": ("org", "person"),
        "about": ("event",),
    }
    vocabulary: ClassVar[dict[tuple[str, ...], str]] = {("place",): "places", ("allegations",): "allegations"}


class Statement(Record):
    """What an official body or office-holder said publicly."""

    kind: Literal["statement"]
    issuer: Slug
    on_behalf_of: Slug | None = Field(None, description="the org the issuer spoke for")
    date: DateField
    medium: Medium | None = None
    url: Url | None = None
    reported_by: Slug | None = None
    summary: str
    quotes: list[Quote] = []
    retracts: list[Slug] = Field([], description="the claims this statement withdraws")

    references: ClassVar[dict[str, tuple[str, ...]]] = {"issuer": ("org", "person"), "on_behalf_of": ("org",),
                                                        "reported_by": ("document",), "retracts": ("claim",)}


class Document(Record):
    """Any other source: a media report, a medical record, a UN report, a list, a photo..."""

    kind: Literal["document"]
    type: DocType
    title: str
    author: Slug | None = None
    date: DateField | None = None
    url: Url | None = None
    summary: str | None = None
    quotes: list[Quote] = []
    files: list[EvidenceFile] = []
    retracts: list[Slug] = Field([], description="the claims this document withdraws")

    references: ClassVar[dict[str, tuple[str, ...]]] = {"author": ("org", "person"), "retracts": ("claim",)}


class Claim(Record):
    """One figure, as one source states it."""

    kind: Literal["claim"]
    source: Slug
    measure: Slug
    value: ValueField
    scope: Scope
    quote: str | None = None
    sum_of: list[Slug] = []
    asserted: DateField | None = None
    status: Literal["unverified", "disputed"] | None = Field(
        None, description="unverified: not confirmed at its original source (known second-hand); disputed: "
        "its attribution is denied or contested; none: as recorded")

    references: ClassVar[dict[str, tuple[str, ...]]] = {
        "source": ("testimony", "statement", "document"),
        "sum_of": ("claim",),
    }
    vocabulary: ClassVar[dict[tuple[str, ...], str]] = {
        ("measure",): "measures",
        ("scope", "place"): "places",
        ("scope", "population"): "populations",
    }


AnyRecord = Annotated[
    Person | Org | Event | Testimony | Statement | Document | Claim, Field(discriminator="kind")
]
# every kind, from the union above: the one list of models
MODELS: dict[str, type[Record]] = {
    typing.get_args(model.model_fields["kind"].annotation)[0]: model
    for model in typing.get_args(typing.get_args(AnyRecord)[0])
}
if tuple(MODELS) != KINDS:  # ledger/kinds.py names the kinds for whoever must not import pydantic
    raise ImportError(f"ledger/kinds.py lists {KINDS}, but the models are {tuple(MODELS)}: make them agree")


class VocabEntry(_Strict):
    """One entry of a vocabulary; `within` nests it in a broader entry of the same vocabulary."""

    label: str
    within: Slug | None = None


class MeasureEntry(VocabEntry):
    """A measure: what claims count, and whether they count events within a period or a stock on a date."""

    counts: Literal["events", "stock"] = Field(
        "events", description="events: people to whom something happened within the period (killed, detained); "
        "stock: people in a state on a date (held in custody)")


OFFICIAL_TYPES: tuple[OrgType, ...] = ("government", "prosecutor", "police", "court")


class Figures(_Strict):
    """How figures are read."""

    approx: float = Field(0.1, ge=0, lt=1, description='"~N" means N ± approx·N')
    official: list[OrgType] = Field(list(OFFICIAL_TYPES), description="the org types whose figures are official")


class LedgerConfig(_Strict):
    """ledger.yaml: the format version, the vocabularies and the settings."""

    ledger: Literal[1] = Field(description="the record format version")
    title: str | None = None
    measures: dict[Slug, MeasureEntry] = {}
    places: dict[Slug, VocabEntry] = {}
    populations: dict[Slug, VocabEntry] = {}
    allegations: list[Slug] = []
    figures: Figures = Figures.model_validate({})
    recipients: dict[Slug, AgeRecipient] = Field(
        {}, description="who can read protected identities: a neutral name and an age public key each")
    # Beside `recipients` rather than inside it, so that every ledger.yaml written before stays valid and a
    # recipient's line is still `label: age1…`. Not required to match `recipients` label for label: a member who
    # left keeps their signing key listed until the identities they sealed are re-sealed (`ledger keys rotate`).
    signers: dict[Slug, SigningPublicKey] = Field(
        {}, description="whose signatures on sealed identities are accepted: the members' labels, each with the "
        "public signing key `ledger keys init` printed")

    def vocabulary(self, name: str) -> set[str]:
        """The ids of one vocabulary; the population `all` always exists, as it is the default."""
        if name == "allegations":
            return set(self.allegations)
        ids = set(getattr(self, name))
        return ids | {"all"} if name == "populations" else ids


VOCABULARIES = ("measures", "places", "populations")


def _field_names() -> frozenset[str]:
    models: list[type[BaseModel]] = [*MODELS.values(), Quote, EvidenceFile, Scope, LedgerConfig, MeasureEntry,
                                     Figures]
    return frozenset(name for model in models for name in model.model_fields) | {"min", "max"}


# every key the format defines: the only keys a message may repeat (any other key is the record's own text)
FIELD_NAMES = _field_names()
