#!/usr/bin/env python3
"""Benchmark `ledger` on generated ledgers of several sizes, against a floor and check-jsonschema.

    python bench/run.py [--sizes 1000,10000,100000] [--out bench/results] [--work /tmp/ledger-bench]
                        [--skip-jsonschema] [--repeat R]

Run it with the Python of the venv where `ledger` is installed: `ledger`, `check-jsonschema` and
the Python that runs bench/floor.py are taken from the folder of sys.executable. See bench/README.md
for what each figure means.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = Path(os.path.abspath(sys.executable))  # not resolved: a venv's python is a symlink out of the venv
BIN = PYTHON.parent
LEDGER = BIN / "ledger"
CHECK_JSONSCHEMA = BIN / "check-jsonschema"
GENERATOR = HERE / "generate.py"
FLOOR = HERE / "floor.py"
SEED = 1
PARAMS_FILE = ".bench-params.json"
MAX_COMMAND_LINE = 100_000  # characters per check-jsonschema command line
JSONSCHEMA_PROCESSES = 2
HELP_RUNS = 20
# `ledger check` hashes again, rather than trusts, a file changed less than 2 s before its cache was written
# (git's "racy" rule: ledger/cache.py, RACY_NS): a cold check started sooner than this after a record file was
# written leaves the next check one file to read again, and "warm" would time that instead of nothing changed.
SETTLE_SECONDS = 2.5
PAGE = os.sysconf("SC_PAGE_SIZE")
KINDS = ("person", "org", "event", "testimony", "statement", "document", "claim")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Measuring one child process


class TreeSampler:
    """Samples the summed proportional set size (PSS) of some process trees, every `interval` seconds.

    ru_maxrss (what wait4 reports) is the peak of the largest single process of a tree; when a
    tool forks workers, the memory it really holds at once is the sum over the tree, which only
    sampling can see. PSS splits pages shared after a fork between the processes that share them,
    so the sum does not count them twice.
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.roots: set[int] = set()
        self.lock = threading.Lock()
        self.peak_kib = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def add(self, pid: int) -> None:
        with self.lock:
            self.roots.add(pid)

    def remove(self, pid: int) -> None:
        with self.lock:
            self.roots.discard(pid)

    @staticmethod
    def _children(pid: int) -> list[int]:
        out: list[int] = []
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(c) for c in f.read().split())
        except OSError:
            pass
        return out

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        try:
            with open(f"/proc/{pid}/statm") as f:
                return int(f.read().split()[1]) * PAGE // 1024
        except (OSError, ValueError, IndexError):
            return 0

    def sample(self) -> None:
        with self.lock:
            roots = list(self.roots)
        stack = [c for r in roots for c in self._children(r)]  # the launchers themselves are not counted
        total, seen = 0, set()
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            total += self._pss_kib(pid)
            stack.extend(self._children(pid))
        self.peak_kib = max(self.peak_kib, total)

    def _loop(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()


@dataclass
class Run:
    """One timed child process."""

    cmd: list[str]
    seconds: float
    cpu_seconds: float  # user + system, the child and the children it waited for
    maxrss_kib: int  # ru_maxrss from wait4: peak RSS of the largest process of the child's tree
    exit: int
    stdout_tail: str = ""
    stderr_tail: str = ""


def _tail(data: bytes, lines: int = 5) -> str:
    text = data.decode("utf-8", "replace").rstrip()
    return "\n".join(text.splitlines()[-lines:])


# The child is started by this small launcher, not by the runner itself. Linux counts in a child's
# ru_maxrss the resident size of the process it was forked from (exec records the forked copy's
# high-water mark), so a child forked straight from the runner would report at least the runner's
# own memory. The launcher, a fresh bare interpreter of a few MiB, forks the command, times it and
# reports its wait4 rusage; its own start-up is outside the measured time.
LAUNCHER = r"""
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(out, "w") as f:
    f.write(f"{seconds!r} {ru.ru_utime!r} {ru.ru_stime!r} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def timed(cmd: list[object], cwd: Path, stdout_to_null: bool = False, sampler: TreeSampler | None = None,
          env: dict[str, str] | None = None) -> Run:
    """Run `cmd` with stdout/stderr captured; its wall time, CPU time, peak memory and exit code. `env`: variables
    set for it on top of the runner's environment."""
    argv = [str(c) for c in cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as report:
        sink = subprocess.DEVNULL if stdout_to_null else out
        proc = subprocess.Popen([str(PYTHON), "-I", "-S", "-c", LAUNCHER, report.name, *argv], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=sink, stderr=err,
                                env={**os.environ, **env} if env else None)
        if sampler is not None:
            sampler.add(proc.pid)
        _, status, _ = os.wait4(proc.pid, 0)
        if sampler is not None:
            sampler.remove(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout, stderr = _tail(out.read()), _tail(err.read())
        fields = report.read().split()
        if proc.returncode != 0 or len(fields) != 5:
            raise SystemExit(f"the launcher failed on {argv} (exit {proc.returncode}): {stderr}")
        seconds, utime, stime = (float(x) for x in fields[:3])
        return Run(argv, seconds, utime + stime, int(fields[3]), int(fields[4]), stdout, stderr)


@dataclass
class Measure:
    """One benchmarked command: its runs (one per repetition) summarised."""

    name: str
    label: str
    seconds: float
    cpu_seconds: float
    peak_mib: float  # ru_maxrss of the child, the largest over the repetitions
    tree_mib: float | None  # sampled summed PSS of the process tree(s), the largest over the repetitions
    exits: list[int]
    processes: int = 1
    runs: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(e == 0 for e in self.exits)


def summarise(name: str, label: str, runs: list[list[Run]], trees: list[int], processes: int = 1) -> Measure:
    """`runs[i]` is repetition i: one or more processes (check-jsonschema's batches), timed as a whole."""
    return Measure(
        name=name,
        label=label,
        seconds=statistics.median(r[0].seconds if len(r) == 1 else r[-1].seconds for r in runs),
        cpu_seconds=statistics.median(sum(x.cpu_seconds for x in r) for r in runs),
        peak_mib=max(x.maxrss_kib for r in runs for x in r) / 1024,
        tree_mib=(max(trees) / 1024) if trees and max(trees) > 0 else None,
        exits=sorted({x.exit for r in runs for x in r}),
        processes=processes,
        runs=[{"seconds": round(r[-1].seconds, 4), "processes": len(r),
               "exit": max(x.exit for x in r),
               "output_tail": next(("\n".join(t for t in (x.stdout_tail, x.stderr_tail) if t)
                                    for x in r if x.exit != 0), "")} for r in runs],
    )


# --------------------------------------------------------------------------------------------------
# The ledger under test


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_ledger(work: Path, size: int) -> tuple[Path, float | None]:
    """The generated ledger of `size` records (one per file), reused when its parameters match."""
    folder = work / f"ledger-{size}"
    params = {"records": size, "seed": SEED, "per_file": 1, "strict_one_per_file": True,
              "generator_sha256": sha256_file(GENERATOR)}
    marker = folder / PARAMS_FILE
    try:
        if json.loads(marker.read_text(encoding="utf-8")) == params and (folder / "ledger.yaml").is_file():
            log(f"  reusing {folder} (same parameters)")
            return folder, None
    except (OSError, ValueError):
        pass
    if folder.exists():
        shutil.rmtree(folder)
    log(f"  generating {size} records into {folder}")
    run = timed([PYTHON, GENERATOR, folder, "--records", size, "--seed", SEED, "--strict-one-per-file", "-q"],
                HERE)
    if run.exit != 0:
        raise SystemExit(f"generate.py failed ({run.exit}):\n{run.stderr_tail}")
    marker.write_text(json.dumps(params, sort_keys=True) + "\n", encoding="utf-8")
    return folder, run.seconds


def record_files(folder: Path) -> list[str]:
    """Every record file, relative to the ledger root, sorted."""
    out = []
    for base, dirs, names in os.walk(folder / "records"):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                out.append(os.path.relpath(os.path.join(base, name), folder))
    return out


def change_one_claim(folder: Path, n: int) -> tuple[Path, bytes]:
    """Give the first claim file a new `notes:` value (still valid); return it and its old bytes."""
    path = sorted((folder / "records" / "claims").glob("*.yaml"))[0]
    original = path.read_bytes()
    kept, skipping = [], False
    for line in original.decode("utf-8").splitlines():
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue  # the rest of a folded or multi-line notes value
        skipping = line.startswith("notes:")
        if not skipping:
            kept.append(line)
    kept.append(f"notes: {json.dumps(f'Benchmark edit {n} at {time.time():.6f}: only the notes changed.')}")
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path, original


def jsonschema_batches(folder: Path, files: list[str]) -> list[list[list[str]]]:
    """The files split over JSONSCHEMA_PROCESSES processes, each in command lines under MAX_COMMAND_LINE."""
    base = [str(CHECK_JSONSCHEMA), "--schemafile", "schemas/record.schema.json"]
    base_len = len(" ".join(base))
    processes = []
    for i in range(JSONSCHEMA_PROCESSES):
        mine = files[i::JSONSCHEMA_PROCESSES]
        commands, current, length = [], list(base), base_len
        for f in mine:
            if length + 1 + len(f) >= MAX_COMMAND_LINE and len(current) > len(base):
                commands.append(current)
                current, length = list(base), base_len
            current.append(f)
            length += 1 + len(f)
        if len(current) > len(base):
            commands.append(current)
        processes.append(commands)
    return processes


def run_jsonschema(folder: Path, batches: list[list[list[str]]]) -> tuple[list[Run], int]:
    """All batches, the processes in parallel, each one's sub-batches in turn; one Run for the whole."""
    results: list[list[Run]] = [[] for _ in batches]
    with TreeSampler() as sampler:
        start = time.perf_counter()

        def worker(i: int) -> None:
            for cmd in batches[i]:
                results[i].append(timed(cmd, folder, sampler=sampler))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
    runs = [r for per in results for r in per]
    whole = Run(["check-jsonschema", f"{len(runs)} command lines"], seconds, sum(r.cpu_seconds for r in runs),
                max(r.maxrss_kib for r in runs), max(r.exit for r in runs),
                stderr_tail=next((r.stderr_tail or r.stdout_tail for r in runs if r.exit != 0), ""))
    return [*runs, whole], sampler.peak_kib


def measure_size(size: int, work: Path, repeat: int, skip_jsonschema: bool) -> dict[str, object]:
    log(f"size {size}:")
    folder, gen_seconds = ensure_ledger(work, size)
    last_write = time.time() if gen_seconds is not None else 0.0  # when a record file was last written
    schema = timed([LEDGER, "schema", "--ledger", folder], folder)
    if schema.exit != 0:
        raise SystemExit(f"`ledger schema` failed ({schema.exit}):\n{schema.stderr_tail}")
    files = record_files(folder)
    log(f"  {len(files)} record files; warming the OS page cache with one untimed floor run")
    timed([PYTHON, FLOOR, folder], folder)

    raw: dict[str, list[list[Run]]] = {k: [] for k in ("cold", "warm", "diff", "diff_text", "diff_md", "report",
                                                       "changed", "jsonschema", "floor", "export", "export_all",
                                                       "import", "imported_cold")}
    page = work / f"report-{size}.html"  # outside the ledger: the report is no record
    trees: dict[str, list[int]] = {k: [] for k in raw}

    def one(key: str, cmd: list[object], null: bool = False, env: dict[str, str] | None = None) -> Run:
        with TreeSampler() as sampler:
            run = timed([str(c) for c in cmd], folder, stdout_to_null=null, sampler=sampler, env=env)
        raw[key].append([run])
        trees[key].append(sampler.peak_kib)
        status = "" if run.exit == 0 else f"  EXIT {run.exit}: {(run.stdout_tail or run.stderr_tail)[-300:]}"
        log(f"    {key:<10} {run.seconds:8.2f} s {run.maxrss_kib / 1024:8.1f} MiB{status}")
        return run

    check = [LEDGER, "check", "--ledger", folder]
    imported: list[Path] = []
    for rep in range(repeat):
        log(f"  repetition {rep + 1}/{repeat}")
        shutil.rmtree(folder / ".ledger" / "cache", ignore_errors=True)
        time.sleep(max(0.0, last_write + SETTLE_SECONDS - time.time()))  # no record file "racy" for the cache
        one("cold", check)
        one("warm", check)
        diff = [LEDGER, "diff-figures", "--ledger", folder, "--format"]
        one("diff", [*diff, "json"], null=True)
        one("diff_text", [*diff, "text"], null=True, env=TEXT_ENV)
        one("diff_md", [*diff, "markdown"], null=True)
        one("report", [LEDGER, "report", "--ledger", folder, "--out", page], null=True)
        path, original = change_one_claim(folder, rep + 1)
        try:
            one("changed", check)
        finally:
            path.write_bytes(original)  # leave the generated ledger as generated
            last_write = time.time()
        if not skip_jsonschema:
            batches = jsonschema_batches(folder, files)
            runs, tree = run_jsonschema(folder, batches)
            raw["jsonschema"].append(runs)
            trees["jsonschema"].append(tree)
            whole = runs[-1]
            status = "" if whole.exit == 0 else f"  EXIT {whole.exit}"
            log(f"    {'jsonschema':<10} {whole.seconds:8.2f} s {whole.maxrss_kib / 1024:8.1f} MiB "
                f"({len(runs) - 1} command lines in {len(batches)} parallel processes){status}")
        one("floor", [PYTHON, FLOOR, folder])
        # spreadsheets: every kind exported, then imported into a new ledger, whose cold check is the yardstick
        sheets = work / f"sheets-{size}" / f"run-{rep + 1}"
        shutil.rmtree(sheets, ignore_errors=True)
        sheets.mkdir(parents=True)
        one("export", [LEDGER, "export", "claim", "--ledger", folder, "--out", sheets / "claim.csv"])
        one("export_all", ["bash", "-c", f'for k in {" ".join(KINDS)}; do "$0" export $k --ledger "$1" --out '
                           f'"$2/$k.csv" || exit 1; done', LEDGER, folder, sheets])
        # a new folder each time: ext4 is slow to make files where it has just removed thousands (it looks for
        # inodes freed less than 30 s before), which is the bench's doing, not the import's
        target = work / f"imported-{size}" / f"run-{rep + 1}-{time.time_ns()}"
        made = subprocess.run([LEDGER, "init", target], capture_output=True, check=False)
        if made.returncode != 0:
            raise SystemExit(f"`ledger init` failed: {made.stderr.decode(errors='replace')}")
        shutil.copy(folder / "ledger.yaml", target / "ledger.yaml")
        one("import", [LEDGER, "import", *sorted(sheets.glob("*.csv")), "--ledger", target], null=True)
        one("imported_cold", [LEDGER, "check", "--no-cache", "--ledger", target])
        imported.append(target)
    for target in imported:
        shutil.rmtree(target, ignore_errors=True)
    comparison = compare_step(folder)
    log(f"    comparison step: {comparison['claims']} claims in {comparison['seconds']:.2f} s "
        f"({comparison['microseconds_per_claim']:.1f} µs a claim)")
    rendered = browser_render(page)
    log(f"    report: {page.stat().st_size / 1e6:.1f} MB; Chromium renders it in "
        f"{'–' if rendered is None else f'{rendered:.2f} s'}")
    counts = count_findings(folder)
    log(f"    diff-figures: {counts['claims']} claims, {counts['findings']} findings "
        f"({counts['findings_not_agree']} not `agree`; with --all: {counts['all']['findings']})")

    labels = {
        "cold": "ledger check (cold: no cache)",
        "warm": "ledger check (warm: nothing changed)",
        "changed": "ledger check (one claim changed)",
        "diff": "ledger diff-figures --format json",
        "diff_text": "ledger diff-figures --format text (COLUMNS=80)",
        "diff_md": "ledger diff-figures --format markdown",
        "report": "ledger report (HTML)",
        "jsonschema": f"check-jsonschema ({JSONSCHEMA_PROCESSES} processes in parallel)",
        "floor": "floor: read + yaml CSafeLoader",
        "export": "ledger export claim (CSV)",
        "export_all": "ledger export, each of the 7 kinds (CSV)",
        "import": "ledger import of those 7 CSV files, into a new ledger",
        "imported_cold": "ledger check (cold) of the imported ledger",
    }
    measures: dict[str, Measure] = {}
    for key, label in labels.items():
        if not raw[key]:
            continue
        if key == "jsonschema":
            whole = [[r[-1]] for r in raw[key]]
            m = summarise(key, label, whole, trees[key], processes=JSONSCHEMA_PROCESSES)
            m.runs = [{"seconds": round(r[-1].seconds, 4), "command_lines": len(r) - 1,
                       "exit": r[-1].exit, "output_tail": r[-1].stderr_tail} for r in raw[key]]
        else:
            m = summarise(key, label, raw[key], trees[key])
        measures[key] = m

    cold, floor = measures["cold"].seconds, measures["floor"].seconds

    def ratio(a: str, b: str) -> float | None:
        if a not in measures or b not in measures or measures[b].seconds <= 0:
            return None
        return measures[a].seconds / measures[b].seconds

    derived = {
        "cold_check_over_floor": ratio("cold", "floor"),
        "jsonschema_over_cold_check": ratio("jsonschema", "cold"),
        "cold_over_warm": ratio("cold", "warm"),
        "cold_over_one_changed": ratio("cold", "changed"),
        "diff_figures_over_cold_check": ratio("diff", "cold"),
        "diff_text_over_json": ratio("diff_text", "diff"),
        "diff_markdown_over_json": ratio("diff_md", "diff"),
        "report_over_json": ratio("report", "diff"),
        "report_bytes": page.stat().st_size,
        "report_bytes_per_record": page.stat().st_size / size,
        "report_browser_render_seconds": rendered,
        "findings_over_claims": counts["findings"] / counts["claims"] if counts["claims"] else None,
        "export_claim_over_cold_check": ratio("export", "cold"),
        "import_over_its_cold_check": ratio("import", "imported_cold"),
        "import_peak_over_its_check_peak": (measures["import"].peak_mib / measures["imported_cold"].peak_mib
                                            if "import" in measures and measures["imported_cold"].peak_mib else None),
        "import_peak_bytes_per_row": (measures["import"].peak_mib * 2**20 / size if "import" in measures else None),
        "import_rows_per_second": size / measures["import"].seconds if "import" in measures else None,
        "cold_check_records_per_second": size / cold if cold > 0 else None,
        "floor_records_per_second": size / floor if floor > 0 else None,
    }
    problems = []
    for m in measures.values():
        if not m.ok:
            tail = next((str(r["output_tail"]) for r in m.runs if r["exit"] != 0 and r["output_tail"]), "")
            problems.append(f"{m.label}: exit {m.exits}" + (f": {tail.splitlines()[-1]}" if tail else ""))
    if counts["exit"] != 0:
        problems.append(f"ledger diff-figures --format json (untimed, for the counts): exit {counts['exit']}")
    summary = raw["cold"][0][0].stdout_tail.splitlines()[-1] if raw["cold"][0][0].stdout_tail else ""
    return {
        "records": size,
        "files": len(files),
        "bytes": sum((folder / f).stat().st_size for f in files),
        "ledger_dir": str(folder),
        "generated_in_seconds": gen_seconds,
        "cold_check_summary": summary,
        "measures": {k: {**asdict(m), "ok": m.ok} for k, m in measures.items()},
        "derived": derived,
        "comparison_step": comparison,
        "diff_figures_counts": counts,
        "targets": targets(derived, counts, size),
        "problems": problems,
    }


def targets(derived: dict[str, float | None], counts: dict[str, object], size: int) -> list[dict[str, object]]:
    """Issue 12's targets for diff-figures, issue 13's for the report: each with the measured figure and whether it
    is met (the browser's time is asked for at 10,000 records)."""
    out = []
    for name, value, limit in [
        ("findings ≤ claims", counts["findings"], counts["claims"]),
        ("findings with --all ≤ claims", counts["all"]["findings"], counts["claims"]),  # type: ignore[index]
        ("diff-figures json ≤ 1.5 × cold check", derived["diff_figures_over_cold_check"], 1.5),
        ("diff-figures text ≤ 2 × json", derived["diff_text_over_json"], 2.0),
        ("diff-figures markdown ≤ 2 × json", derived["diff_markdown_over_json"], 2.0),
        ("report ≤ 2 × diff-figures json", derived["report_over_json"], 2.0),
        *([("Chromium renders the report in < 5 s", derived["report_browser_render_seconds"], 5.0)]
          if size == 10_000 else []),
        ("import ≤ 3 × cold check of the imported ledger", derived["import_over_its_cold_check"], 3.0),
        ("import's peak memory ≤ that check's", derived["import_peak_over_its_check_peak"], 1.0),
    ]:
        met = None if value is None or limit is None else value <= limit  # type: ignore[operator]
        out.append({"target": name, "value": value, "limit": limit, "met": met})
    return out


def browser_render(page: Path) -> float | None:
    """Seconds headless Chromium takes to open the report and lay it out (load, then every chart's box asked
    for), the browser already started; None without Chromium or Playwright."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        start = time.perf_counter()
        tab.goto(page.resolve().as_uri(), wait_until="load", timeout=120_000)
        tab.evaluate("() => [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().height)")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


TEXT_ENV = {"COLUMNS": "80"}  # the text format fits the terminal's width: the same width for every run


def count_findings(folder: Path) -> dict[str, object]:
    """The claims and findings of `ledger diff-figures --format json` (untimed), and with `--all` (agreements too)."""
    out: dict[str, object] = {}
    for key, extra in (("default", []), ("all", ["--all"])):
        with tempfile.TemporaryFile() as f:
            done = subprocess.run([str(LEDGER), "diff-figures", "--ledger", str(folder), "--format", "json", *extra],
                                  stdout=f, stderr=subprocess.PIPE, check=False)
            f.seek(0)
            data = json.load(f) if done.returncode == 0 else {"findings": [], "claims": {}}
        kinds: dict[str, int] = {}
        for finding in data["findings"]:
            kinds[finding["kind"]] = kinds.get(finding["kind"], 0) + 1
        out[key] = {"exit": done.returncode, "claims": len(data["claims"]), "findings": len(data["findings"]),
                    "findings_not_agree": sum(n for k, n in kinds.items() if k != "agree"),
                    "kinds": dict(sorted(kinds.items()))}
    default = out["default"]
    return {"claims": default["claims"], "findings": default["findings"],  # type: ignore[index]
            "findings_not_agree": default["findings_not_agree"], "kinds": default["kinds"],  # type: ignore[index]
            "exit": max(default["exit"], out["all"]["exit"]), "all": out["all"]}  # type: ignore[index]


COMPARE = """
import contextlib, json, sys, time
from pathlib import Path
from ledger.crosscheck import crosscheck
from ledger.load import load_ledger
try:
    from ledger.collector import collecting  # diff-figures cross-checks with the garbage collector off
except ImportError:
    collecting = lambda enabled: contextlib.nullcontext()
ledger, _ = load_ledger(Path(sys.argv[1]))
best = None
with collecting(False):
    for _ in range(3):
        start = time.perf_counter()
        report = crosscheck(ledger)  # a FigureReport: .claims (by id), .findings (agreements included)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"claims": len(report.claims), "findings": len(report.findings),
                  "findings_not_agree": sum(1 for f in report.findings if f.kind != "agree"), "seconds": best}))
"""


def compare_step(folder: Path) -> dict[str, object]:
    """The `diff-figures` comparison step alone (claims in, findings out), best of 3, on a loaded ledger."""
    done = subprocess.run([str(PYTHON), "-c", COMPARE, str(folder)], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    result["microseconds_per_claim"] = result["seconds"] / max(result["claims"], 1) * 1e6
    return result


def help_versus_import() -> dict[str, object]:
    """`ledger --help` against `python -c "import typer"`: the start-up cost of the CLI."""
    log(f"start-up: {HELP_RUNS} runs each of `ledger --help` and `python -c 'import typer'`")
    cwd = Path(tempfile.gettempdir())
    help_runs = [timed([LEDGER, "--help"], cwd) for _ in range(HELP_RUNS)]
    import_runs = [timed([PYTHON, "-c", "import typer"], cwd) for _ in range(HELP_RUNS)]
    bare_runs = [timed([PYTHON, "-c", "pass"], cwd) for _ in range(HELP_RUNS)]
    h = statistics.median(r.seconds for r in help_runs)
    i = statistics.median(r.seconds for r in import_runs)
    b = statistics.median(r.seconds for r in bare_runs)
    return {
        "runs": HELP_RUNS,
        "ledger_help_median_seconds": h,
        "import_typer_median_seconds": i,
        "python_bare_median_seconds": b,
        "ledger_help_over_import_typer": h / i if i > 0 else None,
        "ledger_help_peak_mib": max(r.maxrss_kib for r in help_runs) / 1024,
        "import_typer_peak_mib": max(r.maxrss_kib for r in import_runs) / 1024,
        "exits": sorted({r.exit for r in help_runs + import_runs}),
    }


# --------------------------------------------------------------------------------------------------
# The machine and the report


def machine() -> dict[str, object]:
    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kib = next((int(line.split()[1]) for line in read("/proc/meminfo").splitlines()
                    if line.startswith("MemTotal:")), 0)
    try:
        uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        uname = " ".join(platform.uname())

    def version(cmd: list[object]) -> str:
        try:
            r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    return {
        "uname": uname,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "python_executable": str(PYTHON),
        "ledger_version": version([LEDGER, "--version"]),
        "ledger_package": ledger_package(),
        "check_jsonschema_version": version([CHECK_JSONSCHEMA, "--version"]).replace("check-jsonschema, version ", ""),
        "pyyaml": version([PYTHON, "-c", "import yaml; print(yaml.__version__, 'libyaml' if "
                           "hasattr(yaml, 'CSafeLoader') else 'no libyaml')"]),
        "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }


ORDER = ["cold", "warm", "changed", "diff", "diff_text", "diff_md", "report", "jsonschema", "floor", "export",
         "export_all", "import", "imported_cold"]
DERIVED_LABELS = [
    ("cold_check_over_floor", "cold check / floor", "×"),
    ("jsonschema_over_cold_check", "check-jsonschema / cold check", "×"),
    ("cold_over_warm", "cold / warm check", "×"),
    ("cold_over_one_changed", "cold / one-changed check", "×"),
    ("diff_figures_over_cold_check", "diff-figures json / cold check", "×"),
    ("diff_text_over_json", "diff-figures text / json", "×"),
    ("diff_markdown_over_json", "diff-figures markdown / json", "×"),
    ("findings_over_claims", "findings / claims", "ratio"),
    ("report_over_json", "report / diff-figures json", "×"),
    ("report_bytes_per_record", "report, bytes per record", "B"),
    ("report_browser_render_seconds", "report, Chromium opens and lays it out", "s"),
    ("cold_check_records_per_second", "cold check, records per second", "/s"),
    ("export_claim_over_cold_check", "export claim / cold check", "×"),
    ("import_over_its_cold_check", "import / cold check of the imported ledger", "×"),
    ("import_peak_over_its_check_peak", "import peak memory / that check's", "×"),
    ("import_peak_bytes_per_row", "import peak memory per row", "B"),
    ("import_rows_per_second", "import, rows per second", "/s"),
]


def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def table_rows(size_result: dict[str, object]) -> list[list[str]]:
    measures = size_result["measures"]  # type: ignore[index]
    floor = measures.get("floor", {}).get("seconds")  # type: ignore[union-attr]
    cold = measures.get("cold", {}).get("seconds")  # type: ignore[union-attr]
    rows = []
    for key in ORDER:
        m = measures.get(key)  # type: ignore[union-attr]
        if m is None:
            continue
        s = m["seconds"]
        rows.append([
            m["label"], fmt(s, 3), fmt(m["cpu_seconds"], 2), fmt(m["peak_mib"], 1), fmt(m["tree_mib"], 1),
            fmt(s / floor if floor else None, 2), fmt(s / cold if cold else None, 2),
            ",".join(str(e) for e in m["exits"]),
        ])
    return rows


HEADER = ["command", "seconds", "CPU s", "peak MiB", "tree MiB", "× floor", "× cold", "exit"]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [HEADER, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def derived_lines(d: dict[str, float | None]) -> list[tuple[str, str]]:
    out = []
    for key, label, unit in DERIVED_LABELS:
        v = d.get(key)
        out.append((label, "–" if v is None else (f"{v:,.0f} records/s" if unit == "/s" else
                                                 f"{v:,.3f}" if unit == "ratio" else f"{v:,.0f} bytes" if
                                                 unit == "B" else f"{v:,.2f} s" if unit == "s" else f"{v:,.2f}×")))
    return out


def counts_text(c: dict[str, object]) -> str:
    kinds = ", ".join(f"{n:,} {k}" for k, n in c["kinds"].items())  # type: ignore[union-attr]
    a = c["all"]
    return (f"{c['claims']:,} claims, {c['findings']:,} findings ({c['findings_not_agree']:,} not `agree`: "
            f"{kinds or 'none'}); with `--all`, {a['findings']:,} findings "  # type: ignore[index]
            f"({a['findings_not_agree']:,} not `agree`)")  # type: ignore[index]


def target_text(t: dict[str, object], with_mark: bool = True) -> str:
    v, limit = t["value"], t["limit"]
    if v is None:
        text = "–"
    elif isinstance(v, int):
        text = f"{v:,} (of {limit:,})"
    else:
        text = f"{v:.2f} s" if str(t["target"]).endswith(" s") else f"{v:.2f}×"
    if not with_mark or t["met"] is None:
        return text
    return f"{text}  {'met' if t['met'] else 'MISSED'}"


def render_text(results: dict[str, object]) -> str:
    parts = []
    for r in results["sizes"]:  # type: ignore[union-attr]
        parts.append(f"\n== {r['records']:,} records, {r['files']:,} files, {r['bytes'] / 1e6:,.1f} MB ==")
        parts.append(text_table(table_rows(r)))
        for label, value in derived_lines(r["derived"]):
            parts.append(f"  {label:<34} {value}")
        c = r["comparison_step"]
        parts.append(f"  {'comparison step (diff-figures)':<34} {c['claims']:,} claims in {c['seconds']:.3f} s, "
                     f"{c['microseconds_per_claim']:.1f} µs a claim")
        parts.append(f"  {'diff-figures findings':<34} {counts_text(r['diff_figures_counts'])}")
        for t in r["targets"]:
            parts.append(f"  target {t['target']:<40} {target_text(t)}")
        for p in r["problems"]:
            parts.append(f"  PROBLEM: {p}")
    s = results["startup"]  # type: ignore[index]
    parts.append(f"\nstart-up ({s['runs']} runs, median): ledger --help {s['ledger_help_median_seconds']:.3f} s, "
                 f"python -c 'import typer' {s['import_typer_median_seconds']:.3f} s, "
                 f"python -c pass {s['python_bare_median_seconds']:.3f} s; "
                 f"ledger --help / import typer = {s['ledger_help_over_import_typer']:.2f}×")
    return "\n".join(parts)


def render_md(results: dict[str, object]) -> str:
    m = results["machine"]  # type: ignore[index]
    out = [
        "# ledger benchmark results",
        "",
        f"Run on {m['date']} with `python bench/run.py {results['arguments']}`. "
        "What each figure means: [bench/README.md](../README.md).",
        "",
        "## Machine",
        "",
        f"- `{m['uname']}`",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory: {m['memory_gib']} GiB",
        f"- Python {m['python']} ({m['python_executable']}); {m['ledger_version']}; "
        f"check-jsonschema {m['check_jsonschema_version']}; PyYAML {m['pyyaml']}",
        "",
    ]
    for r in results["sizes"]:  # type: ignore[union-attr]
        out += [f"## {r['records']:,} records ({r['files']:,} files, {r['bytes'] / 1e6:,.1f} MB, one record per file)",
                "", md_table(table_rows(r)), "", "| figure | value |", "|---|---:|"]
        out += [f"| {label} | {value} |" for label, value in derived_lines(r["derived"])]
        c = r["comparison_step"]
        out.append(f"| diff-figures comparison step alone | {c['claims']:,} claims in {c['seconds']:.3f} s, "
                   f"{c['microseconds_per_claim']:.1f} µs a claim |")
        out.append(f"| diff-figures findings | {counts_text(r['diff_figures_counts'])} |")
        out += ["", "| target | measured | met |", "|---|---:|:---:|"]
        out += [f"| {t['target']} | {target_text(t, False)} | {'–' if t['met'] is None else '✓' if t['met'] else '✗'} |"
                for t in r["targets"]]
        if r["problems"]:
            out += ["", *[f"- **Problem:** {p}" for p in r["problems"]]]
        if r["cold_check_summary"]:
            out += ["", f"`ledger check` said: `{r['cold_check_summary']}`"]
        out.append("")
    s = results["startup"]  # type: ignore[index]
    out += [
        "## Start-up",
        "",
        f"Median of {s['runs']} runs each:",
        "",
        "| command | seconds | peak MiB |",
        "|---|---:|---:|",
        f"| `ledger --help` | {s['ledger_help_median_seconds']:.3f} | {s['ledger_help_peak_mib']:.1f} |",
        f"| `python -c \"import typer\"` | {s['import_typer_median_seconds']:.3f} | {s['import_typer_peak_mib']:.1f} |",
        f"| `python -c pass` | {s['python_bare_median_seconds']:.3f} | |",
        "",
        f"`ledger --help` / `import typer`: **{s['ledger_help_over_import_typer']:.2f}×**",
        "",
    ]
    return "\n".join(out)


def byte_compile() -> None:
    """Compile the ledger package to bytecode once, as pip does when it installs a wheel: with
    PYTHONDONTWRITEBYTECODE set and an editable install, every run would otherwise compile every module."""
    where = subprocess.run([PYTHON, "-c", WHERE], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([PYTHON, "-m", "compileall", "-q", where], check=True)
    log(f"byte-compiled {where}")
    used = ledger_package()
    if used != where:  # run from another checkout (a git worktree) than the one the venv's `ledger` imports
        log(f"warning: the `ledger` command imports {used}, not {where}: its bytecode was not compiled, and "
            "each timed ledger command compiles whatever is stale there")


WHERE = "import ledger, os; print(os.path.dirname(ledger.__file__))"


def ledger_package() -> str:
    """The folder of the `ledger` package that the `ledger` command imports (its script's folder first on the
    path, as for the script itself, rather than the current folder)."""
    return subprocess.run([PYTHON, "-c", WHERE], capture_output=True, text=True, check=True, cwd=BIN).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated record counts")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="where results.json and results.md go")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ledger-bench"), help="where the ledgers are generated")
    ap.add_argument("--skip-jsonschema", action="store_true", help="do not time check-jsonschema")
    ap.add_argument("--repeat", type=int, default=1, help="repetitions per size; seconds are the median")
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    for tool in (LEDGER, CHECK_JSONSCHEMA if not args.skip_jsonschema else LEDGER):
        if not tool.exists():
            ap.error(f"{tool} not found: run this with the python of the venv where ledger is installed")
    args.work.mkdir(parents=True, exist_ok=True)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)

    byte_compile()
    results: dict[str, object] = {"machine": machine(), "arguments": argv_text, "seed": SEED,
                                  "repeat": args.repeat, "sizes": []}
    for size in sizes:
        results["sizes"].append(measure_size(size, args.work, args.repeat, args.skip_jsonschema))  # type: ignore[union-attr]
    results["startup"] = help_versus_import()

    print(render_text(results))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    (args.out / "results.md").write_text(render_md(results), encoding="utf-8")
    log(f"\nwrote {args.out / 'results.json'} and {args.out / 'results.md'}")
    problems = [p for r in results["sizes"] for p in r["problems"]]  # type: ignore[union-attr]
    if results["startup"]["exits"] != [0]:  # type: ignore[index]
        problems.append(f"start-up runs exited {results['startup']['exits']}")  # type: ignore[index]
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
