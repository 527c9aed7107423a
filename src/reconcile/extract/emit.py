"""Figure → mention: what a figure's own words add to its site (relation, granularity, a stated metric or
entity, superseded), and the figures of a table cell, the first of which takes the cell's metric."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from ..quantities import Period, Quantity, Unparsed, find_periods
from ..vocab import Cues
from .lexicon import WORD_MULTIPLE_VALUES
from .model import FigureSite, Reading
from .periods import (
    base_period,
    find_quantities,
    granularity_before,
    granularity_of_figure,
    is_bare_small,
    is_relation_base,
    level_before,
    outside_periods,
)
from .words import gap, group_members, metrics_beside_entities, nearest, prepositional, target_scope, trailing_qualifier

_Bound = TypeVar("_Bound", float, float | None)  # a bound is a float, a point value may be missing


def figure(r: Reading, q: Quantity, text: str, site: FigureSite) -> None:
    """One mention: the figure `q` found in `text`, at `site`."""
    cues, vocab = r.cues, r.vocab
    before, after = text[max(0, q.start - 40):q.start], text[q.end:q.end + 40]
    relation = _relation(cues, q, before, after, site)
    if relation is None and is_consensus(cues, text, q):
        relation = "consensus"  # analysts' figure: named `<metric>_consensus` in the claim, never the actual
    if relation == "growth" and _declines(cues, q, before, after):
        q = _negated(q)  # "fell 5%", "2.35% lower": a fall is a negative change
    profit = vocab.metrics.get(site.metric or "")
    if (site.metric is None or (profit is not None and profit.signed)) and q.unit not in ("percent", "pp") \
            and q.low >= 0 and cues.loss_before.search(before):
        q = _negated(q)  # "a loss of 49 cents" per share is -0.49
    implied = vocab.implied_metric(q.unit) if site.metric is None and relation is None and site.context == "prose" \
        else None
    if implied is not None:  # '10 gigawatts of systems': the unit says what it measures, no word does (assumed)
        site = site.but(metric=implied, metric_from="assumed")
    metric = _metric_for_unit(r, q, site.metric, relation)
    if metric in vocab.metrics and vocab.metrics[metric].granularity == "point" and \
            q.unit not in ("percent", "pp", "multiple") and cues.increment_before.search(before):
        metric = None  # "Added 120 MW of active power": an addition to a level, a kind the vocabulary does not name
    if metric is not None and q.unit not in ("percent", "pp", "multiple") and cues.change_by_before.search(before):
        metric = None  # "increasing Stockholders' Equity by $1.2 billion": a change of it, not its level
    if site.change:
        metric, relation = _change_metric(q, site.metric, site.change)
    base = base_period(cues, after, r.published, vocab.fiscal_year_end(site.entity)) \
        if relation in ("growth", "multiple") else None
    year_ago = site.context == "prose" and bool(cues.year_ago_after.match(after)) and \
        bool(cues.comparative_before.search(before[-30:]))
    # "a year ago" says when, not "a year" of revenue
    own_gran = granularity_of_figure(cues, q, "" if year_ago else after) or granularity_before(cues, before) \
        or site.granularity
    metric_def = vocab.metrics.get(metric or "")
    if own_gran is None and site.context == "prose" and cues.this_quarter.match(after[:60]) and \
            not (metric_def is not None and metric_def.granularity == "point"):
        own_gran = "quarterly"  # "$35.1B in the fourth quarter" is a flow; "backlog of $55B in the quarter" a level
    specific = metric_def is not None and metric_def.scope not in ("total", "any")
    stated_entity = _stated_entity(r, text, q, site.entity) if site.imposed and specific else None
    if stated_entity and metric_def is not None and \
            getattr(vocab.entities.get(stated_entity), "scope", None) == metric_def.scope:
        stated_entity = None  # "$35.6B (AWS)" in a cloud-revenue column names the cloud business it measures
    superseded = bool(cues.superseded_before.search(before[-30:])) and not site.secondary
    if site.context != "prose" and site.secondary and cues.superseded_before.search(before[-30:]):
        superseded = True
    if cues.difference_after.match(after):
        relation = "difference"  # "$15 billion more than forecast" is a gap, not a level
    r.add(site, entity=site.entity, metric=metric, quantity=q, period=site.period, granularity=own_gran,
          expected_granularity=site.expected, metric_imposed=site.imposed, stated_metric=site.stated_metric,
          stated_entity=stated_entity, scope=site.scope, counterparty=site.counterparty,
          relation=relation or ("annualised" if _annualised(cues, q, before, after) else None), base_period=base,
          members=tuple(site.members), superseded=superseded, year_ago=year_ago, **provenance(site, metric))


def is_consensus(cues: Cues, text: str, q: Quantity) -> bool:
    """'above estimates of $66.21 billion', '$1.53 forecast from analysts': an analysts' figure."""
    return bool(cues.consensus_before.search(text[max(0, q.start - 60):q.start]) or
                cues.consensus_after.match(text[q.end:q.end + 40]))


def provenance(site: FigureSite, metric: str | None) -> dict[str, str]:
    """The site's `*_from` values for the fields it fills; a field the site fills without saying where is assumed."""
    def source(value: object, stated: str) -> str:
        return (stated or "assumed") if value else ""
    return {"entity_from": source(site.entity, site.entity_from),
            "metric_from": source(metric, site.metric_from if metric == site.metric or site.change else "clause"),
            "period_from": source(site.period, site.period_from)}


def _change_metric(q: Quantity, base: str | None, change: str) -> tuple[str | None, str | None]:
    """A change column's figure: '12%' under Q/Q is `<base>_growth_qoq`, '(12.5) pts' or '$ 20,179' under '$ Change'
    `<base>_change_qoq` (a difference, not a rate) — never the row's level metric. A change whose base period the
    table does not tell keeps no metric."""
    if q.unit != "percent":
        return (f"{base}_change_{change}" if base and change in ("qoq", "yoy") else None), None
    metric = f"{base}_growth_{change}" if base and change in ("qoq", "yoy") else None
    return metric, ("growth" if q.unit == "percent" else None)


def _relation(cues: Cues, q: Quantity, before: str, after: str, site: FigureSite) -> str | None:
    if q.unit == "percent" and (q.qualifier == "change" or cues.growth.search(after[:25]) or
                                cues.growth.search(before[-20:]) or site.growth_label or
                                _declines(cues, q, before, after)):
        return "growth"
    return "multiple" if q.unit == "multiple" else None


def _declines(cues: Cues, q: Quantity, before: str, after: str) -> bool:
    """A change the words say is a fall, and the figure does not already carry its sign."""
    if q.unit not in ("percent", "pp") or (q.value is not None and q.value < 0) or q.low < 0:
        return False
    return bool(cues.decline_before.search(before) or cues.decline_after.match(after))


def _negated(q: Quantity) -> Quantity:
    """The same change as a fall: 'down more than 11%' is at most -11."""
    flip = {"at_least": "at_most", "at_most": "at_least"}
    return replace(q, value=-q.value if q.value is not None else None, low=-q.high, high=-q.low,
                   qualifier=flip.get(q.qualifier, q.qualifier))


def _metric_for_unit(r: Reading, q: Quantity, metric: str | None, relation: str | None) -> str | None:
    """The site's metric, unless the figure cannot measure it."""
    vocab = r.vocab
    if q.per and q.per not in ("quarter", "month", "year") and metric in vocab.metrics \
            and "price" not in vocab.metrics[metric].units and not (q.per == "share" and vocab.is_per_share(metric)):
        return None  # "$187/share" is a price per share, not the market cap it sits beside
    base = vocab.measured(metric)
    if base is not None and relation is None and not vocab.accepts(base, q.unit):
        return None  # "Adjusted operating income margin 16%": a percentage is no income
    return metric


def _annualised(cues: Cues, q: Quantity, before: str, after: str) -> bool:
    """'$60B annualized', 'an annualized run-rate of $60B' (but not 'annualized from $1B')."""
    return (bool(cues.annualised_word.search(after[:30])) and q.per is None) or \
        bool(cues.annualised.search(q.text)) or \
        (bool(cues.annualised_before.search(before)) and not cues.annualised_from.search(before) and q.per is None)


def cell_figures(r: Reading, cell: str, site: FigureSite) -> None:
    """The figures of one table cell: the first takes the cell's metric, the others carry their own words."""
    items = outside_periods(find_quantities(cell), cell, r.published)
    if site.context == "comparative" or _ACCOUNTING_CELL.match(cell):
        # a results table's '(1,234)' and '(12.5) pts' are the accountant's, and so is any cell '$ (1,234)'
        items = [accounting(r.cues, cell, q, site.deduction) if isinstance(q, Quantity) else q for q in items
                 if not _sign_only(cell, q)]
    scale = None if site.per_share else (r.scale[0], False) if site.share_count and r.scale else r.scale
    items = [scaled(r.cues, q, scale) if isinstance(q, Quantity) else q for q in items]
    for bad in items:
        if isinstance(bad, Unparsed):
            r.unparsed(bad, site.quote, site.location)
    primary_done = False
    for q in [q for q in items if isinstance(q, Quantity)]:
        if q.unit == "count" and q.value is not None and q.qualifier == "exact" and is_bare_small(q):
            continue
        own_metric = _metric_near(r, cell, q)
        own_period = _cell_period(r, cell, q, site.entity)
        scope = target_scope(r.cues, cell, q) or (trailing_qualifier(cell, q, r.vocab) if primary_done else None) \
            or site.scope
        if not primary_done:
            primary_done = True
            entity, metric, stated = _refine(r, cell, q, site, own_metric)
            figure(r, q, cell, site.but(entity=entity, metric=metric, period=own_period or site.period,
                                       imposed=site.imposed and metric is not None and metric == site.metric,
                                       scope=scope, stated_metric=stated, members=group_members(r.vocab, entity),
                                       entity_from=site.entity_from if entity == site.entity else "row",
                                       metric_from=site.metric_from if metric == site.metric else "row",
                                       period_from="row" if own_period else site.period_from))
        else:
            # Secondary figures in a cell ("(+50% YoY)", "(11.5% stake)") carry their own words.
            figure(r, q, cell, site.but(metric=own_metric or site.metric, period=own_period or site.period,
                                       expected=None, imposed=False, scope=scope, members=(), secondary=True,
                                       metric_from="row" if own_metric else site.metric_from,
                                       period_from="row" if own_period else site.period_from))
    word_multiples(r, cell, site)


_ACCOUNTING_CELL = re.compile(r"^\s*(?:[$€£]\s*)?\(\s*[$€£]?\s*\d[\d,]*(?:\.\d+)?\s*\)\s*$")


def accounting(cues: Cues, cell: str, q: Quantity, deduction: bool = False) -> Quantity:
    """A table cell written the accountant's way: '(1,234)', '$ (310,555 )', '(10)%', '(12.5) pts' are negative,
    except an expense deducted in money (`deduction`); 'pts' after a figure is percentage points; a '$' in front of
    the parenthesis makes it money."""
    before, after = cell[:q.start].rstrip(), cell[q.end:]
    negative = before.endswith("(") and after.lstrip().startswith(")")
    unit = q.unit
    if unit == "count":
        if cues.change_points.match(after):
            unit = "pp"
        elif re.match(r"\s*\)?\s*%", after):
            unit = "percent"
        elif re.search(r"[$€£]\s*\(?$", before):
            unit = {"$": "USD", "€": "EUR", "£": "GBP"}[before.rstrip("( ")[-1]]
    if not negative or deduction and unit not in ("percent", "pp"):
        return q if unit == q.unit else replace(q, unit=unit)

    def neg(x: _Bound) -> _Bound:
        return -x if x is not None else x
    return replace(q, value=neg(q.value), low=neg(q.high), high=neg(q.low), unit=unit,
                   qualifier="exact" if q.qualifier == "change" else q.qualifier)


def _sign_only(cell: str, bad: object) -> bool:
    """'$ (1,234)': the '$' the quantity reader could not place belongs to the figure after it."""
    return isinstance(bad, Unparsed) and bad.text.strip() in ("$", "€", "£") and bool(re.search(r"\d", cell))


def word_multiples(r: Reading, text: str, site: FigureSite, levels: Sequence[Quantity] = (),
                   periods_of: dict[int, Period] | None = None) -> None:
    """'revenue nearly doubled': a multiple written as a word, of the site's entity and metric."""
    if site.entity is None or site.metric is None:
        return
    period = site.period
    for m in r.cues.word_multiple.finditer(text):
        if periods_of:
            word = Quantity(m.group(0), m.start(), m.end(), None, 0.0, 0.0, "multiple", "exact")
            level = level_before(word, list(levels), periods_of)
            period = periods_of[level.start] if level is not None else period
        value = WORD_MULTIPLE_VALUES[m.group(2).lower()[:-2] if m.group(2).lower().startswith("hal") else
                                     re.sub(r"(ed|ing|e)$", "", m.group(2).lower())]
        approx = bool(m.group(1))
        q = Quantity(text=m.group(0), start=m.start(), end=m.end(), value=value, low=value, high=value,
                     unit="multiple", qualifier="approx" if approx else "exact")
        base = base_period(r.cues, text[m.end():m.end() + 40], r.published, r.vocab.fiscal_year_end(site.entity))
        r.add(site, entity=site.entity, metric=site.metric, quantity=q, period=period, relation="multiple",
              base_period=base, **provenance(replace(site, period=period,
                                                     period_from=site.period_from if period is site.period else
                                                     "clause"), site.metric))


def _metric_near(r: Reading, cell: str, q: Quantity) -> str | None:
    """The metric the figure's own words name: an alias right beside it, not one nearer another figure."""
    found = metrics_beside_entities(r.vocab, cell)
    m = nearest(found, q, 0, len(cell), window=20)
    if m is None:
        return None
    others = [o for o in find_quantities(cell) if isinstance(o, Quantity) and o.start != q.start]
    mine = abs(gap(q.start, q.end, m.start, m.end))
    for o in others:
        if abs(gap(o.start, o.end, m.start, m.end)) < mine:
            return None  # "~$730B (in talks for $100B round)": 'round' names the $100B
    return m.name


def _stated_entity(r: Reading, text: str, q: Quantity, entity: str | None) -> str | None:
    """An entity the figure's own words attribute it to, other than the one the table gives."""
    window = text[max(0, q.start - 25):min(len(text), q.end + 30)]
    for m in r.vocab.entity_matcher.find(window):
        if prepositional(r.cues, window, m):
            continue
        if entity and m.name != entity and r.vocab.related(m.name, entity):
            return m.name
    return None


def _refine(r: Reading, cell: str, q: Quantity, site: FigureSite,
            own_metric: str | None) -> tuple[str | None, str | None, str | None]:
    """The header's metric against the cell's own words.

    A generic header ('Reach', 'Users') yields to more specific words of its own family ('daily users'):
    no conflict. Words of another scope or another family ('$523B RPO' in a cloud-revenue column) keep
    the header's metric and are recorded as stated, for the category check.
    """
    vocab, entity, metric = r.vocab, site.entity, site.metric
    header_def = vocab.metrics.get(metric or "")
    own_def = vocab.metrics.get(own_metric or "")
    stated_entity = _stated_entity(r, cell, q, entity)
    if header_def is None:
        return entity, (own_metric if own_def and own_metric is not None and vocab.accepts(own_metric, q.unit)
                        else metric), None
    if own_def is not None and own_def.family != header_def.family:
        return entity, metric, own_metric
    if header_def.scope not in ("total", "any"):
        return entity, metric, own_metric
    if own_def is not None and own_metric is not None and vocab.accepts(own_metric, q.unit):
        metric = own_metric
    if stated_entity and entity and entity in vocab.ancestors(stated_entity):
        entity = stated_entity
    return entity, metric, None


def _cell_period(r: Reading, cell: str, q: Quantity, entity: str | None) -> Period | None:
    """'5 GW+ by 2027', '$22.4B through 2029', '26.6M MAU (Dec 2025)': a period right after the figure."""
    for p in find_periods(cell, r.published, r.vocab.fiscal_year_end(entity)):
        if 0 <= p.start_offset - q.end <= 18 and not is_relation_base(r.cues, cell, p):
            return p
    return None


def scaled(cues: Cues, q: Quantity, scale: tuple[float, bool] | None) -> Quantity:
    """A figure written without a magnitude under a '($ in billions)' note, multiplied out."""
    if scale is None or q.unit not in ("USD", "EUR", "GBP", "count") or cues.magnitude.search(q.text) or q.per:
        return q
    factor, money = scale
    unit = "USD" if money and q.unit == "count" else q.unit

    def mul(x: _Bound) -> _Bound:
        return x * factor if x is not None and math.isfinite(x) and x != 0 else x

    return replace(q, value=mul(q.value), low=mul(q.low), high=mul(q.high), unit=unit, sig=q.sig * factor)
