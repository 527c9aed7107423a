"""The `reconcile` command: run the pipeline, then review and decide its conflicts.

Every steward command reads the last run's `out/` (conflicts.csv, claims.csv,
documents.csv; `--out DIR` or RECONCILE_OUT) plus the decisions store
(`reconcile.decisions`), and shows each conflict's status as `resolve.apply_decisions`
computes it from the decisions recorded so far.

Deciding: approve/dismiss/reopen validate everything first, then append one row to
the decisions store, passing the id of the latest decision for the conflict as
this command read it (`seen`); if another steward recorded one meanwhile, the new
decision still lands, superseding it, and the command says so (policy in
`reconcile.decisions`).

Errors: a `UserError` anywhere below is caught once, in `_Reconcile.invoke`
(the top-level group every command runs through), printed as one `error:`
line without a traceback, and ends the command with exit code 2 before it has
written anything. Any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

import getpass
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd
import typer
from pandera.typing.pandas import DataFrame
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from .config import Settings
from .decisions import (
    DecisionStore,
    NewDecision,
    Recorded,
    chronological,
    decisions_frame,
    export_yaml,
    figure_problems,
    load_import,
    magnitude_gap,
    misreads_in_file,
    quote_hash,
    stated_numbers,
)
from .errors import UserError
from .figures import format_interval, format_value
from .figures import present as _present
from .outputs import atomic_write_text, pin_output_set, read_csv_safe
from .report import field_sources, sort_conflicts
from .resolve import (
    apply_decisions,
    claims_of,
    orphaned_decisions,
)
from .schemas import (
    CONFLICT_KINDS,
    CONFLICT_STATUSES,
    ClaimsSchema,
    ConflictsSchema,
    DetectClaimsSchema,
    DocumentsSchema,
    steward_columns,
)
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


# -- reading the last run -----------------------------------------------------------------

RUN_FILES = ("conflicts", "claims", "documents")
_NUMERIC_CLAIM_COLUMNS = ("value", "value_low", "value_high", "tolerance")
_REQUIRED_COLUMNS = {"conflicts": steward_columns(ConflictsSchema), "claims": steward_columns(ClaimsSchema),
                     "documents": steward_columns(DocumentsSchema)}


@dataclass
class RunView:
    """The last run's tables with the current decisions applied."""

    out_dir: Path
    conflicts: pd.DataFrame      # apply_decisions output
    claims: pd.DataFrame
    documents: pd.DataFrame
    decisions: pd.DataFrame

    def conflict(self, conflict_id: str) -> pd.Series:
        match = self.conflicts[self.conflicts["conflict_id"] == conflict_id]
        if match.empty:
            raise UserError(f"unknown conflict id {conflict_id!r}", file=self.out_dir / "conflicts.csv",
                            hint="list conflict ids with `reconcile conflicts`")
        return match.iloc[0]


def load_run(out_dir: Path, store: DecisionStore) -> RunView:
    tables = read_run_tables(out_dir)
    decided = store.frame()
    # read back from the run's CSVs, their required columns checked: the frames the models describe
    conflicts = apply_decisions(cast(DataFrame[ConflictsSchema], tables["conflicts"]), decided,
                                cast(DataFrame[DetectClaimsSchema], tables["claims"]),
                                cast(DataFrame[DocumentsSchema], tables["documents"]))
    return RunView(out_dir, conflicts, tables["claims"], tables["documents"], decided)


def read_run_tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    """conflicts/claims/documents from one output set (pinned, so a run finishing meanwhile cannot mix them)."""
    pinned = pin_output_set(Path(out_dir))
    tables = {}
    for name in RUN_FILES:
        path = pinned / f"{name}.csv"
        shown = Path(out_dir) / f"{name}.csv"
        if not path.is_file():
            raise UserError(f"{shown} not found",
                            hint="run `reconcile run` first, or point --out at the last run's folder")
        table = read_csv_safe(path, dtype=str, keep_default_na=False, na_values=[""])
        missing = [c for c in _REQUIRED_COLUMNS[name] if c not in table.columns]
        if missing:
            raise UserError(f"missing column(s) {', '.join(missing)}", file=shown,
                            hint="the file is not a reconcile output: run `reconcile run` again")
        tables[name] = table
    for column in _NUMERIC_CLAIM_COLUMNS:
        if column in tables["claims"]:
            tables["claims"][column] = pd.to_numeric(tables["claims"][column], errors="coerce").astype(float)
    if "primary" in tables["documents"]:
        tables["documents"]["primary"] = tables["documents"]["primary"].str.lower().isin(["true", "1", "yes"])
    return tables


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
        statuses = _QUEUE
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


_QUEUE = ("open", "stale")   # what a steward still has to decide


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


def _conflicts_table(conflicts: pd.DataFrame, claims: pd.DataFrame) -> Table:
    table = Table(title="Conflicts")
    for header in ("Conflict", "Kind", "Status"):
        table.add_column(header, no_wrap=True)
    for header in ("About", "Stated", "Suggestion", "Decision"):
        table.add_column(header, overflow="fold", ratio=1)
    for _, conflict in conflicts.iterrows():
        involved = claims_of(conflict, claims)
        stated = _stated_summary(involved)
        units = involved["unit"].dropna().unique()
        table.add_row(conflict["conflict_id"], f"{conflict['kind']}\n{conflict['severity']}",
                      _status_markup(conflict["status"]), escape(_about(conflict)), escape(stated),
                      escape(_suggestion_short(conflict, str(units[0]) if len(units) == 1 else None)),
                      escape(_decision_short(conflict)))
    return table


def _about(conflict: pd.Series) -> str:
    return " · ".join(str(conflict[c]) for c in ("entity", "metric", "period") if _present(conflict.get(c)))


def _stated_summary(involved: pd.DataFrame, limit: int = 4) -> str:
    """Each distinct stated value once: a conflict over many copies stays one readable cell."""
    values = list(dict.fromkeys(_stated(claim) for _, claim in involved.iterrows()))
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return " vs ".join(values[:limit]) + more


def _stated(claim: pd.Series) -> str:
    text = claim.get("value_text")
    return str(text) if _present(text) else format_value(claim.get("value"), claim.get("unit"))


def _status_markup(status: str) -> str:
    colour = {"open": "red", "stale": "magenta", "resolved": "green", "dismissed": "blue"}.get(status, "white")
    return f"[{colour}]{status}[/{colour}]"


def _suggestion_short(conflict: pd.Series, unit: str | None) -> str:
    if not _present(conflict.get("suggestion_rule")):
        return ""
    figure = _suggested_figure(conflict, unit)
    return f"{conflict['suggestion_rule']}: {figure}" if figure else str(conflict["suggestion_rule"])


def _suggested_figure(conflict: pd.Series, unit: str | None) -> str:
    if _present(conflict.get("suggestion_value")):
        return format_value(conflict["suggestion_value"], unit)
    if _present(conflict.get("suggestion_low")):
        return format_interval(conflict["suggestion_low"], conflict["suggestion_high"], unit)
    return ""


def _decision_short(conflict: pd.Series) -> str:
    if not _present(conflict.get("decision_id")):
        return ""
    return f"#{int(conflict['decision_id'])} {conflict['decision_action']} by {conflict['decided_by']}"


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
                  f"{_status_markup(conflict['status'])}  —  {escape(_about(conflict))}")
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
        rows["Value"].append(_stated(claim))
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
    if (value is None) == (claim is None):
        raise UserError("give exactly one of --value V or --claim CLAIM_ID",
                        hint="e.g. --claim c-0a1b2c3d4e5f, or --value 730B")
    by, reason = _who_and_why(by, reason)
    store = _store()
    view = load_run(out, store)
    conflict = view.conflict(conflict_id)
    if claim:
        chosen = _chosen_claim(conflict, claim, view)
    else:
        assert value is not None, "exactly one of --value and --claim was checked above"
        chosen = _chosen_value(conflict, value, view)
    _refuse_repeat(view, conflict, "approve", chosen)
    _record(store, view, conflict, "approve", by, reason, **chosen)


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
    _decide(conflict_id, "dismiss", by, reason, out)


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
    _decide(conflict_id, "reopen", by, reason, out)


def _decide(conflict_id: str, action: str, by: str, reason: str, out: Path) -> None:
    """Dismiss or reopen: the same checks and the same record as every decision."""
    by, reason = _who_and_why(by, reason)
    store = _store()
    view = load_run(out, store)
    conflict = view.conflict(conflict_id)
    if action == "reopen" and conflict["status"] == "open":
        raise UserError(f"{conflict_id} is already open; there is no decision to reopen",
                        hint=f"see `reconcile show {conflict_id}`")
    if action == "dismiss":
        _refuse_repeat(view, conflict, "dismiss", {})
    _record(store, view, conflict, action, by, reason)


def _refuse_repeat(view: RunView, conflict: pd.Series, action: str, chosen: dict[str, Any]) -> None:
    """Recording the decision already in force again is refused, as reopening an open conflict is."""
    in_force = {"approve": "resolved", "dismiss": "dismissed"}[action]
    if conflict["status"] != in_force:
        return                                   # open, stale, or the other decision: a real change
    latest = _decision_row(view.decisions, int(conflict["decision_id"]))
    if action == "approve" and not _same_choice(latest, chosen):
        return
    what = "dismissed" if action == "dismiss" else "resolved with this choice"
    conflict_id = conflict["conflict_id"]
    raise UserError(f"{conflict_id} is already {what} by decision #{int(latest['id'])} "
                    f"({latest['action']} by {latest['decided_by']}); nothing to record",
                    hint=f"see `reconcile history {conflict_id}`; to change it, approve another value or reopen it")


def _decision_row(decided: pd.DataFrame, decision_id: int) -> pd.Series:
    return decided[decided["id"] == decision_id].iloc[0]


def _same_choice(latest: pd.Series, chosen: dict[str, Any]) -> bool:
    if _present(latest.get("chosen_claim_id")) or chosen.get("chosen_claim_id"):
        return latest.get("chosen_claim_id") == chosen.get("chosen_claim_id")
    return all(_num(latest.get(key)) == chosen.get(key) for key in ("chosen_value", "chosen_low", "chosen_high"))


def _who_and_why(by: str, reason: str) -> tuple[str, str]:
    if not by.strip():
        raise UserError("--by is blank", hint="say who decides, e.g. --by ana")
    if not reason.strip():
        raise UserError("--reason is blank", hint='say why, e.g. --reason "confirmed in the 10-K"')
    return by.strip(), reason.strip()


def _chosen_claim(conflict: pd.Series, claim_id: str, view: RunView) -> dict[str, Any]:
    if claim_id not in set(view.claims["claim_id"]):
        raise UserError(f"unknown claim id {claim_id!r}", file=view.out_dir / "claims.csv",
                        hint=f"pick one of the conflict's claims: {conflict['claim_ids'].replace(';', ', ')}")
    if claim_id not in conflict["claim_ids"].split(";"):
        raise UserError(f"claim {claim_id} is not part of conflict {conflict['conflict_id']}",
                        hint=f"pick one of: {conflict['claim_ids'].replace(';', ', ')} (see `reconcile show`)")
    row = view.claims[view.claims["claim_id"] == claim_id].iloc[0]
    return dict(chosen_claim_id=claim_id, chosen_value=_num(row.get("value")),
                chosen_low=_num(row.get("value_low")), chosen_high=_num(row.get("value_high")),
                unit=str(row["unit"]))


def _chosen_value(conflict: pd.Series, text: str, view: RunView) -> dict[str, Any]:
    units = _conflict_units(conflict, view)
    if units == {"date"}:
        return _chosen_date(conflict, text)
    quantity = _parse_figure(text)
    unit = quantity.unit
    # A bare magnitude ("730B", "730000000000") names no unit; among dollar figures it means dollars.
    if unit == "count" and "USD" in units:
        unit = "USD"
    if unit not in units:
        raise UserError(f"--value {text!r} reads as {unit}, but conflict {conflict['conflict_id']} is about "
                        f"{' / '.join(sorted(units))} figures",
                        hint="give the figure in the conflict's unit, e.g. " + _unit_example(sorted(units)[0]))
    chosen = dict(chosen_claim_id=None, chosen_value=_num(quantity.value), chosen_low=_num(quantity.low),
                  chosen_high=_num(quantity.high), unit=unit)
    _refuse_implausible(conflict, text, chosen, view)
    return chosen


def _refuse_implausible(conflict: pd.Series, text: str, chosen: dict[str, Any], view: RunView) -> None:
    """The checks `decisions import` applies too (decisions.figure_problems), worded for the command line."""
    involved = claims_of(conflict, view.claims)
    stated = stated_numbers({c["claim_id"]: _claim_values(c) for _, c in involved.iterrows()})
    problems = figure_problems(chosen["chosen_value"], chosen["chosen_low"], chosen["chosen_high"],
                               chosen["unit"], stated)
    if not problems:
        return
    unit = chosen["unit"]
    figure = chosen["chosen_value"] if chosen["chosen_value"] is not None else chosen["chosen_low"]
    why = problems[0][1].split(" ", 2)[-1]            # "chosen_value 35 is ..." -> "is ..."
    hint = _scale_hint(figure, unit, stated) if "orders of magnitude" in why else \
        f"compare with the figures in `reconcile show {conflict['conflict_id']}`, or approve one with --claim"
    raise UserError(f"--value {text!r} reads as {format_value(figure, unit)}, which {why}", hint=hint)


def _scale_hint(figure: float, unit: str, stated: list[float]) -> str:
    """Name the scale word that brings a bare number next to the conflict's figures ("did you mean $35B?")."""
    if 0 < figure < 1e6 and stated:
        for letter, scale in (("K", 1e3), ("M", 1e6), ("B", 1e9), ("T", 1e12)):
            if magnitude_gap(figure * scale, stated) < 10:
                return (f"did you mean {format_value(figure * scale, unit)}? write {_plain_number(figure)}{letter}")
    return "write the figure with its scale, as the documents do: e.g. " + _unit_example(unit)


def _plain_number(number: float) -> str:
    return f"{number:g}" if abs(number) < 1e15 else repr(number)


def _chosen_date(conflict: pd.Series, text: str) -> dict[str, Any]:
    """A date conflict is decided with a date or period as the documents write it: 2027, Q4 2026, 2026-01-28."""
    import datetime as dt

    from .quantities import date_code, find_periods
    periods = find_periods(text.strip(), dt.date.today())
    if len(periods) != 1 or periods[0].text.strip() != text.strip():
        raise UserError(f"--value {text!r} is not a date or period reconcile can read",
                        hint=f"conflict {conflict['conflict_id']} is about dates: write e.g. --value 2027, "
                             "--value 'Q4 2026' or --value 2026-01-28")
    p = periods[0]
    low, high = (float(date_code(d)) for d in (p.start, p.end))
    return dict(chosen_claim_id=None, chosen_value=low if low == high else None, chosen_low=low, chosen_high=high,
                unit="date")


def _parse_figure(text: str) -> Any:
    from .quantities import parse_quantity
    quantity = parse_quantity(text)
    if quantity is None:
        raise UserError(f"--value {text!r} is not a figure reconcile can read",
                        hint="write it as in the documents: 730B, $730 billion, ~$730B or 730000000000")
    return quantity


def _unit_example(unit: str) -> str:
    return {"USD": "--value 730B or --value '$730 billion'", "percent": "--value 38%",
            "multiple": "--value 3.5x"}.get(unit, "--value 1.2B")


def _conflict_units(conflict: pd.Series, view: RunView) -> set[str]:
    return {str(u) for u in claims_of(conflict, view.claims)["unit"].dropna()}


def _record(store: DecisionStore, view: RunView, conflict: pd.Series, action: str, by: str, reason: str,
            **chosen: Any) -> None:
    conflict_id = conflict["conflict_id"]
    involved = claims_of(conflict, view.claims)
    new = NewDecision(conflict_id=conflict_id, action=action, decided_by=by, reason=reason,
                      fingerprint=str(conflict["fingerprint"]), claim_ids=str(conflict["claim_ids"]),
                      values={c["claim_id"]: _claim_values(c) for _, c in involved.iterrows()}, **chosen)
    seen = _latest_seen(view.decisions, conflict_id)
    recorded = store.record(new, seen=seen)
    _report_recorded(recorded, view.out_dir)


def _latest_seen(decided: pd.DataFrame, conflict_id: str) -> int | None:
    """The latest decision for the conflict as this command read it (the optimistic check)."""
    mine = chronological(decided[decided["conflict_id"] == conflict_id])
    return int(mine["id"].iloc[-1]) if len(mine) else None


def _claim_values(claim: pd.Series) -> Any:
    value = _num(claim.get("value"))
    return value if value is not None else [_num(claim.get("value_low")), _num(claim.get("value_high"))]


def _report_recorded(recorded: Recorded, out_dir: Path) -> None:
    decision = recorded.decision
    console = _console()
    figure = ""
    if decision.action == "approve":
        figure = " = " + (decision.chosen_claim_id + " " if decision.chosen_claim_id else "") + \
            (format_value(decision.chosen_value, decision.unit) if decision.chosen_value is not None
             else format_interval(decision.chosen_low, decision.chosen_high, decision.unit))
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
    by, reason = _who_and_why(by, reason)
    store = _store()
    view = load_run(out, store)
    found = view.claims[view.claims["claim_id"] == claim_id]
    if found.empty:
        raise UserError(f"unknown claim id {claim_id!r} in {out}/claims.csv",
                        hint="claim ids are listed by `reconcile show CONFLICT_ID` and in claims.csv")
    number = store.record_misread(claim_id, str(found.iloc[0]["quote"]), by, reason)
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


# -- small helpers ---------------------------------------------------------------------------------

def _num(value: Any) -> float | None:
    if not _present(value):
        return None
    number = float(value)
    return None if math.isnan(number) else number


if __name__ == "__main__":  # pragma: no cover
    main()
