"""`ledger add --edit`: a commented template in $EDITOR, reopened with the errors on top until the record is
valid, keeping what was typed (as `git commit` and `kubectl edit` do)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .add import AddError, check_draft, is_list, read_draft, required_missing, submodel
from .emit import field_order
from .load import Ledger, load_ledger
from .models import MODELS
from .prompts import help_for
from .protection import draft_problems, hidden_fields

ERROR_MARK = "# ERROR: "


def _choices(ledger: Ledger, model: type[Any], name: str, path: tuple[str, ...]) -> list[str]:
    from .prompts import Asker

    return Asker(ledger, None).choices(model, name, path)  # type: ignore[arg-type]


def _scalar(value: Any, flow: bool = False) -> str:
    """A value as the template writes it: plain when that reads back as the same value, else quoted. Inside
    `[…]` or `{…}` (`flow`), a comma or a bracket would end the value: such text is quoted (`{min: "4,500"}`)."""
    import json

    from .yamlio import resolve_plain

    if value is None:
        return ""
    if isinstance(value, str):
        plain = re.fullmatch(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n:#]*", value) and value == value.strip()
        plain = plain and not (flow and re.search(r"[,\[\]{}]", value))
        return value if plain and resolve_plain(value) == value else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def template(ledger: Ledger, kind: str, data: dict[str, Any]) -> str:
    """The commented template: every field with its help and choices; required ones marked."""
    model = MODELS[kind]
    lines = [
        f"# New {kind}: {(model.__doc__ or '').strip()}",
        "# Fill in the fields and save. Lines starting with # are ignored; an empty file writes nothing.",
        "# Leave `id` empty to have one made from the date and the main subject.",
        "",
        f"kind: {kind}",
    ]
    hidden = hidden_fields(kind, data)  # never typed into a file: a protected person's names are sealed apart
    for name in field_order(model):
        if name == "kind" or name in hidden:
            continue
        lines += _field_lines(ledger, model, name, (name,), data.get(name), "")
    return "\n".join(lines) + "\n"


def _field_lines(ledger: Ledger, model: type[Any], name: str, path: tuple[str, ...], value: Any,
                 indent: str) -> list[str]:
    info = model.model_fields[name]
    required = info.is_required() and name != "id"
    help_text = help_for(model, path)
    options = _choices(ledger, model, name, path)
    mark = " (required)" if required else ""
    if model.__name__ == "Person" and name in ("name", "pseudonym"):
        mark = f" (this or `{'pseudonym' if name == 'name' else 'name'}` is required)"
    comment = f"{indent}# {name}{mark}{': ' + help_text if help_text else ''}"
    if options:
        shown = ", ".join(options[:20]) + (", …" if len(options) > 20 else "")
        comment += f". One of: {shown}"
    sub = submodel(model, name)
    if sub is not None and not is_list(model, name):
        out = [comment, f"{indent}{name}:"]
        nested = value if isinstance(value, dict) else {}
        for sub_name in sub.model_fields:
            out += _field_lines(ledger, sub, sub_name, (*path, sub_name), nested.get(sub_name), indent + "  ")
        return out
    if is_list(model, name):
        items = value if isinstance(value, list) else []
        if sub is not None:
            example = ", ".join(f"{k}: …" for k in sub.model_fields)
            out = [comment + f". Items: {{{example}}}", f"{indent}{name}:"]
            for item in items:
                pairs = ", ".join(f"{k}: {_scalar(v, flow=True)}" for k, v in item.items())
                out.append(f"{indent}  - {{{pairs}}}")
            return out if items else [comment + f". Items: {{{example}}}", f"{indent}{name}: []"]
        return [comment, f"{indent}{name}: [{', '.join(_scalar(v, flow=True) for v in items)}]"]
    if name == "value" and isinstance(value, (dict,)):
        return [comment, f"{indent}{name}: {{{', '.join(f'{k}: {_scalar(v, flow=True)}' for k, v in value.items())}}}"]
    return [comment, f"{indent}{name}: {_scalar(value)}".rstrip()]


def _prune(value: Any) -> Any:
    """Drop what was left empty in the template: nulls, empty lists and mappings."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value if _prune(v) not in (None, [], {})]
    return value


def _strip_errors(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(ERROR_MARK)).lstrip("\n") + "\n"


def problems_of(ledger: Ledger, kind: str, text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The draft in the edited text and what keeps it from being written."""
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return None, []
    try:
        data = _prune(read_draft(text, "the record"))
    except AddError as e:
        return {}, e.problems
    if data.get("kind", kind) != kind:
        return data, [f"`kind` must stay `{kind}`"]
    data.pop("kind", None)
    if not [k for k in data if k != "id"]:
        return None, []
    missing = required_missing(MODELS[kind], data)
    if missing:
        return data, [f"missing required field `{m}`" for m in missing]
    draft = dict(data)
    draft.setdefault("id", "draft-id")
    return data, check_draft(ledger, kind, draft).problems


def run_editor(path: Path) -> None:
    """Open `path` in $VISUAL or $EDITOR (vi when neither is set) and wait for it."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    done = subprocess.run([*shlex.split(command), str(path)], check=False)
    if done.returncode != 0:
        raise AddError([f"the editor ({command}) exited with status {done.returncode}"])


def edit_record(root: Path, kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """Edit until the record is valid: the draft, or None when the file was left empty."""
    ledger, _ = load_ledger(root)
    text = template(ledger, kind, data)
    fd, name = tempfile.mkstemp(prefix=f"ledger-{kind}-", suffix=".yaml")
    path = Path(name)
    try:
        os.close(fd)
        while True:
            path.write_text(text, encoding="utf-8")
            run_editor(path)
            edited = _strip_errors(path.read_text(encoding="utf-8"))
            draft, problems = problems_of(ledger, kind, edited)
            if draft is None:
                return None
            if data.get("protected"):
                draft["protected"] = True
            problems = draft_problems(kind, draft) + problems
            if not problems:
                return draft
            text = "".join(f"{ERROR_MARK}{p}\n" for p in problems) + f"{ERROR_MARK}(fix, save and close)\n" + edited
    finally:
        path.unlink(missing_ok=True)
