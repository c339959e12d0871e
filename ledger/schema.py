"""JSON Schema export of the models, and the check that schemas/ is what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

from .atomic import atomic_write_text
from .findings import Finding
from .layout import SCHEMA_DIR
from .reading import Refused, read_bytes

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_name(kind: str) -> str:
    """The file name of one kind's schema: `claim.schema.json`."""
    return f"{kind}.schema.json"


def generate() -> dict[str, str]:
    """Every schema file's name and exact text; the same models always give the same bytes."""
    from pydantic import TypeAdapter

    from .models import MODELS, AnyRecord, LedgerConfig

    schemas: dict[str, dict[str, object]] = {}
    for kind, model in MODELS.items():
        schemas[schema_name(kind)] = model.model_json_schema()
    schemas["ledger.schema.json"] = LedgerConfig.model_json_schema()
    record = TypeAdapter(AnyRecord).json_schema()
    record["title"] = "Record"
    record["description"] = "Any ledger record; `kind` says which."
    schemas["record.schema.json"] = record
    out = {}
    for name, schema in sorted(schemas.items()):
        text = json.dumps({"$schema": DIALECT, **schema}, indent=2, ensure_ascii=False, sort_keys=True)
        out[name] = text + "\n"
    return out


def stale(folder: Path) -> list[str]:
    """The schema files in `folder` that are missing or differ from what the models generate."""
    result = []
    for name, text in generate().items():
        path = folder / name
        try:
            current = read_bytes(path, folder).decode("utf-8")
        except (OSError, Refused, UnicodeDecodeError):  # a FIFO or a link to /dev/zero is stale, never read
            current = None
        if current != text:
            result.append(name)
    return result


def write(folder: Path, root: Path | None = None) -> list[str]:
    """Write every schema into `folder` (atomically, only those that changed; temp files in the ledger's scratch
    folder when `root` names the ledger); return the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = stale(folder)
    generated = generate()
    for name in changed:
        atomic_write_text(folder / name, generated[name], root=root)
    return changed


def drift_findings(root: Path) -> list[Finding]:
    """A finding per stale file when the ledger keeps schemas/ (a ledger without the folder has nothing to drift)."""
    folder = root / SCHEMA_DIR
    if not folder.is_dir():
        return []
    return [
        Finding(f"{SCHEMA_DIR}/{name}", 1, 1, "schema-stale",
                "differs from what the models generate (or is missing); run `ledger schema` and commit schemas/")
        for name in stale(folder)
    ]
