"""Normalise stage: figure mentions → the typed claims table.

Turns each mention's quantity into value / value_low / value_high in base
units, gives undated figures the period their granularity implies at the
source's as-of date, computes the comparison tolerance, and builds the key
that groups claims about the same thing.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import operator
import re
from dataclasses import replace
from typing import Any, cast

import numpy as np
import pandas as pd
from pandera.typing.pandas import DataFrame

from .extract import Mention
from .quantities import Period, Quantity, date_code
from .quantities.periods import none_off_calendar
from .schemas import DetectClaimsSchema, columns_of
from .vocab import Cues, Metric, Vocabulary

PERIOD_GRANULARITY = {"quarter": "quarterly", "month": "monthly"}
YEAR_ON_YEAR = re.compile(r"(?i)\b(?:yoy|y/y|year[- ]over[- ]year|year[- ]on[- ]year|from a year (?:earlier|ago))\b")
FLOWS = ("annual", "quarterly", "monthly")
# a flow metric's usual granularity yields to the span its stated period covers
FLOW_SPANS = {"quarter": "quarterly", "month": "monthly", "year": "annual", "fiscal_year": "annual",
              "year_to_date": "cumulative", "to_date": "cumulative", "ahead": "cumulative"}
# the granularity a dated figure with no other word for it takes from its period's span
SPAN_GRANULARITY = {"quarter": "quarterly", "year": "annual", "fiscal_year": "annual", "day": "point",
                    "year_to_date": "cumulative", "to_date": "cumulative", "ahead": "cumulative"}
# find_periods' spans counted from the as-of date: a figure over one is a total over it
COUNTED_SPANS = ("to_date", "year_to_date", "ahead")
MAX_ROUNDING = 0.10
TIME_PER = {"quarter": "quarterly", "month": "monthly", "year": "annual"}


# The claims table's columns: the published contract, then what the detectors use (claims.csv has both).
CLAIM_COLUMNS = columns_of(DetectClaimsSchema)


def claims_frame(mentions: list[Mention], published: dict[str, dt.date],
                 vocab: Vocabulary) -> DataFrame[DetectClaimsSchema]:
    rows = [_claim_row(m, published[m.source_id], vocab) for m in mentions]
    rows = _dedupe_ids(rows)
    # pandera's DataFrame[...] is a static marker: a plain frame of the model's columns is one
    return cast("DataFrame[DetectClaimsSchema]", _frame_of(rows))  # a string: no subscript made each call


_FLOAT_COLUMNS = ("value", "value_low", "value_high", "tolerance")
# every other column holds strings or None, typed object as pandas types a list of them
_TYPED_COLUMNS = {**dict.fromkeys(_FLOAT_COLUMNS, float), "line": int, "metric_imposed": bool}
_ROW_VALUES = operator.itemgetter(*CLAIM_COLUMNS)   # a row's values in column order; KeyError if one lacks a column


def _frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The claims table of `rows`, built from one numpy array a column: pandas takes about 4 ms a document to
    build a frame from a list of dicts, a tenth of that from arrays (from lists it infers each column's type).
    Rows that lack a column take the list-of-dicts path, which fills the gap the way pandas does. No rows (many
    documents state no figure) give a copy of the empty table, typed as that path types it, made once."""
    if not rows:
        return _empty_claims().copy()
    try:
        values = list(zip(*map(_ROW_VALUES, rows), strict=True))
    except KeyError:
        return _frame_of_dicts(rows)
    columns: dict[str, Any] = {}
    for col, column in zip(CLAIM_COLUMNS, values, strict=True):
        typed = _TYPED_COLUMNS.get(col)
        if typed is not None:
            columns[col] = np.array(column, dtype=typed)   # None → NaN in a float column, as astype(float) gives
        else:
            columns[col] = arr = np.empty(len(column), dtype=object)  # np.array would read a tuple as a row
            arr[:] = column
    return pd.DataFrame(columns)  # the dict is in CLAIM_COLUMNS order; columns= would re-select (slower)


def _frame_of_dicts(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    for col in _FLOAT_COLUMNS:
        frame[col] = frame[col].astype(float)
    frame["line"] = frame["line"].astype(int)
    return frame


@functools.lru_cache(maxsize=1)
def _empty_claims() -> pd.DataFrame:
    return _frame_of_dicts([])


def _claim_row(m: Mention, published: dt.date, vocab: Vocabulary) -> dict[str, Any]:
    metric_def = vocab.metrics.get(m.metric or "")
    q = m.quantity
    if q is None:
        return _date_row(m, published, vocab)
    if m.relation == "consensus":
        # Analysts' consensus is its own kind of figure (real-dev README, convention 4): compared with other
        # consensus figures, never with the actual.
        # Analysts' consensus EPS is the adjusted one: named after the base metric, so consensus figures compare.
        measured = vocab.measured(m.metric) or m.metric
        m = replace(m, relation=None, metric=CONSENSUS_NAME.format(base=measured) if measured else None)
        metric_def = vocab.metrics.get(m.metric or "") or vocab.definition(measured)  # dated like the actual
    measure = metric_def or vocab.definition(m.metric)  # "non_gaap_eps" is dated like eps
    unit = q.unit
    granularity = m.granularity
    per = q.per if q.per and q.per not in TIME_PER else None  # a price per user or per GPU, not a period
    if granularity is None and m.relation is None:
        granularity = m.expected_granularity if m.expected_granularity not in (None, "run_rate") else None
        if granularity is None and measure is not None:
            granularity = measure.granularity
    if m.relation == "annualised":
        granularity = "annual"
    if granularity in FLOWS and m.relation != "annualised" and m.granularity is None \
            and m.expected_granularity is None and m.period is not None and \
            m.period.granularity in FLOW_SPANS:
        granularity = FLOW_SPANS[m.period.granularity]  # "Q3 revenue", "orders in 2024": a flow over that span
    if granularity in FLOWS and m.relation is None and m.period is not None and m.period.granularity == "day":
        granularity = "point"  # "a quarterly dividend of $0.01 per share on July 3": paid on a day
    period = m.period or _default_period(granularity, published)
    m, period, granularity = _as_of_day(m, measure, period, granularity, published, vocab.cues)
    if granularity is None and m.relation is None and period is not None and period.relation in ("by", "end") \
            and unit not in ("percent", "pp", "multiple"):
        period, granularity = _day(period.end), "point"  # "add 5 GW by 2030": as of the deadline's last day
    if granularity is None and m.relation != "annualised":
        granularity = _granularity_of_span(period)
    if granularity == "point" and m.granularity is None and m.period is not None and \
            m.period.granularity in COUNTED_SPANS:
        granularity = "cumulative"  # "$450 billion in investment over the next three years": a total over them
    base = m.base_period
    if base is None and m.relation in ("growth", "multiple") and period is not None and (
            vocab.cues.year_on_year.search(_around(m))
            or (m.relation == "growth" and period.granularity in ("year", "fiscal_year") and m.context == "prose")):
        base = _previous_year(period)  # "revenue climbed 56% to $216B" for a year: against the year before
    tolerance = _tolerance(q, vocab.approx_tolerance)
    qualifier = "superseded" if m.superseded else q.qualifier
    stated = vocab.metrics.get(m.stated_metric or "")
    metric = _stated_kind(m, vocab, period, base)
    row = {
        "source_id": m.source_id, "location": m.location, "quote": m.quote.strip() or q.text,
        "entity": m.entity, "metric": metric, "period": canonical_label(period) if period else None,
        "value": _finite(q.value), "value_low": q.low, "value_high": q.high, "unit": unit, "qualifier": qualifier,
        "granularity": granularity, "expected_granularity": m.expected_granularity,
        "period_start": _iso(period.start) if period else None,
        "period_end": _iso(period.end) if period else None,
        "scope": _scope(m, vocab), "stated_metric": m.stated_metric, "stated_entity": m.stated_entity,
        "relation": m.relation, "base_period": canonical_label(base) if base else None,
        "members": ";".join(m.members) or None, "tolerance": tolerance, "value_text": q.text,
        "context": m.context, "line": m.line, "published": _iso(published),
        "metric_family": metric_def.family if metric_def else None,
        "metric_scope": metric_def.scope if metric_def else None,
        "stated_family": stated.family if stated else None, "stated_scope": stated.scope if stated else None,
        "metric_imposed": bool(m.metric_imposed), "per": per, "base_metric": m.metric,
        **_provenance(m, period, metric),
    }
    if m.members:
        row["entity"] = _group_name(m.members, vocab) or row["entity"]
    # a figure nothing dates is as of the publication day for the reader, but is compared with nothing
    row["group_key"] = None if m.period is None and period is not None and period.granularity == "day" \
        else _group_key(row, m, vocab)
    row["claim_id"] = _claim_id(m, q.text, q.start)
    return row


# How a change of a metric is named (real-dev README, conventions 4 and 6): a growth rate in percent is
# `<base>_growth_qoq|yoy`, a move in points of a percentage metric `<base>_change_qoq|yoy`.
CHANGE_NAMES = {"percent": "{base}_growth_{span}", "pp": "{base}_change_{span}"}
# A move in points of a level set on a day (a central bank's rate) has no span: it is that day's change.
DAY_CHANGE_NAME = "{base}_change"
# Unit kinds that only a physical unit says (gigawatts, petaflops, terabytes): a growth rate cannot show them.
MEASURED_IN_UNITS = frozenset({"power", "device_power", "compute", "memory"})
CONSENSUS_NAME = "{base}_consensus"


def _stated_kind(m: Mention, vocab: Vocabulary, period: Period | None, base: Period | None) -> str | None:
    """The metric the figure states: the mention's metric, or for a change of it, the change's own name.

    A change whose span (quarter on quarter, year on year) the text does not give, and a multiple ('grew 7x'),
    are kinds the vocabulary does not name: no metric, rather than the level's. `base_metric` keeps the level's."""
    q = m.quantity
    if not m.metric or q is None or m.metric not in vocab.metrics:
        return m.metric
    if m.relation == "multiple":
        return None
    measures_itself = vocab.accepts(m.metric, "percent")  # "shares fell 8%": the change is the metric
    if q.unit == "pp" and measures_itself or q.unit == "percent" and m.relation == "growth" and not measures_itself:
        if set(vocab.metrics[m.metric].units) <= MEASURED_IN_UNITS:
            return None  # "domestic capacity is up 2.1%": a word like 'capacity' names power only beside a power unit
        span = _span_of_change(m, vocab, period, base)
        if span:
            return CHANGE_NAMES[q.unit].format(base=m.metric, span=span)
        return DAY_CHANGE_NAME.format(base=m.metric) if q.unit == "pp" and _set_on_a_day(m.metric, vocab) else None
    return m.metric


def _set_on_a_day(metric: str, vocab: Vocabulary) -> bool:
    """A level that holds from the day it is set (a rate decision), not a quarter's or a year's measure."""
    return vocab.metrics[metric].granularity == "point"


def _span_of_change(m: Mention, vocab: Vocabulary, period: Period | None, base: Period | None) -> str | None:
    """'qoq' or 'yoy': from the span words right after the figure (the first, before any next rate), else from
    the base period."""
    assert m.quantity is not None, "a rate of change is a figure"
    around = _around(m, 40)
    after = around[len(m.quantity.text):]
    next_rate = re.search(r"\d[\d.,]*\s*(?:%|percent|pts?\b|points?\b)", after)
    after = after[:next_rate.start()] if next_rate else after
    span_cues = ((vocab.cues.year_on_year, "yoy"), (vocab.cues.quarter_on_quarter, "qoq"))
    said = [(found.start(), span) for cue, span in span_cues for found in [cue.search(after)] if found]
    if said:
        return min(said)[1]
    if base is not None and period is not None:
        months = (period.start.year - base.start.year) * 12 + period.start.month - base.start.month
        return "qoq" if 2 <= months <= 4 else "yoy" if 11 <= months <= 13 else None
    if period is not None and period.granularity == "quarter" and m.period is not None:
        return "yoy"  # "quarterly revenues were up 14%": a stated quarter's growth, unqualified, is on the year before
    return None


# The spans a results release reports on: a level or a deal its title dates by one is as of a day of it.
REPORTING_SPANS = ("quarter", "half", "year", "fiscal_year", "month")


def _as_of_day(m: Mention, metric_def: Metric | None, period: Period | None, granularity: str | None,
               published: dt.date, cues: Cues) -> tuple[Mention, Period | None, str | None]:
    """A point or to-date figure that only the document's reporting period dates ('Third Quarter 2025 Results'):
    a level is as of the period's end (backlog, capacity), a deal or spec the release announces as of its
    publication day, which the text does not state (assumed)."""
    as_of = metric_def.as_of if metric_def is not None else None
    if as_of == "trading_day" and m.period is None and m.relation is None:
        return m, _day(published), "point"  # a day's move
    if metric_def is None and m.metric is None and m.period_from == "title" and m.granularity is None and \
            m.relation in (None, "multiple") and m.base_period is None and period is not None and \
            period.granularity in REPORTING_SPANS and m.quantity is not None and \
            m.quantity.unit in ("count", "multiple"):
        # a count or multiple the vocabulary does not name ('up to 30x higher throughput', 'over 125 games') in a
        # results release is a spec or a level, not a flow of the reported quarter: as of publication (assumed).
        # Money it cannot name ('closed a $2.6B facility') is more often the quarter's transaction: left alone.
        return replace(m, period_from="assumed"), _day(published), "point"
    if as_of is None or period is None or m.period is None or m.relation is not None or \
            granularity not in ("point", "cumulative") or period.granularity not in REPORTING_SPANS or \
            m.granularity is not None or m.expected_granularity is not None:
        return m, period, granularity  # a granularity the text gives ("Cumulative Users") stands
    if as_of == "period_end" and m.period_from in ("title", "heading") and _planned(m, cues):
        return replace(m, period_from="assumed"), _day(published), "point"  # a deal the release announces
    if as_of == "period_end" and m.period_from in ("title", "heading", "clause", "previous sentence"):
        return m, _day(period.end), "point"  # "backlog of $55.6B in the third quarter": as of its end
    if as_of in ("published", "trading_day") and m.period_from == "title":
        return replace(m, period_from="assumed"), _day(published), "point"
    return m, period, granularity


# A document's rows share their dates' strings and their made-up periods (one object each, memoised): cheaper
# to build, and pickled once per document when a pool worker sends its claims back (a third of their bytes).
_iso = functools.lru_cache(maxsize=4096)(dt.date.isoformat)


@functools.lru_cache(maxsize=4096)
def _day(day: dt.date) -> Period:
    return Period("", 0, 0, _iso(day), day, day, "day")


def _provenance(m: Mention, period: Period | None, metric: str | None) -> dict[str, Any]:
    """Where the claim's fields were read; a period the text does not give is the publication date, assumed."""
    return {"entity_from": (m.entity_from or "assumed") if m.entity else None,
            "metric_from": (m.metric_from or "assumed") if metric else None,
            "period_from": (m.period_from or "assumed") if m.period is not None else
            ("assumed" if period is not None else None)}


def _date_row(m: Mention, published: dt.date, vocab: Vocabulary) -> dict[str, Any]:
    p = m.period
    assert p is not None, "a mention without a figure is an event's date"
    low, high = float(date_code(p.start)), float(date_code(p.end))
    row = {
        "source_id": m.source_id, "location": m.location, "quote": m.quote.strip(), "entity": m.entity,
        "metric": m.metric, "period": p.label, "value": low if low == high else None, "value_low": low,
        "value_high": high, "unit": "date", "qualifier": p.relation if p.relation != "in" else "exact",
        "granularity": "point", "expected_granularity": None, "period_start": _iso(p.start),
        "period_end": _iso(p.end), "scope": m.counterparty, "stated_metric": None, "stated_entity": None,
        "relation": None, "base_period": None, "members": None, "tolerance": 0.0, "value_text": p.text,
        "context": m.context, "line": m.line, "published": _iso(published), "metric_family": "event",
        "metric_scope": m.event, "stated_family": None, "stated_scope": None, "metric_imposed": False, "per": None,
        "base_metric": m.metric,
        **_provenance(m, p, m.metric),
    }
    parties = sorted({_top(m.entity, vocab)} | {_top(c, vocab) for c in (m.counterparty or "").split(";") if c})
    row["group_key"] = "|".join(["date", m.metric or "", "+".join(p for p in parties if p)]
                                + ([f"{p.start.year}-Q{(p.start.month - 1) // 3 + 1}"]
                                   if vocab.event_recurring.get(m.event or "") else []))  # each quarter's dividend
    row["claim_id"] = _claim_id(m, p.text, p.start_offset)
    return row


# A replaced figure ('raised from $5B') and a magnitude ('tens of billions of dollars') are recorded, never compared.
NOT_COMPARED = ("superseded", "vague")


def _group_key(row: dict[str, Any], m: Mention, vocab: Vocabulary) -> str | None:
    """Claims with the same key state the same thing and must agree."""
    if not row["entity"] or not row["metric"] or row["qualifier"] in NOT_COMPARED or not row["period_start"]:
        return None  # an undated growth rate, an unnamed or a vague figure has nothing to be compared with
    if row["stated_family"] and row["stated_family"] != row["metric_family"]:
        return None  # its own words say it measures something else: the category check reports it
    subject = row["entity"]
    metric_def = vocab.metrics.get(row["metric"])
    if metric_def is not None and metric_def.relational:
        if not m.counterparty:
            return None  # an investment or contract with no named other party cannot be matched
        parties = sorted({_top(row["entity"], vocab), _top(m.counterparty, vocab)})
        subject = "+".join(parties)
    when = f"{row['period_start']}..{row['period_end']}" if row["period_start"] else ""
    if row["granularity"] in ("point", "cumulative") and row["period_end"] and \
            not (metric_def and metric_def.as_of == "trading_day"):
        when = "as of " + row["period_end"][:7]  # "Q2 FY2026", "end of Q2 FY2026", "November 2025": one as-of month
    unit = f"{row['unit']}/{row['per']}" if row["per"] else row["unit"]
    return "|".join([str(subject), str(row["metric"]), when, str(row["granularity"]), str(unit),
                     str(row["relation"] or ""), str(row["base_period"] or ""),
                     str((row["scope"] if not (metric_def and metric_def.relational) else "") or "")])


def _group_name(members: tuple[str, ...], vocab: Vocabulary) -> str | None:
    """A named group with exactly these members ('Big Tech'), else the members joined with '+'."""
    wanted = tuple(sorted(members))
    for name, entity in vocab.entities.items():
        if entity.kind == "group" and tuple(sorted(entity.members)) == wanted:
            return name
    return "+".join(wanted)


def _scope(m: Mention, vocab: Vocabulary) -> str | None:
    metric_def = vocab.metrics.get(m.metric or "")
    if metric_def is not None and metric_def.relational and m.counterparty:
        return m.counterparty
    return m.scope


def _top(name: str | None, vocab: Vocabulary) -> str:
    if not name:
        return ""
    chain = [name] + vocab.ancestors(name)
    companies = [n for n in chain if vocab.entities.get(n) and vocab.entities[n].kind == "company"]
    return companies[-1] if companies else chain[-1]


def _tolerance(q: Quantity, approx: float) -> float:
    """Relative slack: the approximation allowance for '~' figures, else half the last stated digit."""
    rounding = 0.0
    if q.sig:  # else no rounding: the scale is not needed
        low, high, value = q.low, q.high, q.value or 0.0
        isfinite = math.isfinite
        # the largest finite bound (a 0.0 in place of an infinite one changes no maximum of absolute values)
        scale = max(abs(low) if isfinite(low) else 0.0, abs(high) if isfinite(high) else 0.0,
                    abs(value) if isfinite(value) else 0.0) if isfinite(low) or isfinite(high) else 0.0
        # Half the last stated digit, capped: "1 million" is not a licence for ±50%.
        rounding = min((q.sig / scale) if scale else 0.0, MAX_ROUNDING)
    allowance = approx if q.qualifier in ("approx", "approx_range") else 0.0
    return float(max(rounding, allowance))


def canonical_label(p: Period) -> str:
    """One name per span: a fiscal year that is the calendar year (FY2024 of a December year-end) reads '2024'."""
    if p.granularity == "fiscal_year" and p.start.month == 1 and p.start.day == 1 and p.end.month == 12:
        return str(p.start.year)
    if p.granularity == "quarter" and p.label.startswith("FY") and p.start.day == 1 and p.start.month in (1, 4, 7, 10) \
            and p.relation != "end":  # the end of a fiscal quarter, narrowed to its last month, is still that quarter
        return f"{p.start.year}-Q{(p.start.month - 1) // 3 + 1}"
    return p.label


def _granularity_of_span(period: Period | None) -> str | None:
    """A figure nothing else qualifies: a flow over its quarter or year, else as of its date. An undated one is
    as of the publication date (its period is then assumed, see _default_period)."""
    if period is None:
        return "point"
    return SPAN_GRANULARITY.get(period.granularity, "point" if period.start == period.end else None)


@functools.lru_cache(maxsize=4096)
@none_off_calendar
def _default_period(granularity: str | None, published: dt.date) -> Period | None:
    """An undated figure is as of its source's date: the year, the last full quarter, or the month; with no
    granularity either, the day itself."""
    if granularity == "annual":
        y = published.year
        return Period("", 0, 0, str(y), dt.date(y, 1, 1), dt.date(y, 12, 31), "year")
    if granularity == "quarterly":
        q = (published.month - 1) // 3  # last completed quarter
        y = published.year if q else published.year - 1
        q = q or 4
        start = dt.date(y, 3 * q - 2, 1)
        end = (dt.date(y + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1))
        return Period("", 0, 0, f"{y}-Q{q}", start, end, "quarter")
    if granularity is None:
        return _day(published)
    start = published.replace(day=1)
    end = (start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1) - dt.timedelta(days=1))
    return Period("", 0, 0, f"{published.year}-{published.month:02d}", start, end, "month")


@none_off_calendar
def _previous_year(p: Period) -> Period | None:
    if p.granularity in ("year", "fiscal_year") and p.label[-4:].isdigit():
        y = int(p.label[-4:]) - 1
        label = p.label[:-4] + str(y)
        return Period("", 0, 0, label, p.start.replace(year=p.start.year - 1), p.end.replace(year=p.end.year - 1),
                      p.granularity)
    return None


def _planned(m: Mention, cues: Cues) -> bool:
    """'OpenAI to deploy at least 10 gigawatts', 'an initial 100 MW': the figure is a deal or plan, not a level."""
    q = m.quantity
    idx = m.quote.find(q.text) if q is not None else -1
    return idx >= 0 and bool(cues.plan_before.search(m.quote[max(0, idx - 60):idx]))


def _around(m: Mention, width: int = 20) -> str:
    q = m.quantity
    if q is None:
        return ""
    idx = m.quote.find(q.text)
    return m.quote[idx: idx + len(q.text) + width] if idx >= 0 else m.quote


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _claim_id(m: Mention, text: str, offset: int) -> str:
    key = (f"{m.source_id}\x1f{m.location}\x1f{m.quote}\x1f{text}\x1f{offset}\x1f{m.metric}\x1f{m.relation}"
           f"\x1f{m.entity}")
    return "c-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _dedupe_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same figure read twice from one place (e.g. two readings of a cell) is one claim."""
    seen: set[str] = set()
    out = []
    for row in rows:
        if row["claim_id"] in seen:
            continue
        seen.add(row["claim_id"])
        out.append(row)
    return out
