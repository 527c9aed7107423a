"""The `reconcile` command: run the pipeline, then review and decide its conflicts.

Every steward command reads the last run's `out/` (conflicts.csv, claims.csv,
documents.csv; `--out DIR` or RECONCILE_OUT) plus the decisions store
(`reconcile.decisions`), and shows each conflict's status as `resolve.apply_decisions`
computes it from the decisions recorded so far.

Deciding: approve/dismiss/reopen/misread go through `reconcile.deciding` (the checks and the record the
web console shares): everything is validated first, then one row is appended to the decisions store,
passing the id of the latest decision for the conflict as this command read it (`seen`); if another
steward recorded one meanwhile, the new decision still lands, superseding it, and the command says so
(policy in `reconcile.decisions`).

Errors: a `UserError` anywhere below is caught once, in `_Reconcile.invoke`
(the top-level group every command runs through), printed as one `error:`
line without a traceback, and ends the command with exit code 2 before it has
written anything. Any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

import getpass
import re
import sys
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from .config import Settings
from .deciding import Request, RunView, decide, decision_figure, latest_seen, load_run, mark_misread
from .decisions import (
    DecisionStore,
    Recorded,
    decisions_frame,
    export_yaml,
    load_import,
    misreads_in_file,
    quote_hash,
)
from .errors import UserError
from .figures import format_interval, format_value
from .figures import present as _present
from .outputs import atomic_write_text, pin_output_set, read_csv_safe
from .queue import QUEUE, about, decision_short, single_unit, stated, stated_summary, suggestion_short
from .report import field_sources, sort_conflicts
from .resolve import claims_of, orphaned_decisions
from .schemas import CONFLICT_KINDS, CONFLICT_STATUSES
from .users import ROLES, UserStore

# typer offers a Literal's values as the option's choices.
StatusChoice = Literal[CONFLICT_STATUSES]  # type: ignore[valid-type]
KindChoice = Literal[CONFLICT_KINDS]  # type: ignore[valid-type]


class _Reconcile(TyperGroup):
    """The one place a UserError becomes a clean message and exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as error:
            typer.echo(f"error: {inert(error.render())}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_Reconcile, no_args_is_help=True, add_completion=False,
    help="Reconcile figures across documents: run the pipeline, review conflicts, record decisions.",
)
decisions_app = typer.Typer(no_args_is_help=True,
                            help="Export or import steward decisions as YAML, for review in a pull request.")
app.add_typer(decisions_app, name="decisions")


def main() -> None:
    """Console-script entry point (`reconcile`)."""
    app(prog_name="reconcile")


# -- shared options ------------------------------------------------------------------------

OutOption = typer.Option(Path("out"), "--out", envvar="RECONCILE_OUT", metavar="DIR",
                         help="Folder of the last run's outputs (env RECONCILE_OUT).")
ByOption = typer.Option(..., "--by", metavar="NAME", help="Who decides (recorded in the audit trail).")
ReasonOption = typer.Option(..., "--reason", metavar="TEXT", help="Why (required, recorded in the audit trail).")


# Control characters (ESC, BEL, C1 codes) and bidi overrides in a name, a reason, a source title
# or a quote could retitle the window, write the clipboard or hide text; they print as escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """`text` with every control character shown as a visible escape (\\x1b), so a terminal prints it as text."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class _InertConsole(Console):
    """Every string rich renders (printed text and each table cell) goes through `render_str`."""

    def render_str(self, text: str, **kwargs: Any) -> Any:
        return super().render_str(inert(text), **kwargs)


def _console() -> Console:
    # Piped output (CI logs, `| less`) gets a readable width instead of rich's 80-column default.
    return _InertConsole(highlight=False, width=None if sys.stdout.isatty() else 140)


def _store() -> DecisionStore:
    return DecisionStore.from_settings(Settings.from_env())


# -- run -------------------------------------------------------------------------------------

@app.command()
def run(
    sources: Path = typer.Option(Path("sources"), "--sources", metavar="DIR", envvar="RECONCILE_SOURCES",
                                 help="Folder of documents, with its sources.yaml registry (env RECONCILE_SOURCES)."),
    out: Path = OutOption,
    fail_on: Literal["error", "warning"] | None = typer.Option(None, "--fail-on",
                                          help="Exit 1 when an open conflict has this severity (or worse)."),
) -> None:
    """Run the pipeline: documents → claims → conflicts → report and golden record.

    Examples:

        reconcile run

        reconcile run --sources sources --out out --fail-on error
    """
    if not sources.is_dir():
        raise UserError(f"sources folder {sources} not found",
                        hint="pass --sources DIR pointing at the folder with your documents and sources.yaml")
    run_pipeline = _pipeline_runner()
    console = _console()
    result = run_pipeline(sources, out, progress=lambda line: _progress_line(console, line))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print(_run_summary(result))
    console.print(f"Report: {escape(str(result.report_path))}")
    failed_checks = getattr(result, "failed_checks", [])
    for failure in failed_checks:
        console.print(f"[red]critical data check failed:[/red] {escape(failure)}")
    blocking = _blocking_conflicts(result.by_severity, fail_on)
    if blocking:
        console.print(f"[red]{blocking} open conflict(s) at or above severity {fail_on}[/red] (--fail-on {fail_on})")
    if failed_checks and fail_on:
        console.print(f"[red]{len(failed_checks)} critical data check(s) failed[/red] (--fail-on {fail_on})")
    if blocking or (failed_checks and fail_on):
        raise typer.Exit(1)


def _progress_line(console: Console, line: str) -> None:
    # Warnings also come back in RunResult.warnings and are printed once, after the run.
    if not line.startswith("warning: "):
        console.print(f"[dim]…[/dim] {escape(line)}")


def _pipeline_runner() -> Any:
    try:
        from pipelines.run import run_pipeline  # imported lazily: Dagster is slow to import
    except ModuleNotFoundError as error:
        if error.name not in ("pipelines", "pipelines.run"):
            raise
        raise UserError("the pipeline package (pipelines/run.py) is not installed",
                        hint="reinstall with `make` or `pip install -e .` from the repository root") from None
    return run_pipeline


def _run_summary(result: Any) -> Table:
    table = Table(title="Run summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("documents read", str(result.documents))
    table.add_row("documents rejected", str(result.rejected))
    table.add_row("claims", str(result.claims))
    table.add_row("conflicts", str(result.conflicts))
    for kind, count in sorted(result.by_kind.items()):
        table.add_row(f"  {kind}", str(count))
    for severity in ("error", "warning", "info"):
        table.add_row(f"open {severity}s", str(result.by_severity.get(severity, 0)))
    table.add_row("outputs", escape(str(result.out_dir)))
    return table


def _blocking_conflicts(by_severity: dict[str, int], fail_on: str | None) -> int:
    levels = {"error": ("error",), "warning": ("error", "warning")}.get(fail_on or "", ())
    return sum(by_severity.get(level, 0) for level in levels)


# -- conflicts ---------------------------------------------------------------------------------

@app.command("conflicts")
def list_conflicts(
    status: StatusChoice | None = typer.Option(
        None, "--status", help="Only conflicts with this status (open includes stale: both are the queue)."),
    show_all: bool = typer.Option(False, "--all", help="Every conflict, decided ones too."),
    kind: KindChoice | None = typer.Option(
        None, "--kind", help="Only conflicts of this kind."),
    entity: str | None = typer.Option(None, "--entity", metavar="E", help="Only conflicts about this entity."),
    needs_checking: bool | None = typer.Option(
        None, "--needs-checking/--stated-only",
        help="Only conflicts that rest on an assumed field (check the extraction first), or only those that don't."),
    out: Path = OutOption,
) -> None:
    """List the queue: the last run's open and stale conflicts, with their suggestion.

    A stale conflict's decision was taken on other evidence, so it is back in the queue.
    --status picks one status (open still includes stale); --all lists decided conflicts too.

    Examples:

        reconcile conflicts

        reconcile conflicts --status dismissed --kind value

        reconcile conflicts --all

        reconcile conflicts --entity OpenAI --out out

        reconcile conflicts --needs-checking
    """
    view = load_run(out, _store())
    statuses: tuple[str, ...]
    if show_all:
        statuses = ()
    elif status is None or status == "open":
        statuses = QUEUE
    else:
        statuses = (status,)
    shown = _filtered(view.conflicts, statuses, kind, entity)
    if needs_checking is not None and "assumed" in shown.columns:
        shown = shown[shown["assumed"].map(_present) == needs_checking]
    console = _console()
    if shown.empty:
        console.print(_nothing_shown(view.conflicts, status, kind, entity, show_all))
    else:
        console.print(_conflicts_table(shown, view.claims))
    counts = view.conflicts["status"].value_counts()
    console.print(f"{len(shown)} of {len(view.conflicts)} conflicts shown; "
                  + ", ".join(f"{counts.get(s, 0)} {s}" for s in CONFLICT_STATUSES))
    orphans = orphaned_decisions(view.conflicts, view.decisions)
    if len(orphans):
        console.print(f"[yellow]{len(orphans)} decision(s) refer to conflicts this run no longer finds; "
                      "they are kept — see `reconcile history`.[/yellow]")


def _nothing_shown(conflicts: pd.DataFrame, status: str | None, kind: str | None, entity: str | None,
                   show_all: bool) -> str:
    if not len(conflicts):
        return "The last run found no conflicts."
    if status in (None, "open") and not (kind or entity or show_all):
        return (f"No open or stale conflicts: all {len(conflicts)} are decided "
                "(see `reconcile conflicts --all`).")
    return "No conflicts match."


def _filtered(conflicts: pd.DataFrame, statuses: tuple[str, ...], kind: str | None,
              entity: str | None) -> pd.DataFrame:
    keep = pd.Series(True, index=conflicts.index)
    if statuses:
        keep &= conflicts["status"].isin(statuses)
    if kind:
        keep &= conflicts["kind"] == kind
    if entity:
        keep &= conflicts["entity"].fillna("").str.casefold() == entity.casefold()
    # The queue a steward works through, in the report's order.
    return sort_conflicts(conflicts[keep])


def _status_markup(status: str) -> str:
    colour = {"open": "red", "stale": "magenta", "resolved": "green", "dismissed": "blue"}.get(status, "white")
    return f"[{colour}]{status}[/{colour}]"


def _conflicts_table(conflicts: pd.DataFrame, claims: pd.DataFrame) -> Table:
    table = Table(title="Conflicts")
    for header in ("Conflict", "Kind", "Status"):
        table.add_column(header, no_wrap=True)
    for header in ("About", "Stated", "Suggestion", "Decision"):
        table.add_column(header, overflow="fold", ratio=1)
    for _, conflict in conflicts.iterrows():
        involved = [claim for _, claim in claims_of(conflict, claims).iterrows()]
        stated = stated_summary(involved)
        table.add_row(conflict["conflict_id"], f"{conflict['kind']}\n{conflict['severity']}",
                      _status_markup(conflict["status"]), escape(about(conflict)), escape(stated),
                      escape(suggestion_short(conflict, single_unit(involved))),
                      escape(decision_short(conflict)))
    return table


# -- show ----------------------------------------------------------------------------------------

@app.command()
def show(
    conflict_id: str = typer.Argument(..., metavar="CONFLICT_ID", help="A conflict id from `reconcile conflicts`."),
    out: Path = OutOption,
) -> None:
    """Show one conflict: the competing quotes side by side, the suggestion and the decision history.

    Examples:

        reconcile show k-3f2a9c0d1e7b
    """
    store = _store()
    view = load_run(out, store)
    conflict = view.conflict(conflict_id)
    console = _console()
    console.print(f"[bold]{conflict_id}[/bold]  {conflict['kind']} conflict, {conflict['severity']}, "
                  f"{_status_markup(conflict['status'])}  —  {escape(about(conflict))}")
    console.print(escape(str(conflict.get("explanation", ""))))
    console.print(_quotes_table(conflict, view))
    console.print(_suggestion_line(conflict))
    if conflict["status"] == "stale":
        console.print(f"[magenta]Decision #{int(conflict['decision_id'])} ({conflict['decision_action']} by "
                      f"{escape(str(conflict['decided_by']))}) was taken on different evidence; "
                      "the conflict is open again.[/magenta]")
    history = store.history(conflict_id)
    if history:
        console.print(_history_table(decisions_frame(history), view.conflicts, title="Decision history"))
    else:
        console.print("No decisions yet. Decide with e.g. "
                      f"`reconcile approve {conflict_id} --claim CLAIM_ID --by NAME --reason TEXT`.")


def _quotes_table(conflict: pd.Series, view: RunView) -> Table:
    involved = claims_of(conflict, view.claims)
    table = Table(title="Competing claims", show_lines=True)
    table.add_column("", style="bold")
    for claim_id in involved["claim_id"]:
        table.add_column(claim_id, overflow="fold", ratio=1)
    documents = view.documents.set_index("source_id", drop=False)
    rows: dict[str, list[str]] = {"Value": [], "Quote": [], "Source": [], "Date": [], "Location": [], "Read from": []}
    for _, claim in involved.iterrows():
        document = documents.loc[claim["source_id"]] if claim["source_id"] in documents.index else None
        rows["Value"].append(stated(claim))
        rows["Quote"].append(f"“{claim['quote']}”")
        rows["Source"].append(str(document["title"]) if document is not None else str(claim["source_id"]))
        rows["Date"].append(_claim_date(claim, document))
        rows["Location"].append(str(claim["location"]))
        rows["Read from"].append(field_sources(claim))
    for label, cells in rows.items():
        table.add_row(label, *(escape(cell) for cell in cells))
    return table


def _claim_date(claim: pd.Series, document: pd.Series | None) -> str:
    if _present(claim.get("published")):
        return str(claim["published"])
    return str(document["published"]) if document is not None else "?"


def _suggestion_line(conflict: pd.Series) -> str:
    if not _present(conflict.get("suggestion_rule")):
        return "Suggestion: none (no rule applies); decide by hand."
    return (f"Suggestion ([bold]{conflict['suggestion_rule']}[/bold], not an approval): "
            f"{escape(str(conflict['suggestion']))}")


# -- deciding --------------------------------------------------------------------------------------

@app.command()
def approve(
    conflict_id: str = typer.Argument(..., metavar="CONFLICT_ID", help="The conflict to decide."),
    value: str | None = typer.Option(None, "--value", metavar="V",
                                        help="The right figure, written as in the documents: "
                                             "730B, $730 billion, ~$730B, 730000000000."),
    claim: str | None = typer.Option(None, "--claim", metavar="CLAIM_ID", help="The claim that is right."),
    by: str = ByOption,
    reason: str = ReasonOption,
    out: Path = OutOption,
) -> None:
    """Approve one value (--value) or one claim (--claim) as the golden figure for a conflict.

    The decision holds on every later run while the conflict's evidence is unchanged; when a source adds or
    changes a claim it becomes stale and the conflict reopens.

    Examples:

        reconcile approve k-3f2a9c0d1e7b --claim c-0a1b2c3d4e5f --by ana --reason "latest filing"

        reconcile approve k-3f2a9c0d1e7b --value '$830 billion' --by ana --reason "confirmed by the company"
    """
    _decide(Request(conflict_id, "approve", by, reason, value=value, claim=claim), out)


@app.command()
def dismiss(
    conflict_id: str = typer.Argument(..., metavar="CONFLICT_ID", help="The conflict that is not a real conflict."),
    by: str = ByOption,
    reason: str = ReasonOption,
    out: Path = OutOption,
) -> None:
    """Record that a conflict is not a real conflict (e.g. two different things were compared).

    Examples:

        reconcile dismiss k-3f2a9c0d1e7b --by ana --reason "one is a forecast, one is actual"
    """
    _decide(Request(conflict_id, "dismiss", by, reason), out)


@app.command()
def reopen(
    conflict_id: str = typer.Argument(..., metavar="CONFLICT_ID", help="A resolved, dismissed or stale conflict."),
    by: str = ByOption,
    reason: str = ReasonOption,
    out: Path = OutOption,
) -> None:
    """Put a decided conflict back in the open queue (the earlier decision stays in the history).

    Examples:

        reconcile reopen k-3f2a9c0d1e7b --by ben --reason "the filing was amended"
    """
    _decide(Request(conflict_id, "reopen", by, reason), out)


def _decide(request: Request, out: Path) -> None:
    """Every decision: checked before anything is read, then decided on the run as this command read it."""
    request = request.checked()
    store = _store()
    view = load_run(out, store)
    recorded = decide(store, view, request, seen=latest_seen(view.decisions, request.conflict_id))
    _report_recorded(recorded, view.out_dir)


def _report_recorded(recorded: Recorded, out_dir: Path) -> None:
    decision = recorded.decision
    console = _console()
    figure = decision_figure(decision)
    figure = f" = {figure}" if figure else ""
    console.print(f"Recorded decision #{decision.id}: {decision.action} {decision.conflict_id}{escape(figure)} "
                  f"(by {escape(decision.decided_by)}).")
    if recorded.raced_with is not None:
        other = recorded.raced_with
        console.print(f"[yellow]note: decision #{other.id} ({other.action} by {escape(other.decided_by)}) was recorded "
                      f"for {decision.conflict_id} while you were deciding; yours supersedes it and both are "
                      "in `reconcile history`.[/yellow]")
    # The decision is in the store now; the files under out/ are rewritten only by a run.
    console.print(f"{escape(str(out_dir))} (report, golden record) changes on the next run: "
                  f"reconcile run --out {escape(str(out_dir))}")


# -- misread --------------------------------------------------------------------------------------

@app.command()
def misread(
    claim_id: str = typer.Argument(..., metavar="CLAIM_ID", help="A claim id from claims.csv or `reconcile show`."),
    by: str = ByOption,
    reason: str = ReasonOption,
    out: Path = OutOption,
) -> None:
    """Mark a claim as misread by the extraction: while its quote is unchanged it takes part in no conflict
    and no golden value. Recorded in the same audit trail; `decisions export` includes it as a test case.

    Examples:

        reconcile misread c-1a2b3c4d5e6f --by ana --reason "a shopping-deal price, not capex"
    """
    store = _store()
    number = mark_misread(store, load_run(out, store), claim_id, by, reason)
    _console().print(f"Recorded misread #{number} for {claim_id}. {out}/ changes on the next run: "
                     f"`reconcile run --out {out}`.")


# -- history ---------------------------------------------------------------------------------------

@app.command()
def history(
    conflict_id: str | None = typer.Argument(None, metavar="[CONFLICT_ID]",
                                                help="Only this conflict's decisions."),
    out: Path = OutOption,
) -> None:
    """Show the audit trail: every decision, oldest first, and whether its evidence still holds.

    Works without a run; with one, each decision is marked current, stale (evidence
    changed) or orphaned (the run no longer finds the conflict).

    Examples:

        reconcile history

        reconcile history k-3f2a9c0d1e7b
    """
    store = _store()
    conflicts = _conflicts_if_present(out)
    decided = decisions_frame(store.history(conflict_id))
    if conflict_id and decided.empty and (conflicts is None or conflict_id not in set(conflicts["conflict_id"])):
        raise UserError(f"unknown conflict id {conflict_id!r}: no decisions and not in the last run",
                        hint="list conflict ids with `reconcile conflicts`")
    console = _console()
    misreads = store.misreads() if not conflict_id else store.misreads().iloc[0:0]
    if decided.empty and misreads.empty:
        console.print("No decisions recorded yet.")
        return
    if not decided.empty:
        console.print(_history_table(decided, conflicts, title="Decisions"))
    if not misreads.empty:
        console.print(_misreads_table(misreads))


def _misreads_table(misreads: pd.DataFrame) -> Table:
    table = Table(title="Claims marked as misread")
    for header in ("#", "Claim", "At (UTC)", "By", "Reason", "Quote"):
        table.add_column(header, overflow="fold")
    for _, m in misreads.iterrows():
        table.add_row(str(m["id"]), m["claim_id"], str(m["decided_at"])[:16].replace("T", " "),
                      escape(str(m["decided_by"])), escape(str(m["reason"])), escape(str(m["quote"])[:120]))
    return table


def _conflicts_if_present(out: Path) -> pd.DataFrame | None:
    path = pin_output_set(Path(out)) / "conflicts.csv"
    if not path.is_file():
        return None
    return read_csv_safe(path, dtype=str, keep_default_na=False, na_values=[""])


def _history_table(decided: pd.DataFrame, conflicts: pd.DataFrame | None, title: str) -> Table:
    fingerprints = dict(zip(conflicts["conflict_id"], conflicts["fingerprint"], strict=False)) \
        if conflicts is not None else {}
    table = Table(title=title)
    for header in ("#", "Conflict"):
        table.add_column(header, no_wrap=True)
    for header in ("Action", "At (UTC)", "Chosen", "By", "Reason", "Replaces", "Evidence"):
        table.add_column(header, overflow="fold", ratio=1)
    for _, decision in decided.sort_values("id").iterrows():
        table.add_row(str(decision["id"]), decision["conflict_id"], decision["action"],
                      str(decision["decided_at"])[:16].replace("T", "\n"), escape(_chosen_text(decision)),
                      escape(decision["decided_by"]), escape(decision["reason"]),
                      f"#{int(decision['supersedes'])}" if _present(decision["supersedes"]) else "",
                      _evidence(decision, fingerprints, conflicts is not None))
    return table


def _chosen_text(decision: pd.Series) -> str:
    if decision["action"] != "approve":
        return ""
    figure = format_value(decision["chosen_value"], decision["unit"]) if _present(decision["chosen_value"]) \
        else format_interval(decision["chosen_low"], decision["chosen_high"], decision["unit"])
    return f"{decision['chosen_claim_id']} {figure}" if _present(decision["chosen_claim_id"]) else figure


def _evidence(decision: pd.Series, fingerprints: dict[str, str], have_run: bool) -> str:
    if not have_run:
        return ""
    current = fingerprints.get(decision["conflict_id"])
    if current is None:
        return "orphaned"
    return "current" if current == decision["fingerprint"] else "stale"


# -- serve ---------------------------------------------------------------------------------------------

@app.command()
def serve(
    out: Path = OutOption,
    sources: Path = typer.Option(Path("sources"), "--sources", metavar="DIR", envvar="RECONCILE_SOURCES",
                                 help="The documents, to show a passage in context (env RECONCILE_SOURCES)."),
    host: str | None = typer.Option(None, "--host", metavar="ADDRESS",
                                    help="Address to listen on (default 127.0.0.1; another address needs a user)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    https_cookies: bool = typer.Option(False, "--https-cookies",
                                       help="Send the session cookie over HTTPS only (behind a TLS proxy)."),
) -> None:
    """Start the steward console: the inbox, conflicts, the golden record and sources in a browser.

    It reads the last run in --out and the decisions store of RECONCILE_HOME, like the other commands;
    stewards sign in with the users of `reconcile users`.

    Examples:

        reconcile serve

        reconcile serve --host 0.0.0.0 --port 8080
    """
    from .console.serve import serve_console  # imported lazily: the web stack is not needed by the CLI
    serve_console(out=out, sources=sources, host=host, port=port, https_cookies=https_cookies,
                  echo=_console().print)


# -- decisions export / import ---------------------------------------------------------------------

@decisions_app.command("export")
def export_decisions(
    file: Path = typer.Argument(..., metavar="FILE", help="YAML file to write ('-' for stdout)."),
) -> None:
    """Write every decision to a YAML file, oldest first, with a stable layout for diffs.

    Examples:

        reconcile decisions export decisions.yaml
    """
    store = _store()
    decided = store.history()
    text = export_yaml(decided, store.misreads())
    if str(file) == "-":
        sys.stdout.write(text)
        return
    if not file.parent.is_dir():
        raise UserError(f"folder {file.parent} does not exist", hint="create it, or export to an existing folder")
    atomic_write_text(file, text)
    _console().print(f"Exported {len(decided)} decision(s) to {file}.")


@decisions_app.command("import")
def import_decisions(
    file: Path = typer.Argument(..., metavar="FILE", help="YAML file written by `reconcile decisions export`."),
) -> None:
    """Load decisions from a YAML export. Every entry is checked first; one bad entry rejects the file.

    Decisions already in the store (same conflict, action, decider, time and
    fingerprint) are skipped, so importing a file twice changes nothing.

    Examples:

        reconcile decisions import decisions.yaml
    """
    if not file.is_file():
        raise UserError(f"{file} not found", hint="give the path of a file written by `reconcile decisions export`")
    incoming = load_import(file)
    misreads = misreads_in_file(file)
    store = _store()
    done = store.import_decisions(incoming)
    had = store.misreads()
    known = set(zip(had["claim_id"], had["quote_hash"], strict=True))
    fresh = [m for m in misreads if (m["claim_id"], quote_hash(m["quote"])) not in known]
    for m in fresh:
        store.record_misread(m["claim_id"], m["quote"], m["decided_by"], m["reason"], at=m["decided_at"])
    console = _console()
    console.print(f"Imported {done.added} decision(s) from {escape(str(file))}; "
                  f"{done.skipped} already present were skipped."
                  + (f" Imported {len(fresh)} misread claim(s)." if fresh else ""))
    if done.older:
        console.print(f"[yellow]note: {done.older} of them are older than the decision already recorded for their "
                      "conflict: they join the history and do not change its status "
                      "(see `reconcile history`).[/yellow]")


# -- users: who may sign in to the steward console ----------------------------------------------------

users_app = typer.Typer(no_args_is_help=True, help=(
    "Manage who may sign in to the steward console: add, list, disable, enable, reset, role. "
    "Users live in the decisions database (RECONCILE_DB_URL). Roles: a viewer reads, a steward also decides, "
    "an admin also manages users."))
app.add_typer(users_app, name="users")

RoleChoice = Literal[ROLES]  # type: ignore[valid-type]
UserArgument = typer.Argument(..., metavar="NAME", help="The user's sign-in name (letters, digits, . _ - @).")
RoleOption = typer.Option(..., "--role", help="viewer: reads; steward: also decides; admin: also manages users.")


def _users() -> UserStore:
    return UserStore.from_settings(Settings.from_env())


def _actor() -> str:
    """Who ran the command, for the user-management trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _new_password(name: str) -> str:
    """Asked twice with hidden input in a terminal; otherwise one line from stdin (for scripts)."""
    if sys.stdin.isatty():
        return str(typer.prompt(f"New password for {name}", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UserError("no password given on stdin; nothing was changed",
                        hint=f"pipe one line, e.g. `printf '%s\\n' \"$PASSWORD\" | reconcile users ... {name}`, "
                             "or run the command in a terminal to be asked")
    return line


@users_app.command("add")
def users_add(name: str = UserArgument, role: RoleChoice = RoleOption) -> None:
    """Create a user and set their password (asked twice, hidden; or one line on stdin).

    Only an argon2id hash of the password is stored. Passwords need at least 10 characters.

    Examples:

        reconcile users add ana --role admin

        printf '%s\\n' "$PASSWORD" | reconcile users add ben --role steward
    """
    users = _users()
    users.check_new(name, role)
    user = users.add(name, role, _new_password(name), by=_actor())
    _console().print(f"Added {escape(user.name)} as {user.role}. They can sign in to the console now.")


@users_app.command("list")
def users_list() -> None:
    """List every user: name, role, whether they may sign in, when created, when the password last changed."""
    everyone = _users().list()
    console = _console()
    if not everyone:
        console.print("No users yet. Create the first admin with `reconcile users add NAME --role admin`.")
        return
    table = Table("name", "role", "enabled", "created", "password changed")
    for user in everyone:
        table.add_row(escape(user.name), user.role, "no" if user.disabled else "yes", user.created_at[:19],
                      user.password_changed_at[:19])
    console.print(table)


@users_app.command("disable")
def users_disable(name: str = UserArgument) -> None:
    """Stop a user from signing in (their decisions stay in the history). Undo with `reconcile users enable`."""
    user = _users().disable(name, by=_actor())
    _console().print(f"Disabled {escape(user.name)}: they can no longer sign in.")


@users_app.command("enable")
def users_enable(name: str = UserArgument) -> None:
    """Let a disabled user sign in again, with their old password."""
    user = _users().enable(name, by=_actor())
    _console().print(f"Enabled {escape(user.name)}: they can sign in again.")


@users_app.command("reset")
def users_reset(name: str = UserArgument) -> None:
    """Set a new password for a user (asked twice, hidden; or one line on stdin). Their open sessions end.

    Examples:

        reconcile users reset ana
    """
    users = _users()
    if users.get(name) is None:
        raise UserError(f"no user named {name!r}", hint="list the users with `reconcile users list`")
    user = users.reset_password(name, _new_password(name), by=_actor())
    _console().print(f"New password set for {escape(user.name)}; sessions begun before now have ended.")


@users_app.command("role")
def users_role(name: str = UserArgument, role: RoleChoice = RoleOption) -> None:
    """Change a user's role.

    Examples:

        reconcile users role ben --role viewer
    """
    user = _users().set_role(name, role, by=_actor())
    _console().print(f"{escape(user.name)} is now {user.role}.")


if __name__ == "__main__":  # pragma: no cover
    main()
