"""`ledger check` as one library call: the findings of the records, with the leak check's when a key is at hand
(masked so that no finding repeats a real name), and the one-line summary, exactly as the command prints them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .findings import Finding, sort_findings


@dataclass(frozen=True)
class CheckReport:
    """What `ledger check` reports: its findings (paths relative to `root`), how much it read, and how far the leak
    check went."""

    root: Path
    findings: list[Finding]
    records: int
    files: int
    identities_checked: int | None = None  # None: the leak check did not run
    leak_check_skipped: bool = False  # the ledger seals identities, but no key was at hand

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        """0 when no finding is an error, 1 otherwise."""
        return 1 if self.errors else 0

    def summary(self) -> str:
        """`✓ 165 records in 165 files: no findings`, or `✗ 2 errors in 1 file (…)`, with the leak check's note."""
        records = f"{self.records} records in {self.files} files"
        note = ""
        if self.identities_checked:
            n = self.identities_checked
            note = f"; {n} protected {'identity' if n == 1 else 'identities'} checked for leaks"
        elif self.leak_check_skipped:
            note = "; leak check skipped: no key (--identity FILE or $LEDGER_IDENTITY)"
        if self.errors:
            files = len({f.file for f in self.findings if f.severity == "error"})
            noun = "error" if self.errors == 1 else "errors"
            return f"✗ {self.errors} {noun} in {files} {'file' if files == 1 else 'files'} ({records} read{note})"
        return f"✓ {records}: no {'errors' if self.findings else 'findings'}{note}"

    def seen_from(self, folder: Path) -> CheckReport:
        """The same report with paths relative to `folder`, so that editors and CI open them as printed."""
        out = []
        for f in self.findings:
            try:
                shown = os.path.relpath(self.root / f.file, folder)
            except ValueError:  # another drive on Windows
                shown = str(self.root / f.file)
            out.append(replace(f, file=Path(shown).as_posix()))
        return replace(self, findings=out)


def wants_key(identity: Path | None, history: bool, sealed: bool) -> bool:
    """Whether to look for the user's key at all: asked for, or the ledger seals identities (`sealed`). A ledger
    without recipients holds none, and reading every file for them would cost a large ledger its cache."""
    from .identity import IDENTITY_ENV

    return identity is not None or history or bool(os.environ.get(IDENTITY_ENV)) or sealed


def run(root: Path, identity: Path | None = None, history: bool = False, use_cache: bool = True,
        jobs: int | None = None, progress: Callable[[int, int], None] | None = None) -> CheckReport:
    """Check the ledger at `root` as `ledger check` does. `identity`: the key file (else $LEDGER_IDENTITY, else the
    one `ledger keys init` made, when the ledger seals identities); IdentityError when it cannot be read, or when
    `history` is asked for without any key."""
    from .checker import check
    from .identity import IdentityError, identity_path, load_identities
    from .keyring import has_recipients

    keys = None
    sealed = has_recipients(root)
    if wants_key(identity, history, sealed):
        path = identity_path(identity)
        if path is None and history:
            raise IdentityError("this needs your key: pass --identity FILE or set $LEDGER_IDENTITY "
                                "(`ledger keys init` makes one)")
        keys = load_identities(path) if path is not None else None
    result = check(root, use_cache=use_cache, jobs=jobs, progress=progress)
    report = CheckReport(root, result.findings, result.records, result.files)
    if keys is None:
        return replace(report, leak_check_skipped=sealed)
    from .leaks import leak_findings, mask_findings

    leaks, secrets = leak_findings(root, keys, history=history)
    findings = sort_findings(mask_findings(result.findings, secrets) + leaks)
    checked = len(secrets)
    del secrets  # the real names leave memory as soon as they have been looked for
    return replace(report, findings=findings, identities_checked=checked)
