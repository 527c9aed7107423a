"""Resolve stage: steward decisions + suggestions → conflict status and the golden record.

Pure pandas, no Dagster. Three entry points:

- `apply_decisions(conflicts, decisions, claims=None, documents=None)` sets each
  conflict's `status` from its latest decision (see `decisions.py` for what
  "latest" means) and adds the decision and suggestion columns in
  `DECISION_VIEW_COLUMNS` + `SUGGESTION_COLUMNS`.
- `suggest(conflict_row, claims, documents)` proposes a resolution with a named
  rule (`RULES`). A suggestion is only ever shown; it never counts as approval.
- `golden_record(claims, conflicts, documents)` builds `resolved_claims`: one
  row per `GOLDEN_KEY` (entity, metric, period, scope, granularity, unit,
  relation, base period) with the value, its status, the supporting claim ids
  and the rule or decision that produced it. A target or a growth rate for the
  same period is another figure, not a rival one, so it keeps its own row.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast, overload

import numpy as np
import pandas as pd
from pandera.typing.pandas import DataFrame

from .decisions import chronological, quote_hash
from .figures import format_interval, format_value
from .figures import present as _present
from .schemas import ConflictsSchema, DetectClaimsSchema, DocumentsSchema, ResolvedClaimsSchema, columns_of

# Columns `apply_decisions` adds, describing the conflict's latest decision.
# For a stale conflict they still show the earlier decision, beside the open status.
DECISION_VIEW_COLUMNS = [
    "decision_id", "decision_action", "decided_by", "decided_at", "reason",
    "decided_value", "decided_low", "decided_high", "decided_claim_id",
    "decided_claim_ids",   # the claims the decision saw: what is new since then explains a stale one
]
SUGGESTION_COLUMNS = [
    "suggestion", "suggestion_value", "suggestion_low", "suggestion_high",
    "suggestion_rule", "suggestion_claim_ids",
]
ADDED_COLUMNS = DECISION_VIEW_COLUMNS + SUGGESTION_COLUMNS

RULES = ("interval-intersection", "primary-source", "newest-source", "move-to-metric", "recompute")
BINDING_KINDS = ("value", "date")      # only these conflicts decide a group's golden value
LIVE_STATUSES = ("open", "stale")
# Beyond (entity, metric, period), what keeps figures apart that must not share a value:
# another counterparty, another period length, another unit, a derived figure (growth, run-rate).
GOLDEN_KEY = ["entity", "metric", "period", "scope", "granularity", "unit", "relation", "base_period"]
# `new_evidence`: beside an `approved (stale)` value, what the changed evidence now says.
GOLDEN_EXTRA_COLUMNS = ["scope", "granularity", "relation", "base_period", "conflict_ids", "new_evidence"]


@dataclass(frozen=True)
class Suggestion:
    rule: str                      # one of RULES
    text: str                      # what to do and why, for a steward
    claim_ids: tuple[str, ...]     # the claims the suggestion rests on
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None

    @property
    def has_value(self) -> bool:
        return any(_present(x) for x in (self.value, self.low, self.high))


# -- apply_decisions ----------------------------------------------------------------

def apply_decisions(conflicts: DataFrame[ConflictsSchema], decisions: pd.DataFrame,
                    claims: DataFrame[DetectClaimsSchema] | None = None,
                    documents: DataFrame[DocumentsSchema] | None = None) -> DataFrame[ConflictsSchema]:
    """Conflicts with `status` from their latest decision, plus `ADDED_COLUMNS`.

    latest approve → resolved, dismiss → dismissed, reopen or none → open;
    an approve/dismiss taken on a different fingerprint → stale (evidence changed).
    Suggestion columns are filled when `claims` is given, else left empty.
    """
    out = conflicts.drop(columns=[c for c in ADDED_COLUMNS if c in conflicts.columns]).copy()
    latest = _latest_by_conflict(decisions)
    # plain rows: a Series per conflict cost more than the rules it feeds
    records = cast(list[dict[str, Any]], out.to_dict("records"))
    views = [_decision_view(row, latest.get(row["conflict_id"])) for row in records]
    view = pd.DataFrame(views, index=out.index, columns=["status"] + DECISION_VIEW_COLUMNS)
    out["status"] = view["status"] if len(out) else pd.Series(dtype=str)
    for column in DECISION_VIEW_COLUMNS:
        out[column] = view[column]
    claim_index: pd.DataFrame | None = None
    document_index: pd.DataFrame | None = documents
    if claims is not None:   # index once: suggest() looks claims and documents up per conflict
        claim_index, document_index = _cited_claims(claims, out), _indexed(documents, "source_id")
    suggestions = [suggest(row, claim_index, document_index) if claim_index is not None else None
                   for row in records]
    for column, values in zip(SUGGESTION_COLUMNS, zip(*[_suggestion_cells(s) for s in suggestions], strict=False)
                              if suggestions else [[]] * len(SUGGESTION_COLUMNS), strict=False):
        out[column] = list(values)
    for column in ("decided_value", "decided_low", "decided_high",
                   "suggestion_value", "suggestion_low", "suggestion_high"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["decision_id"] = pd.to_numeric(out["decision_id"], errors="coerce").astype("Int64")
    return out


def orphaned_decisions(conflicts: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions whose conflict is no longer detected: kept and reported, never dropped."""
    known = set(conflicts["conflict_id"]) if len(conflicts) else set()
    return decisions[~decisions["conflict_id"].isin(known)].sort_values("id").reset_index(drop=True)


def conflict_status(conflict_fingerprint: str, latest: dict[str, Any] | None) -> str:
    if latest is None or latest["action"] == "reopen":
        return "open"
    if str(latest["fingerprint"]) != str(conflict_fingerprint):
        return "stale"
    return "resolved" if latest["action"] == "approve" else "dismissed"


def _latest_by_conflict(decisions: pd.DataFrame) -> dict[str, dict[str, Any]]:
    if decisions is None or decisions.empty:
        return {}
    ordered = chronological(decisions)     # by each decision's own time (decisions.py)
    latest = {cid: group.iloc[-1].to_dict() for cid, group in ordered.groupby("conflict_id", sort=False)}
    return cast(dict[str, dict[str, Any]], latest)  # conflict ids and column labels are strings


def _decision_view(conflict: dict[str, Any], latest: dict[str, Any] | None) -> list[Any]:
    status = conflict_status(conflict.get("fingerprint", ""), latest)
    if latest is None:
        return [status] + [None] * len(DECISION_VIEW_COLUMNS)
    return [status, latest["id"], latest["action"], latest["decided_by"], latest["decided_at"],
            latest["reason"], latest["chosen_value"], latest["chosen_low"], latest["chosen_high"],
            latest["chosen_claim_id"], latest.get("claim_ids")]


def _suggestion_cells(suggestion: Suggestion | None) -> list[Any]:
    if suggestion is None:
        return [None] * len(SUGGESTION_COLUMNS)
    return [suggestion.text, suggestion.value, suggestion.low, suggestion.high,
            suggestion.rule, ";".join(suggestion.claim_ids)]


# -- suggest -----------------------------------------------------------------------

def suggest(conflict_row: pd.Series | dict[str, Any], claims: pd.DataFrame,
            documents: pd.DataFrame | None) -> Suggestion | None:
    """A proposed resolution with its rule name, or None when no rule applies."""
    involved = claims_of(conflict_row, claims)
    if involved.empty:
        return None
    kind = conflict_row["kind"]
    if kind in BINDING_KINDS:
        return _interval_intersection(involved) or _prefer_source(involved, documents)
    if kind in ("category", "period"):
        return _move_to_metric(involved)
    if kind == "arithmetic":
        return _recompute(involved)
    return None


def claims_of(conflict_row: pd.Series | dict[str, Any], claims: pd.DataFrame) -> pd.DataFrame:
    """The conflict's claims, in the order the conflict lists them."""
    ids = [c for c in str(conflict_row["claim_ids"]).split(";") if c]
    indexed = _indexed(claims, "claim_id")
    if not indexed.index.is_unique:   # a repeated claim id: every row of it
        return indexed.loc[[c for c in ids if c in indexed.index]].reset_index(drop=True)
    positions = indexed.index.get_indexer(pd.Index(ids, dtype=object))
    involved = indexed.iloc[positions[positions >= 0]]
    involved.index = pd.RangeIndex(len(involved))   # reset_index(drop=True), without copying the frame again
    return involved


@overload
def _indexed(frame: pd.DataFrame, key: str) -> pd.DataFrame: ...
@overload
def _indexed(frame: pd.DataFrame | None, key: str) -> pd.DataFrame | None: ...
def _indexed(frame: pd.DataFrame | None, key: str) -> pd.DataFrame | None:
    """`frame` indexed by its `key` column (kept as a column too); a no-op when it already is."""
    if frame is None or frame.index.name == key:
        return frame
    return frame.set_index(key, drop=False).rename_axis(key)


def _cited_claims(claims: pd.DataFrame, conflicts: pd.DataFrame | None) -> pd.DataFrame:
    """The claims the conflicts cite, indexed by claim id: all that suggest() looks up (claims_of), without
    copying a claims table of hundreds of thousands of rows into a new index."""
    cited = ({c for ids in conflicts["claim_ids"] for c in str(ids).split(";") if c}
             if conflicts is not None and len(conflicts) else set())
    keys = claims.index if claims.index.name == "claim_id" else claims["claim_id"]
    return _indexed(claims[keys.isin(cited)], "claim_id")


def _interval_intersection(involved: pd.DataFrame) -> Suggestion | None:
    """Stated ranges that overlap: every source is satisfied by their intersection."""
    lows, highs = _bounds(involved)
    has_range = bool((highs > lows).any())
    low, high = _overlap(lows, highs)
    if len(involved) < 2 or not has_range or not low <= high:
        return None
    value = low if low == high else None
    stated = " ∩ ".join(str(t) for t in involved["value_text"]) if "value_text" in involved else ""
    text = (f"the stated intervals overlap ({stated}); every source allows "
            f"{format_interval(low, high, _unit(involved))}")
    return Suggestion("interval-intersection", text, tuple(involved["claim_id"]), value, low, high,
                      _unit(involved))


def _prefer_source(involved: pd.DataFrame, documents: pd.DataFrame | None) -> Suggestion | None:
    """Primary before newest: when some sources are primary, a newer secondary one never decides,
    even when the primary sources cannot be told apart (then there is no suggestion)."""
    primary = [_is_primary(s, documents) for s in involved["source_id"]]
    if any(primary) and not all(primary):
        return _prefer_primary(involved, documents)
    return _prefer_newest(involved, documents)


def _prefer_primary(involved: pd.DataFrame, documents: pd.DataFrame | None) -> Suggestion | None:
    """A registry-marked primary source beats secondary ones."""
    primary = involved[[_is_primary(s, documents) for s in involved["source_id"]]]
    if primary.empty or len(primary) == len(involved):
        return None
    chosen = _single_value(primary)
    if chosen is None:
        chosen = _newest_claim(primary, documents)
    if chosen is None:
        return None
    title = _title(chosen["source_id"], documents)
    return _claim_suggestion("primary-source", chosen,
                             f"prefer the primary source {title}: {chosen.get('value_text', '')}")


def _prefer_newest(involved: pd.DataFrame, documents: pd.DataFrame | None) -> Suggestion | None:
    """For a figure that changes over time, the most recently published source wins."""
    chosen = _newest_claim(involved, documents)
    if chosen is None:
        return None
    published = _published(chosen, documents)
    title = _title(chosen["source_id"], documents)
    return _claim_suggestion("newest-source", chosen,
                             f"take the newest source, {title} ({published}): {chosen.get('value_text', '')}")


def _move_to_metric(involved: pd.DataFrame) -> Suggestion | None:
    """A category/period conflict: file the figure under what its own words measure."""
    moves, moved = [], []
    for _, claim in involved.iterrows():
        changes = []
        for stated, current in (("stated_metric", "metric"), ("stated_entity", "entity")):
            if _text(claim.get(stated)) and _text(claim.get(stated)) != _text(claim.get(current)):
                changes.append(f"{current} {_text(claim.get(current)) or '∅'} → {_text(claim.get(stated))}")
        granularity, expected = _text(claim.get("granularity")), _text(claim.get("expected_granularity"))
        if granularity and expected and granularity != expected:
            changes.append(f"a {granularity} figure, not {expected}: file it under its {granularity} period")
        if changes:
            moves.append(f"{claim['claim_id']} ({claim.get('value_text', '')}): " + "; ".join(changes))
            moved.append(claim["claim_id"])
    if not moves:
        return None
    return Suggestion("move-to-metric", "move " + " | ".join(moves), tuple(moved))


def _recompute(involved: pd.DataFrame) -> Suggestion | None:
    """An arithmetic conflict: recompute the derived figure from its inputs."""
    derived = _derived_claim(involved)
    if derived is None:
        return None
    relation = "sum" if _text(derived.get("members")) else _text(derived.get("relation"))
    same_figure = involved["claim_id"] == derived["claim_id"]
    if relation == "sum":   # other statements of the same total are not inputs to it
        same_figure |= involved["entity"] == derived["entity"]
    recompute = _RECOMPUTERS.get(relation)
    result = recompute(derived, involved[~same_figure]) if recompute is not None else None
    if result is None:
        return None
    (low, value, high), used, how = result
    unit = _text(derived.get("unit")) or None
    figure = format_value(value, unit) if value is not None else format_interval(low, high, unit)
    stated = _text(derived.get("value_text")) or format_value(derived.get("value"), unit)
    text = f"recompute {relation}: {how} = {figure}; stated {stated}"
    return Suggestion("recompute", text, tuple(used) + tuple(involved.loc[same_figure, "claim_id"]),
                      value, low, high, unit)


def _derived_claim(involved: pd.DataFrame) -> pd.Series | None:
    """The figure computed from others: a total naming its members, else a growth/multiple/run-rate."""
    # the first such row, read from the column's cells: the conflict has a few claims, pandas' steps cost more
    if "members" in involved:
        for at, members in enumerate(involved["members"].tolist()):
            if ("" if pd.isna(members) else str(members)).strip() != "":
                return involved.iloc[at]
    if "relation" in involved:
        for at, relation in enumerate(involved["relation"].tolist()):
            if isinstance(relation, str) and relation in ("growth", "multiple", "annualised", "sum"):
                return involved.iloc[at]
    return None


def _recompute_sum(derived: pd.Series, inputs: pd.DataFrame) -> Any:
    unit = _text(derived.get("unit")) or None
    members = [m for m in _text(derived.get("members")).split(";") if m]
    entities, claim_ids = inputs["entity"].tolist(), inputs["claim_id"].tolist()
    # each part: its name and its rows' positions (the inputs stating that member, else each input alone)
    parts = [(m, [at for at, entity in enumerate(entities) if isinstance(entity, str) and entity == m])
             for m in members] if members else [(entity, [at]) for at, entity in enumerate(entities)]
    if not parts or any(not rows for _, rows in parts):
        return None
    lows, highs = _bounds(inputs)   # elementwise: a part's bounds are these at its rows
    spans = [(name, *_member_span(lows[rows], highs[rows])) for name, rows in parts]
    if any(math.isnan(lo) or math.isnan(hi) for _, lo, hi in spans):
        return None
    low, high = sum(lo for _, lo, _ in spans), sum(hi for _, _, hi in spans)
    how = " + ".join(f"{name} {format_interval(lo, hi, unit)}" for name, lo, hi in spans)
    used = [claim_ids[at] for _, rows in parts for at in rows]
    return (low, low if low == high else None, high), used, how


def _member_span(lows: np.ndarray, highs: np.ndarray) -> tuple[float, float]:
    """What one member's claims (their bounds) allow together; their whole spread when they disagree."""
    low, high = _overlap(lows, highs)
    if low <= high:
        return low, high
    stated = ~(np.isnan(lows) | np.isnan(highs))
    return (float(lows[stated].min()), float(highs[stated].max())) if stated.any() else (math.nan, math.nan)


def _ratio_inputs(derived: pd.Series, inputs: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    base_period, period = _text(derived.get("base_period")), _text(derived.get("period"))
    base = inputs[inputs["period"].astype(str) == base_period]
    current = inputs[inputs["period"].astype(str) == period]
    if base.empty or current.empty or base.iloc[0]["value"] in (0, None) or pd.isna(base.iloc[0]["value"]):
        return None
    return current.iloc[0], base.iloc[0]


def _recompute_ratio(derived: pd.Series, inputs: pd.DataFrame, as_percent_growth: bool) -> Any:
    pair = _ratio_inputs(derived, inputs)
    if pair is None or pd.isna(pair[0]["value"]):
        return None
    current, base = pair
    c_low, c_high = _claim_bounds(current)
    b_low, b_high = _claim_bounds(base)
    ratios: tuple[float, ...] = (c_low / b_high, current["value"] / base["value"], c_high / b_low) if b_low > 0 \
        else (current["value"] / base["value"],) * 3
    if as_percent_growth:
        ratios = tuple((r - 1) * 100 for r in ratios)
    how = f"{current.get('value_text', current['value'])} vs {base.get('value_text', base['value'])}"
    return tuple(float(r) for r in ratios), [current["claim_id"], base["claim_id"]], how


_PERIODS_PER_YEAR = {"day": 365, "month": 12, "quarter": 4, "half": 2, "year": 1, "fiscal_year": 1}


def _recompute_annualised(derived: pd.Series, inputs: pd.DataFrame) -> Any:
    if "granularity" not in inputs:
        return None
    for _, source in inputs[inputs["value"].notna() & inputs["granularity"].notna()].iterrows():
        factor = _PERIODS_PER_YEAR.get(str(source["granularity"]))
        if factor:
            low, high = _claim_bounds(source)
            how = f"{source.get('value_text', source['value'])} × {factor}"
            return (low * factor, source["value"] * factor, high * factor), [source["claim_id"]], how
    return None


_Recompute = Callable[[pd.Series, pd.DataFrame], Any]
_RECOMPUTERS: dict[str, _Recompute] = {
    "sum": _recompute_sum,
    "growth": lambda d, i: _recompute_ratio(d, i, as_percent_growth=True),
    "multiple": lambda d, i: _recompute_ratio(d, i, as_percent_growth=False),
    "annualised": _recompute_annualised,
}


# -- golden record -----------------------------------------------------------------

def golden_record(claims: DataFrame[DetectClaimsSchema], conflicts: DataFrame[ConflictsSchema],
                  documents: DataFrame[DocumentsSchema] | None) -> DataFrame[ResolvedClaimsSchema]:
    """One row per `GOLDEN_KEY` (entity, metric, period, then what keeps figures apart) of the
    current claims (entity and metric set, not marked superseded by their own text).

    Columns: `ResolvedClaimsSchema`'s, then `GOLDEN_EXTRA_COLUMNS`.
    `conflicts` should come from `apply_decisions` (status and decision columns);
    without decision columns every conflict counts as open.
    """
    columns = columns_of(ResolvedClaimsSchema) + GOLDEN_EXTRA_COLUMNS
    usable = _current_claims(claims)
    if usable.empty:
        return cast(DataFrame[ResolvedClaimsSchema], pd.DataFrame(columns=columns))
    by_claim = _conflicts_by_claim(conflicts)
    claim_index, document_index = _cited_claims(claims, conflicts), _indexed(documents, "source_id")
    figures = _GroupFigures(usable, by_claim)
    rows = []
    for key, positions in _golden_groups(usable):
        group = _Group(figures, positions)
        touching = _touching(group.claim_ids, by_claim) if figures.cited[positions].any() else []
        row = _golden_row(group, touching, claim_index, document_index)
        row.update({column: _none_if_na(part) for column, part in zip(GOLDEN_KEY, key, strict=False)})
        row["conflict_ids"] = ";".join(c["conflict_id"] for c in touching) or None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("value", "value_low", "value_high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    # pandera's DataFrame[...] is a static marker: a plain frame of the model's columns is one
    return cast(DataFrame[ResolvedClaimsSchema], frame)


def _current_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims the golden record is made of: entity and metric set, not superseded. Read, never changed: all
    of them are `claims` itself (copying hundreds of thousands of rows cost most of a second)."""
    keep = (claims["entity"].notna() & claims["metric"].notna()).to_numpy()
    if "qualifier" in claims:
        keep &= (claims["qualifier"] != "superseded").to_numpy()
    usable = claims if keep.all() else claims.iloc[np.flatnonzero(keep)]
    missing = [column for column in GOLDEN_KEY if column not in usable]
    return usable.assign(**{column: None for column in missing}) if missing else usable


def _golden_groups(usable: pd.DataFrame) -> list[tuple[tuple[Any, ...], np.ndarray]]:
    """(key, row positions) per GOLDEN_KEY group, in the order and with the keys of
    `groupby(GOLDEN_KEY, dropna=False, sort=True)`, rows in frame order, without a frame per group."""
    grouped = usable.groupby(GOLDEN_KEY, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().index
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    return [(key, order[bounds[g]:bounds[g + 1]]) for g, key in enumerate(keys)]


class _GroupFigures:
    """The usable claims' columns as arrays, for what most groups need without a frame of their own: their claim
    ids, whether a conflict cites them, and their figures (elementwise the same arithmetic as `_bounds`)."""

    def __init__(self, usable: pd.DataFrame, by_claim: dict[str, list[dict[str, Any]]]):
        self.usable = usable
        self.claim_ids = usable["claim_id"].to_numpy(dtype=object)
        self.cited = usable["claim_id"].isin(by_claim.keys()).to_numpy() if by_claim else \
            np.zeros(len(usable), dtype=bool)
        self.entities, self.metrics = usable["entity"].to_numpy(dtype=object), usable["metric"].to_numpy(dtype=object)
        self.values = _numbers(usable, "value")
        self.lows, self.highs = _bounds(usable)
        self.wide_lows, self.wide_highs = _bounds(usable, widen=True)

    def plain_row(self, positions: np.ndarray) -> dict[str, Any] | None:
        """`_from_claims`' row when the group is single-source or agreed on one value; None when it is not
        (then `_from_claims` weighs the sources)."""
        ids = self.claim_ids[positions]
        if len(positions) == 1:
            i = positions[0]
            value = self.values[i]
            return _row("single-source", None if math.isnan(value) else float(value), float(self.lows[i]),
                        float(self.highs[i]), tuple(ids), "single-source")
        low, high = _overlap(self.wide_lows[positions], self.wide_highs[positions])
        if not low <= high:
            return None
        values = self.values[positions]
        values = values[~np.isnan(values)].tolist()
        if len(set(values)) > 1:   # equal within tolerance only: the newest source's figure
            return None
        value = float(values[0]) if values else None
        low, high = _overlap(self.lows[positions], self.highs[positions])
        if not low <= high or (value is not None and not low <= value <= high):
            return _row("agreed", value, value, value, tuple(ids), "agreement")
        return _row("agreed", value, low, high, tuple(ids), "agreement")


class _Group:
    """One golden row's claims: positions in the usable claims; their frame only when a rule reads it."""

    def __init__(self, figures: _GroupFigures, positions: np.ndarray):
        self.figures, self.positions = figures, positions
        self.claim_ids: tuple[str, ...] = tuple(figures.claim_ids[positions])

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        return self.figures.usable.iloc[self.positions]

    def subject(self) -> tuple[Any, Any]:
        """The (entity, metric) of its first claim."""
        first = self.positions[0]
        return self.figures.entities[first], self.figures.metrics[first]

    def from_claims(self, documents: pd.DataFrame | None) -> dict[str, Any]:
        return self.figures.plain_row(self.positions) or _from_claims(self.frame, documents)


def _conflicts_by_claim(conflicts: pd.DataFrame | None) -> dict[str, list[dict[str, Any]]]:
    index: dict[str, list[dict[str, Any]]] = {}
    if conflicts is None or conflicts.empty:
        return index
    # one record per conflict (string labels), shared by its claims and never changed
    for record in cast(list[dict[str, Any]], conflicts.sort_values("conflict_id").to_dict("records")):
        for claim_id in str(record["claim_ids"]).split(";"):
            index.setdefault(claim_id, []).append(record)
    return index


def _touching(claim_ids: Iterable[str], by_claim: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for claim_id in claim_ids:
        for conflict in by_claim.get(claim_id, []):
            seen.setdefault(conflict["conflict_id"], conflict)
    return [seen[k] for k in sorted(seen)]


def _golden_row(group: _Group, touching: list[dict[str, Any]], claims: pd.DataFrame,
                documents: pd.DataFrame | None) -> dict[str, Any]:
    binding = [c for c in touching if c["kind"] in BINDING_KINDS]
    live = [c for c in binding if _status(c) in LIVE_STATUSES]
    approved = [c for c in binding if _status(c) == "resolved" and _present(c.get("decision_id"))]
    stale = [c for c in live if _status(c) == "stale" and c.get("decision_action") == "approve"
             and _present(c.get("decision_id"))]
    if stale:   # until a steward decides again, the last approved value stands, marked stale
        return _from_stale_decision(group.frame, stale, live, claims, documents)
    if live:
        return _from_live_conflicts(group.claim_ids, live, claims, documents)
    if approved:
        return _from_decision(group.frame, max(approved, key=lambda c: c["decision_id"]), claims)
    row = group.from_claims(documents)
    disputed = _disputing(group.subject, touching)
    if disputed is not None:
        # A total that does not add up, or a figure of another scope, is not agreed until a steward says so.
        row.update(status="open", rule=f"disputed:{disputed['kind']}:{disputed['conflict_id']}")
    return row


def _disputing(subject_of: Callable[[], tuple[Any, Any]], touching: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An open arithmetic, category or period conflict about this very row (not one citing it as a part);
    `subject_of` gives the row's (entity, metric)."""
    subject = None   # read only when a conflict could dispute it
    for conflict in touching:
        if conflict["kind"] in BINDING_KINDS or _status(conflict) not in LIVE_STATUSES:
            continue
        if subject is None:
            subject = subject_of()
        if (conflict.get("entity"), conflict.get("metric")) == subject:
            return conflict
    return None


def _status(conflict: dict[str, Any]) -> str:
    status = conflict.get("status")
    if not _present(status):
        return "open"
    # Without decision columns a "resolved" status cannot be explained: treat it as open.
    if status == "resolved" and "decision_id" not in conflict:
        return "open"
    return str(status)


def _from_live_conflicts(claim_ids: tuple[str, ...], live: list[dict[str, Any]], claims: pd.DataFrame,
                         documents: pd.DataFrame | None) -> dict[str, Any]:
    suggestions = [_suggestion_for(c, claims, documents) for c in live]
    distinct = {(s.value, s.low, s.high) for s in suggestions if s is not None and s.has_value}
    chosen = suggestions[0] if suggestions else None
    if chosen is not None and all(s is not None and s.has_value for s in suggestions) and len(distinct) == 1:
        return _row("suggested", chosen.value, chosen.low, chosen.high, chosen.claim_ids,
                    f"suggestion:{chosen.rule}")
    return _row("open", None, None, None, claim_ids, "conflict:" + ";".join(c["conflict_id"] for c in live))


def _suggestion_for(conflict: dict[str, Any], claims: pd.DataFrame,
                    documents: pd.DataFrame | None) -> Suggestion | None:
    if _present(conflict.get("suggestion_rule")):
        return Suggestion(str(conflict["suggestion_rule"]), str(conflict.get("suggestion", "")),
                          tuple(c for c in str(conflict.get("suggestion_claim_ids") or "").split(";") if c),
                          _float(conflict.get("suggestion_value")), _float(conflict.get("suggestion_low")),
                          _float(conflict.get("suggestion_high")))
    return suggest(conflict, claims, documents)


def _from_decision(group: pd.DataFrame, conflict: dict[str, Any], claims: pd.DataFrame) -> dict[str, Any]:
    value = _float(conflict.get("decided_value"))
    low = _float(conflict.get("decided_low"))
    high = _float(conflict.get("decided_high"))
    low = value if low is None else low
    high = value if high is None else high
    chosen_claim = conflict.get("decided_claim_id")
    support: tuple[str, ...]
    if _present(chosen_claim):
        support = (str(chosen_claim),)
    else:
        support = _claims_containing(group, value, low, high) or \
            tuple(c for c in str(conflict["claim_ids"]).split(";") if c)
    row = _row("approved", value, low, high, support, f"decision:{int(conflict['decision_id'])}")
    row.update(decided_by=conflict.get("decided_by"), decided_at=conflict.get("decided_at"),
               reason=conflict.get("reason"))
    return row


def _from_stale_decision(group: pd.DataFrame, stale: list[dict[str, Any]], live: list[dict[str, Any]],
                         claims: pd.DataFrame, documents: pd.DataFrame | None) -> dict[str, Any]:
    row = _from_decision(group, max(stale, key=lambda c: c["decision_id"]), claims)
    now = _from_live_conflicts(tuple(group["claim_id"]), live, claims, documents)
    said = "no suggestion"
    if now["status"] == "suggested":
        unit = _unit(group)
        figure = format_value(now["value"], unit) if now["value"] is not None \
            else format_interval(now["value_low"], now["value_high"], unit)
        said = f"{now['rule'].removeprefix('suggestion:')} suggests {figure}"
    row.update(status="approved (stale)", new_evidence=f"{said}; claims {now['claim_ids']}")
    return row


def _claims_containing(group: pd.DataFrame, value: float | None, low: float | None,
                       high: float | None) -> tuple[str, ...]:
    """Claims whose stated interval holds the approved figure: the quotes that back it."""
    target_low = value if value is not None else low
    target_high = value if value is not None else high
    if target_low is None or target_high is None:
        return ()
    lows, highs = _bounds(group, widen=True)
    inside = (lows <= target_low) & (target_high <= highs)
    return tuple(group.loc[inside, "claim_id"])


def _from_claims(group: pd.DataFrame, documents: pd.DataFrame | None) -> dict[str, Any]:
    """No live or approved value conflict: single source, agreement, or a plain disagreement."""
    if len(group) == 1:
        claim = group.iloc[0]
        low, high = _claim_bounds(claim)
        return _row("single-source", _float(claim["value"]), low, high, (claim["claim_id"],), "single-source")
    low, high = _overlap(*_bounds(group, widen=True))
    if low <= high:
        return _agreed(group, documents)
    chosen = _prefer_source(group, documents)
    if chosen is not None:
        return _row("suggested", chosen.value, chosen.low, chosen.high, chosen.claim_ids,
                    f"suggestion:{chosen.rule}")
    return _row("open", None, None, None, tuple(group["claim_id"]), "disagreement")


def _agreed(group: pd.DataFrame, documents: pd.DataFrame | None) -> dict[str, Any]:
    values = group["value"].dropna()
    low, high = _overlap(*_bounds(group))
    if values.nunique() == 1:
        value = float(values.iloc[0])
    elif values.empty:
        value = None
    else:   # equal within tolerance: keep the newest source's own figure, nothing averaged
        newest = _newest_claim(group[group["value"].notna()], documents)
        value = float(newest["value"]) if newest is not None else float(values.iloc[-1])
    if not low <= high or (value is not None and not low <= value <= high):
        return _row("agreed", value, value, value, tuple(group["claim_id"]), "agreement")
    return _row("agreed", value, low, high, tuple(group["claim_id"]), "agreement")


def _row(status: str, value: float | None, low: float | None, high: float | None,
         claim_ids: Iterable[str], rule: str) -> dict[str, Any]:
    return dict(value=value, value_low=low, value_high=high, status=status,
                claim_ids=";".join(claim_ids), rule=rule, decided_by=None, decided_at=None, reason=None,
                new_evidence=None)


# -- claim helpers ----------------------------------------------------------------------

def _claim_bounds(claim: pd.Series) -> tuple[float, float]:
    value = _float(claim.get("value"))
    low = _float(claim.get("value_low"))
    high = _float(claim.get("value_high"))
    low = value if low is None else low
    high = value if high is None else high
    return (math.nan if low is None else low), (math.nan if high is None else high)


def _bounds(frame: pd.DataFrame, widen: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each claim's [low, high] (its value when no interval is stated).

    `widen` applies the claim's relative tolerance as detect.py does (approximate or rounded figures).

    numpy, not pandas: this runs once per group and per conflict, where pandas' overhead dominates.
    """
    value = _numbers(frame, "value")
    lows = np.where(np.isnan(low := _numbers(frame, "value_low")), value, low)
    highs = np.where(np.isnan(high := _numbers(frame, "value_high")), value, high)
    if widen:
        tolerance = np.nan_to_num(_numbers(frame, "tolerance"), nan=0.0)
        with np.errstate(invalid="ignore"):   # inf * 0 for open bounds: no widening, not NaN
            lows = lows - np.where(tolerance > 0, np.abs(lows) * tolerance, 0.0)
            highs = highs + np.where(tolerance > 0, np.abs(highs) * tolerance, 0.0)
    return lows, highs


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return frame[column].to_numpy(dtype=float, na_value=np.nan)


def _overlap(lows: np.ndarray, highs: np.ndarray) -> tuple[float, float]:
    """The interval every claim allows (low > high when they disagree); NaN when none states a figure."""
    stated = ~(np.isnan(lows) | np.isnan(highs))
    if not stated.any():
        return math.nan, math.nan
    return float(lows[stated].max()), float(highs[stated].min())


def _single_value(frame: pd.DataFrame) -> pd.Series | None:
    """The claim to take when every claim in `frame` states the same figure."""
    lows, highs = _bounds(frame)
    same = frame["value"].nunique(dropna=False) == 1 and len(np.unique(lows)) == 1 and len(np.unique(highs)) == 1
    return frame.iloc[0] if same else None


def _newest_claim(frame: pd.DataFrame, documents: pd.DataFrame | None) -> pd.Series | None:
    """The claim from the latest-published source, when it is unique in what it states."""
    if frame.empty:
        return None
    stated = frame["published"].tolist() if "published" in frame else [None] * len(frame)
    # plain lists: a Series of a few dates and four pandas operations on it cost a millisecond per conflict
    dates = [_date_of(_published_as(s, source, documents))
             for s, source in zip(stated, frame["source_id"].tolist(), strict=True)]
    known = [d for d in dates if d is not None]
    if not known:
        return None
    latest = max(known)
    newest = [i for i, d in enumerate(dates) if d is not None and d == latest]
    values = frame["value"].tolist()
    if len({_missing_as_one(values[i]) for i in newest}) > 1 or len(set(known)) < 2:
        return None
    first: pd.Series = frame.iloc[newest[0]]
    return first


def _missing_as_one(value: Any) -> Any:
    """A value as `nunique(dropna=False)` tells values apart: every missing one the same."""
    return None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value


def _published(claim: pd.Series, documents: pd.DataFrame | None) -> str:
    return _published_as(claim.get("published"), claim["source_id"], documents)


def _published_as(stated: Any, source_id: str, documents: pd.DataFrame | None) -> str:
    """A claim's own publication date, else its document's."""
    if _text(stated):
        return _text(stated)
    return _text(_document_field(source_id, documents, "published"))


_ISO_DAY_OR_MONTH = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


@functools.lru_cache(maxsize=4096)   # a corpus has few distinct dates
def _date_of(published: str) -> pd.Timestamp | None:
    # "2026-02" means some day in February: compare it by its first day.
    if _ISO_DAY_OR_MONTH.fullmatch(published):
        try:   # to_datetime's answer ~200 times faster: it guesses a format first (~0.6 ms)
            return pd.Timestamp(published).as_unit("ns")
        except (ValueError, OverflowError):   # no such day, or out of range: to_datetime says NaT
            pass
    stamp = pd.to_datetime(published or None, errors="coerce")  # type: ignore[call-overload]  # None is NaT
    return None if pd.isna(stamp) else stamp


def _document_field(source_id: str, documents: pd.DataFrame | None, field: str) -> Any:
    """`field` of the (first) document `source_id`; None when there is no such document or field. One cell, not
    the document's row: a row of a mixed frame costs ~0.1 ms, and suggestions read a few cells per claim."""
    if documents is None or documents.empty:
        return None
    indexed = _indexed(documents, "source_id")
    if source_id not in indexed.index or field not in indexed.columns:
        return None
    at = indexed.index.get_loc(source_id)
    if isinstance(at, slice):   # a source id listed more than once
        at = at.start
    elif not isinstance(at, (int, np.integer)):
        at = int(np.flatnonzero(at)[0])
    return indexed[field].iloc[at]


def _is_primary(source_id: str, documents: pd.DataFrame | None) -> bool:
    flag = _document_field(source_id, documents, "primary")
    return flag is True or str(flag).strip().lower() in ("true", "1", "yes")


def _title(source_id: str, documents: pd.DataFrame | None) -> str:
    title = _document_field(source_id, documents, "title")
    return f"“{title}”" if _text(title) else source_id


def _claim_suggestion(rule: str, claim: pd.Series, text: str) -> Suggestion:
    low, high = _claim_bounds(claim)
    return Suggestion(rule, text, (claim["claim_id"],), _float(claim.get("value")),
                      None if math.isnan(low) else low, None if math.isnan(high) else high,
                      _text(claim.get("unit")) or None)


def _unit(frame: pd.DataFrame) -> str | None:
    units = [u for u in frame["unit"].dropna().unique()] if "unit" in frame else []
    return str(units[0]) if len(units) == 1 else None


# -- small value helpers ------------------------------------------------------------------

def _float(value: Any) -> float | None:
    return float(value) if _present(value) else None


def _text(value: Any) -> str:
    return str(value).strip() if _present(value) else ""


def _none_if_na(value: Any) -> Any:
    return value if _present(value) else None


def without_misreads(claims: pd.DataFrame, misreads: pd.DataFrame) -> pd.DataFrame:
    """The claims a steward has not marked as misread. A mark holds while the claim's quote is unchanged: a
    re-worded source is read afresh."""
    if misreads.empty or claims.empty:
        return claims
    marked = set(zip(misreads["claim_id"], misreads["quote_hash"], strict=True))
    hit = [(cid, quote_hash(q)) in marked for cid, q in zip(claims["claim_id"], claims["quote"], strict=True)]
    return claims[~pd.Series(hit, index=claims.index)]
