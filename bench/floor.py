#!/usr/bin/env python3
"""The floor: read every .yaml under LEDGER/records and parse it with libyaml, nothing else.

    python bench/floor.py LEDGER_DIR

No validation, no line numbers, no references: the least work any YAML-based checker must do,
with the fastest YAML parser available to Python (PyYAML's CSafeLoader, a C extension over
libyaml). Prints the number of files and YAML documents read.
"""

from __future__ import annotations

import os
import sys

import yaml


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        print("floor: PyYAML has no CSafeLoader (libyaml missing)", file=sys.stderr)
        return 2
    base = os.path.join(sys.argv[1], "records")
    files = documents = 0
    for folder, dirs, names in os.walk(base):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(".yaml"):
                continue
            with open(os.path.join(folder, name), "rb") as f:
                text = f.read().decode("utf-8")
            documents += sum(1 for doc in yaml.load_all(text, Loader=loader) if doc is not None)
            files += 1
    print(f"{files} files, {documents} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
