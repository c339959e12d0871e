"""Every example of the format in the README is one the format accepts: the ledger.yaml example and each record
example, as written (placeholders included), so that the documentation cannot drift from the format; and the
README's check-jsonschema command does what it says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, LedgerDir

from ledger.validate import validate_config, validate_record
from ledger.yamlio import parse_text

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
RECORDS = [b for b in BLOCKS if re.search(r"^kind: ", b, flags=re.MULTILINE)]
CONFIGS = [b for b in BLOCKS if re.search(r"^ledger: 1", b, flags=re.MULTILINE)]


def test_the_readme_has_examples_of_every_kind() -> None:
    kinds = {re.search(r"^kind: (\S+)", b, flags=re.MULTILINE)[1] for b in RECORDS}  # type: ignore[index]
    assert kinds >= {"person", "org", "event", "testimony", "statement", "document", "claim"}
    assert len(CONFIGS) == 1


@pytest.mark.parametrize("text", RECORDS, ids=[re.search(r"^id: (\S+)", b, flags=re.MULTILINE)[1]  # type: ignore[index]
                                               for b in RECORDS])
def test_each_record_example_is_valid(text: str) -> None:
    parsed = parse_text(text, "README.md")
    assert parsed.findings == []
    for doc in parsed.documents:
        record, findings = validate_record(doc, "README.md")
        assert record is not None and findings == [], [f.message for f in findings]


def test_the_ledger_yaml_example_is_valid() -> None:
    parsed = parse_text(CONFIGS[0], "ledger.yaml")
    assert parsed.findings == [] and len(parsed.documents) == 1
    config, findings = validate_config(parsed.documents[0], "ledger.yaml")
    assert config is not None and findings == [], [f.message for f in findings]


def test_the_check_jsonschema_command_as_the_readme_gives_it(shipped: LedgerDir) -> None:
    command = re.search(r"^(grep -L .*check-jsonschema.*)$", README, flags=re.MULTILINE)
    assert command is not None
    shutil.copytree(REPO / "schemas", shipped.root / "schemas")
    # a file of two records: the command leaves it to `ledger check`
    (shipped.root / "records" / "orgs" / "two.yaml").write_text(
        "kind: org\nid: org-one\nname: One\n---\nkind: org\nid: org-two\nname: Two\n", encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(["bash", "-c", command[1]], cwd=shipped.root, capture_output=True, text=True, check=False,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, timeout=300)
    assert done.returncode == 0 and "validation done" in done.stdout, done.stdout + done.stderr
