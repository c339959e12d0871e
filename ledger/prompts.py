"""`ledger add` at a terminal: ask for each field, offer the choices, check each answer as it is given."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .add import check_draft, is_list, submodel, suggest_id
from .emit import dump_record, field_order
from .load import Ledger, load_ledger
from .models import MODELS
from .protection import hidden_fields
from .yamlio import resolve_plain

if TYPE_CHECKING:
    from rich.console import Console

SKIP = ""
MAX_LISTED = 30

HELP: dict[str, str] = {
    "id": "lowercase letters, digits and hyphens; leave empty to have one made for you",
    "name": "the public name the person or organisation is known by",
    "pseudonym": "how the person is cited, e.g. `Gaukhar G.`; never the real name",
    "aliases": "other spellings and transliterations, comma-separated",
    "roles": "comma-separated",
    "born": "a year (1973), a month (1973-05) or a date (1973-05-02)",
    "died": "a year, a month or a date",
    "affiliation": "the org the person belongs to",
    "title": "a short title",
    "person.title": "the office as a letter names it: Deputy Prosecutor General",
    "period": "a date (2011-12-16), a month (2011-12), a year (2011) or a closed range (2011-12-16..2011-12-19)",
    "witness": "the person who gave the account",
    "date": "ISO date: 2011-12-28; or a month (2011-12) or a year (2011) when the day is not known",
    "mode": "how the account was given",
    "consent": "public: quoted with name; anonymous: under pseudonym only; confidential: never quoted",
    "relation": "the witness's relation to what they describe",
    "recorded_by": "the org or person who took the account",
    "place": "a place from ledger.yaml",
    "language": "BCP 47 code of the original: ru, kk, en",
    "about": "events the account is about, comma-separated",
    "allegations": "comma-separated, from ledger.yaml",
    "summary": "in your own words",
    "issuer": "the org or person who made the statement",
    "on_behalf_of": "the org the issuer spoke for, when the issuer is a person",
    "retracts": "claims this record withdraws (a figure it calls an error), comma-separated",
    "medium": "how the statement was made",
    "url": "an http(s) address",
    "reported_by": "the document through which the statement is known",
    "type": "what kind of document or organisation",
    "author": "the org or person who wrote it",
    "source": "the testimony, statement or document that states the figure",
    "measure": "what is counted, from ledger.yaml",
    "value": '64, ">700", ">=64", "<10", "30-40", "~60"; digits may be grouped as printed: 4,578',
    "scope.place": "where the count applies",
    "scope.period": "the days the count covers: 2011-12-16, 2011-12-16..2011-12-19, a month (2022-06), a year",
    "scope.population": "among whom; Enter for everyone",
    "quote": "the source's own words that state the figure",
    "sum_of": "claims this figure adds up, comma-separated",
    "asserted": "when the figure was stated, if not the source's date (a date, a month or a year)",
    "status": "unverified: not confirmed at its original source; disputed: its attribution is denied or "
              "contested; Enter: as recorded",
    "quotes.text": "the words as they will be quoted",
    "quotes.original": "the same words in the original language",
    "quotes.lang": "BCP 47 code of the original",
    "files.path": "the file's path from the ledger root, e.g. evidence/list.jpg",
    "files.sha256": "its sha256 (worked out for you when the file is there)",
    "tags": "free grouping, comma-separated slugs",
    "notes": "your own notes; never quoted as evidence",
}


def help_for(model: type[Any], path: tuple[str, ...]) -> str:
    """The help of a field: the kind's own (`person.title`) before the field's (`title`), for a dotted path
    (`scope.period`) before its last part."""
    kind_field = model.model_fields.get("kind")
    kinds = typing.get_args(kind_field.annotation) if kind_field is not None else ()
    dotted = ".".join(path)
    keys = [f"{kinds[0]}.{dotted}"] if kinds else []
    for key in [*keys, dotted, path[-1]]:
        if key in HELP:
            return HELP[key]
    return ""


class Asker:
    """One interactive session: the ledger as it stands, and where to print help."""

    def __init__(self, ledger: Ledger, console: Console) -> None:
        self.ledger = ledger
        self.console = console

    def say(self, text: str, style: str = "") -> None:
        from rich.text import Text

        from .display import lines_shown

        self.console.print(Text(lines_shown(text), style=style), soft_wrap=True)

    def choices(self, model: type[Any], name: str, path: tuple[str, ...]) -> list[str]:
        """The allowed answers of an enumeration, a reference or a vocabulary field; [] for free text."""
        info = model.model_fields[name]
        literal = _literal_values(info.annotation)
        if literal:
            return literal
        kinds = model.references.get(name, ()) if hasattr(model, "references") else ()
        if kinds:
            return sorted(i for i, e in self.ledger.by_id.items() if e.record.kind in kinds)
        vocab = MODELS["claim"].vocabulary.get(path) if path[0] == "scope" else None
        vocab = vocab or (model.vocabulary.get(path) if hasattr(model, "vocabulary") else None)
        if vocab and self.ledger.config is not None:
            return sorted(self.ledger.config.vocabulary(vocab))
        return []

    def ask_field(self, model: type[Any], name: str, path: tuple[str, ...], required: bool) -> Any:
        """Ask until the answer is valid; return it, or None when an optional field is skipped."""
        dotted = ".".join(path)
        options = self.choices(model, name, path)
        many = is_list(model, name)
        help_text = help_for(model, path)
        self.say(f"{dotted}{' (required)' if required else ''}: {help_text}", "bold")
        if options:
            shown = options[:MAX_LISTED]
            self.say("  " + "  ".join(f"{i}) {o}" for i, o in enumerate(shown, 1)), "dim")
            if len(options) > MAX_LISTED:
                self.say(f"  … and {len(options) - MAX_LISTED} more: type the id", "dim")
        while True:
            answer = typer.prompt(f"{dotted}", default=SKIP, show_default=False, err=True).strip()
            if not answer:
                if required:
                    self.say("  this field is required", "red")
                    continue
                return None
            items = [a.strip() for a in answer.split(",")] if many else [answer]
            items = [_pick(item, options) for item in items if item]
            value: Any = items if many else items[0]
            error = _check_value(model, name, value)
            if error is None and options and any(item not in options for item in items):
                bad = next(item for item in items if item not in options)
                kinds = model.references.get(name, ()) if hasattr(model, "references") else ()
                error = f"`{bad[:40]}` is not one of the choices" + (
                    f"; add it first with `ledger add {kinds[0]}`" if kinds else "")
            if error is None:
                return _typed(model, name, value)
            self.say(f"  {error}", "red")


_ADAPTERS: dict[tuple[type[Any], str], Any] = {}


def _adapter(model: type[Any], name: str) -> Any:
    """A validator of one field's values, made once (pydantic builds one in milliseconds)."""
    if (model, name) not in _ADAPTERS:
        _ADAPTERS[(model, name)] = _make_adapter(model, name)
    return _ADAPTERS[(model, name)]


def _make_adapter(model: type[Any], name: str) -> Any:
    from pydantic import ConfigDict, TypeAdapter

    annotation = model.model_fields[name].rebuild_annotation()  # with its constraints and validators
    try:
        return TypeAdapter(annotation, config=ConfigDict(strict=True))
    except Exception:  # noqa: BLE001 - annotations that carry their own config
        return TypeAdapter(annotation)


def _literal_values(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    for arg in typing.get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return []


def _pick(answer: str, options: list[str]) -> str:
    """A number picks from the listed choices; anything else is taken as typed."""
    if options and answer.isdigit() and 1 <= int(answer) <= min(len(options), MAX_LISTED):
        return options[int(answer) - 1]
    return answer


def _typed(model: type[Any], name: str, value: Any) -> Any:
    """The answer as the field wants it: text, or a number or boolean where text will not do."""
    from pydantic import ValidationError

    try:
        _adapter(model, name).validate_python(value)
        return value
    except ValidationError:
        converted = [resolve_plain(v) for v in value] if isinstance(value, list) else resolve_plain(value)
        return converted


def _check_value(model: type[Any], name: str, value: Any) -> str | None:
    """Why the answer is not a valid value of the field, or None when it is."""
    from pydantic import ValidationError

    adapter = _adapter(model, name)
    errors = []
    for candidate in (value, [resolve_plain(v) for v in value] if isinstance(value, list) else resolve_plain(value)):
        try:
            adapter.validate_python(candidate)
            return None
        except ValidationError as e:
            errors = e.errors(include_url=False)
    if not errors:
        return "not a valid value"
    message = str(errors[0]["msg"]).replace("Input should be", "should be")
    return message.replace("Value error, ", "")


def _optional_fields(kind: str, data: dict[str, Any]) -> list[str]:
    # a person's name, pseudonym and protection are asked first (`_ask_identity`); what the policy hides, never
    model = MODELS[kind]
    skip = {"kind", "id", *hidden_fields(kind, data)}
    if kind == "person":
        skip |= {"name", "pseudonym", "protected"}
    return [n for n in field_order(model)
            if n not in skip and n not in data and not model.model_fields[n].is_required()]


def ask_record(root: Path, kind: str, data: dict[str, Any], console: Console,
               ask_optional: bool = True) -> dict[str, Any] | None:
    """Fill `data` by asking: the required fields, then (with `ask_optional`) the optional ones, the id, and a
    last look before writing. None when the user declines."""
    ledger, _ = load_ledger(root)
    model = MODELS[kind]
    asker = Asker(ledger, console)
    data = dict(data)
    asker.say(f"New {kind}: {(model.__doc__ or '').strip()}", "bold")
    if kind == "person":
        _ask_identity(asker, data)
    for name in field_order(model):
        if name in ("kind", "id") or name in data or (kind == "person" and name in ("name", "pseudonym")):
            continue
        info = model.model_fields[name]
        if info.is_required():
            data[name] = _ask_any(asker, model, name, (name,), True)
    if ask_optional:
        for name in _optional_fields(kind, data):
            value = _ask_any(asker, model, name, (name,), False)
            if value not in (None, [], {}):
                data[name] = value
    if not data.get("id"):
        suggested = suggest_id(ledger, kind, data)
        while True:
            answer = typer.prompt("id", default=suggested, err=True).strip()
            checked = check_draft(ledger, kind, {**data, "id": answer})
            id_problems = [p for p in checked.problems if p.startswith("`id`") or "already exists" in p]
            if not id_problems:
                data["id"] = answer
                break
            asker.say(f"  {id_problems[0]}", "red")
    checked = check_draft(ledger, kind, data)
    if checked.record is None:
        for problem in checked.problems:
            asker.say(problem, "red")
        return None
    asker.say("")
    asker.say(dump_record(checked.record, checked.path, root))
    if not typer.confirm(f"Write {checked.path.relative_to(root).as_posix()}?", default=True, err=True):
        return None
    return data


def _ask_identity(asker: Asker, data: dict[str, Any]) -> None:
    model = MODELS["person"]
    if data.get("protected"):
        asker.say("A protected person is cited by pseudonym only: their real name is never asked for nor stored.",
                  "yellow")
        if not data.get("pseudonym"):
            data["pseudonym"] = asker.ask_field(model, "pseudonym", ("pseudonym",), True)
        return
    if data.get("name") or data.get("pseudonym"):
        return
    name = asker.ask_field(model, "name", ("name",), False)
    if name:
        data["name"] = name
        return
    data["pseudonym"] = asker.ask_field(model, "pseudonym", ("pseudonym",), True)
    data["protected"] = typer.confirm("Protected? (the real identity must never appear anywhere)", default=True,
                                      err=True)


def _ask_any(asker: Asker, model: type[Any], name: str, path: tuple[str, ...], required: bool) -> Any:
    sub = submodel(model, name)
    if sub is None:
        return asker.ask_field(model, name, path, required)
    if not is_list(model, name):
        nested = {}
        for sub_name, info in sub.model_fields.items():
            value = _ask_any(asker, sub, sub_name, (*path, sub_name), info.is_required())
            if value is not None:
                nested[sub_name] = value
        return nested
    items: list[dict[str, Any]] = []
    first = next(iter(sub.model_fields))
    while True:
        asker.say(f"{'.'.join(path)}: Enter at `{first}` to finish", "dim")
        head = asker.ask_field(sub, first, (*path, first), False)
        if head is None:
            return items
        item = {first: head}
        for sub_name, info in list(sub.model_fields.items())[1:]:
            value = _auto(asker, sub, sub_name, item) or _ask_any(asker, sub, sub_name, (*path, sub_name),
                                                                   info.is_required())
            if value is not None:
                item[sub_name] = value
        items.append(item)


def _auto(asker: Asker, sub: type[Any], name: str, item: dict[str, Any]) -> Any:
    """A value the tool can work out itself: an evidence file's sha256."""
    if sub.__name__ == "EvidenceFile" and name == "sha256":
        from .reading import Refused, sha256_of

        path = asker.ledger.root / str(item.get("path", ""))
        try:
            digest = sha256_of(path) if path.is_file() else None
        except (OSError, Refused):
            digest = None
        if digest is not None:
            asker.say(f"  sha256 of {item['path']}: {digest}", "dim")
            return digest
    return None


def ask_identity(console: Console) -> dict[str, Any] | None:
    """The real identity of a protected person, typed in and kept in memory only, to be sealed; None to skip."""
    from rich.text import Text

    console.print(Text("The real identity is encrypted at once for the ledger's recipients and never stored in "
                       "plaintext. Enter to skip.", style="yellow"), soft_wrap=True)
    # typed without echo, as a password is: a real name on the screen is seen by whoever stands behind
    name = typer.prompt("real name (not shown as you type)", default="", show_default=False, err=True,
                        hide_input=True).strip()
    if not name:
        return None
    identity: dict[str, Any] = {"name": name}
    console.print(Text("Other details (contact, residence, relatives...; `surname:` and `distinctive:` for the leak "
                       "check), one `key: value` a line; Enter to finish.", style="dim"), soft_wrap=True)
    while True:
        line = typer.prompt("detail (not shown)", default="", show_default=False, err=True, hide_input=True).strip()
        if not line:
            return identity
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            console.print(Text("  write it as `key: value`", style="red"))
            continue
        identity[key.strip()] = value.strip()
