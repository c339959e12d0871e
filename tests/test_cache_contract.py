"""The contract between the rules and the cache: every registered rule declares what it reads (`rules.Reach`), and
the cache works out from those declarations alone what to check again. So for any stream of edits, the cached
findings equal the uncached ones, for the rules that ship and for a new rule written like them, in every shape
the cache takes; and a rule that reads what it did not declare fails loudly instead of hiding behind the cache."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CONFIG, LedgerDir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import cache as cache_store
from ledger import checker
from ledger.facts import Facts
from ledger.findings import Finding
from ledger.rules import RECORD_RULES, Context, Reach, Rule, check, registered

EXAMPLES = int(os.environ.get("LEDGER_CONTRACT_EXAMPLES", "60"))

A, B = b"the first scan\n", b"the second scan\n"
RECORDS = {
    "org-a": "kind: org\nid: org-a\nname: A\ntype: prosecutor\n",
    "org-b": "kind: org\nid: org-b\nname: B\n",
    "p-1": "kind: person\nid: p-1\nname: P\naffiliation: org-a\n",
    "p-2": "kind: person\nid: p-2\npseudonym: Q.\naffiliation: org-c\n",
    "ev-1": "kind: event\nid: ev-1\ntitle: E\nplace: zhanaozen\n",
    "ev-2": "kind: event\nid: ev-2\ntitle: F\n",
    "t-1": "kind: testimony\nid: t-1\nwitness: p-1\ndate: 2011-12-28\nmode: video\nconsent: public\nsummary: S.\n"
           "about: [ev-1]\n",
    "t-2": "kind: testimony\nid: t-2\nwitness: p-3\ndate: 2011-12-28\nmode: video\nconsent: public\nsummary: S.\n"
           "about: [ev-2, ev-1]\n",
    "s-1": "kind: statement\nid: s-1\nissuer: org-a\ndate: 2012-01-25\nsummary: S.\n",
    "c-1": "kind: claim\nid: c-1\nsource: s-1\nmeasure: detained\nvalue: 10\n"
           "scope: {place: zhanaozen, period: 2011-12-16}\n",
    "c-2": "kind: claim\nid: c-2\nsource: s-1\nmeasure: detained\nvalue: 20\n"
           "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-1]\n",
    "c-3": "kind: claim\nid: c-3\nsource: t-1\nmeasure: killed\nvalue: 30\n"
           "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-2, c-1]\n",
    "c-4": "kind: claim\nid: c-4\nsource: s-1\nmeasure: detained\nvalue: 5\n"
           "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-3]\n",
    "d-1": "kind: document\nid: d-1\ntype: photo\ntitle: T\nfiles:\n  - path: evidence/link.txt\n    sha256: "
           + hashlib.sha256(A).hexdigest() + "\n  - path: evidence/dir/x.txt\n    sha256: "
           + hashlib.sha256(A).hexdigest() + "\n",
    # retractions: of a claim dated by its source (s-1, t-1), of one dated by a month, and of a person
    "s-2": "kind: statement\nid: s-2\nissuer: org-a\non_behalf_of: org-b\ndate: 2012-01-20\nsummary: S.\n"
           "retracts: [c-1, c-5]\n",
    "c-5": "kind: claim\nid: c-5\nsource: t-1\nmeasure: killed\nvalue: 4,578\n"
           "scope: {place: zhanaozen, period: 2011-12}\nstatus: disputed\n",
    "d-2": "kind: document\nid: d-2\ntype: other\ntitle: U\ndate: 2012\nretracts: [c-3, p-2]\n",
}
# other versions of some records: another kind under the same id, a broken reference, a loop of totals
VARIANTS = {
    "org-a": "kind: event\nid: org-a\ntitle: Not an org\n",
    "ev-1": "kind: org\nid: ev-1\nname: Not an event\n",
    "c-1": "kind: claim\nid: c-1\nsource: s-1\nmeasure: detained\nvalue: 10\n"
           "scope: {place: zhanaozen, period: 2011-12-16}\nsum_of: [c-4]\n",
    "p-1": "kind: person\nid: p-1\nname: P\naffiliation: org-b\n",
    # the dates retractions read: a source's date (to a month, about the time of s-2), a claim's own, a retraction's
    "s-1": "kind: statement\nid: s-1\nissuer: p-1\ndate: 2012-01\nsummary: S.\n",
    "t-1": "kind: testimony\nid: t-1\nwitness: p-1\ndate: 2012-02-01\nmode: video\nconsent: public\nsummary: S.\n",
    "c-5": "kind: claim\nid: c-5\nsource: t-1\nmeasure: killed\nvalue: 4,578\n"
           "scope: {place: zhanaozen, period: 2011-12}\nasserted: 2012-03\n",
    "d-2": "kind: document\nid: d-2\ntype: other\ntitle: U\ndate: 2011-06\nretracts: [c-3, p-2]\n",
    "s-2": "kind: statement\nid: s-2\nissuer: org-a\ndate: 2011\nsummary: S.\nretracts: [c-1, c-5, ev-1]\n",
}
FILES = ["a.yaml", "b.yaml", "sub/c.yaml", "sub/d.yaml", "e.yaml"]
IDS = sorted(RECORDS)

Op = tuple[str, int, int, int]
ops = st.lists(st.tuples(st.sampled_from(["put", "variant", "remove", "rename", "move", "duplicate", "config",
                                          "evidence", "link", "folder-link", "age"]),
                         st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)), min_size=1, max_size=10)


def events_are_testified(ctx: Context) -> Iterator[Finding]:
    """Every event is what some testimony is `about` (a rule that reads the records that name its own)."""
    for f in ctx.facts:
        if f.kind == "event" and not any(r.kind == "testimony" and r.field == "about" for r in ctx.referrers(f.id)):
            yield ctx.finding(f, "unknown-ref", f"no testimony is about the event `{f.id}`")


def claims_name_official_sources(ctx: Context) -> Iterator[Finding]:
    """A claim's source names an org that is official, through its issuer (reads two steps of references)."""
    for f in ctx.facts:
        for ref in f.refs:
            target = ctx.first.get(ref.id)
            if ref.field == "source" and target is not None and target.kind == "statement":
                issuer = ctx.every_record()  # the simplest such rule reads everything
                if not any(g.id == ref.id and g.refs and g.refs[0].id.startswith("org-") for g in issuer):
                    yield ctx.finding(f, "unknown-ref", f"the source of `{f.id}` is not an org's")


EXTRA_RULES = [Rule("events_are_testified", events_are_testified, Reach(referrers=True)),
               Rule("claims_name_official_sources", claims_name_official_sources,
                    Reach(targets=True, everything=True))]


class Ledger:
    """A small ledger in a folder, edited by the operations of a stream."""

    def __init__(self, root: Path, outside: Path) -> None:
        self.root, self.outside = root, outside
        self.config = CONFIG
        self.ld = LedgerDir(root)
        self.ld.write("ledger.yaml", CONFIG)
        for i, rid in enumerate(IDS):
            self.put(FILES[i % len(FILES)], RECORDS[rid], replace=False)
        for name, data in (("evidence/a.txt", A), ("evidence/b.txt", B), ("evidence/da/x.txt", A),
                           ("evidence/db/x.txt", B)):
            self.ld.write(name, data)
        (root / "evidence" / "link.txt").symlink_to("a.txt")
        (root / "evidence" / "dir").symlink_to("da")
        outside.mkdir(parents=True, exist_ok=True)
        (outside / "x.txt").write_bytes(A)

    def path(self, name: str) -> Path:
        return self.root / "records" / name

    def put(self, name: str, text: str, replace: bool = True) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text() if path.exists() and not replace else ""
        path.write_text(old + ("---\n" if old else "") + text)

    def existing(self) -> list[Path]:
        return sorted(p for p in (self.root / "records").rglob("*.yaml") if p.is_file())

    def apply(self, op: Op) -> None:
        kind, a, b, c = op
        files = self.existing()
        if kind in ("put", "variant"):
            rid = IDS[a % len(IDS)]
            text = VARIANTS.get(rid, RECORDS[rid]) if kind == "variant" else RECORDS[rid]
            self.put(FILES[b % len(FILES)], text, replace=c % 2 == 0)
        elif kind == "remove" and files:
            files[a % len(files)].unlink()
        elif kind == "rename" and files:
            files[a % len(files)].rename(self.path(f"renamed-{b}.yaml"))
        elif kind == "move" and files:  # the file's first record moves to another file
            source = files[a % len(files)]
            docs = source.read_text().split("---\n")
            source.write_text("---\n".join(docs[1:]))
            self.put(FILES[b % len(FILES)], docs[0], replace=False)
        elif kind == "duplicate":
            self.put(f"dup-{b % 3}.yaml", RECORDS[IDS[a % len(IDS)]])
        elif kind == "config":
            self.config = CONFIG.replace("  detained: {label: people detained}\n", "") if a % 2 else CONFIG
            (self.root / "ledger.yaml").write_text(self.config)
        elif kind == "evidence":
            (self.root / "evidence" / ("a.txt", "b.txt")[a % 2]).write_bytes((A, B, b"")[b % 3])
        elif kind == "link":
            target = ("a.txt", "b.txt", str(self.outside / "x.txt"), "gone.txt")[a % 4]
            link = self.root / "evidence" / "link.txt"
            link.unlink()
            link.symlink_to(target)
        elif kind == "folder-link":
            link = self.root / "evidence" / "dir"
            link.unlink()
            link.symlink_to(("da", "db", str(self.outside))[a % 3])
        elif kind == "age":  # as files are between two real runs: older than the cache
            for path in self.root.rglob("*"):
                if path.is_file() and not path.is_symlink() and ".ledger" not in path.parts:
                    st_ = path.stat()
                    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns - 60 * 10**9))


def findings(root: Path, use_cache: bool) -> list[tuple[str, int, int, str, str]]:
    return [(f.file, f.line, f.column, f.code, f.message) for f in checker.check(root, use_cache=use_cache).findings]


@pytest.fixture
def extra_rules() -> Iterator[None]:
    """The rules of this test beside the shipped ones, for its length only."""
    registered()
    RECORD_RULES.extend(EXTRA_RULES)
    try:
        yield
    finally:
        for rule in EXTRA_RULES:
            RECORD_RULES.remove(rule)


@settings(max_examples=EXAMPLES, deadline=None, derandomize="LEDGER_CONTRACT_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stream=ops, shape=st.sampled_from(["delta", "base-and-delta", "new-base-each-run"]), trust=st.booleans())
def test_any_stream_of_edits_cached_equals_uncached(tmp_path_factory: pytest.TempPathFactory, extra_rules: None,
                                                    stream: list[Op], shape: str, trust: bool) -> None:
    base = tmp_path_factory.mktemp("contract")
    ledger = Ledger(base / "ledger", base / "outside")
    saved = (checker.REBUILD_MIN_FILES, checker.REBUILD_SHARE, cache_store.RACY_NS)
    checker.REBUILD_MIN_FILES = 10**9 if shape == "delta" else 0
    checker.REBUILD_SHARE = 10**9
    if trust:  # trust every stat, as between runs far apart: the path that reads nothing unchanged
        cache_store.RACY_NS = -10**18
    try:
        assert findings(ledger.root, True) == findings(ledger.root, False)
        if shape == "base-and-delta":
            checker.REBUILD_MIN_FILES = 10**9
        for op in stream:
            ledger.apply(op)
            cached, full = findings(ledger.root, True), findings(ledger.root, False)
            assert cached == full, op
            assert not [f for f in full if f[3] == "internal-error"], full
    finally:
        checker.REBUILD_MIN_FILES, checker.REBUILD_SHARE, cache_store.RACY_NS = saved
        shutil.rmtree(base, ignore_errors=True)


# each record a retraction reads, edited to its variant and back: (id, retraction findings with the variant)
RETRACTION_EDITS = [("c-5", 2), ("t-1", 2), ("s-1", 0), ("d-2", 2), ("s-2", 1)]


@pytest.mark.parametrize("shape", ["delta", "new-base-each-run"])
def test_retractions_follow_every_date_they_read(tmp_path_factory: pytest.TempPathFactory, shape: str) -> None:
    """A retraction, then the claim's own date edited, its source's date, the retraction's own: the cached check
    sees each edit, in each shape of the cache."""
    base = tmp_path_factory.mktemp("retractions")
    ledger = Ledger(base / "ledger", base / "outside")
    saved = checker.REBUILD_MIN_FILES
    checker.REBUILD_MIN_FILES = 10**9 if shape == "delta" else 0

    def retractions() -> int:
        cached, full = findings(ledger.root, True), findings(ledger.root, False)
        assert cached == full
        return sum(f[3] == "retraction-before-claim" for f in full)

    try:
        assert retractions() == 1  # s-2 withdraws c-1, which s-1 stated five days later
        for rid, expected in RETRACTION_EDITS:
            path = ledger.path(FILES[IDS.index(rid) % len(FILES)])
            text = path.read_text()
            path.write_text(text.replace(RECORDS[rid], VARIANTS[rid]))
            assert retractions() == expected, rid
            path.write_text(text)
            assert retractions() == 1, rid
    finally:
        checker.REBUILD_MIN_FILES = saved
        shutil.rmtree(base, ignore_errors=True)


def test_the_new_rule_sees_a_deleted_testimony_after_a_cached_run(ledger_dir: LedgerDir, extra_rules: None) -> None:
    """The case the review found: the one testimony about an event deleted; without the cache the event has a
    finding, and so it must with it."""
    ledger_dir.record("events/e.yaml", RECORDS["ev-1"])
    ledger_dir.record("people/p.yaml", RECORDS["p-1"])
    ledger_dir.record("orgs/a.yaml", RECORDS["org-a"])
    ledger_dir.record("t.yaml", RECORDS["t-1"])
    before = findings(ledger_dir.root, True)
    assert not [f for f in before if "ev-1" in f[4]]
    ledger_dir.remove("t.yaml")
    after = findings(ledger_dir.root, True)
    assert after == findings(ledger_dir.root, False)
    assert [f for f in after if f[4] == "no testimony is about the event `ev-1`"]


def test_a_rule_that_reads_what_it_did_not_declare_fails_loudly(ledger_dir: LedgerDir) -> None:
    """Declared too narrowly (no `referrers`), the same rule cannot quietly give stale findings: it fails."""
    wrong = Rule("events_are_testified", events_are_testified, Reach())
    registered()
    RECORD_RULES.append(wrong)
    try:
        ledger_dir.record("events/e.yaml", RECORDS["ev-1"])
        found = checker.check(ledger_dir.root).findings
        assert any(f.code == "internal-error" and "events_are_testified" in f.message
                   and "UndeclaredRead" in f.message for f in found)
    finally:
        RECORD_RULES.remove(wrong)


def test_every_shipped_rule_declares_a_reach_and_reads_within_it() -> None:
    """On the shipped ledger, run with every rule's view: none reads outside its reach."""
    from conftest import REPO

    from ledger.checks import check_ledger

    record_rules, ledger_rules = registered()
    assert record_rules and ledger_rules
    assert all(isinstance(rule.reach, Reach) for rule in [*record_rules, *ledger_rules])
    assert not [f for f in check_ledger(REPO)[1] if f.code == "internal-error"]


def test_registering_is_one_decorator() -> None:
    """A new rule is one function: registered with its reach by `check`, found by the registry."""
    before = list(RECORD_RULES)

    @check(Reach(targets=True))
    def nothing_to_say(ctx: Context) -> Iterator[Finding]:
        yield from ()

    try:
        assert RECORD_RULES[-1].name == "nothing_to_say" and RECORD_RULES[-1].reach == Reach(targets=True)
    finally:
        RECORD_RULES[:] = before


def test_facts_are_named() -> None:
    """The facts the rules see are named all the way down, and what the cache stores reads back the same."""
    from ledger.facts import facts_of, from_plain, plain
    from ledger.models import MODELS

    record = MODELS["claim"].model_validate({"kind": "claim", "id": "c-9", "source": "s-1", "measure": "killed",
                                             "value": "~60", "scope": {"place": "zhanaozen", "period": "2011-12-16"},
                                             "sum_of": ["c-1"]})
    f = facts_of(record, "records/c.yaml", 0, 1, 1)
    assert isinstance(f, Facts) and f.claim is not None and f.claim.sum_of == ("c-1",)
    assert [r.field for r in f.refs] == ["source", "sum_of"] and f.vocab[0].vocabulary == "measures"
    assert from_plain(plain(f)) == f
