"""Adding a record: a draft from flags, a file or prompts, checked against the ledger, written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_create_bytes
from .emit import dump_record
from .errors import os_problem
from .figures import FigureError, When, parse_date
from .findings import Finding
from .kinds import PLURALS
from .layout import real_folders
from .load import Entry, Ledger, load_ledger
from .lock import writer_lock
from .models import MODELS, Claim, Record
from .protection import draft_problems
from .validate import validate_record
from .yamlio import Document, parse_text, resolve_plain

if TYPE_CHECKING:
    from .identity import SigningKey


class AddError(Exception):
    """The draft cannot be written; `problems` says why, one line each, and nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def slugify(text: str, limit: int = 40) -> str:
    """An id fragment from any text: transliterated to ASCII, lowercase, hyphens between words."""
    from anyascii import anyascii

    slug = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    cut = slug[:limit].rstrip("-")
    if len(slug) > limit and slug[limit] != "-" and "-" in cut:
        cut = cut.rsplit("-", 1)[0]  # whole words: `...-of-uzbekistan` is cut before `uzbekistan`, not in it
    return cut


def is_list(model: type[Any], name: str) -> bool:
    """True when the field holds a list (a repeated `--set` appends to it)."""
    info = model.model_fields.get(name)
    return info is not None and _origin_is_list(info.annotation)


def _origin_is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return any(_origin_is_list(a) for a in typing.get_args(annotation) if a is not type(None))


def submodel(model: type[Any], name: str) -> type[Any] | None:
    """The model of a nested field (`scope`, an item of `quotes`), or None for a plain field."""
    from pydantic import BaseModel

    info = model.model_fields.get(name)
    if info is None:
        return None
    stack = [info.annotation]
    while stack:
        ann = stack.pop()
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return ann
        stack.extend(typing.get_args(ann))
    return None


def parse_scalar(text: str) -> Any:
    """A `--set` value: YAML flow syntax for `[a, b]` and `{min: 30}`, the YAML 1.2 core schema otherwise."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        parsed = parse_text(f"v: {stripped}\n", "--set")
        if parsed.findings or not parsed.documents:
            raise AddError(["a `--set` value that starts with [ or { is not a valid YAML list or mapping"])
        return parsed.documents[0].data["v"]
    return resolve_plain(stripped)


def apply_assignment(data: dict[str, Any], model: type[Record], assignment: str) -> None:
    """Apply one `--set FIELD=VALUE`: dotted paths for nested fields; a list field appends."""
    if "=" not in assignment:
        raise AddError(["a `--set` without `=`: write FIELD=VALUE, e.g. --set scope.place=zhanaozen"])
    try:
        assignment.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 on the command line arrive as lone surrogates
        raise AddError(["a `--set` holds bytes that are not UTF-8 text; fix the terminal's or the script's "
                        "encoding"]) from None
    path_text, raw = assignment.split("=", 1)
    path = [p for p in path_text.strip().split(".") if p]
    if not path:
        raise AddError(["a `--set` without a field name: write FIELD=VALUE"])
    value = parse_scalar(raw)
    target: dict[str, Any] = data
    current: type[Any] | None = model
    for i, part in enumerate(path[:-1]):
        sub = submodel(current, part) if current is not None else None
        if current is not None and is_list(current, part):
            items = target.setdefault(part, [])
            if not isinstance(items, list):
                raise AddError([f"`{'.'.join(path[:i + 1])}` is a list"])
            # `--set quotes.text=A --set quotes.lang=ru --set quotes.text=B`: a new item when the key is taken
            if not items or not isinstance(items[-1], dict) or path[i + 1] in items[-1]:
                items.append({})
            target = items[-1]
        else:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                raise AddError([f"`{'.'.join(path[:i + 1])}` is not a mapping"])
            target = nested
        current = sub
    last = path[-1]
    if current is not None and is_list(current, last) and not isinstance(value, list):
        target.setdefault(last, [])
        if not isinstance(target[last], list):
            target[last] = [target[last]]
        target[last].append(value)
    else:
        target[last] = value


def read_draft(text: str, source: str) -> dict[str, Any]:
    """A draft record from YAML or JSON text (`--from`)."""
    drafts = read_drafts(text, source)
    if len(drafts) != 1:
        raise AddError([f"{source}: expected one record (a mapping)"])
    return drafts[0]


def read_drafts(text: str, source: str) -> list[dict[str, Any]]:
    """The draft records of YAML or JSON text (`--from`): one, several separated by `---`, or a list of them
    (a JSON array)."""
    parsed = parse_text(text, source)
    problems = [f"{source}:{f.line}:{f.column}: {f.message}" for f in parsed.findings]
    if problems:
        raise AddError(problems)
    docs = [doc.data for doc in parsed.documents if doc.data is not None]
    if len(docs) == 1 and isinstance(docs[0], list):
        docs = docs[0]
    if not docs or not all(isinstance(d, dict) for d in docs):
        raise AddError([f"{source}: expected records (mappings), one or several separated by `---`, or a list"])
    return [dict(d) for d in docs]


def required_missing(model: type[Any], data: dict[str, Any], prefix: str = "") -> list[str]:
    """The required fields `data` lacks, dotted (`scope.period`), in the format's order; `id` is never
    required, as one is generated."""
    missing = []
    for name, info in model.model_fields.items():
        if name in ("kind", "id"):
            continue
        sub = submodel(model, name)
        if sub is not None and not is_list(model, name) and info.is_required():
            value = data.get(name)
            missing += required_missing(sub, value if isinstance(value, dict) else {}, prefix + name + ".")
        elif info.is_required() and data.get(name) is None:
            missing.append(prefix + name)
    if model.__name__ == "Person" and data.get("name") is None and data.get("pseudonym") is None:
        missing.append("pseudonym" if data.get("protected") else "name` or `pseudonym")
    return missing


def _written_date(raw: Any) -> str | None:
    """A draft's date as an id may start with it (`2011-12-28`, `2022-06`, `2022`), or None when it is no date."""
    try:
        return str(parse_date(raw)) if raw is not None else None
    except FigureError:
        return None


def _subject(ledger: Ledger, kind: str, data: dict[str, Any]) -> tuple[str | None, str]:
    """(date, subject) for an id: the record's date and its main subject."""
    def ref_date(ref: Any) -> str | None:
        entry = ledger.by_id.get(ref) if isinstance(ref, str) else None
        when = getattr(entry.record, "date", None) if entry else None
        return str(when) if isinstance(when, When) else None

    def text(key: str) -> str:
        return str(data.get(key) or "")

    day = _written_date(data.get("date"))
    match kind:
        case "person":
            return None, text("pseudonym") or text("name")
        case "org":
            return None, text("name")
        case "event":
            period = data.get("period")
            # a period starts with its first date as written: `2022-01` for 2022-01..2022-03
            first = period.split("..")[0] if isinstance(period, str) else period
            return _written_date(first), text("title")
        case "testimony":
            return day, text("witness")
        case "statement":
            return day, text("issuer")
        case "document":
            return day, " ".join(text("title").split()[:6])
        case "claim":
            return (_written_date(data.get("asserted")) or ref_date(data.get("source"))), text("measure")
    return None, kind


def suggest_id(ledger: Ledger, kind: str, data: dict[str, Any], taken: set[str] | None = None,
               counters: dict[str, int] | None = None) -> str:
    """An id from the date and the main subject, unique in the ledger and among `taken`: `2011-12-28-gaukhar-g`.
    `counters` (base -> the next number to try), kept by a caller that makes many ids, makes each one cost the
    same however many share a base."""
    day, subject = _subject(ledger, kind, data)
    base = "-".join(p for p in (day, slugify(subject)) if p) or kind
    if len(base) < 2:
        base = f"{kind}-{base}"
    base = base[:74].rstrip("-")
    taken = taken if taken is not None else set()
    folder = os.path.join(ledger.root, "records", PLURALS[kind])
    n = counters.get(base, 2) if counters is not None else 2
    candidate = base if n == 2 else f"{base}-{n}"
    while candidate in ledger.by_id or candidate in taken or os.path.lexists(os.path.join(folder, f"{candidate}.yaml")):
        candidate, n = f"{base}-{n}", n + 1
    if counters is not None:
        counters[base] = n
    return candidate


def _document(data: dict[str, Any], name: str) -> Document:
    """The draft as the document it will be on disk, so that problems point at real lines."""
    from .emit import dump_data

    try:
        parsed = parse_text(dump_data(data), name)
    except Exception:  # noqa: BLE001 - a draft that cannot be laid out still gets its field errors
        return Document(data, 0, 1, 1)
    return parsed.documents[0] if parsed.documents else Document(data, 0, 1, 1)


@dataclass
class Checked:
    """A draft checked against the ledger: the record, or the problems that stop it."""

    record: Record | None
    path: Path
    problems: list[str] = field(default_factory=list)
    entry: Entry | None = None  # the record as the ledger would hold it, once checked


def target_path(root: Path, kind: str, record_id: str) -> Path:
    """Where a new record goes: `records/<kind plural>/<id>.yaml`."""
    return root / "records" / PLURALS[kind] / f"{record_id}.yaml"


def check_draft(ledger: Ledger, kind: str, data: dict[str, Any]) -> Checked:
    """The model, the vocabularies and every reference against the ledger as it stands; the id must be new."""
    from .checks import run_checks

    data = {"kind": kind, **{k: v for k, v in data.items() if k != "kind"}}
    record_id = str(data["id"]) if isinstance(data.get("id"), str) else "new-record"
    path = target_path(ledger.root, kind, record_id)
    name = path.relative_to(ledger.root).as_posix()
    doc = _document(data, name)
    record, findings = validate_record(doc, name)
    if record is None:
        return Checked(None, path, [_problem(f) for f in findings])
    problems = []
    if record.id in ledger.by_id:
        other = ledger.by_id[record.id]
        problems.append(f"`id`: `{record.id}` is already the id of the {other.record.kind} in {other.file}; "
                        "choose another id")
    elif path.exists():
        problems.append(f"{name} already exists; choose another id")
    entry = Entry(record, name, doc)
    trial = Ledger(ledger.root, ledger.config, ledger.config_doc, [*ledger.entries, entry], ledger.files)
    unknown_refs = set()
    for fieldname, kinds in record.references.items():
        value = getattr(record, fieldname)
        for ref in value if isinstance(value, list) else [value] if value else []:
            if ref not in ledger.by_id:
                unknown_refs.add(ref)
                problems.append(f"`{fieldname}` names `{ref}`, which is not in the ledger; add it first: "
                                f"ledger add {kinds[0]} --set id={ref} ...")
    for f in run_checks(trial):
        if f.file != name or f.code in ("duplicate-id", "schema-stale"):
            continue
        if f.code == "unknown-ref" and any(f"`{ref}`" in f.message for ref in unknown_refs):
            continue
        problems.append(_problem(f))
    return Checked(record if not problems else None, path, problems, entry if not problems else None)


def _problem(f: Finding) -> str:
    return f"{f.message} [{f.code}]"


@dataclass
class Added:
    """What `add_record` did."""

    record: Record
    path: Path
    text: str
    written: bool
    ledger: Ledger  # as it was before the record was added


def read_identity(text: str, source: str) -> dict[str, Any]:
    """A real identity given as YAML (`name:` and any other details), for sealing; errors never quote it."""
    parsed = parse_text(text, source)
    if parsed.findings or len(parsed.documents) != 1 or not isinstance(parsed.documents[0].data, dict):
        raise AddError([f"{source}: expected one YAML mapping with `name:` and any other details"])
    identity = {str(k): v for k, v in parsed.documents[0].data.items()}
    if not isinstance(identity.get("name"), str) or not identity["name"].strip():
        raise AddError([f"{source}: the identity needs a `name` (text)"])
    return identity


def add_record(root: Path, kind: str, data: dict[str, Any], dry_run: bool = False,
               identity: dict[str, Any] | None = None, signer: SigningKey | None = None) -> Added:
    """Check a draft against the ledger and write it as a new file; raise AddError, writing nothing, when it
    cannot be added. An `id` left out is generated. A protected person's `identity` is sealed, in memory,
    for the recipients ledger.yaml lists, bound to the record's id, and signed by `signer`, which ledger.yaml
    must list (an identity with any other signature, or none, is refused when it is opened)."""
    if kind not in MODELS:
        raise AddError([f"unknown kind `{kind}`; one of {', '.join(MODELS)}"])
    refused = draft_problems(kind, data)  # whichever way the draft came: flags, a file, prompts, an editor
    if refused:
        raise AddError(refused)
    missing = required_missing(MODELS[kind], data)
    if missing:
        raise AddError([f"missing required field `{m}`" for m in missing])
    # ids are chosen and files created one process at a time
    with writer_lock(root, f"ledger add {kind}"):
        ledger, _ = load_ledger(root)
        draft = dict(data)
        if not draft.get("id"):
            draft["id"] = suggest_id(ledger, kind, draft)
        if identity is not None:
            from .identity import IdentityError, seal

            if ledger.config is None:
                raise AddError(["ledger.yaml is not valid: run `ledger check`"])
            if signer is None:
                raise AddError(["sealing a real identity needs your key, which signs it"])
            if signer.public not in ledger.config.signers.values():
                raise AddError([(f"your signing key is not listed in ledger.yaml, so the identity would be "
                                 f"refused as forged: `ledger keys add NAME age1… --signs {signer.public}`")])
            try:
                draft["identity"] = seal(identity, str(draft["id"]), list(ledger.config.recipients.values()),
                                         signer)
            except IdentityError as e:
                raise AddError([str(e)]) from None
        checked = check_draft(ledger, kind, draft)
        if checked.record is None:
            raise AddError(checked.problems)
        text = dump_record(checked.record, checked.path, root)
        _reads_back(text, checked)
        if not dry_run:
            where = checked.path.relative_to(root).as_posix()
            real_folders(root, checked.path.parent)
            try:
                checked.path.parent.mkdir(parents=True, exist_ok=True)
                atomic_create_bytes(checked.path, text.encode("utf-8"), root=root)
            except FileExistsError:
                raise AddError([f"{where} already exists; nothing written"]) from None
            except OSError as e:
                raise os_problem(e, f"cannot write {where}") from None
        return Added(checked.record, checked.path, text, not dry_run, ledger)


def add_records(root: Path, kind: str, drafts: list[dict[str, Any]], dry_run: bool = False) -> list[Added]:
    """Several records at once (`--from` a file of several): each checked against the ledger and the ones before
    it (a claim may name a statement of the same file), then all written or none; AddError naming every problem,
    by record, when any cannot be added. Protected people's identities are sealed one at a time (`add_record`)."""
    if kind not in MODELS:
        raise AddError([f"unknown kind `{kind}`; one of {', '.join(MODELS)}"])
    problems: list[str] = []
    for n, data in enumerate(drafts, start=1):
        refused = [*draft_problems(kind, data), *(f"missing required field `{m}`"
                                                  for m in required_missing(MODELS[kind], data))]
        problems += [f"record {n}: {p}" for p in refused]
    if problems:
        raise AddError(problems)
    with writer_lock(root, f"ledger add {kind}"):
        before, _ = load_ledger(root)
        ledger, taken = before, set[str]()
        checked: list[tuple[Checked, str]] = []
        for n, data in enumerate(drafts, start=1):
            draft = dict(data)
            if not draft.get("id"):
                draft["id"] = suggest_id(ledger, kind, draft, taken)
            one = check_draft(ledger, kind, draft)
            if one.record is None or one.entry is None:
                problems += [f"record {n}: {p}" for p in one.problems]
                continue
            if one.path in {c.path for c, _ in checked}:
                problems.append(f"record {n}: `id` `{one.record.id}` is given twice in this file")
                continue
            taken.add(one.record.id)
            text = dump_record(one.record, one.path, root)
            _reads_back(text, one)
            checked.append((one, text))
            ledger = Ledger(ledger.root, ledger.config, ledger.config_doc, [*ledger.entries, one.entry], ledger.files)
        if problems:
            raise AddError(problems)
        written: list[Path] = []
        if not dry_run:
            try:
                for one, text in checked:
                    real_folders(root, one.path.parent)
                    one.path.parent.mkdir(parents=True, exist_ok=True)
                    atomic_create_bytes(one.path, text.encode("utf-8"), root=root)
                    written.append(one.path)
            except (FileExistsError, OSError) as e:
                for path in written:  # all or none
                    with contextlib.suppress(OSError):
                        path.unlink()
                if isinstance(e, FileExistsError):
                    raise AddError([f"{e.filename} already exists; nothing written"]) from None
                raise os_problem(e, "cannot write the records; nothing written") from None
        return [Added(one.record, one.path, text, not dry_run, before) for one, text in checked
                if one.record is not None]


def _reads_back(text: str, checked: Checked) -> None:
    """AddError unless `text`, read as `ledger check` will read it, is exactly the record checked: what is written
    is never a file that check would refuse, nor one that says something else."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise AddError(["the record holds a character that is not Unicode text (a lone surrogate, from a broken "
                        "\\u escape?); fix the text"]) from None
    from .load import read_file

    name = checked.path.name
    entries, _, findings = read_file(raw, name)
    if findings or len(entries) != 1 or entries[0].record != checked.record:
        raise AddError(["the record would not read back as it was given (a character YAML cannot hold as it is?); "
                        "nothing was written: please report it"])


def summary(ledger: Ledger, record: Record) -> str:
    """One line about a record that names people only as output may: protected ones by pseudonym."""
    from .citation import label, long_date, witness_label

    rec: Any = record
    match record.kind:
        case "person":
            return f"person {rec.label}{' (protected)' if rec.protected else ''}"
        case "org":
            return f"org {rec.name}"
        case "event":
            return f"event {rec.title or rec.id}" + (f", {rec.period}" if rec.period else "")
        case "testimony":
            return (f"testimony of {witness_label(ledger, rec.witness, rec.consent)}, {long_date(rec.date)} "
                    f"({rec.consent})")
        case "statement":
            return f"statement by {label(ledger, rec.issuer)}, {long_date(rec.date)}"
        case "document":
            return f"document “{rec.title}”"
        case "claim":
            assert isinstance(rec, Claim)
            return f"claim {rec.measure} = {rec.value} in {rec.scope.place}, {rec.scope.period}, from {rec.source}"
    return record.kind
