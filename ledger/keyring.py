"""Who can read protected identities: the recipients in ledger.yaml, and re-sealing identities for them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .findings import Finding
from .identity import ARMOR_BEGIN, ARMOR_END, IdentityError, check_recipient, seal, unseal
from .layout import CONFIG_NAME, RECORD_SUFFIXES, RECORDS_DIR
from .models import SLUG_HELP, SLUG_PATTERN


def recipients(root: Path) -> dict[str, str]:
    """The recipients ledger.yaml lists: name -> age public key."""
    from .load import read_config

    config, _, findings = read_config(root)
    if config is None:
        raise IdentityError(f"{CONFIG_NAME} is not valid ({findings[0].message if findings else 'unreadable'}); "
                            "run `ledger check`")
    return dict(config.recipients)


def set_recipient(root: Path, name: str, recipient: str | None) -> None:
    """Add (or, with None, remove) a recipient in ledger.yaml, keeping its comments and layout."""
    import re

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    if not re.match(SLUG_PATTERN, name):
        raise IdentityError(f"a recipient's name must be {SLUG_HELP} (a neutral label, no personal data)")
    if recipient is not None:
        recipient = check_recipient(recipient)
    path = root / CONFIG_NAME
    yaml = YAML(typ="rt")
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8"))
    current = data.get("recipients")
    if recipient is None:
        if not current or name not in current:
            raise IdentityError(f"ledger.yaml has no recipient named `{name}`")
        del current[name]
    else:
        if current is None:
            data["recipients"] = current = CommentedMap()
        if recipient in current.values() and current.get(name) != recipient:
            other = next(k for k, v in current.items() if v == recipient)
            raise IdentityError(f"that key is already listed, as `{other}`")
        current[name] = recipient
    out = io.StringIO()
    yaml.dump(data, out)
    atomic_write_text(path, out.getvalue())


@dataclass
class Sealed:
    """One sealed identity in a record file."""

    path: Path
    file: str  # relative to the ledger root
    record_id: str
    label: str  # how output may name the person: the pseudonym
    line: int  # of the `identity:` key
    armored: str


def sealed_identities(root: Path) -> tuple[list[Sealed], list[Finding]]:
    """Every sealed identity in the ledger's record files, valid records or not (a typo elsewhere in a record
    must not hide its identity from rotation or the leak check), and the files that hold armour but could
    not be read as records."""
    from .yamlio import parse_bytes

    found: list[Sealed] = []
    problems: list[Finding] = []
    for path in sorted((root / RECORDS_DIR).rglob("*")):
        name = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts) or \
                not path.name.endswith(RECORD_SUFFIXES) or not path.is_file():
            continue
        try:
            raw = path.read_bytes()
        except OSError as e:
            problems.append(Finding(name, 0, 0, "identity-unreadable", f"cannot read the file: {e.strerror}"))
            continue
        if ARMOR_BEGIN.encode() not in raw:
            continue
        parsed = parse_bytes(raw, name)
        seen = 0
        for doc in parsed.documents:
            data = doc.data
            if not isinstance(data, dict) or data.get("kind") != "person" or not isinstance(data.get("identity"), str):
                continue
            seen += 1
            record_id = data.get("id") if isinstance(data.get("id"), str) else "?"
            label = data.get("pseudonym") if isinstance(data.get("pseudonym"), str) else record_id
            line, _ = doc.locate(("identity",), key=True)
            found.append(Sealed(path, name, record_id, label, line, data["identity"]))
        if not seen:
            problems.append(Finding(name, 1, 1, "identity-unreadable",
                                    "this file holds an age armour, but no person record with an `identity` could "
                                    "be read from it: fix the file (`ledger check` says how)"))
    return found, problems


def _replace_block(text: str, key_line: int, armored: str) -> str:
    """`text` with the armoured block that follows the `identity:` key on `key_line` replaced by `armored`."""
    lines = text.splitlines(keepends=True)
    start = next(i for i in range(key_line - 1, len(lines)) if ARMOR_BEGIN in lines[i])
    end = next(i for i in range(start, len(lines)) if ARMOR_END in lines[i])
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    new = [indent + line + "\n" for line in armored.strip().splitlines()]
    return "".join(lines[:start] + new + lines[end + 1:])


def rotate(root: Path, keys: list[Any]) -> list[str]:
    """Re-seal every identity for the recipients ledger.yaml lists now; return the ids re-sealed.

    Every identity is decrypted first: if any cannot be, nothing is written.
    """
    keys_now = list(recipients(root).values())
    if not keys_now:
        raise IdentityError("ledger.yaml lists no recipients: rotating would lock everyone out")
    sealed, unreadable = sealed_identities(root)
    plain: list[tuple[Sealed, dict[str, Any]]] = []
    problems = [f"{f.file}: {f.message}" for f in unreadable]
    for item in sealed:
        try:
            plain.append((item, unseal(item.armored, item.record_id, keys)))
        except IdentityError as e:
            problems.append(f"`{item.record_id}`: {e}")
    if problems:
        raise IdentityError("nothing was re-encrypted, as some identities cannot be read with this key: "
                            + "; ".join(problems))
    by_file: dict[Path, list[tuple[Sealed, dict[str, Any]]]] = {}
    for item, identity in plain:
        by_file.setdefault(item.path, []).append((item, identity))
    for path, items in by_file.items():
        text = path.read_text(encoding="utf-8")
        for item, identity in sorted(items, key=lambda pair: -pair[0].line):  # from the end: lines stay put
            text = _replace_block(text, item.line, seal(identity, item.record_id, keys_now))
        atomic_write_text(path, text)
    return [item.record_id for item, _ in plain]
