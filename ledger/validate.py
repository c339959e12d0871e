"""One YAML document against the models: a record, or findings that point at the offending key or value."""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .findings import Finding
from .kinds import KINDS, SLUG_HELP, SLUG_PATTERN
from .models import MODELS, LedgerConfig, Record
from .yamlio import Document

_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def is_word(text: str) -> bool:
    """True for a value that is safe to repeat in a message: one short word (a slug, an enumeration value),
    which a person's name or a sentence from a record is not."""
    return bool(_WORD.match(text)) and " " not in text


def dotted(loc: tuple[Any, ...]) -> str:
    """`('quotes', 0, 'text')` as `quotes[0].text`. A part that is not a word (a key that is the record's own
    text, as the keys of ledger.yaml's vocabularies are) is shown as `…`: the position says which."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + (str(part) if is_word(str(part)) else "…")
    return out or "(record)"


def suggest(word: str, candidates: typing.Iterable[str]) -> str:
    """`; did you mean `x`?` when one candidate is close to `word` (an edit similarity of 60% or more; the first in
    sorted order among the closest), else an empty string."""
    from rapidfuzz import fuzz, process

    # rapidfuzz compares in C++: a ledger of thousands of ids, each unknown reference asked about, stays quick
    match = process.extractOne(word, sorted(candidates), scorer=fuzz.ratio, score_cutoff=60)
    return f"; did you mean `{match[0]}`?" if match else ""


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _submodel(info.annotation)
    return list(current.model_fields) if current is not None else []


def _message(err: Any, field: str) -> str:
    typ, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    if typ == "string_pattern_mismatch" and ctx.get("pattern") == SLUG_PATTERN:
        return f"`{field}` must be {SLUG_HELP}"
    if typ == "literal_error":
        # the value is the record's text, never repeated: the suggestion, from the format's own words, is enough
        given = err.get("input")
        choices = [s.strip("' ") for s in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        hint = suggest(given, choices) if isinstance(given, str) and is_word(given) else ""
        return f"`{field}`: not an allowed value; expected {ctx.get('expected')}{hint}"
    if typ in ("figure_value", "period", "when"):
        return f"`{field}`: {msg}"
    if typ.endswith("_type"):
        got = type(err.get("input")).__name__
        got = {"NoneType": "nothing (null)", "dict": "a mapping", "list": "a list", "str": "text"}.get(got, got)
        from .yamlhints import value_hint

        hint = value_hint(err.get("input"), typ == "string_type")
        return f"`{field}`: {msg.replace('Input should be', 'should be')}, not {got}{hint}"
    return f"`{field}`: {msg.replace('Input should be', 'should be')}"


def validation_findings(
    exc: ValidationError, model: type[BaseModel], doc: Document, file: str, prefix: tuple[Any, ...] = ()
) -> list[Finding]:
    """Pydantic's errors as findings, each at the line of the key or value it is about.

    Messages never include the input itself (it may be a protected identity), only field names
    and the enumerations' own values.
    """
    findings = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        typ = err["type"]
        if "field" in ctx:
            loc = loc + ((ctx["field"],) if ctx["field"] else ())
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            line, col = doc.locate(prefix + loc, key=True)
            where = f"a key of `{dotted(loc[:-1])}`" if loc[:-1] else "a key"
            findings.append(Finding(file, line, col, "invalid-value", f"{where} must be {SLUG_HELP}"))
            continue
        if typ == "invalid_key":
            line, col = doc.locate(prefix + loc, key=True)
            findings.append(Finding(file, line, col, "unknown-field",
                                    "a field name must be text such as `name`, not a number or null"))
        elif typ == "missing":
            line, col = doc.locate(prefix + loc[:-1])
            custom = err["msg"] if "field" in ctx else None
            message = custom or f"missing required field `{dotted(loc)}`"
            findings.append(Finding(file, line, col, "missing-field", message))
        elif typ == "extra_forbidden":
            line, col = doc.locate(prefix + loc, key=True)
            # a key is the record's text (a name written as a key, even): it is named only when it is a typo of a
            # field, which the suggestion shows
            hint = suggest(str(loc[-1]), _fields_at(model, loc[:-1])) if is_word(str(loc[-1])) else ""
            if hint and all(is_word(str(part)) for part in loc if not isinstance(part, int)):
                message = f"unknown field `{dotted(loc)[:60]}`{hint}; the format has no such field"
            elif not is_word(str(loc[-1])):  # words and spaces, commas: text cut from its value
                from .yamlhints import COMMA_IN_BRACES

                message = COMMA_IN_BRACES
            else:
                message = "a key that is no field of the format (a typo, or a value written as a key?)"
            findings.append(Finding(file, line, col, "unknown-field", message))
        elif typ == "protected_name":
            line, col = doc.locate(prefix + loc, key=True)
            findings.append(Finding(file, line, col, "protected-name", err["msg"]))
        else:
            line, col = doc.locate(prefix + loc, key="field" in ctx)
            findings.append(Finding(file, line, col, "invalid-value", _message(err, dotted(loc))))
    return findings


def validate_record(doc: Document, file: str) -> tuple[Record | None, list[Finding]]:
    """The record one document holds, or the findings that say why it is not one."""
    data = doc.data
    if not isinstance(data, dict):
        names: dict[type, str] = {list: "a list", str: "a single text value"}
        what = names.get(type(data), f"a single {type(data).__name__} value")
        return None, [Finding(file, doc.line, doc.column, "not-a-record",
                              f"a record is a mapping with `kind:` and `id:`, but this document is {what}")]
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:  # a list or a mapping is no kind (and no dict key)
        if "kind" not in data:
            line, col = doc.locate(())
            message = f"missing `kind`; a record starts with `kind:` (one of {', '.join(KINDS)})"
        else:
            line, col = doc.locate(("kind",))
            # the value is the record's text (a name, even): never repeated, only what it may have meant
            hint = suggest(kind, KINDS) if isinstance(kind, str) and is_word(kind) else ""
            message = f"unknown kind{hint}; a record's kind is one of {', '.join(KINDS)}"
        return None, [Finding(file, line, col, "unknown-kind", message)]
    model = MODELS[kind]
    try:
        return model.model_validate(data), []
    except ValidationError as e:
        return None, validation_findings(e, model, doc, file)


def validate_config(doc: Document, file: str) -> tuple[LedgerConfig | None, list[Finding]]:
    """ledger.yaml as a LedgerConfig, or the findings that say what is wrong with it."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [Finding(file, doc.line, doc.column, "ledger-config",
                              "ledger.yaml must be a mapping with `ledger: 1` and the vocabularies")]
    if "ledger" in data and data["ledger"] != 1:
        line, col = doc.locate(("ledger",))
        return None, [Finding(file, line, col, "ledger-config",
                              "this ledger declares a record format other than version 1, the one this tool reads")]
    try:
        return LedgerConfig.model_validate(data), []
    except ValidationError as e:
        return None, validation_findings(e, LedgerConfig, doc, file)

