"""Deciding a conflict: the checks and the record that every steward front end shares.

The CLI (`reconcile approve/dismiss/reopen/misread`) and the web console (`reconcile serve`) both read the last
run with `load_run` and decide through `decide` / `mark_misread`, so a decision passes the same checks whichever
way it is taken. Everything here is pure engine code: a refusal is a `UserError` (one line naming the fix), a
success returns the store's `Recorded` (with `raced_with` when another steward decided after `seen`).

The messages name the CLI's options (`--value`, `--claim`): they are the words stewards know from the docs,
and the console labels its fields the same way.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import pandas as pd
from pandera.typing.pandas import DataFrame

from .decisions import (
    Decision,
    DecisionStore,
    NewDecision,
    Recorded,
    chronological,
    figure_problems,
    magnitude_gap,
    stated_numbers,
)
from .errors import UserError
from .figures import format_interval, format_value
from .figures import present as _present
from .outputs import pin_output_set, read_csv_safe
from .resolve import apply_decisions, claims_of
from .schemas import ClaimsSchema, ConflictsSchema, DetectClaimsSchema, DocumentsSchema, steward_columns

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
    return view_of(out_dir, read_run_tables(out_dir), store.frame())


def view_of(out_dir: Path, tables: dict[str, pd.DataFrame], decided: pd.DataFrame) -> RunView:
    """The run's tables (`read_run_tables`) with the decisions `decided` applied."""
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


# -- what a steward asks for --------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """One decision as a steward asks for it: approve needs exactly one of `value` (as the documents write
    figures) or `claim` (a claim id of the conflict); dismiss and reopen take neither."""

    conflict_id: str
    action: str            # approve | dismiss | reopen
    by: str
    reason: str
    value: str | None = None
    claim: str | None = None

    def checked(self) -> Request:
        """The request with `by` and `reason` trimmed; refused before anything is read when it cannot be right."""
        if self.action == "approve" and (self.value is None) == (self.claim is None):
            raise UserError("give exactly one of --value V or --claim CLAIM_ID",
                            hint="e.g. --claim c-0a1b2c3d4e5f, or --value 730B")
        by, reason = who_and_why(self.by, self.reason)
        return replace(self, by=by, reason=reason)


def who_and_why(by: str, reason: str) -> tuple[str, str]:
    if not by.strip():
        raise UserError("--by is blank", hint="say who decides, e.g. --by ana")
    if not reason.strip():
        raise UserError("--reason is blank", hint='say why, e.g. --reason "confirmed in the 10-K"')
    return by.strip(), reason.strip()


def decide(store: DecisionStore, view: RunView, request: Request, *, seen: int | None) -> Recorded:
    """Check `request` against the run and the decisions in `view`, then append it to the store.

    `seen` is the latest decision id the steward saw for the conflict (`latest_seen`); when another decision
    was recorded after it, the new one still lands and `Recorded.raced_with` names the one it overtook.
    """
    request = request.checked()
    conflict = view.conflict(request.conflict_id)
    chosen: dict[str, Any] = {}
    if request.action == "approve":
        chosen = _chosen_claim(conflict, request.claim, view) if request.claim is not None \
            else _chosen_value(conflict, str(request.value), view)
        _refuse_repeat(view, conflict, "approve", chosen)
    elif request.action == "reopen" and conflict["status"] == "open":
        raise UserError(f"{request.conflict_id} is already open; there is no decision to reopen",
                        hint=f"see `reconcile show {request.conflict_id}`")
    elif request.action == "dismiss":
        _refuse_repeat(view, conflict, "dismiss", {})
    involved = claims_of(conflict, view.claims)
    new = NewDecision(conflict_id=request.conflict_id, action=request.action, decided_by=request.by,
                      reason=request.reason, fingerprint=str(conflict["fingerprint"]),
                      claim_ids=str(conflict["claim_ids"]),
                      values={c["claim_id"]: _claim_values(c) for _, c in involved.iterrows()}, **chosen)
    return store.record(new, seen=seen)


def latest_seen(decided: pd.DataFrame, conflict_id: str) -> int | None:
    """The latest decision for the conflict in `decided` (a decisions frame): what the optimistic check compares."""
    mine = chronological(decided[decided["conflict_id"] == conflict_id])
    return int(mine["id"].iloc[-1]) if len(mine) else None


def mark_misread(store: DecisionStore, view: RunView, claim_id: str, by: str, reason: str) -> int:
    """Record that the extraction misread `claim_id`; returns the misread's number."""
    by, reason = who_and_why(by, reason)
    found = view.claims[view.claims["claim_id"] == claim_id]
    if found.empty:
        raise UserError(f"unknown claim id {claim_id!r} in {view.out_dir}/claims.csv",
                        hint="claim ids are listed by `reconcile show CONFLICT_ID` and in claims.csv")
    return store.record_misread(claim_id, str(found.iloc[0]["quote"]), by, reason)


def decision_figure(decision: Decision) -> str:
    """What an approval chose, as a steward reads it: `c-… $830B`, `$730B`, `$660B–$670B`; '' for the others."""
    if decision.action != "approve":
        return ""
    figure = format_value(decision.chosen_value, decision.unit) if decision.chosen_value is not None \
        else format_interval(decision.chosen_low, decision.chosen_high, decision.unit)
    return f"{decision.chosen_claim_id} {figure}" if decision.chosen_claim_id else figure


# -- the checks ------------------------------------------------------------------------------------

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
    return all(num(latest.get(key)) == chosen.get(key) for key in ("chosen_value", "chosen_low", "chosen_high"))


def _chosen_claim(conflict: pd.Series, claim_id: str, view: RunView) -> dict[str, Any]:
    if claim_id not in set(view.claims["claim_id"]):
        raise UserError(f"unknown claim id {claim_id!r}", file=view.out_dir / "claims.csv",
                        hint=f"pick one of the conflict's claims: {conflict['claim_ids'].replace(';', ', ')}")
    if claim_id not in conflict["claim_ids"].split(";"):
        raise UserError(f"claim {claim_id} is not part of conflict {conflict['conflict_id']}",
                        hint=f"pick one of: {conflict['claim_ids'].replace(';', ', ')} (see `reconcile show`)")
    row = view.claims[view.claims["claim_id"] == claim_id].iloc[0]
    return dict(chosen_claim_id=claim_id, chosen_value=num(row.get("value")),
                chosen_low=num(row.get("value_low")), chosen_high=num(row.get("value_high")),
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
    chosen = dict(chosen_claim_id=None, chosen_value=num(quantity.value), chosen_low=num(quantity.low),
                  chosen_high=num(quantity.high), unit=unit)
    _refuse_implausible(conflict, text, chosen, view)
    return chosen


def _refuse_implausible(conflict: pd.Series, text: str, chosen: dict[str, Any], view: RunView) -> None:
    """The checks `decisions import` applies too (decisions.figure_problems), worded for the steward."""
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


def _claim_values(claim: pd.Series) -> Any:
    value = num(claim.get("value"))
    return value if value is not None else [num(claim.get("value_low")), num(claim.get("value_high"))]


def num(value: Any) -> float | None:
    """A cell as a float; None when empty or NaN."""
    if not _present(value):
        return None
    number = float(value)
    return None if math.isnan(number) else number
