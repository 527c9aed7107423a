"""Figures and periods in a piece of text, memoised, and the small judgements about them: the granularity a
figure's words give, a comparison base, a period that belongs to another figure, a date range's ends."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from functools import lru_cache

from ..calendars import CALENDAR_YEAR, FiscalCalendar
from ..quantities import (
    Period,
    Quantity,
    Unparsed,
    find_periods,  # stated and relative periods ('last October'), memoised
)
from ..quantities import find_quantities as _find_quantities
from ..vocab import Cues
from .lexicon import RANGE_JOIN
from .words import TEXT_MEMO, gap

# what joins a figure to the period that dates it: "in the", "for its fiscal", "during"
PREPOSITION_LINK = re.compile(r"(?i)\s*(?:in|for|during|over|of)(?:\s+(?:the|its|their|fiscal))*\s*")
SPANS_TO_DATE = ("to_date", "year_to_date", "ahead")  # find_periods' spans counted from the as-of date
TO_DATE_REACH = 20  # characters: "revenue of $5 billion in the past year"
GRANULARITIES = ("quarterly", "monthly", "annual", "run_rate", "cumulative")  # cue names, first found wins


def find_quantities(text: str) -> list[Quantity | Unparsed]:
    """quantities.find_quantities, memoised: a sentence or cell is scanned once however many readers ask."""
    return list(_quantities_memo(text)) if isinstance(text, str) else _find_quantities(text)


@lru_cache(maxsize=TEXT_MEMO)
def _quantities_memo(text: str) -> tuple[Quantity | Unparsed, ...]:
    return tuple(_find_quantities(text))


def levels_in(text: str, but: Quantity) -> list[Quantity]:
    """The other figures of a text (not percentages or multiples): a period near one of them is its own."""
    return [o for o in find_quantities(text) if isinstance(o, Quantity) and o.start != but.start
            and o.unit not in ("percent", "multiple")]


# --- granularity ---------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def granularity(cues: Cues, text: str) -> str | None:
    """The granularity a label or header names ('Quarterly revenue', 'ARR'); memoised, as every cell of a table
    asks about its row's label and its column's header."""
    for name in GRANULARITIES:
        if getattr(cues, name).search(text):
            return name
    return None


def granularity_of_figure(cues: Cues, q: Quantity, after: str) -> str | None:
    """'$5B/quarter', '$5B per quarter': the granularity the figure's own words give."""
    if q.per:
        per = q.per.split("/")[-1]
        return {"quarter": "quarterly", "month": "monthly", "year": "annual", "hour": "hourly"}.get(per)
    m = cues.granularity_after.match(after)
    if m:
        return _granularity_word(m.group(1).lower())
    return None


def granularity_before(cues: Cues, before: str) -> str | None:
    """'record quarterly revenue of $35.1 billion': the period word sits in the metric phrase."""
    m = cues.granularity_before.search(before)
    return _granularity_word(m.group(1).lower()) if m else None


def _granularity_word(word: str) -> str:
    return "quarterly" if "quarter" in word else "monthly" if "month" in word else "annual"


# --- periods beside figures ----------------------------------------------------------------------

def is_relation_base(cues: Cues, text: str, p: Period) -> bool:
    """'~2× 2025', 'up 38% from 2025', 'tripled from 2024', 'vs 2024': the year is a comparison base; 'notes due
    2031': a maturity. Neither dates the figure. A span counted from the as-of date ('7x in the past year', 'up 36%
    so far in 2026') is the change's own span."""
    if p.granularity in SPANS_TO_DATE:
        return False
    before = text[max(0, p.start_offset - 40):p.start_offset]
    return bool(cues.relation_base.search(before) or cues.maturity_before.search(before))


def base_period(cues: Cues, after: str, published: dt.date, fye: FiscalCalendar) -> Period | None:
    m = cues.base_period.match(after)
    if not m:
        return None
    periods = find_periods(m.group(1), published, fye)
    return periods[0] if periods else None


def estimate_marks(cues: Cues, text: str) -> str:
    """'FY2027E', '2025A', 'FQ2 26A': analysts' estimate/actual marks around a period."""
    if "E" not in text and "A" not in text and "FQ" not in text:
        return text
    return cues.estimate_mark.sub(r"\1", cues.fiscal_quarter_mark.sub(r"Q\1 FY\2", text))


def owned_by_other(p: Period, q: Quantity, others: list[Quantity], text: str = "") -> bool:
    """'$500 billion in October 2025, now ... $830 billion': October sits nearer the $500B, so it is its date.
    '$39.5B in the fourth quarter and $125B for the full year': a preposition ties the quarter to the $39.5B.
    A span up to the as-of date dates a change, or a level written right beside it."""
    mine = gap(q.start, q.end, p.start_offset, p.end_offset)
    if p.granularity in SPANS_TO_DATE and q.unit not in ("percent", "multiple") and mine > TO_DATE_REACH:
        return True  # "$100,000 in run-rate revenue—has grown nearly 7x in the past year": the 7x's span
    if any(gap(o.start, o.end, p.start_offset, p.end_offset) <= min(12, mine - 1) for o in others):
        return True
    return bool(text) and q.start >= p.end_offset and any(
        o.end <= p.start_offset and PREPOSITION_LINK.fullmatch(text[o.end:p.start_offset]) for o in others)


def level_before(q: Quantity, levels: list[Quantity], periods_of: dict[int, Period],
                 reach: int = 60) -> Quantity | None:
    """The level figure a growth rate or multiple qualifies: the nearest one just before it (within `reach`)."""
    before = [lv for lv in levels if lv.end <= q.start and q.start - lv.end <= reach and lv.start in periods_of]
    return before[-1] if before else None


def not_ranges(text: str, dates: list[Period]) -> list[Period]:
    """Dates that stand alone: the ends of a span written 'Feb 23-Mar 1' or 'Jan 26 to Feb 1' are left out."""
    kept = []
    for i, p in enumerate(dates):
        if ".." in p.label:
            continue
        joined_after = i + 1 < len(dates) and RANGE_JOIN.fullmatch(text[p.end_offset:dates[i + 1].start_offset])
        joined_before = i > 0 and RANGE_JOIN.fullmatch(text[dates[i - 1].end_offset:p.start_offset])
        if not (joined_after or joined_before):
            kept.append(p)
    return kept


def outside_periods(items: list[Quantity | Unparsed], text: str, published: dt.date) -> list[Quantity | Unparsed]:
    """Drop figure-like spans that are part of a date ('Oct. 26, 2025': the 26 is no count);
    report arithmetic written out ('+1+1', '2*3') as unreadable rather than as a number."""
    if not items:
        return items  # nothing to drop: the text's periods need not be read
    items = [Unparsed(q.text, q.start, q.end, "arithmetic expression, not a stated figure")
             if isinstance(q, Quantity) and _in_expression(text, q) else q for q in items]
    spans = [(p.start_offset, p.end_offset) for p in find_periods(text, published, 12)]
    if not spans:
        return items
    return [q for q in items if not any(s <= q.start and q.end <= e for s, e in spans)]


# An operator beside a figure ('+1+1', '2*3', '= 4'); '/' is left out: "$1.25/$10 per M tokens" is two prices.
_OPERATOR_AFTER = re.compile(r"\s?[+*=]\s?\d")
_OPERATOR_BEFORE = re.compile(r"\d\s?[+*=]\s?$")
_SIGNED_AFTER = re.compile(r"[+\-]\d")
_BARE_SMALL = re.compile(r"\d{1,3}")


def _in_expression(text: str, q: Quantity) -> bool:
    before, after = text[max(0, q.start - 2):q.start], text[q.end:q.end + 2]
    return bool(_OPERATOR_AFTER.match(after) or _OPERATOR_BEFORE.search(before)
                or (q.text.startswith(("+", "-")) and _SIGNED_AFTER.match(after)))


def is_bare_small(q: Quantity) -> bool:
    """A bare small integer ("3 sites", "7 players") is too ambiguous to be a claim on its own."""
    return _BARE_SMALL.fullmatch(q.text.strip()) is not None


def unplaced(p: Period) -> Period:
    """The period itself, without where a text said it: two sentences' 'Q3 2025' are one quarter."""
    return replace(p, text="", start_offset=0, end_offset=0)


def year_before(p: Period, cal: FiscalCalendar) -> Period | None:
    """The same quarter, half, year or day one (fiscal) year earlier, as said ('at the end of'); None for
    other spans."""
    fiscal = p.label.startswith("FY")
    cal = cal if fiscal else CALENDAR_YEAR  # "Q4 2025" is a calendar quarter, whoever's figure it is
    fy = cal.year_of(p.end)
    prefix = "FY" if fiscal else ""
    kind = p.granularity
    if kind in ("quarter", "half") and p.label[-2:-1] in ("Q", "H"):
        index = int(p.label[-1])
        start, end = cal.part(fy - 1, index, 3 if kind == "quarter" else 6)
        return replace(p, label=f"{prefix}{fy - 1}-{p.label[-2:]}", start=start, end=end)
    if kind == "fiscal_year":
        start, end = cal.year_span(fy - 1)
        return replace(p, label=f"{prefix}{fy - 1}", start=start, end=end)
    if kind in ("year", "day") and not (p.end.month == 2 and p.end.day == 29):
        start, end = p.start.replace(year=p.start.year - 1), p.end.replace(year=p.end.year - 1)
        return replace(p, label=str(start.year) if kind == "year" else start.isoformat(), start=start, end=end)
    return None
