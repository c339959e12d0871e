"""The leak check's search of the git history (`ledger check --history`).

Every object reachable from any ref (branches, remote-tracking branches, tags, notes, the stash), from the reflogs
(older stashes, commits amended or rebased away) and from the index is read once, as git stores it: each blob's
content as a file's, each tree's file names, each commit's and annotated tag's author, committer and message; and
every ref's own name. A merge's own changes ("evil merges") are blobs like any other, so nothing depends on how a
diff shows a merge. git runs with no pager, no external diff, no textconv and no input; a missing git or a folder
that is not a repository is a warning.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .findings import Finding
from .leaks import SEARCH_LIMIT, Secret, holders, leak_severity, search_bytes, whose

MAX_LISTED = 3  # commits named in one finding; the others are counted


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER")}
    return {**env, "GIT_PAGER": "cat", "PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


def _git(root: Path, *args: str) -> list[str]:
    # no program the repository's own configuration names runs: no pager, external diff or file-system monitor
    return ["git", "--no-pager", "-C", str(root), "-c", "core.quotepath=off", "-c", "diff.external=", "-c",
            "core.fsmonitor=false", *args]


def _run(root: Path, *args: str) -> bytes:
    return subprocess.run(_git(root, *args), capture_output=True, check=True, stdin=subprocess.DEVNULL,
                          env=_env()).stdout


def _skipped(message: str) -> Finding:
    return Finding(".", 0, 0, "identity-leak-skipped", message, "warning")


def _message(secret: Secret, where: str) -> str:
    if secret.status == "forged":
        return f"{whose(secret)} appears {where} of the git history"
    return (f"{whose(secret)} appears {where} of the git history; rewrite the history (see the README: a commit "
            "that removes it is not enough)")


def _listed(items: list[str]) -> str:
    more = len(items) - MAX_LISTED
    return ", ".join(items[:MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


class _Where:
    """Which commit first brought each of the blobs and paths asked about into the history (the oldest that adds
    it, or, for a folder, a file in it), from one `git log` of every ref, reflog and merge (against each parent),
    read as it comes: only what was asked about is kept."""

    def __init__(self, root: Path, blobs: set[str], paths: set[str]) -> None:
        self.blobs: dict[str, str] = {}
        self.paths: dict[str, str] = {}
        try:
            process = subprocess.Popen(_git(root, "log", "--all", "--reflog", "-m", "--raw", "--no-abbrev",
                                            "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv", "-z",
                                            "--format=%x01%H"),
                                       stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       env=_env())
        except OSError:
            return
        assert process.stdout is not None
        pending = b""
        with process.stdout as out:
            for block in iter(lambda: out.read(1 << 16), b""):
                chunks = (pending + block).split(b"\x01")
                pending = chunks.pop()  # a commit's output may go on in the next block
                for chunk in chunks:
                    self._read(chunk, blobs, paths)
        self._read(pending, blobs, paths)
        process.wait()

    def _read(self, chunk: bytes, blobs: set[str], paths: set[str]) -> None:
        """One commit's `%H` and raw diff lines (`:modes shas status`, NUL, path, NUL...)."""
        fields = chunk.split(b"\x00")
        commit = fields[0].decode("ascii", "replace").strip()
        for i in range(1, len(fields) - 1):
            if not fields[i].lstrip(b"\n").startswith(b":"):
                continue
            parts = fields[i].split()
            if len(parts) < 4:
                continue
            # the newest commit comes first: the last one seen is the oldest
            blob = parts[3].decode("ascii", "replace")
            if blob in blobs:
                self.blobs[blob] = commit
            path = fields[i + 1].decode("utf-8", "replace")
            steps = path.split("/")
            for depth in range(1, len(steps) + 1):
                folder = "/".join(steps[:depth])
                if folder in paths:
                    self.paths[folder] = commit


def history_findings(root: Path, secrets: list[Secret], reported: set[tuple[str, str, int]] | None = None
                     ) -> Iterator[Finding]:
    """Leaks in the git history that the working tree does not already show (`reported`: person, file, line)."""
    reported = reported or set()
    try:
        prefix = _run(root, "rev-parse", "--show-prefix").decode("utf-8", "replace").strip("\n")
    except (OSError, subprocess.CalledProcessError):
        yield _skipped("--history: the ledger is not in a git repository (or git is missing): history not searched")
        return
    blob_hits: list[tuple[str, str, int, int, str]] = []  # sha, path, line, secret, where
    name_hits: list[tuple[str, int]] = []  # path, secret
    summary: dict[tuple[str, int], list[str]] = {}  # (what, secret) -> commits or tags
    problems: list[Finding] = []
    try:
        for sha, kind, path, data in _objects(root, problems):
            if data is None:
                problems.append(Finding(_ledger_path(path, prefix), 0, 0, "identity-leak-skipped",
                                        f"a version of this file in the git history is over {SEARCH_LIMIT >> 20} "
                                        "MiB: it was not searched for real names", "warning"))
            elif kind == "blob":
                for hit in search_bytes(data, secrets, SEARCH_LIMIT):
                    if isinstance(hit, str):
                        problems.append(Finding(_ledger_path(path, prefix), 0, 0, "identity-leak-skipped",
                                                f"a version of this file in the git history: {hit}", "warning"))
                    else:
                        blob_hits.append((sha, path, *hit))
            elif kind == "tree":
                name_hits += _tree_names(data, path, len(sha), secrets)
            elif kind in ("commit", "tag"):
                head, _, text = data.partition(b"\n\n")
                for part, what in ((head, f"{kind}-header"), (text, f"{kind}-message")):
                    for hit in search_bytes(part, secrets, SEARCH_LIMIT):
                        if not isinstance(hit, str):
                            summary.setdefault((what, hit[1]), []).append(sha)
    except OSError:
        yield _skipped("--history: git could not be run to its end: the history was not searched in full")
        return
    yield from problems
    refs = _run_quietly(root, "for-each-ref", "--format=%(refname)").decode("utf-8", "replace").splitlines()
    for ref in refs:
        for number in holders(ref.replace("/", " "), secrets):
            summary.setdefault(("ref", number), []).append(ref)
    where = _Where(root, {hit[0] for hit in blob_hits}, {path for path, _ in name_hits}) \
        if blob_hits or name_hits else None
    seen: set[tuple[str, str, int]] = set()
    for sha, path, line, number, inside in blob_hits:
        secret, file = secrets[number], _ledger_path(path, prefix)
        key = (secret.person, file, line)
        if key in reported or key in seen:
            continue
        seen.add(key)
        commit = where.blobs.get(sha) if where else None
        yield Finding(file, line, 1 if line else 0, "identity-leak", _message(
            secret, f"here{inside}, in commit {commit[:12]}" if commit else f"here{inside}, in a version staged in "
            "git's index or kept only by a tag"), leak_severity(secret))
    for path, number in name_hits:
        secret, file = secrets[number], _ledger_path(path, prefix)
        key = (secret.person, file, 0)
        if key in reported or key in seen:
            continue
        seen.add(key)
        commit = where.paths.get(path) if where else None
        yield Finding(file, 0, 0, "identity-leak", _message(
            secret, f"in this file's or folder's name, in commit {commit[:12]}" if commit else
            "in this file's or folder's name, in a version staged in git's index or kept only by a tag"),
            leak_severity(secret))
    labels = {"commit-header": ("(commit author)", "as the author or committer (or in the signature) of commit"),
              "commit-message": ("(commit message)", "in the message of commit"),
              "tag-header": ("(tag)", "in the name or tagger of annotated tag"),
              "tag-message": ("(tag message)", "in the message of annotated tag"),
              "ref": ("(ref name)", "in the name of the ref")}
    for (what, number), items in sorted(summary.items()):
        file, label = labels[what]
        listed = _listed(items if what == "ref" else [sha[:12] for sha in items])
        yield Finding(file, 0, 0, "identity-leak", _message(secrets[number], f"{label} {listed}"),
                      leak_severity(secrets[number]))


def _run_quietly(root: Path, *args: str) -> bytes:
    try:
        return _run(root, *args)
    except (OSError, subprocess.CalledProcessError):
        return b""


def _ledger_path(path: str, prefix: str) -> str:
    """A path of the repository as a path from the ledger root (`../` when the ledger is a folder of it)."""
    if not prefix or path.startswith(prefix):
        return path[len(prefix):] or "."
    depth = prefix.rstrip("/").count("/") + 1
    return "../" * depth + path


def _tree_names(data: bytes, path: str, sha_size: int, secrets: list[Secret]) -> list[tuple[str, int]]:
    """(path, secret) for each entry of a tree whose name brings a name that its folder's path does not hold."""
    raw_size = sha_size // 2
    found: list[tuple[str, int]] = []
    base = holders(path.replace("/", " "), secrets) if path else set()
    at = 0
    while at < len(data):
        space, nul = data.find(b" ", at), data.find(b"\x00", at)
        if space < 0 or nul < 0:
            break
        name = data[space + 1:nul].decode("utf-8", "replace")
        at = nul + 1 + raw_size
        full = f"{path}/{name}" if path else name
        for number in holders(full.replace("/", " "), secrets) - base:
            found.append((full, number))
    return found


def _objects(root: Path, problems: list[Finding]) -> Iterator[tuple[str, str, str, bytes | None]]:
    """(sha, type, path, content) of every object reachable from any ref, reflog or the index: `rev-list` piped
    into `cat-file`, which reads each object once. An object over SEARCH_LIMIT is not read: its content is None."""
    env = _env()
    lister = subprocess.Popen(_git(root, "rev-list", "--objects", "--all", "--reflog", "--indexed-objects"),
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    assert lister.stdout is not None
    try:
        reader = subprocess.Popen(_git(root, "cat-file", "--batch=%(objectname) %(objecttype) %(objectsize) %(rest)"),
                                  stdin=lister.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    finally:
        lister.stdout.close()  # the reader holds it now: the lister stops if the reader does
    assert reader.stdout is not None
    out = reader.stdout
    try:
        while True:
            header = out.readline()
            if not header:
                break
            fields = header.rstrip(b"\n").split(b" ", 3)
            if len(fields) < 3 or fields[1] == b"missing" or not fields[2].isdigit():
                continue
            sha, kind, size = fields[0].decode("ascii", "replace"), fields[1].decode("ascii", "replace"), \
                int(fields[2])
            path = fields[3].decode("utf-8", "replace") if len(fields) > 3 else ""
            if size > SEARCH_LIMIT:
                _discard(out, size + 1)
                yield sha, kind, path, None
                continue
            yield sha, kind, path, out.read(size + 1)[:size]
    finally:
        out.close()
        reader.wait()
        lister.wait()
    if lister.returncode != 0:
        problems.append(_skipped("--history: git could not list every object of the history (a shallow or damaged "
                                 "repository?): what it listed was searched"))


def _discard(stream: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            return
        size -= len(chunk)
