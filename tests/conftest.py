"""Small ledgers written inside the tests, by the letter of the record format."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent

CONFIG = """\
ledger: 1
title: A test ledger
measures:
  killed: {label: people killed}
  wounded: {label: people injured}
  gunshot-wounded: {label: people with gunshot wounds, within: wounded}
  detained: {label: people detained}
places:
  kazakhstan: {label: Kazakhstan}
  mangystau: {label: Mangystau province, within: kazakhstan}
  zhanaozen: {label: Zhanaozen, within: mangystau}
  shetpe: {label: Shetpe, within: mangystau}
populations:
  all: {label: everyone}
  civilians: {label: civilians, within: all}
  police: {label: police and security forces, within: all}
allegations: [lethal-force, beating, torture, theft]
figures:
  approx: 0.1
"""

BASE_RECORDS = {
    "orgs/pgo.yaml": """\
        kind: org
        id: pgo
        name: Prosecutor General's Office
        type: prosecutor
        """,
    "orgs/hrw.yaml": """\
        kind: org
        id: hrw
        name: Human Rights Watch
        type: ngo
        """,
    "people/gaukhar-g.yaml": """\
        kind: person
        id: gaukhar-g
        pseudonym: Gaukhar G.
        protected: true
        roles: [witness, relative]
        """,
    "events/shooting.yaml": """\
        kind: event
        id: shooting
        title: Police open fire on the square
        period: 2011-12-16
        place: zhanaozen
        """,
    "testimonies/t-gaukhar.yaml": """\
        kind: testimony
        id: t-gaukhar
        witness: gaukhar-g
        date: 2011-12-28
        mode: in-person
        consent: anonymous
        relation: relative
        recorded_by: hrw
        about: [shooting]
        allegations: [lethal-force]
        summary: Her husband was shot in the face on his way to the mosque.
        """,
    "statements/pgo-2012-01-25.yaml": """\
        kind: statement
        id: pgo-2012-01-25
        issuer: pgo
        date: 2012-01-25
        medium: press-release
        summary: Progress of the investigations.
        """,
    "documents/letter.yaml": """\
        kind: document
        id: letter
        type: ngo-report
        title: Letter to the Prosecutor General
        author: hrw
        """,
    "claims/c-detained-70.yaml": """\
        kind: claim
        id: c-detained-70
        source: pgo-2012-01-25
        measure: detained
        value: 70
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        """,
    "claims/c-detained-60.yaml": """\
        kind: claim
        id: c-detained-60
        source: pgo-2012-01-25
        measure: detained
        value: 60
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        """,
    "claims/c-detained-130.yaml": """\
        kind: claim
        id: c-detained-130
        source: pgo-2012-01-25
        measure: detained
        value: 130
        scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}
        sum_of: [c-detained-70, c-detained-60]
        """,
}


class LedgerDir:
    """A ledger in a temp folder that a test can write records into."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def record(self, name: str, text: str) -> Path:
        return self.write(f"records/{name}", text)

    def remove(self, name: str) -> None:
        (self.root / "records" / name).unlink()


def ledger_at(root: Path, config: str, records: dict[str, str]) -> LedgerDir:
    """A ledger in `root`: `config` as its ledger.yaml, `records` (path under records/ -> text) as its records."""
    ld = LedgerDir(root)
    ld.write("ledger.yaml", config)
    for name, text in records.items():
        ld.record(name, text)
    return ld


@pytest.fixture
def ledger_dir(tmp_path: Path) -> LedgerDir:
    """A clean, valid ledger with a few records of every kind."""
    return ledger_at(tmp_path / "ledger", CONFIG, BASE_RECORDS)


@pytest.fixture
def shipped(tmp_path: Path) -> LedgerDir:
    """A copy of the shipped ledger (ledger.yaml and records/; schemas/ left out, as it is not what is attacked)."""
    import shutil

    root = tmp_path / "shipped"
    shutil.copytree(REPO / "records", root / "records")
    shutil.copy(REPO / "ledger.yaml", root / "ledger.yaml")
    return LedgerDir(root)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def findings_of(root: Path):  # type: ignore[no-untyped-def]
    from ledger.checks import check_ledger

    return check_ledger(root)[1]


def remove_tree(top: Path) -> None:
    """Remove a folder tree of any depth, without recursion: pytest's own clean-up recurses, and a tree deeper than
    Python's recursion limit, left behind, breaks it at the end of a later run."""
    import os

    stack = [str(top)]
    while stack:
        folder = stack[-1]
        with os.scandir(folder) as entries:
            found = [(entry.path, entry.is_dir(follow_symlinks=False)) for entry in entries]
        inner = [path for path, is_folder in found if is_folder]
        for path, is_folder in found:
            if not is_folder:
                os.unlink(path)
        if inner:
            stack.extend(inner)
        else:
            os.rmdir(stack.pop())
