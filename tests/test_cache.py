"""The cache and the second core change nothing but speed: findings and exit codes are the same."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, LedgerDir, findings_of

from ledger import checker
from ledger.cache import CACHE_NAME, STATE_DIR

SUITE = REPO.parent / "shared" / "yaml-test-suite" / "cases"


def cache_file(root: Path) -> Path:
    return root / STATE_DIR / "cache" / CACHE_NAME


def age(root: Path, seconds: int = 60) -> None:
    """Make every file look older than the cache, as files are between two real runs."""
    for path in root.rglob("*"):
        if path.is_file() and STATE_DIR not in path.parts:
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


@pytest.fixture
def messy(ledger_dir: LedgerDir) -> LedgerDir:
    """A ledger with findings of many kinds, in many files."""
    ledger_dir.record("bad/syntax.yaml", "kind: org\nid: [\n")
    ledger_dir.record("bad/ref.yaml", "kind: testimony\nid: t-x\nwitness: gaukhar\ndate: 2011-12-28\n"
                      "mode: in-person\nconsent: public\nsummary: S.\n")
    ledger_dir.record("bad/dup.yaml", "kind: org\nid: pgo\nname: Again\n")
    ledger_dir.record("bad/sum.yaml", "kind: claim\nid: c-sum\nsource: letter\nmeasure: detained\nvalue: 131\n"
                      "scope: {place: zhanaozen, period: 2011-12-16..2011-12-17}\n"
                      "sum_of: [c-detained-70, c-detained-60]\n")
    ledger_dir.write("evidence/a.txt", b"evidence")
    ledger_dir.record("documents/ev.yaml", "kind: document\nid: ev\ntype: photo\ntitle: T\nfiles:\n"
                      "  - path: evidence/a.txt\n    sha256: " + hashlib.sha256(b"evidence").hexdigest() + "\n")
    from ledger import schema

    schema.write(ledger_dir.root / "schemas")
    age(ledger_dir.root)
    return ledger_dir


def test_cold_warm_and_uncached_agree(messy: LedgerDir) -> None:
    expected = findings_of(messy.root)
    assert len(expected) == 4
    cold = checker.check(messy.root)
    assert cache_file(messy.root).exists()
    warm = checker.check(messy.root)
    uncached = checker.check(messy.root, use_cache=False)
    assert cold.findings == warm.findings == uncached.findings == expected
    assert cold.records == warm.records == uncached.records


def test_a_changed_file_is_read_again(messy: LedgerDir) -> None:
    checker.check(messy.root)
    messy.record("bad/ref.yaml", "kind: testimony\nid: t-x\nwitness: gaukhar-g\ndate: 2011-12-28\n"
                 "mode: in-person\nconsent: public\nsummary: S.\n")
    assert checker.check(messy.root).findings == findings_of(messy.root)
    messy.remove("bad/dup.yaml")
    assert checker.check(messy.root).findings == findings_of(messy.root)
    messy.record("bad/new.yaml", "kind: org\nid: zz\nnmae: typo\n")
    after = checker.check(messy.root).findings
    assert after == findings_of(messy.root) and "unknown-field" in {f.code for f in after}


def test_changes_outside_records_are_seen(messy: LedgerDir) -> None:
    checker.check(messy.root)
    messy.write("evidence/a.txt", b"tampered")
    assert "hash-mismatch" in {f.code for f in checker.check(messy.root).findings}
    config = (messy.root / "ledger.yaml").read_text()
    messy.write("ledger.yaml", config.replace("  detained: {label: people detained}\n", ""))
    after = checker.check(messy.root).findings
    assert after == findings_of(messy.root) and "unknown-measure" in {f.code for f in after}
    (messy.root / "schemas" / "org.schema.json").write_text("{}\n")
    assert "schema-stale" in {f.code for f in checker.check(messy.root).findings}


@pytest.mark.parametrize("damage", ["delete", "garble", "truncate", "flip", "foreign"])
def test_a_damaged_cache_is_ignored_and_rebuilt(messy: LedgerDir, damage: str) -> None:
    expected = checker.check(messy.root).findings
    path = cache_file(messy.root)
    raw = path.read_bytes()
    if damage == "delete":
        path.unlink()
    elif damage == "garble":
        path.write_bytes(os.urandom(len(raw)))
    elif damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":
        path.write_bytes(raw[:-10] + bytes([raw[-10] ^ 0xFF]) + raw[-9:])
    else:
        from ledger import cache

        header = cache.load(messy.root, cache.fingerprint())
        assert header is not None
        cache.save(messy.root, {**header, "fingerprint": "another version", "result": []}, {})
    assert checker.check(messy.root).findings == expected
    assert checker.check(messy.root).findings == expected


def test_one_core_or_two(messy: LedgerDir) -> None:
    one = checker.check(messy.root, use_cache=False, jobs=1)
    two = checker.check(messy.root, use_cache=False, jobs=2)
    assert one.findings == two.findings == findings_of(messy.root)


@pytest.mark.skipif(not SUITE.is_dir(), reason="shared/yaml-test-suite is not beside the repo")
def test_bad_input_set_alike_on_every_path(ledger_dir: LedgerDir) -> None:
    target = ledger_dir.root / "records" / "suite"
    target.mkdir()
    for case in SUITE.iterdir():
        shutil.copyfile(case, target / f"{case.stem}.yaml")
    expected = findings_of(ledger_dir.root)
    assert checker.check(ledger_dir.root, jobs=2).findings == expected
    assert checker.check(ledger_dir.root, jobs=1).findings == expected
    assert checker.check(ledger_dir.root, use_cache=False, jobs=1).findings == expected


def test_fast_and_precise_readers_give_identical_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the shipped ledger: every record read by libyaml equals the one the precise reader gives."""
    from ledger import load

    fast, _ = load.load_ledger(REPO)
    monkeypatch.setattr(load, "fast_parse", lambda raw, name: None)
    precise, _ = load.load_ledger(REPO)
    assert [(e.file, e.record) for e in fast.entries] == [(e.file, e.record) for e in precise.entries]
    assert [(e.doc.line, e.doc.column) for e in fast.entries] == [(e.doc.line, e.doc.column) for e in precise.entries]


EDITS = [
    ("records/e/org-a.yaml", "kind: org\nid: org-a\nname: A\n"),
    ("records/e/org-a.yaml", "kind: org\nid: org-b\nname: A\n"),
    ("records/e/dup.yaml", "kind: org\nid: org-a\nname: Duplicate\n"),
    ("records/e/person.yaml", "kind: person\nid: p-1\nname: B\naffiliation: org-a\n"),
    ("records/e/person.yaml", "kind: person\nid: p-1\nname: B\naffiliation: org-c\n"),
    ("records/e/org-c.yaml", "kind: org\nid: org-c\nname: C\n"),
    ("records/e/org-c.yaml", "kind: event\nid: org-c\ntitle: Not an org\n"),
    ("records/e/t.yaml", "kind: testimony\nid: t-e\nwitness: gaukhar-gg\ndate: 2011-12-28\nmode: video\n"
                         "consent: public\nsummary: S.\n"),
    ("records/e/gg.yaml", "kind: person\nid: gaukhar-gg\npseudonym: G.\n"),
    ("records/e/part.yaml", "kind: claim\nid: c-part\nsource: letter\nmeasure: detained\nvalue: 10\n"
                            "scope: {place: zhanaozen, period: 2011-12-16}\n"),
    ("records/e/total.yaml", "kind: claim\nid: c-tot\nsource: letter\nmeasure: detained\nvalue: 10\n"
                             "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-part]\n"),
    ("records/e/outer.yaml", "kind: claim\nid: c-outer\nsource: letter\nmeasure: detained\nvalue: 10\n"
                             "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-tot]\n"),
    ("records/e/part.yaml", "kind: claim\nid: c-part\nsource: letter\nmeasure: detained\nvalue: 12\n"
                            "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-outer]\n"),
    ("records/e/doc.yaml", "kind: document\nid: d-e\ntype: photo\ntitle: T\nfiles:\n  - path: evidence/x.jpg\n"
                           "    sha256: " + hashlib.sha256(b"x").hexdigest() + "\n"),
    ("evidence/x.jpg", "x"),
    ("evidence/x.jpg", "y"),
    ("evidence/x.jpg", None),
    ("records/e/syntax.yaml", "kind: org\nid: [\n"),
    ("records/e/syntax.yaml", None),
    ("records/e/gg.yaml", None),
    ("records/e/dup.yaml", None),
    ("ledger.yaml", None),  # ledger.yaml: a measure taken out
]


@pytest.fixture(params=["delta", "base-and-delta", "new-base-each-run"])
def cache_shape(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """How the cache holds the files: all in the delta (a small ledger's usual shape), in a base with the
    edits in the delta (a large ledger's), or in a base written anew by every run. Call it after the first
    check."""
    monkeypatch.setattr(checker, "REBUILD_MIN_FILES", 10**9 if request.param == "delta" else 0)
    monkeypatch.setattr(checker, "REBUILD_SHARE", 10**9)

    def after_first_check() -> None:
        if request.param == "base-and-delta":
            monkeypatch.setattr(checker, "REBUILD_MIN_FILES", 10**9)

    return after_first_check


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_any_edit_the_cached_check_equals_a_full_one(ledger_dir: LedgerDir, seed: int,
                                                           cache_shape: Callable[[], None]) -> None:
    import random

    checker.check(ledger_dir.root)
    cache_shape()
    rnd = random.Random(seed)
    config = (ledger_dir.root / "ledger.yaml").read_text()
    edits = EDITS[:] + rnd.sample(EDITS, k=len(EDITS))
    for name, edit in edits:
        path = ledger_dir.root / name
        text = edit
        if name == "ledger.yaml":
            text = config.replace("  detained: {label: people detained}\n", "") if rnd.random() < 0.5 else config
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        cached = checker.check(ledger_dir.root)
        full = checker.check(ledger_dir.root, use_cache=False)
        assert cached.findings == full.findings == findings_of(ledger_dir.root), (name, text)
        assert cached.records == full.records


def test_loading_on_two_cores_gives_the_same_ledger(messy: LedgerDir) -> None:
    from ledger.crosscheck import crosscheck
    from ledger.load import load_ledger

    one, found_one = load_ledger(messy.root, jobs=1)
    two, found_two = load_ledger(messy.root, jobs=2)
    assert [(e.file, e.record) for e in one.entries] == [(e.file, e.record) for e in two.entries]
    assert sorted(found_one) == sorted(found_two)
    assert [(f.kind, f.a.id) for f in crosscheck(one).findings] == [(f.kind, f.a.id) for f in crosscheck(two).findings]


@pytest.mark.parametrize("part", ["base.bin", "blobs.bin", "check.bin", "listing.bin"])
def test_a_missing_part_of_the_cache_after_a_change(messy: LedgerDir, part: str) -> None:
    checker.check(messy.root)
    (messy.root / STATE_DIR / "cache" / part).unlink()
    messy.record("orgs/pgo.yaml", "kind: org\nid: pgo-renamed\nname: Prosecutor General's Office\n")
    assert checker.check(messy.root).findings == findings_of(messy.root)
    assert checker.check(messy.root).findings == findings_of(messy.root)


def test_review_cases_cached_equals_full(ledger_dir: LedgerDir, tmp_path: Path,
                                        cache_shape: Callable[[], None]) -> None:
    """Edits whose effects reach other files: a duplicate's sum cycle, ledger.yaml edited in place, a
    folder named like a record file, evidence changed in a copied ledger, a removed file's id suggested."""
    root = ledger_dir.root
    claim = ("kind: claim\nid: {id}\nsource: letter\nmeasure: detained\nvalue: 1\n"
             "scope: {{place: zhanaozen, period: 2011-12-16}}\n{extra}")
    ledger_dir.record("a.yaml", claim.format(id="xx", extra="sum_of: [aa]\n"))
    ledger_dir.record("b.yaml", claim.format(id="xx", extra="sum_of: [zz]\n"))
    ledger_dir.record("c.yaml", claim.format(id="aa", extra=""))
    ledger_dir.record("zz.yaml", claim.format(id="zz", extra=""))
    ledger_dir.record("orgs/acme-works.yaml", "kind: org\nid: acme-works\nname: Acme\n")
    ledger_dir.record("people/p.yaml", "kind: person\nid: p-acme\nname: P\naffiliation: acme-work\n")
    checker.check(root)
    cache_shape()
    (root / "records" / "orgs" / "acme-works.yaml").unlink()  # the suggestion goes with it
    assert checker.check(root).findings == findings_of(root)
    ledger_dir.record("events/acme-work.yaml", "kind: event\nid: acme-work\ntitle: Not an org\n")
    assert checker.check(root).findings == findings_of(root)
    assert "wrong-kind-ref" in {f.code for f in checker.check(root).findings}
    ledger_dir.record("c.yaml", claim.format(id="aa", extra="sum_of: [xx]\n"))
    assert checker.check(root).findings == checker.check(root, use_cache=False).findings == findings_of(root)

    config = (root / "ledger.yaml").read_text()
    stat = (root / "ledger.yaml").stat()
    (root / "ledger.yaml").write_text(config.replace("  killed: {", "  kilt:   {"))  # same size
    os.utime(root / "ledger.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert checker.check(root).findings == findings_of(root)
    (root / "ledger.yaml").write_text(config)

    ledger_dir.record("odd.yaml/inner.yaml", "kind: org\nid: inner\nnme: typo\n")
    assert checker.check(root).findings == findings_of(root)
    assert any(f.file == "records/odd.yaml/inner.yaml" for f in checker.check(root).findings)
    shutil.rmtree(root / "records" / "odd.yaml")

    ledger_dir.write("evidence/e.txt", b"one")
    ledger_dir.record("documents/e.yaml", "kind: document\nid: e-doc\ntype: other\ntitle: T\nfiles:\n"
                      "  - path: evidence/e.txt\n    sha256: " + hashlib.sha256(b"one").hexdigest() + "\n")
    checker.check(root)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (copy / "evidence" / "e.txt").write_bytes(b"two")
    assert [f.code for f in checker.check(copy).findings] == [f.code for f in findings_of(copy)]
    assert "hash-mismatch" in {f.code for f in checker.check(copy).findings}


def test_a_rule_that_fails_is_a_finding_not_a_crash(messy: LedgerDir, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger import reading

    def unreadable(path: Path) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reading, "sha256_of", unreadable)
    for use_cache in (False, True):
        found = checker.check(messy.root, use_cache=use_cache).findings
        assert any(f.code == "missing-file" and "cannot be read" in f.message for f in found)


def test_scan_on_two_processes_lists_the_same(messy: LedgerDir, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger import listing

    forks = []
    real_fork = listing._fork
    monkeypatch.setattr(listing, "_fork", lambda: forks.append(1) or real_fork())
    monkeypatch.setattr(listing, "CHUNK", 2)  # many chunks: the two processes meet somewhere in the middle
    monkeypatch.setattr(listing, "SCAN_PARALLEL_MIN_FILES", 0)
    one, two = listing.scan(messy.root, 1), listing.scan(messy.root, 2)
    assert forks == [1]  # the second listing did stat on two processes
    assert one == two and len(one) > 5


@pytest.mark.parametrize("trouble", ["no-fork", "child-dies", "meanwhile-fails", "meanwhile-is-slow"])
def test_scan_lists_the_same_whatever_happens_meanwhile(messy: LedgerDir, monkeypatch: pytest.MonkeyPatch,
                                                        trouble: str) -> None:
    import time

    from ledger import listing

    (messy.root / "records" / "folder.yaml").mkdir()
    messy.record("folder.yaml/inside.yaml", "kind: org\nid: inside\nname: Inside\n")
    one = listing.scan(messy.root, 1)
    monkeypatch.setattr(listing, "CHUNK", 1)
    monkeypatch.setattr(listing, "SCAN_PARALLEL_MIN_FILES", 0)
    def failing() -> None:
        raise RuntimeError("an import that fails")

    def slow() -> None:
        time.sleep(0.3)  # the child stats every file meanwhile

    meanwhile = {"meanwhile-fails": failing, "meanwhile-is-slow": slow}.get(trouble)
    if trouble == "no-fork":
        monkeypatch.setattr(listing, "_fork", lambda: None)
    elif trouble == "child-dies":
        parent, real = os.getpid(), listing._stat_chunk

        def dying(*args: object) -> None:
            if os.getpid() != parent:
                os._exit(3)
            real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(listing, "_stat_chunk", dying)
    head = listing.HeadStart(meanwhile, None, 0, now=True) if meanwhile else None
    two = listing.scan(messy.root, 2, head=head)
    assert one == two and "records/folder.yaml/inside.yaml" in two.names


@pytest.mark.parametrize("changed", [False, True])
def test_the_head_start_begins_only_once_a_file_changed(messy: LedgerDir, monkeypatch: pytest.MonkeyPatch,
                                                        changed: bool) -> None:
    import time

    from ledger import listing

    monkeypatch.setattr(listing, "CHUNK", 1)
    monkeypatch.setattr(listing, "SCAN_PARALLEL_MIN_FILES", 0)
    before = listing.scan(messy.root)
    last = (before.names_digest(), before.sizes.tobytes(), before.mtimes.tobytes())
    if changed:  # the first file, which this process stats first; the child is slowed down to leave it more
        path = messy.root / before.names[0]
        path.write_bytes(path.read_bytes() + b"# edited\n")
        parent, real = os.getpid(), listing._stat_chunk

        def slow_child(*args: Any) -> None:
            if os.getpid() != parent:
                time.sleep(0.05)
            real(*args)

        monkeypatch.setattr(listing, "_stat_chunk", slow_child)
    started = []
    head = listing.HeadStart(lambda: started.append(1), last, time.time_ns() + 3600 * 10**9)  # none too recent
    after = listing.scan(messy.root, 2, head=head)
    assert after == listing.scan(messy.root)
    assert started == ([1] if changed else [])


@pytest.mark.parametrize("change", ["none", "add", "remove", "rename", "into-a-folder", "new-folder", "too-recent",
                                    "unlisted-folder"])
def test_a_listing_is_used_again_only_while_no_folder_changed(messy: LedgerDir, monkeypatch: pytest.MonkeyPatch,
                                                              change: str) -> None:
    import time

    from ledger import listing

    records = messy.root / "records"
    if change == "unlisted-folder":
        messy.record("locked/inside.yaml", "kind: org\nid: locked\nname: L\n")
    if change == "unlisted-folder":  # a folder that cannot be listed, then can: its mtime stays the same
        real = os.listdir

        def refusing(path: str) -> list[str]:
            if str(path).endswith("locked"):
                raise PermissionError(13, "Permission denied")
            return real(path)

        monkeypatch.setattr(os, "listdir", refusing)
    last = listing.scan(messy.root)
    if change == "unlisted-folder":
        assert "records/locked/inside.yaml" not in last.names
        monkeypatch.setattr(os, "listdir", real)
    if change == "add":
        messy.record("orgs/new.yaml", "kind: org\nid: new\nname: New\n")
    elif change == "remove":
        (records / "bad" / "dup.yaml").unlink()
    elif change == "rename":
        (records / "bad" / "dup.yaml").rename(records / "bad" / "dup2.yaml")
    elif change == "into-a-folder":
        (records / "bad" / "dup.yaml").unlink()
        messy.record("bad/dup.yaml/inner.yaml", "kind: org\nid: inner\nname: Inner\n")
    elif change == "new-folder":
        messy.record("more/deeper/x.yaml", "kind: org\nid: x\nname: X\n")
    listed = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: listed.append(path) or real_listdir(path))
    # as if the last run had started an hour from now (nothing too recent to trust), or a minute ago
    trusted_before = time.time_ns() + (-60 if change == "too-recent" else 3600) * 1_000_000_000
    again = listing.scan(messy.root, last=last, trusted_before=trusted_before)
    monkeypatch.setattr(os, "listdir", real_listdir)
    assert again == listing.scan(messy.root) and again.folders == listing.scan(messy.root).folders
    assert (listed == []) == (change == "none")
    if change == "unlisted-folder":
        assert "records/locked/inside.yaml" in again.names


def test_a_file_moved_over_another_of_the_same_size_and_mtime_is_read_again(ledger_dir: LedgerDir,
                                                                           cache_shape: Callable[[], None]) -> None:
    a = ledger_dir.record("x/a.yaml", "kind: org\nid: org-aa\nname: A\n")
    b = ledger_dir.record("x/b.yaml", "kind: org\nid: org-bb\nname: B\n")
    ledger_dir.record("x/p.yaml", "kind: person\nid: p-x\nname: P\naffiliation: org-bb\n")
    stamp = a.stat().st_mtime_ns - 60 * 1_000_000_000
    for path in (a, b):
        os.utime(path, ns=(stamp, stamp))
    checker.check(ledger_dir.root)
    cache_shape()
    os.replace(a, b)  # b now holds a's content, with a's size and mtime: only its ctime tells
    assert checker.check(ledger_dir.root).findings == findings_of(ledger_dir.root)
    assert "unknown-ref" in {f.code for f in checker.check(ledger_dir.root).findings}


def test_a_rule_that_fails_leaves_no_cache_to_hide_it(ledger_dir: LedgerDir, monkeypatch: pytest.MonkeyPatch,
                                                      cache_shape: Callable[[], None]) -> None:
    from ledger import checks

    real = checks._value

    def fragile(claim: Any) -> Any:  # stands for a bug a rule meets on one odd record
        if claim[1] == 7:
            raise ZeroDivisionError
        return real(claim)

    monkeypatch.setattr(checks, "_value", fragile)
    ledger_dir.record("claims/odd.yaml", "kind: claim\nid: odd\nsource: letter\nmeasure: detained\nvalue: 7\n"
                      "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-detained-70]\n")
    assert "internal-error" in {f.code for f in checker.check(ledger_dir.root).findings}
    cache_shape()
    ledger_dir.record("orgs/new.yaml", "kind: org\nid: new-org\nname: N\n")  # an edit elsewhere
    assert checker.check(ledger_dir.root).findings == checker.check(ledger_dir.root, use_cache=False).findings
    assert "internal-error" in {f.code for f in checker.check(ledger_dir.root).findings}
