"""The command line: options in, a renderer out, an exit code. The work is done in the library."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__
from .kinds import FINDING_KINDS, KINDS, PLURALS
from .layout import SCHEMA_DIR
from .output import FORMATS

if TYPE_CHECKING:
    from .identity import SigningKey

app = typer.Typer(
    help="An evidence ledger for human-rights research: check and cross-check YAML records of "
    "testimonies, official statements and casualty figures.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help: rich's would double `ledger --help`'s start-up time.
    rich_markup_mode=None,
    # Local variables may hold a protected witness's identity: never print them (`main` prints no traceback at all).
    pretty_exceptions_show_locals=False,
)

EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Every message of the command line goes out here: each line as `display.one_line` shows it, so that no text
    from a record, a file name or ledger.yaml reaches a terminal as an escape sequence, whatever path it took."""
    from .display import lines_shown

    typer.echo(lines_shown(text), err=err, nl=nl)

LedgerOption = Annotated[
    Path | None,
    typer.Option("--ledger", "-L", help="The ledger root (the folder with ledger.yaml). Default: the nearest "
                 "folder upwards from here that has one.", show_default=False),
]


IdentityOption = Annotated[
    Path | None,
    typer.Option("--identity", "-i", help="Your age key file (default: $LEDGER_IDENTITY, else the one "
                 "`ledger keys init` made).", show_default=False),
]


# the formats of each command, from the one table of renderers (ledger/output.py, which imports nothing heavy)
CheckFormat = Enum("CheckFormat", {name: name for name in FORMATS["check"]}, type=str)  # type: ignore[misc]
FiguresFormat = Enum("FiguresFormat", {name: name for name in FORMATS["diff-figures"]}, type=str)  # type: ignore[misc]


def _version(value: bool) -> None:
    if value:
        _echo(f"ledger {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """An evidence ledger for human-rights research."""


def _root(ledger: Path | None) -> Path:
    from .layout import LedgerNotFound, open_root

    try:
        root = open_root(ledger)
    except LedgerNotFound as e:
        _echo(f"ledger: {e}; run inside a ledger or pass --ledger PATH", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    from .layout import journal_pending

    if journal_pending(root):  # a command that changes several files was stopped after its commit point: complete it
        from .errors import LedgerError
        from .journal import recover

        try:
            done = recover(root)
        except LedgerError as e:
            _echo(f"ledger: {e}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        if done:
            _echo(f"ledger: completed the interrupted `{done}`", err=True)
    return root


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from rich.console import Console

    # Rich leaves colour out when NO_COLOR is set or the output is not a terminal.
    return Console(highlight=False, stderr=stderr)


@app.command()
def check(
    ledger: LedgerOption = None,
    output: Annotated[CheckFormat, typer.Option("--format", "-f", help="text (rich), json (a list of findings), "
                                                "or github (Actions annotations).")] = CheckFormat("text"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Read every file again and leave the cache in "
                                           ".ledger/cache/ untouched.")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Processes that read files (default: "
                                                "both cores for large ledgers).", show_default=False)] = None,
    identity: IdentityOption = None,
    history: Annotated[bool, typer.Option("--history", help="With a key: search every commit of the git history "
                                          "for real names too.")] = False,
) -> None:
    """Validate every record, reference, vocabulary entry, sum, evidence hash and schema.

    With a key (--identity, $LEDGER_IDENTITY, or the one `ledger keys init` made), also decrypt every
    protected identity in memory and search the ledger for the real names: a hit names the file, the
    line and the pseudonym, never the name.

    Exit 0 when clean, 1 when there are findings, 2 for usage errors or when no ledger is found.
    """
    from .checking import run
    from .identity import IdentityError
    from .output import Output, render

    root = _root(ledger)
    try:
        with _progress(enabled=output.value == "text") as progress:
            report = run(root, identity=identity, history=history, use_cache=not no_cache, jobs=jobs,
                         progress=progress)
    except IdentityError as e:
        _echo(f"ledger: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    render("check", output.value, report.seen_from(Path.cwd()), Output(sys.stdout, _console))
    raise typer.Exit(report.exit_code)


def _keys(option: Path | None, required: bool = False) -> list | None:  # type: ignore[type-arg]
    """The user's age identities, or None when there is no key; a key that cannot be read is a usage error."""
    from .identity import IdentityError, identity_path, load_identities

    path = identity_path(option)
    if path is None:
        if required:
            _echo("ledger: this needs your key: pass --identity FILE or set $LEDGER_IDENTITY "
                       "(`ledger keys init` makes one)", err=True)
            raise typer.Exit(EXIT_USAGE)
        return None
    try:
        return load_identities(path)
    except IdentityError as e:
        _echo(f"ledger: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@contextlib.contextmanager
def _progress(enabled: bool):  # type: ignore[no-untyped-def]
    """A progress bar on standard error once reading takes more than a second: only at a terminal, never in CI,
    pipes or machine-readable output."""
    import time

    if not enabled or not sys.stderr.isatty() or os.environ.get("CI") or os.environ.get("NO_PROGRESS"):
        yield None
        return
    start = time.monotonic()
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if time.monotonic() - start < 1.0:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(TextColumn("reading records"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("files · {task.fields[rate]} files/s"), TimeRemainingColumn(),
                           console=_console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("read", total=total, rate="…")
        rate = done / max(time.monotonic() - start, 1e-6)
        state["bar"].update(state["task"], completed=done, total=total, rate=f"{rate:,.0f}")

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


@app.command()
def schema(
    ledger: LedgerOption = None,
    check_only: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 and name the stale files "
                                             "when schemas/ differs from the models.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write to. Default: schemas/ in the "
                                                "ledger root.", show_default=False)] = None,
) -> None:
    """Write one JSON Schema per record kind, one for any record and one for ledger.yaml into schemas/."""
    from . import schema as schemas

    root: Path | None = None
    if out is None:
        root = _root(ledger)
        folder = root / SCHEMA_DIR
    else:
        folder = out
    if check_only:
        stale = schemas.stale(folder)
        for name in stale:
            _echo(f"{(folder / name)}: stale; run `ledger schema` and commit it", err=True)
        if stale:
            raise typer.Exit(EXIT_FINDINGS)
        _echo(f"{folder}: {len(schemas.generate())} schemas up to date")
        return
    try:
        written = schemas.write(folder, root)
    except OSError as e:
        _echo(f"ledger schema: cannot write the schemas into {folder}: {e.strerror}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for name in written:
        _echo(f"wrote {folder / name}")
    if not written:
        _echo(f"{folder}: {len(schemas.generate())} schemas already up to date")


def _kinds(value: str | None, option: str) -> list[str] | None:
    if value is None:
        return None
    from .display import one_line
    from .validate import suggest

    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in FINDING_KINDS]
    if unknown or not kinds:
        listed = f"a comma-separated list of {', '.join(FINDING_KINDS)}"
        if not unknown:
            raise typer.BadParameter(f"expected {listed}", param_hint=option)
        near = suggest(unknown[0], FINDING_KINDS)
        unknown_kind = f"no finding kind `{one_line(unknown[0])}`"
        raise typer.BadParameter(f"{unknown_kind}{near} (expected {listed})" if near else
                                 f"{unknown_kind}; expected {listed}", param_hint=option)
    return kinds


@app.command("export")
def export(
    kind: Annotated[RecordKind, typer.Argument(help=f"The kind of record: {', '.join(KINDS)}.",
                                               show_default=False)],
    output: Annotated[str, typer.Option("--format", "-f", help="csv (for a spreadsheet) or jsonl.")] = "csv",
    out: Annotated[str, typer.Option("--out", "-o", help="The file to write; - for standard output.")] = "-",
    bom: Annotated[bool, typer.Option("--bom", help="Start the CSV with a UTF-8 byte order mark, which some "
                                      "spreadsheets need to read it as UTF-8.")] = False,
    ledger: LedgerOption = None,
) -> None:
    """One row per record of KIND, for a spreadsheet: fields flattened (scope.place), a claim's
    interval, voice, source date and URL, status and withdrawal; never a sealed identity nor a
    confidential testimony's quotes; a cell a spreadsheet would run as a formula is written as text."""
    from .atomic import atomic_text_stream
    from .export import records_of, write_csv, write_jsonl
    from .load import load_ledger

    if output not in ("csv", "jsonl"):
        _echo(f"ledger export: --format is csv or jsonl, not {output!r}", err=True)
        raise typer.Exit(EXIT_USAGE)
    loaded, _ = load_ledger(_root(ledger))
    rows = records_of(loaded, kind.value)

    def write(stream: Any) -> int:
        return write_csv(rows, kind.value, stream, bom) if output == "csv" else write_jsonl(rows, stream)

    if out == "-":
        write(sys.stdout)
        return
    try:
        with atomic_text_stream(Path(out)) as stream:
            count = write(stream)
    except OSError as e:
        _echo(f"ledger export: cannot write {out}: {e.strerror or e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    _echo(f"wrote {out}: {count:,} {kind.value} records")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(metavar="FILE.csv...", help="CSV files, each a header row naming "
                                                "the columns, then a record a row.", show_default=False)],
    kind: Annotated[RecordKind | None, typer.Option("--kind", "-k", help="The kind of every row (default: the "
                                                    "file's `kind` column, as `ledger export` writes it).",
                                                    show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Check every row; write nothing.")] = False,
    output: Annotated[CheckFormat, typer.Option("--format", "-f", help="How problems are listed: text, json or "
                                                "github, as `ledger check` lists findings.")] = CheckFormat("text"),
    ledger: LedgerOption = None,
) -> None:
    """Add a record for each row of CSV files: columns by the header (scope.place for a nested field, `;` or a
    repeated column for a list), ids made when there is no `id` column. Every row is checked as `ledger add`
    checks a record, against the ledger and the other rows; a problem is FILE.csv:ROW:COLUMN with the code
    `ledger check` gives it. All rows of all files are written, or none.

    Example: ledger import detainees.csv --kind person
    """
    from .errors import LedgerError
    from .report import render_github, render_json, text_lines
    from .spreadsheet import ImportRefused, import_files

    root = _root(ledger)
    try:
        done = import_files(root, files, kind.value if kind else None, dry_run=dry_run,
                            shown=lambda p: _shown_path(p, root))
    except ImportRefused as e:
        from .findings import sort_findings

        findings = sort_findings(e.findings)
        rows = len({(f.file, f.line) for f in findings})
        summary = (f"✗ {len(findings):,} {'problem' if len(findings) == 1 else 'problems'} in {rows:,} "
                   f"{'row' if rows == 1 else 'rows'}; nothing was written")
        if output.value == "json":
            sys.stdout.write(render_json(findings))
        elif output.value == "github":
            sys.stdout.write(render_github(findings))
        else:
            shown = text_lines(findings[:MAX_LISTED], summary)
            if len(findings) > MAX_LISTED:
                shown.insert(MAX_LISTED, f"… and {len(findings) - MAX_LISTED:,} more (--format json lists all)")
            _echo("\n".join(shown))
        raise typer.Exit(EXIT_FINDINGS) from None
    except LedgerError as e:
        _echo(f"ledger import: {_written(e)}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    said = ", ".join(f"{done.records[k]:,} {k if done.records[k] == 1 else PLURALS[k]}" for k in KINDS
                     if k in done.records) or "no records"
    verb = "imported" if done.written else "would import"
    _echo(f"{verb} {said} into {', '.join(done.folders) or 'records/'}"
          + ("" if done.written else " (dry run: nothing was written)"), err=not done.written)
    if done.ignored:
        _echo(f"ignored the columns `ledger export` computes: {', '.join(done.ignored)}", err=True)


MAX_LISTED = 200  # problems a terminal is shown; --format json has every one


def _written(e: Exception) -> str:
    """A failure of a command that changes several files, and what it left: nothing, unless it failed after its
    commit point (then the next command completes it, and the message says so)."""
    from .journal import Incomplete

    said = str(e)
    if isinstance(e, Incomplete) or "nothing was written" in said:
        return said
    return f"{said} Nothing was written." if said.endswith("?") else f"{said}; nothing was written"


def _shown_path(path: Path, root: Path) -> str:
    """A file as a finding names it: relative to the current folder when below it, else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


@app.command("init")
def init(
    folder: Annotated[Path, typer.Argument(help="Where to make the ledger (made if missing).")] = Path("."),
    title: Annotated[str, typer.Option(help="The ledger's title, as reports name it.")] = "A new ledger",
) -> None:
    """Make a new ledger that `ledger check` passes at once: a commented ledger.yaml, records/, schemas/,
    a .gitignore for .ledger/ and a .pre-commit-config.yaml; `git init` when the folder is in no
    repository. Never overwrites: an existing ledger, or any of those files, is an error."""
    from .errors import LedgerError
    from .init import init_ledger

    try:
        made = init_ledger(folder, title)
    except LedgerError as e:
        _echo(f"ledger init: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (OSError, subprocess.SubprocessError) as e:
        _echo(f"ledger init: cannot make the ledger in {folder}: {getattr(e, 'strerror', None) or e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    where = folder.resolve()
    _echo(f"made a ledger in {where}: {', '.join(made)}")
    cd = "" if where == Path.cwd().resolve() else f"cd {folder} && "
    _echo("next:")
    _echo(f"  {cd}ledger check  (it passes: no records yet)")
    _echo("  edit ledger.yaml: your title, measures, places and populations")
    _echo("  ledger add org  (then person, statement, testimony, claim...)")
    _echo("  pre-commit install  (checks before every commit; pip install pre-commit)")


# what diff-figures and report select, said alike
MeasureOption = Annotated[str | None, typer.Option("--measure", help="Only this measure and the measures within it.",
                                                   show_default=False)]
PlaceOption = Annotated[str | None, typer.Option("--place", help="Only this place and the places within it.",
                                                 show_default=False)]


@app.command("diff-figures")
def diff_figures(
    ledger: LedgerOption = None,
    measure: MeasureOption = None,
    place: PlaceOption = None,
    kind: Annotated[str | None, typer.Option(help="Only the findings that hold one of these kinds, "
                                                f"comma-separated: {', '.join(FINDING_KINDS)}.",
                                                show_default=False)] = None,
    include_agree: Annotated[bool, typer.Option("--all", help="Include `agree`: comparable claims that "
                                                "agree.")] = False,
    output: Annotated[FiguresFormat, typer.Option("--format", "-f", help="text (a timeline per question), "
                                                  "markdown (a paragraph per question, for a letter) or "
                                                  "json.")] = FiguresFormat("text"),
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Exit 1 if any finding of these kinds "
                                                   "(comma-separated) is reported.", show_default=False)] = None,
) -> None:
    """Cross-check every figure and report where sources disagree, ready for a letter.

    Each figure is compared, on the date it was given, with the figures the other voices then stood
    by: an official voice's with every other voice's, another voice's with the official ones'.
    Finds conflicts (same count, same period), gaps (the same count over overlapping periods),
    narrower counts that exceed broader ones, a voice's revisions of its own figure, the spread
    among the figures that are not official, totals that do not add up, and, with --all, figures
    that agree. A withdrawn figure is compared with nothing after its withdrawal. Side by side: one
    measure for several populations.
    """
    from .crosscheck import cross_check
    from .errors import LedgerError
    from .output import Output, render

    kinds = _kinds(kind, "--kind")
    fail_kinds = _kinds(fail_on, "--fail-on") or []
    if kinds is None:
        kinds = [k for k in FINDING_KINDS if k != "agree" or include_agree]
    try:
        selection = cross_check(_root(ledger), measure, place, kinds)
    except LedgerError as e:  # a measure or place the ledger does not have: never "no findings"
        _echo(f"ledger diff-figures: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    render("diff-figures", output.value, selection, Output(sys.stdout, _console))
    if any(f.kinds & set(fail_kinds) for f in selection.findings):
        raise typer.Exit(EXIT_FINDINGS)


@app.command("report")
def report(
    ledger: LedgerOption = None,
    out: Annotated[str, typer.Option("--out", "-o", help="The HTML file to write; - for standard output.")]
    = "report.html",
    measure: MeasureOption = None,
    place: PlaceOption = None,
    kind: Annotated[str | None, typer.Option(help="Only the questions with findings that hold one of these kinds, "
                                                f"comma-separated: {', '.join(FINDING_KINDS)}.",
                                                show_default=False)] = None,
    charts: Annotated[int, typer.Option("--charts", min=0, help="Chart at most this many questions (those "
                                        "that matter most); the others have their table.")] = 20,
) -> None:
    """Write one self-contained HTML page of the figures, for colleagues who do not open a terminal.

    The same analysis as diff-figures: per question, a timeline chart of each voice's figures, the
    range of each voice's standing figure, the paragraph for a letter, the findings and a table of
    the figures; then the numbered sources. It loads nothing from the network and runs no script.
    """
    from datetime import UTC, datetime

    from .atomic import atomic_write_text
    from .crosscheck import cross_check
    from .errors import LedgerError
    from .report_html import git_describe, render_report

    kinds = _kinds(kind, "--kind")
    root = _root(ledger)
    try:
        selection = cross_check(root, measure, place, kinds or [k for k in FINDING_KINDS if k != "agree"])
    except LedgerError as e:  # a measure or place the ledger does not have: never an empty page
        _echo(f"ledger report: {e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    page = render_report(selection, datetime.now(UTC), git_describe(root), charts, all_questions=kinds is None)
    if out == "-":
        sys.stdout.write(page)
        return
    target = Path(out)
    try:
        atomic_write_text(target, page)
    except OSError as e:
        _echo(f"ledger report: cannot write {out}: {e.strerror or e}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    _echo(f"wrote {out}: {len(selection.findings):,} findings, {len(selection.claims):,} figures")


# the choices of `ledger add KIND`: the kinds the models have (ledger/kinds.py, which imports nothing heavy)
RecordKind = Enum("RecordKind", {kind: kind for kind in KINDS}, type=str)  # type: ignore[misc]


def _fail(problems: list[str], code: int) -> typer.Exit:
    from .display import one_line

    for problem in problems:
        _echo(f"ledger add: {one_line(problem)}", err=True)
    _echo("nothing was written", err=True)
    return typer.Exit(code)


def _given_text(source: str, what: str) -> str:
    """The text of a file the user hands `ledger` (`-`: standard input), bounded; AddError when it cannot be had."""
    from .add import AddError
    from .reading import Refused, read_bounded

    try:
        return read_bounded(None if source == "-" else Path(source)).decode("utf-8")
    except Refused as e:
        raise AddError([f"{what}: {e.message}"]) from None
    except OSError as e:
        raise AddError([f"cannot read {what}: {e.strerror}"]) from None
    except UnicodeDecodeError:
        raise AddError([f"{what} is not UTF-8 text"]) from None


def _says_interrupted(command: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Ctrl-C at any question (or in an editor): one line that says nothing was written, and exit 130. Nothing is
    written before the last step, so that is true."""
    import functools

    def wrap(f: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> None:
            try:
                return f(*args, **kwargs)
            except (KeyboardInterrupt, typer.Abort):
                _echo(f"\n{command}: interrupted; nothing was written", err=True)
                raise typer.Exit(130) from None
        return run
    return wrap


@app.command()
@_says_interrupted("ledger add")
def add(
    kind: Annotated[RecordKind, typer.Argument(help=f"The kind of record: {', '.join(KINDS)}.",
                                               show_default=False)],
    assignments: Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE, repeatable; dotted paths "
                                                             "(scope.place=zhanaozen); a repeated list field "
                                                             "appends.", show_default=False)] = None,
    from_file: Annotated[str | None, typer.Option("--from", help="Read the record from a YAML or JSON file "
                                                     "(- for standard input).", show_default=False)] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Write the record in $EDITOR, from a commented "
                                       "template.")] = False,
    protected: Annotated[bool, typer.Option("--protected", help="A protected person: asked for a pseudonym, never "
                                            "a real name; the real identity is encrypted.")] = False,
    identity_from: Annotated[str | None, typer.Option("--identity-from", help="With --protected: read the real "
                                                         "identity as YAML (name: and any other details) from "
                                                         "FILE, or - for standard input; it is encrypted in "
                                                         "memory. For the leak check, `surname: Bekov` makes "
                                                         "`T. Bekov` count as the name, and `distinctive: "
                                                         "[Bekov]` lists parts that count alone.",
                                                         show_default=False)] = None,
    interactive: Annotated[bool | None, typer.Option("--interactive/--no-interactive", help="Ask for fields "
                                                        "(default: when standard input is a terminal and no "
                                                        "--set or --from is given).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the record; write nothing.")] = False,
    ledger: LedgerOption = None,
    key_file: Annotated[Path | None, typer.Option("--identity", "-i", help="With a real identity to seal: your "
                                                     "age key file, whose signing key signs it (default: "
                                                     "$LEDGER_IDENTITY, else the one `ledger keys init` made).",
                                                     show_default=False)] = None,
) -> None:
    """Record new evidence without hand-editing YAML: asks, or takes flags, a file or an editor.

    The record is checked against the ledger as it stands (the model, the vocabularies, every
    reference) and written to records/<kind plural>/<id>.yaml, atomically, never over another file.
    An id left out is made from the date and the main subject. A protected person's real identity is
    sealed and signed with your key, which ledger.yaml must list as a signer.
    """
    from .add import AddError, add_record, apply_assignment, read_drafts, read_identity, required_missing, summary
    from .display import lines_shown, one_line
    from .errors import LedgerError
    from .models import MODELS
    from .protection import draft_problems, option_problems

    root = _root(ledger)
    model = MODELS[kind.value]
    data: dict[str, Any] = {}
    identity: dict[str, Any] | None = None
    signer: SigningKey | None = None
    if interactive is None:
        interactive = sys.stdin.isatty() and not assignments and from_file is None and not edit
    asks_identity = sys.stdin.isatty() and (interactive or edit)  # a protected person's identity is asked for
    try:
        problems = option_problems(kind.value, protected, identity_from is not None)
        if problems:
            raise AddError(problems)
        if identity_from is not None or (protected and asks_identity):
            signer = _sealing_key(root, key_file)  # before the identity is read or typed: it is signed
        if identity_from is not None:
            if identity_from == "-" and from_file == "-":
                raise AddError(["--from - and --identity-from - cannot both read standard input"])
            raw = _given_text(identity_from, "the file given to --identity-from")
            identity = read_identity(raw, "the identity")
            del raw
        if from_file is not None:
            drafts = read_drafts(_given_text(from_file, "the file given to --from"), from_file)
            if any(d.get("kind", kind.value) != kind.value for d in drafts):
                raise AddError([f"{from_file} holds another kind of record (its `kind` is not `{kind.value}`)"])
            if len(drafts) > 1:
                if protected or identity_from is not None or edit:
                    raise AddError(["several records at once take no --protected, --identity-from or --edit: "
                                    "add protected people one at a time"])
                for draft in drafts:
                    for assignment in assignments or []:
                        apply_assignment(draft, model, assignment)
                _add_many(root, kind.value, drafts, dry_run)
                return
            data = drafts[0]
        for assignment in assignments or []:
            apply_assignment(data, model, assignment)
        if protected:
            data["protected"] = True
        problems = draft_problems(kind.value, data)  # before any prompt or editor: refused at once
        if problems:
            raise AddError(problems)
    except AddError as e:
        raise _fail(e.problems, EXIT_USAGE) from None
    if edit:
        from .editor import edit_record

        try:
            edited = edit_record(root, kind.value, data)
        except AddError as e:
            raise _fail(e.problems, EXIT_USAGE) from None
        if edited is None:
            _echo("ledger add: the record was left empty; nothing was written", err=True)
            raise typer.Exit(EXIT_USAGE)
        data = edited
    elif interactive or (sys.stdin.isatty() and required_missing(model, data)):
        from .prompts import ask_record

        asked = ask_record(root, kind.value, data, console=_console(stderr=True), ask_optional=interactive)
        if asked is None:
            _echo("ledger add: nothing was written", err=True)
            raise typer.Exit(EXIT_USAGE)
        data = asked
    if (protected or data.get("protected")) and identity is None and asks_identity:
        from .prompts import ask_identity

        if signer is None:  # made protected in the editor or the file given to --from
            signer = _sealing_key(root, key_file)
        identity = ask_identity(_console(stderr=True))
    missing = required_missing(model, data)
    if missing:
        raise _fail([f"missing required field `{m}`" for m in missing], EXIT_USAGE)
    if identity is not None and signer is None:
        signer = _sealing_key(root, key_file)
    try:
        added = add_record(root, kind.value, data, dry_run=dry_run, identity=identity, signer=signer)
    except AddError as e:
        raise _fail(e.problems, EXIT_FINDINGS) from None
    except LedgerError as e:
        raise _fail([str(e)], EXIT_USAGE) from None
    shown = added.path.relative_to(root).as_posix()
    if dry_run:
        _echo(lines_shown(added.text), nl=False)
        _echo(f"(dry run: {shown} was not written)", err=True)
        return
    _echo(f"wrote {shown}: {one_line(summary(added.ledger, added.record))}")


def _add_many(root: Path, kind: str, drafts: list[dict[str, Any]], dry_run: bool) -> None:
    """`ledger add --from` a file of several records: every one checked before any is written; all or none."""
    from .add import AddError, add_records, summary
    from .display import lines_shown, one_line
    from .errors import LedgerError

    try:
        added = add_records(root, kind, drafts, dry_run=dry_run)
    except AddError as e:
        raise _fail(e.problems, EXIT_FINDINGS) from None
    except LedgerError as e:
        raise _fail([str(e)], EXIT_USAGE) from None
    for one in added:
        shown = one.path.relative_to(root).as_posix()
        if dry_run:
            _echo(lines_shown(one.text), nl=False)
            _echo("---")
        else:
            _echo(f"wrote {shown}: {one_line(summary(one.ledger, one.record))}")
    if dry_run:
        _echo(f"(dry run: {len(added)} records, none written)", err=True)


def _sealing_key(root: Path, key_file: Path | None) -> SigningKey:
    """The user's signing key for sealing an identity in this ledger; else one line and exit 2, nothing
    written: no key, a key that cannot be read, or one whose signing key ledger.yaml does not list."""
    from .errors import LedgerError
    from .identity import IdentityError, identity_path, load_identities
    from .keyring import recipients, sealing_key

    try:
        readers = recipients(root)
    except LedgerError as e:
        _echo(f"ledger add: {e}; nothing was asked or written", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if not readers:  # before any question: a real identity no one could read is refused at the end, work lost
        _echo("ledger add: ledger.yaml lists no recipients, so no one could read a sealed identity: a member adds "
              "theirs first (`ledger keys init`, then `ledger keys add NAME age1… --signs ed25519:…`); nothing was "
              "asked or written", err=True)
        raise typer.Exit(EXIT_USAGE)
    path = identity_path(key_file)
    if path is None:
        _echo("ledger add: sealing a real identity needs your key, which signs it: pass --identity FILE or set "
                   "$LEDGER_IDENTITY (`ledger keys init` makes one); nothing was written", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        return sealing_key(root, load_identities(path))
    except IdentityError as e:  # a ledger.yaml that is not valid too (LedgerFileError)
        from .display import one_line

        _echo(f"ledger add: {one_line(str(e))}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@app.command("mv")
@_says_interrupted("ledger mv")
def mv(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The id to rename.", show_default=False)],
    new: Annotated[str, typer.Argument(metavar="NEW", help="Its new name: a slug no record has.",
                                        show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Print the changes as a diff; write "
                                          "nothing.")] = False,
    ledger: LedgerOption = None,
    identity: IdentityOption = None,
) -> None:
    """Rename an id: the record, its file when the file is named after it, and every reference to it in every
    record, keeping each file's comments and layout. All files change or none: an interrupted rename is
    completed by the next ledger command. A protected person's identity is sealed again under the new id,
    which needs your key.

    Example: ledger mv ministry-of-health-of-kazakhstan moh-kz
    """
    from .errors import LedgerError
    from .lock import writer_lock
    from .rename import apply, diff, plan

    root = _root(ledger)
    keys = _keys(identity)
    try:
        with writer_lock(root, "ledger mv"):  # not the ids: a refused one may spell a real name
            rename = plan(root, old, new, keys)
            if not dry_run:
                apply(root, rename)
    except LedgerError as e:
        _echo(f"ledger mv: {_written(e)}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if dry_run:
        _echo(diff(rename), nl=False)
    files = len(rename.edits)
    refs = rename.references
    said = (f"the {rename.kind} and {refs:,} {'reference' if refs == 1 else 'references'} to it, in {files:,} "
            f"{'file' if files == 1 else 'files'}")
    done = "would rename" if dry_run else "renamed"
    _echo(f"{done} `{old}` to `{new}`: {said}", err=dry_run)
    moved = rename.moved
    if moved and moved.moved_to:
        _echo(f"  {moved.file} -> {moved.moved_to}", err=dry_run)
    if rename.resealed:
        _echo("  its sealed identity was sealed again under the new id, signed with your key", err=dry_run)
    for file, line in rename.mentions:
        _echo(f"  note: {file}:{line} still writes `{old}` in text (not a reference): left as it is", err=True)
    if dry_run:
        _echo("(dry run: nothing was written)", err=True)


keys_app = typer.Typer(help="Keys for protected identities: yours, and the team's recipients and signers in "
                       "ledger.yaml.",
                       no_args_is_help=True, rich_markup_mode=None)
app.add_typer(keys_app, name="keys")


def _identity_failure(e: Exception) -> typer.Exit:
    """The one-line message of a keys command's failure, and its exit code: usage/environment (2) for a
    ledger.yaml that is not valid or a file that cannot be written, else 1."""
    from .errors import LedgerError

    _echo(f"ledger: {e}", err=True)
    return typer.Exit(EXIT_USAGE if isinstance(e, LedgerError) else EXIT_FINDINGS)


@keys_app.command("init")
def keys_init(identity: IdentityOption = None) -> None:
    """Create your age key (at --identity, else $LEDGER_IDENTITY, else in your config folder), outside any
    repository, readable by you only; print its public recipient and the public signing key derived from it,
    which the team lists in ledger.yaml."""
    from .identity import IdentityError, init_identity, new_identity_path

    path = new_identity_path(identity)
    try:
        init_identity(path)
    except (IdentityError, OSError) as e:
        raise _identity_failure(e) from None
    _echo(f"created {path} (keep it safe: without it you cannot read identities; never commit it)")
    _share(path)


def _share(path: Path) -> None:
    """Print the public halves of the key at `path`: what a member shares with the team, and the command that
    lists them. Never the secret."""
    from .identity import IdentityError, load_identities, signing_key

    try:
        keys = load_identities(path)
        recipient, signer = str(keys[0].to_public()), signing_key(keys).public
    except IdentityError as e:
        raise _identity_failure(e) from None
    _echo(f"your public recipient: {recipient}")
    _echo(f"your signing key: {signer}")
    _echo("share both with your team (they are public); in the ledger, a member lists them with:")
    _echo(f"  ledger keys add YOUR-NAME {recipient} --signs {signer}")


@keys_app.command("show")
def keys_show(identity: IdentityOption = None) -> None:
    """Print the public recipient and signing key of your key (--identity, $LEDGER_IDENTITY, or the one `ledger
    keys init` made), and the command that lists them in ledger.yaml."""
    from .identity import identity_path

    path = identity_path(identity)
    if path is None:
        _echo("ledger: no key: pass --identity FILE or set $LEDGER_IDENTITY (`ledger keys init` makes one)",
                   err=True)
        raise typer.Exit(EXIT_USAGE)
    _echo(f"key file: {path}")
    _share(path)


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="A neutral label for the key's holder: no personal data.")],
    recipient: Annotated[str, typer.Argument(help="Their age public key (age1…), from `ledger keys init`.")],
    signs: Annotated[str | None, typer.Option("--signs", help="Their public signing key (ed25519:…), from "
                                                 "`ledger keys init` or `ledger keys show`: identities they seal "
                                                 "are accepted only when it is listed.",
                                                 show_default=False)] = None,
    ledger: LedgerOption = None,
) -> None:
    """List a member in ledger.yaml: their recipient and, with --signs, their signing key. Identities sealed before
    must be re-sealed for them to read: `ledger keys rotate`."""
    from .keyring import add_member

    changed = _edit_members(ledger, "ledger keys add", lambda root: add_member(root, name, recipient, signs))
    if not changed:
        _echo(f"`{name}` is already listed with {'these keys' if signs else 'that key'}; ledger.yaml was not "
                   "changed")
        return
    _echo(f"added `{name}`'s {' and '.join(changed)} to ledger.yaml" +
               ("; run `ledger keys rotate` so that they can read the identities sealed before"
                if "recipient" in changed else ""))
    if signs is None:
        _echo(f"`{name}` has no signing key listed: identities they seal are refused until it is "
                   "(`ledger keys add NAME age1… --signs ed25519:…`)")


def _edit_members(ledger: Path | None, command: str, edit: Callable[[Path], list[str]]) -> list[str]:
    from .errors import LedgerError
    from .identity import IdentityError
    from .lock import writer_lock

    root = _root(ledger)
    try:
        with writer_lock(root, command):
            return edit(root)
    except (IdentityError, LedgerError) as e:
        raise _identity_failure(e) from None


@keys_app.command("remove")
def keys_remove(
    name: Annotated[str, typer.Argument(help="The member's label in ledger.yaml.")],
    signing_key: Annotated[bool, typer.Option("--signing-key", help="Take their signing key out too: the "
                                              "identities they sealed are then refused until re-sealed, so do "
                                              "it once `ledger keys rotate` has re-sealed them (or at once, for "
                                              "a stolen key).")] = False,
    ledger: LedgerOption = None,
) -> None:
    """Take a member's recipient out of ledger.yaml; then `ledger keys rotate` so that new ciphertexts exclude them.
    Their signing key stays listed, so that the identities they sealed still verify, until --signing-key."""
    from .keyring import remove_member

    removed = _edit_members(ledger, "ledger keys remove", lambda root: remove_member(root, name, signing_key))
    _echo(f"removed `{name}`'s {' and '.join(removed)} from ledger.yaml" +
               ("; now run `ledger keys rotate` (and read the README on what rotation cannot undo)"
                if "recipient" in removed else ""))
    if "signing key" not in removed:
        _echo(f"their signing key stays listed until the identities they sealed are re-sealed: after `ledger "
                   f"keys rotate`, `ledger keys remove {name} --signing-key` takes it out")


@keys_app.command("list")
def keys_list(ledger: LedgerOption = None) -> None:
    """The members ledger.yaml lists: label, recipient and signing key (`-` where none is listed)."""
    from .identity import IdentityError
    from .keyring import recipients, signers

    try:
        root = _root(ledger)
        readers, signing = recipients(root), signers(root)
    except IdentityError as e:
        raise _identity_failure(e) from None
    for name in [*readers, *(name for name in signing if name not in readers)]:
        # slugs and keys of a validated ledger.yaml: safe to print
        _echo(f"{name}\t{readers.get(name, '-')}\t{signing.get(name, '-')}")


@keys_app.command("rotate")
def keys_rotate(
    ledger: LedgerOption = None,
    identity: IdentityOption = None,
    sign_unsigned: Annotated[bool, typer.Option("--sign-unsigned", help="Re-seal and sign unsigned identities "
                                                "too (sealed before signatures): your signature then vouches for "
                                                "them, so check each first with `ledger reveal`.")] = False,
) -> None:
    """Re-encrypt every protected identity for the recipients ledger.yaml lists now, signed with your key.

    Refuses, changing nothing, when any identity's signature is refused (a rotation must never launder a forgery),
    or is missing and --sign-unsigned is not given."""
    from .errors import LedgerError
    from .identity import IdentityError
    from .keyring import rotate
    from .lock import writer_lock

    root = _root(ledger)
    keys = _keys(identity, required=True)
    try:
        with writer_lock(root, "ledger keys rotate"):
            done = rotate(root, keys or [], sign_unsigned=sign_unsigned)
    except (IdentityError, LedgerError) as e:
        raise _identity_failure(e) from None
    count = len(done.done)
    _echo(f"re-encrypted {count} {'identity' if count == 1 else 'identities'} for the current recipients, "
               "signed with your key; commit the records")
    if done.vouched:
        _echo(f"signed {len(done.vouched)} that were unsigned: your signature vouches for them "
                   f"({', '.join(done.vouched)})")
    for label in done.idle:
        _echo(f"`{label}` is no longer a recipient and signs none of the identities now: `ledger keys remove "
                   f"{label} --signing-key` takes their signing key out")


@app.command()
def reveal(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The protected person's id.")],
    ledger: LedgerOption = None,
    identity: IdentityOption = None,
    force: Annotated[bool, typer.Option("--force", help="Write to a pipe or a file too: the identity leaves "
                                        "your screen.")] = False,
    unsigned: Annotated[bool, typer.Option("--unsigned", help="Show an unsigned identity (sealed before "
                                           "signatures) even though ledger.yaml lists signers: to check it before "
                                           "vouching for it with `ledger keys rotate --sign-unsigned`.")] = False,
) -> None:
    """Show a protected person's real identity, decrypted with your key: on the terminal only.

    Refused (exit 1) when its signature does not verify or its signer is not listed in ledger.yaml. An unsigned
    one (sealed before signatures, or forged without a signature) is shown under a warning while ledger.yaml lists
    no signer, and only with --unsigned once it lists one. Who signed it is said on standard error."""
    from .identity import ForgedIdentity, IdentityError, unseal
    from .keyring import listed_signers, sealed_identities

    root = _root(ledger)
    if not sys.stdout.isatty() and not force:
        _echo("ledger reveal: standard output is not a terminal; refusing to write an identity to a pipe or "
                   "a file (--force to do it anyway)", err=True)
        raise typer.Exit(EXIT_USAGE)
    keys = _keys(identity, required=True)
    match = [item for item in sealed_identities(root)[0] if item.record_id == record_id]
    if not match:
        _echo(f"ledger reveal: no protected person `{record_id}` with a sealed identity", err=True)
        raise typer.Exit(EXIT_FINDINGS)
    signers = listed_signers(root)
    try:
        revealed = unseal(match[0].armored, record_id, keys or [], signers)
    except ForgedIdentity as e:
        _echo(f"ledger reveal: `{record_id}`: the identity {e}; it is not shown", err=True)
        raise typer.Exit(EXIT_FINDINGS) from None
    except IdentityError as e:
        raise _identity_failure(IdentityError(f"`{record_id}`: the identity {e}")) from None
    from .display import one_line

    if revealed.status == "unsigned":
        unsure = (f"the identity of `{record_id}` is not signed, so nothing shows who sealed it (anyone who can read "
                  "ledger.yaml could have)")
        if signers and not unsigned:  # the team signs: this is a legacy identity, or a forgery that left it out
            _echo(f"ledger reveal: {unsure}; it is not shown: `--unsigned` shows it, to check it against your "
                       "own records before vouching for it with `ledger keys rotate --sign-unsigned`", err=True)
            raise typer.Exit(EXIT_FINDINGS)
        _echo(f"ledger reveal: warning: {unsure}: check it against your own records before acting on it",
                   err=True)
    for key, value in revealed.identity.items():  # a forged payload must not reach the terminal as control sequences
        _echo(f"{one_line(str(key))}: {one_line(str(value))}")
    if revealed.signer is not None:
        _echo(f"ledger reveal: sealed and signed by `{revealed.signer}`", err=True)


def main() -> None:
    """Entry point of the `ledger` command."""
    for stream in (sys.stdout, sys.stderr):  # text with a lone surrogate is shown escaped, not a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        app(prog_name="ledger")
    except SystemExit as e:
        _leave(e.code)
    except Exception as e:  # noqa: BLE001 - the last net: one line, never a traceback (its locals may hold secrets)
        _leave(_last_words(e))
    _leave(0)


EXIT_INTERNAL = 3


def _last_words(e: Exception) -> int:
    """Say what failed in one line and give the exit code: an environment problem is the user's to fix (2), any
    other failure is ledger's own (3). `LEDGER_DEBUG=1` shows the traceback, for a bug report."""
    from .errors import LedgerError

    if os.environ.get("LEDGER_DEBUG"):
        import traceback

        traceback.print_exception(e)
    if isinstance(e, LedgerError):
        _echo(f"ledger: {e}", err=True)
        return EXIT_USAGE
    if isinstance(e, OSError):
        _echo(f"ledger: {e.strerror or type(e).__name__}", err=True)
        return EXIT_USAGE
    _echo(f"ledger: internal error ({type(e).__name__}); please report it, with the output of the same command "
          "run with LEDGER_DEBUG=1", err=True)
    return EXIT_INTERNAL


def _leave(code: object) -> None:
    """Exit with `code` as SystemExit would, without tearing the interpreter down: once a check has imported
    pydantic, the teardown costs a tenth of the run. Exit functions still run and the output is flushed."""
    import atexit

    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_functions is None:  # not CPython: the usual way out
        raise SystemExit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        _echo(str(code), err=True)
        code = 1
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed (`ledger check >&-`)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`ledger check | head -1`): as Python itself would
            code = 120
    os._exit(code)


if __name__ == "__main__":
    main()
