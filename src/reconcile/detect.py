"""Detect stage: the claims table → conflicts, through named pandera checks.

`ClaimConflicts` is a pandera model holding one named check per conflict
kind. Each rule is a pure function of the claims frame marking the claims that
break it; its verdicts are a column of the frame the model validates, one
column check per rule. Running the model lazily collects every failure, and the
failure cases (claim indices per check) are grouped into conflict rows: one
conflict per group of disagreeing claims, never one per pair. The column checks
of the claims schema run separately (the blocking `claims_schema` asset check);
this model does not coerce or re-check columns, so detection pays only for the
rules.

All rules are vectorised (sort + group-wise cumulative max) or use hash
indexes built once per call, so detection grows as n log n in the number of
claims. The arithmetic rule runs once per `detect_conflicts` call: its findings
give its verdict column and are reused for the conflict rows.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing.pandas import DataFrame, Series

from .quantities import date_of_code, render_value
from .schemas import ClaimsSchema, ConflictsSchema, DetectClaimsSchema, DocumentsSchema, columns_of

SCOPE_ANY = "any"


# --- the rules, as pure functions over the claims frame ------------------------------------------

def _widened(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each claim's interval widened by its tolerance (approximation or rounding)."""
    low, high, tol = df["value_low"], df["value_high"], df["tolerance"].fillna(0.0)
    lo = low - low.abs() * tol
    hi = high + high.abs() * tol
    return lo, hi


def interval_clusters(df: pd.DataFrame, key: str) -> pd.Series:
    """Cluster number of each row within its `key` group: rows whose widened intervals chain-overlap share one."""
    lo, hi = _widened(df)
    codes, _ = pd.factorize(df[key], use_na_sentinel=False)
    return pd.Series(_cluster_numbers(codes, lo.to_numpy(), hi.to_numpy()), index=df.index)


def _cluster_numbers(codes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """interval_clusters on arrays, the groups given as integer codes (a million string keys are factorised
    once, not by every sort and groupby step): rows sorted by group then low end (stably); a row starts a new
    cluster when its low end lies above every high end before it in its group (a missing one compares false)."""
    order = np.lexsort((lo, codes))
    k, low = codes[order], lo[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    reach = pd.Series(hi[order]).groupby(k, sort=False).cummax().to_numpy()   # a missing high end stays missing
    before = np.empty(len(k))
    before[0:1] = np.nan
    before[1:] = reach[:-1]
    before[first] = np.nan
    with np.errstate(invalid="ignore"):
        starts = low > before
    counted = np.cumsum(starts)
    numbers = counted - counted[first][np.cumsum(first) - 1]
    out = np.empty(len(k), dtype=np.int64)
    out[order] = numbers
    return out


def _comparable(df: pd.DataFrame, dates: bool) -> pd.Series:
    unit_is_date = df["unit"] == "date"
    return (df["group_key"].notna() & (unit_is_date if dates else ~unit_is_date)
            & df["value_low"].notna() & df["value_high"].notna())


def value_failures(df: pd.DataFrame, dates: bool = False) -> pd.Series:
    """True where a claim's group splits into intervals that do not overlap."""
    rows = np.flatnonzero(_comparable(df, dates).to_numpy())
    ok = np.ones(len(df), dtype=bool)
    if len(rows):
        codes, _ = pd.factorize(df["group_key"].to_numpy()[rows])
        lo, hi = _widened(pd.DataFrame({c: df[c].to_numpy()[rows] for c in ("value_low", "value_high", "tolerance")}))
        split = np.zeros(codes.max() + 1, dtype=bool)
        split[codes[_cluster_numbers(codes, lo.to_numpy(), hi.to_numpy()) > 0]] = True
        ok[rows] = ~split[codes]
    return pd.Series(ok, index=df.index)


def category_failures(df: pd.DataFrame) -> pd.Series:
    """False where a header gives a figure a metric its own words contradict (another scope or sub-entity)."""
    imposed = df["metric_imposed"].astype(bool) & df["metric"].notna() & (df["qualifier"] != "superseded")

    def contradicted(d: Callable[[str], pd.Series]) -> pd.Series:
        other_scope = (d("stated_family").notna() & (d("stated_family") == d("metric_family"))
                       & (d("stated_scope") != d("metric_scope")) & (d("stated_scope") != SCOPE_ANY)
                       & (d("metric_scope") != SCOPE_ANY))
        other_family = d("stated_family").notna() & (d("stated_family") != d("metric_family"))
        other_entity = d("stated_entity").notna() & (d("stated_entity") != d("entity"))
        return other_scope | other_family | other_entity
    return _holds_unless(imposed, contradicted, df)


def period_failures(df: pd.DataFrame) -> pd.Series:
    """False where a figure's own granularity (e.g. per quarter) differs from its column's (annual)."""
    both = df["granularity"].notna() & df["expected_granularity"].notna() & df["relation"].isna()

    def differs(d: Callable[[str], pd.Series]) -> pd.Series:
        g, e = d("granularity"), d("expected_granularity")
        compatible = ((g == "annual") & (e == "run_rate")) | ((g == "run_rate") & (e == "annual"))
        return (g != e) & ~compatible & (d("qualifier") != "superseded")
    return _holds_unless(both, differs, df)


def _holds_unless(suspect: pd.Series, breaks: Callable[[Callable[[str], pd.Series]], pd.Series],
                  df: pd.DataFrame) -> pd.Series:
    """~(suspect & breaks) with `breaks` worked out on the suspect rows' columns alone (elementwise, the same
    verdicts): a rule's comparisons of string columns over every claim cost more than its few suspects."""
    rows = np.flatnonzero(suspect.to_numpy(dtype=bool))
    holds = np.ones(len(df), dtype=bool)
    if len(rows):
        holds[rows] = ~breaks(lambda column: df[column].iloc[rows]).to_numpy(dtype=bool)
    return pd.Series(holds, index=df.index)


# Each rule's verdict per claim is a column of the frame pandera validates (see `_verdicts`).
_VERDICTS = {"value": "_value_holds", "category": "_category_holds", "period": "_period_holds",
             "date": "_date_holds", "arithmetic": "_arithmetic_holds"}


def _event_date_failures(df: pd.DataFrame) -> pd.Series:
    return value_failures(df, dates=True)


_RULES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "value": value_failures, "category": category_failures, "period": period_failures, "date": _event_date_failures}


@dataclass
class Finding:
    expected_low: float
    expected_high: float
    support: list[str]      # claim ids the expectation was computed from
    rule: str
    stated_low: float = math.nan   # the same expectation before tolerances, for the explanation
    stated_high: float = math.nan


def arithmetic_findings(df: pd.DataFrame) -> list[Finding | None]:
    """Per claim: a Finding when a stated total, growth, multiple or annualisation does not follow from its parts."""
    return _compute_findings(df)


_GROUP_KEYS = ["entity", "metric", "scope", "period", "granularity", "unit"]
# plain figures grouped by _GROUP_KEYS: (entity, metric, scope, period, granularity, unit) → their rows. A growth
# rate, a total or a multiple is computed from parts of its own scope only: 'networking revenue rose 20%' says
# nothing about total revenue (scope '' is none stated).
_GroupIndex = Mapping[tuple[Any, ...], pd.DataFrame]


def _compute_findings(df: pd.DataFrame) -> list[Finding | None]:
    out: list[Finding | None] = [None] * len(df)
    if df.empty:
        return out
    # Annualised figures are plain annual values for the other rules.
    # A figure whose own words name another metric family does not measure this one.
    own_metric = df["stated_family"].isna() | (df["stated_family"] == df["metric_family"]) \
        if "stated_family" in df else pd.Series(True, index=df.index)
    keep = (df["relation"].isna() | (df["relation"] == "annualised")) & df["entity"].notna() & df["metric"].notna() \
        & (df["qualifier"] != "superseded") & (df["unit"] != "date") & own_metric
    # the rows and columns first, then the scope key: taking every column of 1M rows costs seconds
    plain = df.loc[keep, [c for c in _GROUP_KEYS if c in df] + ["claim_id", "value_low", "value_high", "tolerance"]]
    lo, hi = _widened(plain)
    # beside, not assigned: assigning copies every column of the million rows
    plain = pd.concat([plain, lo.rename("_lo"), hi.rename("_hi")], axis="columns", copy=False)
    index = _LazyGroups(plain, _scope_keys(plain))
    rows = df if _is_range(df.index) else df.reset_index(drop=True)
    candidates = np.flatnonzero(((rows["relation"].notna() | rows["members"].notna())
                                 & (rows["qualifier"] != "superseded")).to_numpy())
    lookups = _Lookups(rows, index)
    for i in candidates:
        r = rows.iloc[i]
        finding = _check_relation(r, rows, index, lookups) if isinstance(r["relation"], str) else _check_sum(r, index)
        out[i] = finding
    return out


# The scopes of a forward-looking figure (extract names them so): 'expects revenue to grow 20% to $12B' is
# computed from last year's actual, so for the arithmetic they are no scope of their own.
FORWARD_SCOPES = ("target", "guidance")


def _scope_keys(df: pd.DataFrame) -> pd.Series:
    """Each claim's scope as a lookup key: '' when none is stated (a missing value never equals itself) or it
    only says the figure looks forward."""
    if "scope" not in df:
        return pd.Series("", index=df.index)
    return df["scope"].where(~df["scope"].isin(FORWARD_SCOPES)).fillna("").astype(str)


def _scope_key(r: pd.Series) -> str:
    scope = r.get("scope")
    return scope if isinstance(scope, str) and scope not in FORWARD_SCOPES else ""


class _LazyGroups(Mapping[tuple[Any, ...], pd.DataFrame]):
    """`plain` grouped by _GROUP_KEYS (its scope column replaced by `scopes`), as {key: its rows} in groupby's
    order. A group's frame and spans are computed on first use: at a million claims,
    taking every group's frame cost seconds, and the rules read a few groups, many times over."""

    def __init__(self, plain: pd.DataFrame, scopes: pd.Series):
        self._plain = plain
        keys = [scopes if c == "scope" else plain[c] for c in _GROUP_KEYS]
        self._positions = plain.groupby(keys, dropna=False).indices
        # the columns a span reads, as arrays: a group's frame and four pandas reductions cost a millisecond
        self._columns = {c: plain[c].to_numpy(dtype=float, na_value=np.nan) for c in ("_lo", "_hi", "value_low",
                                                                                      "value_high")}
        self._claim_ids = plain["claim_id"].to_numpy(dtype=object)
        self._frames: dict[tuple[Any, ...], pd.DataFrame] = {}
        self._parts: dict[tuple[Any, ...], tuple[tuple[float, float, list[str]], tuple[float, float]] | None] = {}

    def __getitem__(self, key: tuple[Any, ...]) -> pd.DataFrame:
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = self._plain.iloc[self._positions[key]]
        return frame

    def part(self, key: tuple[Any, ...]) -> tuple[tuple[float, float, list[str]], tuple[float, float]] | None:
        """A sum's part: its span and its span before tolerances; None when no figure states it."""
        if key not in self._parts:
            span = self.span(key)
            self._parts[key] = None if span is None else (span, self._bounds(key, "value_low", "value_high", raw=True))
        return self._parts[key]

    def span(self, key: tuple[Any, ...]) -> tuple[float, float, list[str]] | None:
        """`_span` of the group `key`, None when there is none."""
        if key not in self._positions:
            return None
        lo, hi = self._bounds(key, "_lo", "_hi", raw=False)
        return lo, hi, self._claim_ids[self._positions[key]].tolist()

    def _bounds(self, key: tuple[Any, ...], low: str, high: str, raw: bool) -> tuple[float, float]:
        """The group's common ground of [low, high] when there is one, else all it allows: `_raw_span` when
        `raw`, else `_span`'s bounds (they differ only in what a missing bound gives)."""
        positions = self._positions[key]
        lows, highs = self._columns[low][positions], self._columns[high][positions]
        lo, hi = _nan_max(lows), _nan_min(highs)
        common = lo <= hi if raw else not lo > hi
        return (lo, hi) if common else (_nan_min(lows), _nan_max(highs))

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


def _nan_max(values: np.ndarray) -> float:
    """Series.max(): the largest figure stated, NaN when none is."""
    stated = values[~np.isnan(values)]
    return float(stated.max()) if len(stated) else math.nan


def _nan_min(values: np.ndarray) -> float:
    stated = values[~np.isnan(values)]
    return float(stated.min()) if len(stated) else math.nan


def _is_range(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


class _Lookups:
    """Hash indexes for the relation rule, built on first use: the components a growth or multiple is
    computed from, and the period figure an annualised one comes from (instead of scanning per claim)."""

    def __init__(self, rows: pd.DataFrame, index: _GroupIndex):
        self.rows, self.index = rows, index
        self._pick: dict[tuple[Any, ...], tuple[Any, ...]] | None = None   # (entity, metric, scope, period) → key
        self._annual: dict[tuple[Any, Any, Any], np.integer[Any]] | None = None

    def pick(self, key: tuple[Any, ...], period: object) -> tuple[float, float, list[str]] | None:
        if self._pick is None:
            self._pick = {}
            for group_key in self.index:   # the keys alone: a lazy index takes only the groups asked for
                entity, metric, scope, p, gran, unit = group_key
                if unit in ("USD", "count") and gran not in ("quarterly", "monthly") and p == p:
                    self._pick.setdefault((entity, metric, scope, p), group_key)
        if period is None or (isinstance(period, float) and math.isnan(period)):
            return None  # `p == period` never holds for a missing period
        found = self._pick.get((*key, period))
        if found is None:
            return None
        return self.index.span(found) if isinstance(self.index, _LazyGroups) else _span(self.index[found])

    def period_figure(self, r: pd.Series) -> pd.Series | None:
        """The first quarterly or monthly plain figure with the same source, quote and metric."""
        if self._annual is None:
            rows = self.rows
            eligible = np.flatnonzero((rows["granularity"].isin(["quarterly", "monthly"])
                                       & rows["relation"].isna() & rows["metric"].notna()).to_numpy())
            self._annual = {}
            sub = rows.iloc[eligible]
            keys = zip(sub["source_id"], sub["quote"], sub["metric"], strict=False)
            for pos, key in zip(eligible, keys, strict=False):
                self._annual.setdefault(key, pos)
        metric = r["metric"]
        if metric is None or (isinstance(metric, float) and math.isnan(metric)):
            return None
        found = self._annual.get((r["source_id"], r["quote"], metric))
        return None if found is None else self.rows.iloc[found]


def _span(group: pd.DataFrame | None) -> tuple[float, float, list[str]] | None:
    """What a part's claims say together: their common ground when they agree ('up to $135B' and
    '$115-135B' give 115-135), else everything any of them allows."""
    if group is None or group.empty:
        return None
    lo, hi = float(group["_lo"].max()), float(group["_hi"].min())
    if lo > hi:
        lo, hi = float(group["_lo"].min()), float(group["_hi"].max())
    return lo, hi, list(group["claim_id"])


def _raw_span(group: pd.DataFrame) -> tuple[float, float]:
    lo, hi = float(group["value_low"].max()), float(group["value_high"].min())
    return (lo, hi) if lo <= hi else (float(group["value_low"].min()), float(group["value_high"].max()))


def _stated(r: pd.Series) -> tuple[float, float]:
    tol = r["tolerance"] or 0.0
    return r["value_low"] - abs(r["value_low"]) * tol, r["value_high"] + abs(r["value_high"]) * tol


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _check_sum(r: pd.Series, index: _LazyGroups) -> Finding | None:
    members = [m for m in str(r["members"]).split(";") if m]
    if len(members) < 2 or r["unit"] == "date":
        return None
    total_lo = total_hi = raw_lo = raw_hi = 0.0
    support: list[str] = []
    for member in members:
        part = index.part((member, r["metric"], _scope_key(r), r["period"], r["granularity"], r["unit"]))
        if part is None:
            return None  # a missing part: nothing to check against
        span, raw = part
        total_lo, total_hi = total_lo + span[0], total_hi + span[1]
        raw_lo, raw_hi = raw_lo + raw[0], raw_hi + raw[1]
        support += span[2]
    if _overlaps(_stated(r), (total_lo, total_hi)):
        return None
    return Finding(total_lo, total_hi, support, "sum-of-parts", raw_lo, raw_hi)


def _check_relation(r: pd.Series, rows: pd.DataFrame, index: _GroupIndex,
                    lookups: _Lookups | None = None) -> Finding | None:
    lookups = lookups or _Lookups(rows, index)
    # A growth rate is named for itself ('revenue_growth_yoy'); its parts are figures of the base metric.
    key = (r["entity"], _about(r), _scope_key(r))
    if r["relation"] == "annualised":
        q = lookups.period_figure(r)
        if q is None:
            return None
        factor = 4.0 if q["granularity"] == "quarterly" else 12.0
        qlo, qhi = _stated(q)
        if _overlaps(_stated(r), (qlo * factor, qhi * factor)):
            return None
        return Finding(qlo * factor, qhi * factor, [q["claim_id"]], "annualisation")
    if not isinstance(r["base_period"], str):
        return None
    target = lookups.pick(key, r["period"])
    base = lookups.pick(key, r["base_period"])
    if target is None or base is None or base[0] <= 0:
        return None
    ratio = (target[0] / base[1], target[1] / base[0])
    if r["relation"] == "growth":
        expected = ((ratio[0] - 1) * 100, (ratio[1] - 1) * 100)
    else:
        expected = ratio
    stated = _stated(r)
    if r["relation"] == "multiple":
        stated = (min(stated[0], r["value_low"] - 0.5 * _digit(r)), max(stated[1], r["value_high"] + 0.5 * _digit(r)))
    if _overlaps(stated, expected):
        return None
    return Finding(expected[0], expected[1], target[2] + base[2], f"{r['relation']}-vs-components")


def _digit(r: pd.Series) -> float:
    """The rounding unit of a stated multiple: '2×' may mean 1.5–2.5; '4.7×' means 4.65–4.75."""
    text = str(r["value_text"])
    return 0.1 if "." in text else 1.0


def _pick(index: _GroupIndex, key: tuple[Any, ...], period: str) -> tuple[float, float, list[str]] | None:
    """The first component group of `key` for `period` (linear scan; `_Lookups.pick` is the indexed form)."""
    for (entity, metric, scope, p, gran, unit), group in index.items():
        if (entity, metric, scope) == key and p == period and unit in ("USD", "count") \
                and gran not in ("quarterly", "monthly"):
            return _span(group)
    return None


# --- the pandera model ---------------------------------------------------------------------------

class ClaimConflicts(pa.DataFrameModel):
    """One named check per conflict kind, on the column of its rule's verdicts (`_verdicts` computes them once,
    as pure functions of the claims frame; the claims schema's column checks run separately).

    Column checks, not dataframe checks: pandera reshapes a dataframe check's every failing row over the
    frame's columns, one row at a time (a second or more for the few thousand failing rows of a million claims);
    a column check's failure cases are its failing rows as they are."""

    value: Series[bool] | None = pa.Field(alias=_VERDICTS["value"])
    category: Series[bool] | None = pa.Field(alias=_VERDICTS["category"])
    period: Series[bool] | None = pa.Field(alias=_VERDICTS["period"])
    date: Series[bool] | None = pa.Field(alias=_VERDICTS["date"])
    arithmetic: Series[bool] | None = pa.Field(alias=_VERDICTS["arithmetic"])

    @pa.check(_VERDICTS["value"], name="value", description="same entity, metric and period: intervals must overlap")
    def value_intervals_overlap(cls, holds: pd.Series) -> pd.Series[bool]:
        return holds

    @pa.check(_VERDICTS["category"], name="category", description="a figure's own words must not name another scope")
    def metric_matches_stated_scope(cls, holds: pd.Series) -> pd.Series[bool]:
        return holds

    @pa.check(_VERDICTS["period"], name="period", description="a figure's granularity must match its column's")
    def granularity_matches_column(cls, holds: pd.Series) -> pd.Series[bool]:
        return holds

    @pa.check(_VERDICTS["date"], name="date", description="the same event must carry overlapping dates")
    def event_dates_agree(cls, holds: pd.Series) -> pd.Series[bool]:
        return holds

    @pa.check(_VERDICTS["arithmetic"], name="arithmetic",
              description="totals, growth and multiples must follow from components")
    def arithmetic_holds(cls, holds: pd.Series) -> pd.Series[bool]:
        return holds

    class Config:
        strict = False
        coerce = False


# --- failure cases → conflict rows ---------------------------------------------------------------

def detect_conflicts(claims: DataFrame[DetectClaimsSchema],
                     documents: DataFrame[DocumentsSchema] | None = None) -> DataFrame[ConflictsSchema]:
    """Run the conflict checks lazily and turn their failure cases into conflict rows.

    Explanations name sources by id; `documents` is accepted so every stage takes the tables before it,
    and the report turns the ids into titles.
    """
    columns = columns_of(ConflictsSchema)
    if claims.empty:
        return cast(DataFrame[ConflictsSchema], pd.DataFrame(columns=columns))
    claims = claims if _is_range(claims.index) else claims.reset_index(drop=True)
    checked = _numeric(claims)
    findings = _compute_findings(checked)
    failing = failing_rows_by_check(_verdicts(checked, findings), full=checked)
    rows: list[dict[str, Any]] = []
    rows += _value_conflicts(claims, failing.get("value", []), "value")
    rows += _value_conflicts(claims, failing.get("date", []), "date")
    rows += _row_conflicts(claims, failing.get("category", []), "category")
    rows += _row_conflicts(claims, failing.get("period", []), "period")
    rows += _arithmetic_conflicts(claims, failing.get("arithmetic", []), findings)
    frame = _at_most_info_when_assumed(pd.DataFrame(rows, columns=columns), claims)
    frame = _own_figures_need_checking(frame, documents, claims)
    frame = frame.drop_duplicates("conflict_id").sort_values(["kind", "entity", "metric", "conflict_id"],
                                                             na_position="last")
    # pandera's DataFrame[...] is a static marker: a plain frame of the model's columns is one
    return cast(DataFrame[ConflictsSchema], frame.reset_index(drop=True))


_FLOATS = [name for name, col in ClaimsSchema.to_schema().columns.items() if str(col.dtype).startswith("float")]


PROVENANCE = {"entity_from": "entity", "metric_from": "metric", "period_from": "period"}


def _at_most_info_when_assumed(frame: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """A conflict that rests on a field the text does not state is a question about the extraction, not a
    disagreement between sources: at most `info`, saying which field was assumed, so a steward checks it first."""
    present = [c for c in PROVENANCE if c in claims.columns]
    if frame.empty or not present:
        frame["assumed"] = None
        return frame
    cited = claims[claims["claim_id"].isin(_cited_ids(frame))]   # only the conflicts' claims: cheap on 1M rows
    assumed_of = cited.set_index("claim_id")[present] == "assumed"
    assumed_of = assumed_of[assumed_of.any(axis=1)]
    lo, hi = _widened(cited)
    intervals = {cid: (a, b) for cid, a, b in zip(cited["claim_id"], lo, hi, strict=True) if a == a and b == b}
    notes: list[str | None] = []
    assumed_ids = set(assumed_of.index)
    for i, row in frame.iterrows():
        ids = str(row["claim_ids"]).split(";")
        if assumed_ids.isdisjoint(ids):   # most conflicts: every field stated, nothing to note
            notes.append(None)
            continue
        hits = assumed_of[assumed_of.index.isin(ids)]
        fields = [PROVENANCE[c] for c in present if c in hits and hits[c].any()]
        notes.append(";".join(fields) or None)
        assumed_here = set(hits.index)
        if fields and row["kind"] == "value" and \
                _split([intervals[c] for c in ids if c in intervals and c not in assumed_here]):
            # the claims that state every field disagree by themselves: the assumed ones only add to it
            frame.at[i, "explanation"] = (f"{row['explanation']} The claims that state every field disagree by "
                                          f"themselves; the {' and '.join(fields)} of {', '.join(hits.index)} is "
                                          f"assumed.")
            continue
        if fields:
            frame.at[i, "severity"] = "info"
            frame.at[i, "explanation"] = (f"{row['explanation']} Needs checking: the {' and '.join(fields)} of "
                                          f"{', '.join(hits.index)} is assumed (the text does not state it); "
                                          f"check the extraction before deciding.")
    frame["assumed"] = notes
    return frame


def _split(intervals: list[tuple[float, float]]) -> bool:
    """Whether these widened intervals split into more than one chain of overlaps (interval_clusters' rule, for
    the few claims of one conflict: a frame and a groupby per conflict cost seconds at a million claims)."""
    reach = None
    for low, high in sorted(intervals):
        if reach is not None and low > reach:
            return True
        reach = high if reach is None else max(reach, high)
    return False


def _cited_ids(frame: pd.DataFrame) -> set[str]:
    return {i for ids in frame["claim_ids"] for i in str(ids).split(";") if i}


def _own_figures_need_checking(frame: pd.DataFrame, documents: pd.DataFrame | None,
                               claims: pd.DataFrame) -> pd.DataFrame:
    """Two values for one metric within a company's own releases (their publisher names it) almost always mean
    two scopes the words did not separate (a segment, GAAP and non-GAAP, an outlook): a question for the
    extraction, so at most `info`, with the scope named as assumed."""
    if frame.empty or documents is None or documents.empty:
        return frame
    publishers = dict(zip(documents["source_id"], documents["publisher"].fillna("").str.casefold(), strict=True))
    sources_of: dict[str, list[str]] = {}   # a publisher's sources: each publisher's name is searched once per entity
    for src, publisher in publishers.items():
        sources_of.setdefault(publisher, []).append(src)
    own_by_entity: dict[str, set[str]] = {}
    cited = claims[claims["claim_id"].isin(_cited_ids(frame)).to_numpy()][["claim_id", "source_id", "value"]]
    stated_by: dict[str, list[tuple[Any, float]]] = {}   # claim id → (source, value) of each of its rows
    for cid, src, value in zip(cited["claim_id"], cited["source_id"], cited["value"].astype(float), strict=True):
        stated_by.setdefault(cid, []).append((src, value))
    for i, row in frame[frame["kind"] == "value"].iterrows():
        entity = str(row["entity"] or "").casefold()
        if entity not in own_by_entity:
            own_by_entity[entity] = _sources_published_by(entity, sources_of)
        own = own_by_entity[entity]
        own_values = [value for cid in set(str(row["claim_ids"]).split(";")) for src, value in stated_by.get(cid, [])
                      if src in own and not math.isnan(value)]
        if len(set(np.round(np.array(own_values, dtype=float), 6).tolist())) < 2:
            continue  # the company's own releases do not disagree among themselves here
        if row["severity"] != "info":
            frame.at[i, "severity"] = "info"
            frame.at[i, "explanation"] = (f"{row['explanation']} Needs checking: {row['entity']}'s own releases "
                                          f"state different values here, which usually means two scopes the words "
                                          f"did not separate (a segment, GAAP or non-GAAP, an outlook).")
        earlier = row["assumed"] if isinstance(row["assumed"], str) else ""
        frame.at[i, "assumed"] = ";".join(filter(None, [earlier, "scope"]))
    return frame


def _sources_published_by(entity: str, sources_of: dict[str, list[str]]) -> set[str]:
    """The sources whose publisher names `entity` (casefolded) as a word."""
    if not entity:
        return set()
    named = re.compile(rf"\b{re.escape(entity)}\b")
    return {src for publisher, sources in sources_of.items() if named.search(publisher) for src in sources}


def _numeric(claims: pd.DataFrame) -> pd.DataFrame:
    """The float columns the rules compute with, as floats (what the schema's coercion gave them)."""
    wrong = [c for c in _FLOATS if c in claims.columns and claims[c].dtype != np.float64]
    return claims.astype({c: np.float64 for c in wrong}) if wrong else claims


def _verdicts(checked: pd.DataFrame, findings: list[Finding | None] | None = None) -> pd.DataFrame:
    """What pandera validates: each rule's verdict per claim, computed once here (the arithmetic one from
    `findings` when given). A rule that cannot run on these claims gets no column, and so no failing row."""
    columns: dict[str, pd.Series] = {}
    for check, rule in _RULES.items():
        try:
            columns[_VERDICTS[check]] = rule(checked).astype(bool)
        except Exception:  # noqa: BLE001 - no verdict, no conflict row, as when pandera ran the rule itself
            continue
    try:
        findings = findings if findings is not None else _compute_findings(checked)
        columns[_VERDICTS["arithmetic"]] = pd.Series([f is None for f in findings], index=checked.index, dtype=bool)
    except Exception:  # noqa: BLE001 - as above
        pass
    return pd.DataFrame(columns, index=checked.index)


def failing_rows_by_check(claims: pd.DataFrame, full: pd.DataFrame | None = None) -> dict[str, list[int]]:
    """Validate lazily; map each conflict check name to the claim indices it failed. `claims` is the claims
    frame, or the frame of their verdicts (`_verdicts`) with `full`, the claims frame, beside it.

    A row whose every cell (of the claims frame) is missing never fails: pandera's `ignore_na`, done here once
    instead of per check."""
    if not any(column in claims.columns for column in _VERDICTS.values()):
        claims, full = _verdicts(claims), claims
    try:
        ClaimConflicts.validate(claims, lazy=True, inplace=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["check"].isin(list(_VERDICTS))]
        blank = _blank_rows(full if full is not None else claims)
        out = {check: sorted(i for i in (int(i) for i in group["index"].dropna().unique()) if i not in blank)
               for check, group in cases.groupby("check")}
        return {check: rows for check, rows in out.items() if rows}
    return {}


def _blank_rows(df: pd.DataFrame) -> set[int]:
    """Indices of rows with every cell missing (only rows without a claim id can be)."""
    suspects = df[df["claim_id"].isna().to_numpy()] if "claim_id" in df.columns else df
    if suspects.empty:
        return set()
    return {int(i) for i in suspects.index[suspects.isna().all(axis="columns").to_numpy()]}


def _conflict_id(kind: str, key: str) -> str:
    return "k-" + hashlib.sha1(f"{kind}\x1f{key}".encode()).hexdigest()[:12]


def fingerprint(group: pd.DataFrame | Mapping[str, np.ndarray]) -> str:
    """Hash of the evidence a decision is made on: claim ids, their values and quotes (a frame's or arrays'
    cells as Python scalars, as iterating a Series gives them)."""
    columns = [group[c].tolist() for c in ("claim_id", "value_low", "value_high", "quote")]
    parts = sorted(f"{cid}|{low}|{high}|{quote}" for cid, low, high, quote in zip(*columns, strict=False))
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def _groups_in_order(keys: pd.Series) -> list[tuple[Any, np.ndarray]]:
    """(key, row positions) per distinct non-missing key, keys sorted as `groupby` sorts them, rows in order."""
    codes, uniques = pd.factorize(keys, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(uniques[g], order[bounds[g]:bounds[g + 1]]) for g in range(len(uniques))]


def _cite_side(part: pd.DataFrame | _Rows) -> str:
    """One side of a conflict in a few words: each value once, with where it is stated."""
    values: dict[tuple[Any, Any], list[tuple[Any, Any, Any]]] = {}   # in order of first appearance, as groupby
    for low, high, text, src, where in zip(part["value_low"].tolist(), part["value_high"].tolist(),
                                           part["value_text"].tolist(), part["source_id"].tolist(),
                                           part["location"].tolist(), strict=True):
        values.setdefault((_missing_as_none(low), _missing_as_none(high)), []).append((text, src, where))
    pieces = []
    for stated in values.values():
        text, src, where = stated[0]
        if len(stated) > 1:
            counts = Counter(s for _, s, _ in stated)
            where = "; ".join(f"{s} ×{counts[s]}" for s in sorted(counts))
        else:
            where = f"{src}, {where}"
        pieces.append(f"{str(text).strip()} ({where})")
    return ", ".join(pieces)


def _missing_as_none(x: Any) -> Any:
    """A missing value as one key (NaN never equals itself; groupby with dropna=False puts them together)."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def _base_row(kind: str, key: str, group: pd.DataFrame | _Rows, severity: str, explanation: str, rule: str,
              subject: Mapping[str, Any] | pd.Series[Any] | None = None) -> dict[str, Any]:
    """A conflict row; `subject` names its entity, metric and period when the first claim of `group` does not."""
    named = subject if subject is not None else cast(pd.DataFrame, group).iloc[0]
    return {
        "conflict_id": _conflict_id(kind, key), "kind": kind, "severity": severity,
        "entity": named["entity"], "metric": named["metric"], "period": named["period"],
        "claim_ids": ";".join(sorted(group["claim_id"])), "explanation": explanation, "status": "open",
        "rule": rule, "source_ids": ";".join(sorted(set(group["source_id"]))), "fingerprint": fingerprint(group),
    }


# What a value or date conflict row reads of its claims: a few columns of the failing rows, not all forty
_VALUE_COLUMNS = ["claim_id", "source_id", "location", "quote", "entity", "metric", "period", "value_low", "value_high",
                  "tolerance", "value_text", "group_key"]


def _value_conflicts(claims: pd.DataFrame, idx: list[int], kind: str) -> list[dict[str, Any]]:
    if not idx:
        return []
    sub = _narrow(claims.loc[idx], _VALUE_COLUMNS)
    clusters = interval_clusters(sub, "group_key").to_numpy()   # numbered within each group: once for all
    columns = {c: sub[c].to_numpy() for c in sub.columns}   # a group's rows as arrays: a frame each cost more
    rows = []
    for key, positions in _groups_in_order(sub["group_key"]):
        group, numbers = _rows_at(columns, positions), clusters[positions]
        parts = [_rows_at(group, np.flatnonzero(numbers == c)) for c in np.unique(numbers)]
        gap = _relative_gap(parts) if kind == "value" else _days_gap(parts)
        if kind == "value":
            severity = "error" if gap >= 0.10 else "warning"
        else:
            severity = "error" if gap >= 180 else "warning"
        sides = " vs ".join(_cite_side(part) for part in parts)
        sources = {s for s in group["source_id"].tolist() if _missing_as_none(s) is not None}   # as nunique()
        where = "within one source" if len(sources) == 1 else "across sources"
        first = {c: values[0] for c, values in group.items()}
        what = f"{first['entity']} {first['metric']}" + (
            f" ({first['period']})" if kind == "value" and first["period"] else "")
        if kind == "value":
            rule = "intervals-overlap"
            explanation = (f"{what}: {sides} — {where}, the values do not overlap even allowing "
                           f"{_tol_text(group)} for approximate and rounded figures (rule: intervals must overlap).")
        else:
            rule = "same-event-same-date"
            explanation = f"{what}: the same event is dated differently {where}: {sides} (rule: same event, same date)."
        rows.append(_base_row(kind, str(key), group, severity, explanation, rule, first))
    return rows


_Rows = Mapping[str, np.ndarray]   # some claims' columns, as arrays


def _narrow(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`rows` with only those of `columns` it has. Rows first, then columns: `loc[rows, columns]` on the whole
    claims table copies every row of those columns first (~40 ms a call at 200k claims)."""
    return rows[[c for c in columns if c in rows.columns]]


def _rows_at(columns: _Rows, positions: np.ndarray) -> dict[str, np.ndarray]:
    return {c: values[positions] for c, values in columns.items()}


def _tol_text(group: _Rows) -> str:
    tol = float(_nan_max(group["tolerance"].astype(float)) or 0.0)
    return f"±{tol * 100:.0f}%" if tol >= 0.01 else "rounding"


def _relative_gap(parts: Sequence[_Rows]) -> float:
    highs = [_nan_max(p["value_high"]) for p in parts]
    lows = [_nan_min(p["value_low"]) for p in parts]
    gaps = []
    for a in range(len(parts) - 1):
        hi, lo = highs[a], lows[a + 1]
        if math.isfinite(hi) and math.isfinite(lo) and hi > 0:
            gaps.append((lo - hi) / hi)
    return max(gaps) if gaps else 0.0


def _days_gap(parts: Sequence[_Rows]) -> float:
    def to_date(x: float) -> pd.Timestamp:
        return pd.Timestamp(date_of_code(x))  # type: ignore[arg-type]  # stubs omit None, which gives NaT
    gaps = []
    for a in range(len(parts) - 1):
        gaps.append((to_date(_nan_min(parts[a + 1]["value_low"])) - to_date(_nan_max(parts[a]["value_high"]))).days)
    return max(gaps) if gaps else 0.0


def _row_conflicts(claims: pd.DataFrame, idx: list[int], kind: str) -> list[dict[str, Any]]:
    if not idx:
        return []
    sub = claims.loc[idx]
    rows = []
    if kind == "category":
        key_cols = ["entity", "metric", "period", "stated_entity", "stated_metric"]
    else:
        key_cols = ["entity", "metric", "period", "granularity", "expected_granularity"]
    for key, group in sub.groupby(key_cols, dropna=False):
        first = group.iloc[0]
        cites = _cite_side(group)
        echoes = _echoes(claims, group) if kind == "category" else pd.DataFrame()
        evidence = pd.concat([group, echoes]) if not echoes.empty else group
        if kind == "category":
            named = first["stated_entity"] if isinstance(first["stated_entity"], str) else first["stated_metric"]
            also = ""
            if not echoes.empty:
                e = echoes.iloc[0]
                also = f" The same figure appears as {e['entity']} {e['metric']} in {e['source_id']} ({e['location']})."
            explanation = (f"{first['entity']} {first['metric']}: {cites} is recorded under '{first['metric']}' "
                           f"but its own words attribute it to '{named}' — a figure of another scope.{also}")
            rule = "stated-scope-matches-metric"
        else:
            explanation = (f"{first['entity']} {first['metric']}: {cites} is a {first['granularity']} figure "
                           f"in a column of {first['expected_granularity']} figures.")
            rule = "granularity-matches-column"
        rows.append(_base_row(kind, "|".join(str(k) for k in key), evidence, "warning", explanation, rule, first))
    return rows


def _echoes(claims: pd.DataFrame, group: pd.DataFrame) -> pd.DataFrame:
    """Claims elsewhere that state the same figure under the entity or metric the words name."""
    first = group.iloc[0]
    # narrow first (a cheap float compare), then test the few candidates' cells: pandas' steps on them cost more
    at = np.flatnonzero((claims["value_low"] == first["value_low"]).to_numpy())
    cells = {c: claims[c].to_numpy()[at].tolist() for c in ("value_high", "unit", "claim_id", "entity", "metric")}
    ids = {_missing_as_none(c) for c in group["claim_id"].tolist()}
    named = [(column, first[stated]) for column, stated in (("entity", "stated_entity"), ("metric", "stated_metric"))
             if isinstance(first[stated], str)]
    echoes = [at[k] for k in range(len(at))
              if _equal(cells["value_high"][k], first["value_high"]) and _equal(cells["unit"][k], first["unit"])
              and _missing_as_none(cells["claim_id"][k]) not in ids
              and any(_equal(cells[column][k], name) for column, name in named)]
    return claims.iloc[echoes]


def _equal(a: Any, b: Any) -> bool:
    """`a == b` as a pandas comparison has it: never true when either is missing."""
    return _missing_as_none(a) is not None and _missing_as_none(b) is not None and bool(a == b)


def _arithmetic_conflicts(claims: pd.DataFrame, idx: list[int],
                          findings: list[Finding | None] | None = None) -> list[dict[str, Any]]:
    if not idx:
        return []
    findings = findings if findings is not None else arithmetic_findings(claims)
    # the claims any finding cites, then one hash table of their ids (not of a million) for every look-up
    cited = claims[claims["claim_id"].isin({c for i in idx if (f := findings[i]) is not None for c in f.support})
                   .to_numpy()][_EVIDENCE_COLUMNS]
    ids = pd.Index(cited["claim_id"])
    rows = []
    by_key: dict[str, list[int]] = {}
    key_cols = ["entity", "metric", "period", "relation", "members", "unit"]
    # plain records: a row of the million-row frame per failing claim costs a millisecond
    failing = claims.loc[idx]
    stated_rows = _narrow(failing, key_cols + ["base_metric"])
    for i, r in zip(idx, stated_rows.to_dict("records"), strict=True):
        key = "|".join(str(_about(r) if c == "metric" else r[c]) for c in key_cols)
        by_key.setdefault(key, []).append(i)
    failing = _narrow(failing, _EVIDENCE_COLUMNS + _STATED_COLUMNS)
    for key, members in by_key.items():
        stated = failing.loc[members]
        finding = findings[members[0]]
        if finding is None:
            continue
        group = _first_of_each_claim([stated, _rows_of(cited, finding.support, ids)])
        first = stated.iloc[0]
        unit = first["unit"]
        exp = _interval_text(finding, unit)
        what = {"sum-of-parts": f"the sum of its parts ({', '.join(str(first['members']).split(';'))})",
                "growth-vs-components": f"the figures for {first['period']} and {first['base_period']}",
                "multiple-vs-components": f"the figures for {first['period']} and {first['base_period']}",
                "annualisation": "the period figure it is annualised from"}[finding.rule]
        cites = _cite_side(stated)
        gap = _finding_gap(stated, finding)
        explanation = (f"{first['entity']} {first['metric']} ({first['period']}): {cites} does not follow from "
                       f"{what}, which gives {exp}.")
        subject = {"entity": first["entity"], "metric": _about(first), "period": first["period"]}
        rows.append(_base_row("arithmetic", key, group, "error" if gap >= 0.10 else "warning", explanation,
                              finding.rule, subject))
    return rows


# what a conflict's fingerprint and ids read of its evidence; what an arithmetic one's text reads of the stated figure
_EVIDENCE_COLUMNS = ["claim_id", "source_id", "value_low", "value_high", "quote"]
_STATED_COLUMNS = ["entity", "metric", "period", "base_period", "members", "unit", "value_text", "location",
                   "base_metric"]


def _first_of_each_claim(frames: list[pd.DataFrame]) -> dict[str, np.ndarray]:
    """The evidence columns of `frames` one after the other, each claim id once (its first row), as arrays:
    `pd.concat(frames).drop_duplicates("claim_id")` without building either frame."""
    columns = {c: np.concatenate([f[c].to_numpy() for f in frames]) for c in _EVIDENCE_COLUMNS}
    first: dict[Any, int] = {}
    for i, cid in enumerate(columns["claim_id"].tolist()):
        first.setdefault(_missing_as_none(cid), i)   # missing ids count as one id, as drop_duplicates has it
    return _rows_at(columns, np.array(list(first.values()), dtype=np.intp))


def _about(r: pd.Series | Mapping[Any, Any]) -> Any:
    """The metric an arithmetic finding is about: a growth rate's or multiple's base metric (its parts' metric)."""
    base = r.get("base_metric")
    return base if isinstance(base, str) else r["metric"]


def _rows_of(claims: pd.DataFrame, claim_ids: list[str], ids: pd.Index) -> pd.DataFrame:
    """claims[claims.claim_id.isin(claim_ids)], through a prebuilt index of the claim_id column."""
    if not claim_ids:
        return claims.iloc[0:0]
    if not ids.is_unique:
        return claims[claims["claim_id"].isin(claim_ids)]
    positions = ids.get_indexer(pd.Index(list(claim_ids), dtype=object))
    return claims.iloc[np.unique(positions[positions >= 0])]


def _interval_text(finding: Finding, unit: str) -> str:
    low, high = finding.expected_low, finding.expected_high
    if not math.isnan(finding.stated_low):
        low, high = finding.stated_low, finding.stated_high
    if math.isclose(low, high, rel_tol=1e-9):
        return render_value(low, unit)
    return f"{render_value(low, unit)}–{render_value(high, unit)}"


def _finding_gap(stated: pd.DataFrame, finding: Finding) -> float:
    lo, hi = float(stated["value_low"].min()), float(stated["value_high"].max())
    if hi < finding.expected_low and hi > 0:
        return (finding.expected_low - hi) / abs(hi)
    if lo > finding.expected_high and finding.expected_high > 0:
        return (lo - finding.expected_high) / abs(finding.expected_high)
    return 0.0
