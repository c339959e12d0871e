"""`ledger init`: a new ledger that `ledger check` passes at once, with every file a researcher would otherwise
write from scratch: a commented ledger.yaml, records/, schemas/, a .gitignore for .ledger/ and a pre-commit
configuration; a git repository where the folder is in none. It never overwrites anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .atomic import atomic_create_bytes
from .errors import LedgerError
from .layout import CONFIG_NAME

LEDGER_YAML = """\
# The ledger's settings and vocabularies: see the README's "ledger.yaml". Text with a `: `, a `#` or a comma
# inside `{...}` goes in quotes: `{label: "police, National Guard"}`.
ledger: 1                       # the record format version
title: TITLE
measures:                       # what claims count; `within` nests a measure in a broader one
  killed:     {label: people killed}
  wounded:    {label: people injured}
  detained:   {label: people detained}
  in-custody: {label: people held in custody, counts: stock}   # a count on a date (default: events)
places:                         # where claims count; `within` nests a place in a broader one
  country: {label: The country}
  capital: {label: The capital, within: country}
populations:                    # `all` always exists: it is the default population
  all:       {label: everyone}
  civilians: {label: civilians, within: all}
  police:    {label: police and security forces, within: all}
allegations: [lethal-force, beating, torture, arbitrary-detention]
figures:
  approx: 0.1                   # "~N" means N ± 10%
  official: [government, prosecutor, police, court]   # org types whose figures are official
# recipients and signers: added by `ledger keys add` (see the README's "Protecting witnesses")
"""

GITIGNORE = """\
# ledger's cache, lock and temporary files: never committed
.ledger/
"""

PRE_COMMIT = """\
# `pre-commit install` runs these before every commit: the ledger checked, the schemas up to date
repos:
  - repo: local
    hooks:
      - id: ledger-check
        name: ledger check
        entry: ledger check
        language: system
        pass_filenames: false
        files: ^(ledger\\.yaml|records/|schemas/|evidence/)
      - id: ledger-schema
        name: ledger schema --check
        entry: ledger schema --check
        language: system
        pass_filenames: false
        files: ^schemas/
"""


def _in_git(folder: Path) -> bool:
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "--is-inside-work-tree"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return True  # no git: nothing to initialise
    return done.returncode == 0


def init_ledger(folder: Path, title: str) -> list[str]:
    """Create a ledger in `folder` (made if missing); return what was made, in order. LedgerError when a ledger is
    there already, or when any file it would write exists: nothing is written then."""
    from . import schema as schemas

    folder = folder.resolve()
    if (folder / CONFIG_NAME).exists():
        raise LedgerError(f"{folder / CONFIG_NAME} exists: this is a ledger already; nothing was written")
    config = LEDGER_YAML.replace("title: TITLE", f"title: {_scalar(title)}", 1)
    files = {CONFIG_NAME: config, ".gitignore": GITIGNORE, ".pre-commit-config.yaml": PRE_COMMIT}
    present = [name for name in files if (folder / name).exists()]
    if present:
        raise LedgerError(f"{', '.join(present)} already in {folder}: remove or move it first; nothing was written")
    if (folder / "records").exists() and not (folder / "records").is_dir():
        raise LedgerError(f"{folder / 'records'} exists and is no folder; nothing was written")
    made: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    if not _in_git(folder):
        subprocess.run(["git", "-C", str(folder), "init", "-q"], check=True, timeout=30)
        made.append("a git repository")
    for name in (".gitignore", ".pre-commit-config.yaml", CONFIG_NAME):  # ledger.yaml last: what makes it a ledger
        atomic_create_bytes(folder / name, files[name].encode())
        made.append(name)
    (folder / "records").mkdir(exist_ok=True)
    (folder / "records" / ".gitkeep").touch()
    made.append("records/")
    schemas.write(folder / "schemas", folder)
    made.append("schemas/")
    return made


def _scalar(text: str) -> str:
    """`text` as a YAML value that reads back as itself."""
    import json

    from .yamlio import resolve_plain

    plain = text.strip() == text and text and not any(c in text for c in ":#{}[],&*!|>'\"%@`") \
        and resolve_plain(text) == text
    return text if plain else json.dumps(text, ensure_ascii=False)
