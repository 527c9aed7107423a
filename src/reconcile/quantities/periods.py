"""Periods and dates: stated ('FY2025', 'Q4 2025', 'end of 2026', '28 January 2026') and relative to a dated
source ('last year', 'this quarter', 'next October', "2020's"), resolved to date intervals.

`find_periods(text, as_of, fiscal=CALENDAR_YEAR)` returns every period span, in order. Dates travel through the claims
tables as YYYYMMDD numbers: `date_code` builds one and `date_of_code` reads one back.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar

from ..calendars import CALENDAR_YEAR, FiscalCalendar, as_calendar
from ..prefilter import may_hold, needed_words
from .lexicon import (
    EXPECTATION_WORD,
    FLOPS_UNITS,
    FUTURE_BEFORE,
    FUTURE_WORD,
    MONTH_AFTER,
    MONTH_NAMES,
    MONTH_RE,
    NUMBER_WORDS,
    PAST_CLAUSE_BEFORE,
    PAST_TENSE_BEFORE,
    PHYS_UNITS,
    SP,
    SPAN_ENDED,
    SPAN_ENDED_BEFORE,
    SPAN_MONTHS,
    alt,
    month_of,
)


@dataclass(frozen=True)
class Period:
    text: str
    start_offset: int
    end_offset: int
    label: str             # canonical: "2026", "FY2025", "2025-Q4", "2026-H2", "2026-01", "2026-01-28", "2029" ...
    start: dt.date         # first day covered
    end: dt.date           # last day covered
    granularity: str       # year | fiscal_year | half | quarter | month | day | year_to_date | to_date | ahead
    relation: str = "in"   # in | by | through | end | since
    year_inferred: bool = False  # a month named without its year ('in January'): the year is the reader's guess


def date_code(day: dt.date) -> int:
    """Dates travel as YYYYMMDD numbers, so that intervals of dates compare as numbers: 2026-01-28 -> 20260128."""
    return day.year * 10000 + day.month * 100 + day.day


def date_of_code(code: float) -> dt.date | None:
    """The date a YYYYMMDD number stands for; None when it is not one."""
    try:
        n = int(code)
        return dt.date(n // 10000, n // 100 % 100, n % 100)
    except (ValueError, OverflowError, TypeError):
        return None


def find_periods(text: str, as_of: dt.date, fiscal: FiscalCalendar | int = CALENDAR_YEAR) -> list[Period]:
    """Every period/date expression in `text`, stated or relative to `as_of` (the publication date), resolved
    against the entity's fiscal calendar (a FiscalCalendar, or a year-end month number). Never raises.

    Memoised on (text, as_of, calendar): extraction asks about the same sentence or cell several times;
    results are frozen Periods, and each call gets its own list.
    """
    fiscal = as_calendar(fiscal)
    if isinstance(text, str) and _periodless(text):
        return []  # most sentences and cells: nothing any as-of date or calendar could date (known per text)
    if isinstance(text, str) and len(text) == 4 and text.isascii() and text.isdigit():
        as_of = _ANY_DAY  # a table's year header ('2025') reads the same on any date: one memo entry for all
    try:
        return list(_periods_memo(text, as_of, fiscal))
    except TypeError:   # an unhashable argument: no memo
        return _periods(text, as_of, fiscal)


# The as-of date a bare year is read with: only a yearless form ('Jan 28', 'last quarter') asks for one.
_ANY_DAY = dt.date(2000, 1, 1)


@functools.lru_cache(maxsize=8192)
def _periods_memo(text: str, as_of: dt.date, fiscal: FiscalCalendar) -> tuple[Period, ...]:
    return tuple(_periods(text, as_of, fiscal))


def _periods(text: str, as_of: dt.date, fiscal: FiscalCalendar) -> list[Period]:
    periods = _stated_periods(text, as_of, fiscal)
    if not isinstance(text, str) or not text:
        return periods
    periods = [_span_ended(text, p, fiscal) if p.granularity == "day" else p for p in periods]
    for m in POSSESSIVE_YEAR.finditer(text):
        if not any(p.start_offset <= m.start() < p.end_offset for p in periods):
            year = int(m.group(1))
            periods.append(Period(m.group(0), m.start(), m.end(), str(year), dt.date(year, 1, 1),
                                  dt.date(year, 12, 31), "year"))
            periods.sort(key=lambda p: p.start_offset)
    periods = _fiscal_year_quarters(text, _with_yearless_quarters(text, periods, as_of, fiscal), fiscal)
    periods = _with_spans_to_date(text, periods, as_of)
    periods = _with_bare_months(text, periods, as_of)
    periods = _with_year_ends(text, periods, as_of, fiscal)
    periods = _with_weekdays(text, periods, as_of)
    if "ast " not in text and "his " not in text and "ext " not in text:
        return periods
    if not isinstance(as_of, dt.date):
        as_of = dt.date.today()
    for m in RELATIVE.finditer(text):
        if any(p.start_offset <= m.start() < p.end_offset for p in periods):
            continue
        p = _relative_period(m, as_of)
        if p is not None:
            periods.append(p)
    return sorted(periods, key=lambda p: p.start_offset)


_QUARTER_LABEL = re.compile(r"(?:FY)?\d{4}-Q([1-4])")
_YEAR_DIGITS = re.compile(r"\d{4}")


def _fiscal_year_quarters(text: str, periods: list[Period], fiscal: FiscalCalendar) -> list[Period]:
    """'Fiscal Year 2026 Second Quarter', 'fiscal 2026 first quarter': the quarter of that fiscal year, one period."""
    out: list[Period] = []
    for p in periods:
        prev = out[-1] if out else None
        q = _QUARTER_LABEL.fullmatch(p.label) if p.granularity == "quarter" else None
        if prev is None or q is None or prev.granularity != "fiscal_year" or _YEAR_DIGITS.search(p.text) or \
                text[prev.end_offset:p.start_offset].strip() or not prev.label.startswith("FY"):
            out.append(p)
            continue
        year, n = int(prev.label[2:]), int(q.group(1))
        a, b = _fy_part(year, fiscal, n, 3)
        out[-1] = Period(text[prev.start_offset:p.end_offset], prev.start_offset, p.end_offset, f"FY{year}-Q{n}", a, b,
                         "quarter", p.relation)
    return out


def _with_yearless_quarters(text: str, periods: list[Period], as_of: dt.date,
                            fiscal: FiscalCalendar) -> list[Period]:
    """A quarter named without a year is the one of that number nearest the as-of date, in the company's calendar."""
    if "quarter" not in text.lower() or not isinstance(as_of, dt.date):
        return periods
    added = []
    for m in YEARLESS_QUARTER.finditer(text):
        if any(p.start_offset <= m.start() < p.end_offset for p in periods):
            continue
        q = _ORDINAL_QUARTER[m.group(1).lower()]
        fiscal_year = not fiscal.is_calendar_year
        y = _nearest_quarter_year(q, fiscal_year, fiscal, as_of)
        a, b = _fy_part(y, fiscal, q, 3) if fiscal_year else _months_span(y, 3 * q - 2, 3)
        end = YEARLESS_END.search(text, max(0, m.start() - 30), m.start())
        if end is not None:  # "as of the end of the third quarter": its last month, as "end of 2025" is
            a = dt.date(b.year, b.month, 1)
        added.append(Period(text[end.start() if end else m.start():m.end()], end.start() if end else m.start(),
                            m.end(), f"{'FY' if fiscal_year else ''}{y}-Q{q}", a, b, "quarter",
                            "end" if end else "in"))
    return sorted(periods + added, key=lambda p: p.start_offset) if added else periods


def _span_ended(text: str, day: Period, fiscal: FiscalCalendar) -> Period:
    """'the quarter ended January 25, 2026', 'nine months ended Sept. 30': the span that ends on the date.
    A quarter or year of the company's calendar that ends within a week of the date is that period."""
    m = SPAN_ENDED_BEFORE.search(text, max(0, day.start_offset - 40), day.start_offset)
    if m is None:
        return day
    months, gran = SPAN_ENDED[m.group(1).lower()]
    end = day.end
    fy = fiscal.year_of(end - dt.timedelta(days=7))
    for index in range(1, 13 // months + 1) if months in (3, 6, 12) else ():
        start, last = fiscal.part(fy, index, months) if months < 12 else fiscal.year_span(fy)
        if abs((last - end).days) <= 7:
            label = f"FY{fy}" + (f"-Q{index}" if months == 3 else f"-H{index}" if months == 6 else "")
            if fiscal.is_calendar_year:
                label = label[2:]
            gran = "fiscal_year" if months == 12 and not fiscal.is_calendar_year else gran
            return Period(text[m.start():day.end_offset], m.start(), day.end_offset, label, start, last, gran,
                          day.relation)
    y, mo = _add_months(end.year, end.month, 1 - months)
    start = dt.date(y, mo, 1) if end == _last_day(end.year, end.month) \
        else end - dt.timedelta(days=round(months * 30.4) - 1)
    return Period(text[m.start():day.end_offset], m.start(), day.end_offset, f"{start.isoformat()}..{end.isoformat()}",
                  start, end, gran, day.relation)


# ---------------------------------------------------------------------------
# Relative periods: "last year", "this quarter", "next October"; and "2020's"
# ---------------------------------------------------------------------------

POSSESSIVE_YEAR = re.compile(r"\b((?:19|20)\d{2})['’]s\b")
# "fourth-quarter revenue", "in the first quarter": no year written (one that is, is read by the main scanner)
YEARLESS_QUARTER = re.compile(r"(?i)(?<![A-Za-z])(first|second|third|fourth)[ -]quarter(?![A-Za-z])"
                              r"(?![ -]+(?:(?:of|and)[ ]+)?(?:full[ -]+)?(?:fiscal|FY|[12][0-9]{3}))")
# "the end of the third quarter", "the end of its fiscal": the words before a yearless quarter that make it its end
YEARLESS_END = re.compile(r"(?i)(?<![A-Za-z])end[ ]+of[ ]+(?:the[ ]+|its[ ]+|their[ ]+)?(?:fiscal[ ]+)?\[?\Z")
_ORDINAL_QUARTER = {"first": 1, "second": 2, "third": 3, "fourth": 4}
RELATIVE = re.compile(r"(?i)\b(last|this|next|earlier this|later this)\s+(year|quarter|"
                      + "|".join(MONTH_NAMES) + r")\b")


_P = ParamSpec("_P")
_R = TypeVar("_R")


def none_off_calendar(make_period: Callable[_P, _R]) -> Callable[_P, _R | None]:
    """A period built by date arithmetic is None when it falls off the calendar (before 0001 or after 9999):
    the figure is then read without that period, never lost with its document."""
    @functools.wraps(make_period)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R | None:
        try:
            return make_period(*args, **kwargs)
        except (ValueError, OverflowError):
            return None
    return guarded


@none_off_calendar
def _relative_period(m: re.Match[str], as_of: dt.date) -> Period | None:
    which, unit = m.group(1).lower(), m.group(2).lower()
    step = {"last": -1, "next": 1}.get(which, 0)
    if unit == "year":
        year = as_of.year + step
        return Period(m.group(0), m.start(), m.end(), str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    if unit == "quarter":
        q = (as_of.month - 1) // 3 + 1 + step
        year = as_of.year + (q - 1) // 4
        q = (q - 1) % 4 + 1
        start, end = _months_span(year, 3 * q - 2, 3)
        return Period(m.group(0), m.start(), m.end(), f"{year}-Q{q}", start, end, "quarter")
    month = MONTH_NAMES.index(unit) + 1
    year = as_of.year
    if which == "last" and month >= as_of.month:
        year -= 1  # "last October", said in March 2026, is October 2025
    elif which == "next" and month <= as_of.month:
        year += 1
    start, end = _months_span(year, month, 1)
    return Period(m.group(0), m.start(), m.end(), f"{year}-{month:02d}", start, end, "month")


# "disclosed in November", "by August": a month named without its year (stated forms read 'November 2025')
BARE_MONTH = re.compile(r"(?<![A-Za-z])(?P<rel>in|by|since|until|through|(?:the[ ]+)?end[ ]+of)[ ]+(?P<m>" + MONTH_RE
                        + r")(?![ ]*[0-9'’])")


_BARE_MONTH_HINTS = ("in ", "In ", "by ", "By ", "nce ", "nd of ", "til ", "ough ")


def _with_bare_months(text: str, periods: list[Period], as_of: dt.date) -> list[Period]:
    if not isinstance(as_of, dt.date) or not any(h in text for h in _BARE_MONTH_HINTS):
        return periods
    added = []
    for m in BARE_MONTH.finditer(text):
        if any(p.start_offset <= m.start("m") < p.end_offset for p in periods):
            continue
        mo = month_of(m["m"])
        y = _bare_month_year(text[max(0, m.start() - 80):m.start()], mo, as_of)
        a, b = _months_span(y, mo, 1)
        rel = m["rel"].lower()
        relation = "end" if rel.endswith("end of") else rel if rel in ("by", "since", "through") else \
            "through" if rel == "until" else "in"
        end = m.end() - (m["m"].endswith(".") and m["m"][:-1].lower() in MONTH_NAMES)  # "in January.": a full stop
        added.append(Period(text[m.start():end], m.start(), end, f"{y}-{mo:02d}", a, b, "month", relation,
                            year_inferred=True))
    return sorted(periods + added, key=lambda p: p.start_offset) if added else periods


def _bare_month_year(before: str, mo: int, as_of: dt.date) -> int:
    """The year of a month named without one: the last such month after a past-tense verb, the next after a
    future one, else the nearest."""
    near = before[-30:]
    if FUTURE_BEFORE.search(near):
        return as_of.year + (mo < as_of.month)
    if PAST_TENSE_BEFORE.search(near) or PAST_CLAUSE_BEFORE.search(before) and \
            not FUTURE_WORD.search(before) and not EXPECTATION_WORD.search(before):
        return as_of.year - (mo > as_of.month)
    return min((as_of.year - 1, as_of.year, as_of.year + 1), key=lambda y: abs((dt.date(y, mo, 15) - as_of).days))


# "announced on Thursday", "as of Thursday's close": a weekday, in a dated article, is the day of that week
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY = re.compile(r"(?i)(?<![A-Za-z])(?:(?:on|as[ ]+of|since|by)[ ]+)?(?P<d>" + "|".join(WEEKDAYS) + r")"
                     r"(?:['’]s[ ]+(?:close|session|trading|open))?(?![A-Za-z])")


def is_weekday(p: Period) -> bool:
    """A period read from a weekday ('on Thursday'): it dates the article's news, inferred from its own date."""
    return p.granularity == "day" and WEEKDAY.fullmatch(p.text) is not None


def _with_weekdays(text: str, periods: list[Period], as_of: dt.date) -> list[Period]:
    """A weekday is the last such day up to the as-of date, or the next one after a future word ('will report
    on Thursday'): news dates its events by weekday relative to its own date."""
    if not isinstance(as_of, dt.date) or "day" not in text:
        return periods
    added = []
    for m in WEEKDAY.finditer(text):
        if any(p.start_offset <= m.start() < p.end_offset for p in periods) or \
                not (m.group(0)[:1].isupper() or m["d"][:1].isupper()):
            continue
        back = (as_of.weekday() - WEEKDAYS.index(m["d"].lower())) % 7
        day = as_of - dt.timedelta(days=back)
        if FUTURE_WORD.search(text[max(0, m.start() - 80):m.start()]) and back:
            day += dt.timedelta(days=7)
        added.append(Period(m.group(0), m.start(), m.end(), day.isoformat(), day, day, "day"))
    return sorted(periods + added, key=lambda p: p.start_offset) if added else periods


# "at the end of the year", "by the end of this year": a year named without its number, at its end
YEAR_END = re.compile(r"(?i)(?<![A-Za-z])(?:the[ ]+)?end[ ]+of[ ]+(?P<which>the|this|last)[ ]+"
                      r"(?P<fiscal>fiscal[ ]+)?year(?![A-Za-z])")


def _with_year_ends(text: str, periods: list[Period], as_of: dt.date, fiscal: FiscalCalendar) -> list[Period]:
    """'the end of the year' is the year-end nearest the as-of date ('this'/'last' year: that one), as its last
    month, like 'end of 2025'."""
    if "nd of " not in text or not isinstance(as_of, dt.date):
        return periods
    added = []
    for m in YEAR_END.finditer(text):
        if any(p.start_offset <= m.start() < p.end_offset for p in periods):
            continue
        cal = fiscal if m["fiscal"] else CALENDAR_YEAR
        here = cal.year_of(as_of)
        years = {"this": [here], "last": [here - 1]}.get(m["which"].lower(), [here - 1, here])
        y = min(years, key=lambda yy: abs((cal.year_span(yy)[1] - as_of).days))
        _, end = cal.year_span(y)
        label = f"FY{y}" if m["fiscal"] and not cal.is_calendar_year else str(y)
        gran = "fiscal_year" if label.startswith("FY") else "year"
        added.append(Period(m.group(0), m.start(), m.end(), label, end.replace(day=1), end, gran, "end"))
    return sorted(periods + added, key=lambda p: p.start_offset) if added else periods


# Spans counted back from the as-of date: 'five months ago', 'in the past year', 'so far in 2026'

_COUNT = r"(?P<n>\d{1,2}|" + alt(NUMBER_WORDS) + r")"
_SPAN = r"(?P<unit>" + alt(SPAN_MONTHS) + r")(?![A-Za-z])"
# "five months ago", "3 years ago" (not "a year ago": that is a comparison's base, 'up 69% from a year ago')
AGO = re.compile(r"(?i)(?<![A-Za-z])" + _COUNT + r"[ -]" + _SPAN + r"[ ]+ago\b")
# "in the past year", "over the last 12 months", "in just three months": the span up to the as-of date
# ("in the last year" is left to RELATIVE: last calendar year)
TO_DATE = re.compile(r"(?i)(?<![A-Za-z])(?:in|over|during|within)[ ]+(?:(?:the[ ]+)?(?:past|trailing)[ ]+(?:"
                     + _COUNT + r"[ ]+)?|the[ ]+last[ ]+" + _COUNT.replace("?P<n>", "?P<n_last>") + r"[ ]+"
                     + r"|(?:just|only)[ ]+" + _COUNT.replace("?P<n>", "?P<n_just>") + r"[ ]+)" + _SPAN)
# "over the next three years", "in the coming 12 months": the span from the as-of date on
AHEAD = re.compile(r"(?i)(?<![A-Za-z])(?:in|over|during|within)[ ]+the[ ]+(?:next|coming)[ ]+(?:" + _COUNT + r"[ ]+)?"
                   + _SPAN)
# "so far in 2026", "so far this year", "year to date", "YTD": from the year's start to the as-of date
YEAR_TO_DATE = re.compile(r"(?i)(?<![A-Za-z])(?:so[ ]+far[ ]+(?:in[ ]+(?P<y>(?:19|20)[0-9]{2})(?![0-9])|this[ ]+year)"
                          r"|year[- ]to[- ]date|YTD)(?![A-Za-z])")
_TO_DATE_HINTS = (" ago", "so far", "o-date", "o date", "YTD", "ytd", "past ", "ust ", "nly ", "ailing ", "last ",
                  "next ", "coming ")
_COUNTED_SPANS = (AGO, TO_DATE, AHEAD, YEAR_TO_DATE)


def _with_spans_to_date(text: str, periods: list[Period], as_of: dt.date) -> list[Period]:
    """'five months ago', 'in the past year', 'so far in 2026', 'over the next three years': spans counted from the
    as-of date. One replaces a stated period it holds ('so far in 2026' is not all of 2026)."""
    if not isinstance(as_of, dt.date) or not any(h in text for h in _TO_DATE_HINTS):
        return periods
    found = [p for p in (_span_to_date(m, as_of) for rx in _COUNTED_SPANS for m in rx.finditer(text)) if p is not None]
    if not found:
        return periods
    kept = [p for p in periods if not any(f.start_offset <= p.start_offset < f.end_offset for f in found)]
    return sorted(kept + found, key=lambda p: p.start_offset)


def _count(m: re.Match[str]) -> int:
    g = m.groupdict()
    word = g.get("n") or g.get("n_last") or g.get("n_just")
    if word is None:
        return 1  # "in the past year"
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


@none_off_calendar
def _span_to_date(m: re.Match[str], as_of: dt.date) -> Period | None:
    text = m.group(0)
    if m.re is YEAR_TO_DATE:
        y = int(m["y"]) if m["y"] else as_of.year
        end = as_of if y == as_of.year else dt.date(y, 12, 31)
        return Period(text, m.start(), m.end(), f"{y}-YTD", dt.date(y, 1, 1), end, "year_to_date")
    months = _count(m) * SPAN_MONTHS[m["unit"].lower()]
    if not 0 < months <= 600:
        return None
    y, mo = _add_months(as_of.year, as_of.month, -months)
    if m.re is AHEAD:  # to the same day that many months on
        ey, em = _add_months(as_of.year, as_of.month, months)
        end = dt.date(ey, em, min(as_of.day, _last_day(ey, em).day))
        return Period(text, m.start(), m.end(), f"{as_of.isoformat()}..{end.isoformat()}", as_of, end, "ahead")
    if m.re is AGO:
        if months % 12 == 0:  # "two years ago": that year
            return Period(text, m.start(), m.end(), str(y), dt.date(y, 1, 1), dt.date(y, 12, 31), "year")
        a, b = _months_span(y, mo, 1)
        return Period(text, m.start(), m.end(), f"{y}-{mo:02d}", a, b, "month")
    start = dt.date(y, mo, 1)  # the span's first month, whole: "the past year" said in May 2025 is from May 2024
    return Period(text, m.start(), m.end(), f"{start.isoformat()}..{as_of.isoformat()}", start, as_of, "to_date")



# ---------------------------------------------------------------------------
# Stated periods
# ---------------------------------------------------------------------------
_FY_KW = r"(?:FY|(?i:fiscal)(?:[ ](?i:year))?)"
_PERIOD = re.compile(
    r"(?:(?P<rel_end>(?<![A-Za-z])(?i:(?:by[ ]+)?(?:the[ ]+)?(?:(?:fiscal[ ]+)?year[- ]end(?:[ ]+of)?"
    r"|end[- ]of(?:[- ]the)?(?:[- ]year)?|end))[ -]+)"
    r"|(?P<rel_start>(?<![A-Za-z])(?i:(?:at[ ]+)?(?:the[ ]+)?(?:beginning|start)[ ]+of)[ ]+)"
    r"|(?P<rel_through>(?<![A-Za-z])(?i:through|thru|until|till|up[ ]to|out[ ]to)[ ]+)"
    r"|(?P<rel_by>(?<![A-Za-z])(?i:by)[ ]+(?:(?i:the)[ ]+)?)"
    r"|(?P<rel_since>(?<![A-Za-z])(?i:since)[ ]+)"
    r"|(?P<rel_between>(?<![A-Za-z])(?i:between)[ ]+))?"
    r"(?:"
    # ISO date 2026-01-28
    r"(?<![A-Za-z0-9_$€£.,/:-])(?P<iso_y>[12][0-9]{3})-(?P<iso_m>[01][0-9])-(?P<iso_d>[0-3][0-9])(?![0-9])"
    # US numeric date 1/28/2026
    r"|(?<![A-Za-z0-9_$€£.,/:-])(?P<us_m>[01]?[0-9])/(?P<us_d>[0-3]?[0-9])/(?P<us_y>[12][0-9]{3})(?![0-9])"
    # November 18, 2025 / Jan 28 / Feb 01
    r"|(?P<mdy_m>" + MONTH_RE + r")[ ]+(?P<mdy_d>[0-3]?[0-9])(?:st|nd|rd|th)?(?![0-9A-Za-z])"
    r"(?:,?[ ]+(?P<mdy_y>[12][0-9]{3})(?![0-9]))?"
    # February 2026 / Dec 2025 / Feb '26
    r"|(?P<my_m>" + MONTH_RE + r")[ ,]+(?:of[ ]+)?(?:(?P<my_y>[12][0-9]{3})|['’](?P<my_yy>[0-9]{2}))(?![0-9])"
    # 28 January 2026
    r"|(?<![A-Za-z0-9_$€£.,/:-])(?P<dmy_d>[0-3]?[0-9])(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?(?P<dmy_m>" + MONTH_RE + r")"
    r"(?:,?[ ]+(?P<dmy_y>[12][0-9]{3})(?![0-9]))?"
    # early / mid / late 2026
    r"|(?<![A-Za-z])(?P<part>(?i:early|mid|late))[- ](?P<part_y>[12][0-9]{3})(?![0-9])"
    # Q2 FY2026 / Q4 2025 / Q4'25 / Q2→Q3 2025 / Q4
    r"|(?<![A-Za-z0-9])Q(?P<q_a>[1-4])(?:[ ]*(?:[-–→/]|to|through)[ ]*Q(?P<q_b>[1-4]))?"
    r"(?:[ ]*(?:of[ ]+)?(?:" + _FY_KW + r"[ ]?['’]?(?P<q_fyy>[0-9]{4}|[0-9]{2})|CY[ ]?['’]?(?P<q_cyy>[0-9]{4}|[0-9]{2})"
    r"|[ ]?['’](?P<q_yy>[0-9]{2})|[ -]?(?P<q_y>[12][0-9]{3})))?(?![0-9A-Za-z])"
    # 4Q25 / 4Q 2025
    r"|(?<![A-Za-z0-9])(?P<qn_a>[1-4])Q[ ]?(?:['’]?(?P<qn_yy>[0-9]{2})|(?P<qn_y>[12][0-9]{3}))(?![0-9A-Za-z])"
    # H2 2026 / H1 FY2025 / H2'26
    r"|(?<![A-Za-z0-9])H(?P<h_a>[12])[ ]*(?:of[ ]+)?(?:" + _FY_KW + r"[ ]?['’]?(?P<h_fyy>[0-9]{4}|[0-9]{2})"
    r"|CY[ ]?['’]?(?P<h_cyy>[0-9]{4}|[0-9]{2})|['’](?P<h_yy>[0-9]{2})|-?(?P<h_y>[12][0-9]{3}))(?![0-9A-Za-z])"
    # 2H25 / 1H 2026
    r"|(?<![A-Za-z0-9])(?P<hn_a>[12])H[ ]?(?:['’]?(?P<hn_yy>[0-9]{2})|(?P<hn_y>[12][0-9]{3}))(?![0-9A-Za-z])"
    # first nine months of fiscal 2026 / first six months of 2025: the year to the end of that month
    r"|(?<![A-Za-z])(?i:first)[ ]+(?P<ytd_n>(?i:three|six|nine|3|6|9))[ ]+(?i:months)[ ]+(?:(?i:of)[ ]+)?"
    r"(?:(?P<ytd_fy>" + _FY_KW + r")[ ]?['’]?(?P<ytd_fyy>[0-9]{4}|[0-9]{2})|(?P<ytd_y>[12][0-9]{3}))(?![0-9])"
    # second half of 2026 / fourth quarter of fiscal 2025 / Fourth Quarter and Fiscal 2026 (a release's title)
    r"|(?<![A-Za-z])(?P<ord>(?i:first|second|third|fourth|1st|2nd|3rd|4th))[ ]+(?P<ord_k>(?i:quarter|half))[ ]+"
    r"(?:(?i:and)[ ]+(?:(?i:full)[ -]+)?(?=(?i:fiscal|FY)))?(?:(?i:of)[ ]+)?"
    r"(?:(?P<ord_fy>" + _FY_KW + r")[ ]?['’]?(?P<ord_fyy>[0-9]{4}|[0-9]{2})|(?P<ord_y>[12][0-9]{3}))(?![0-9])"
    # FY2025 / FY25 / fiscal 2025 / FY2024-FY2026 / FY2026 Q2
    r"|(?<![A-Za-z0-9])" + _FY_KW + r"[ ]?['’-]?(?P<fy_y>[0-9]{4}|[0-9]{2})(?![0-9])"
    r"(?:[ ]*(?:[-–→]|to|through)[ ]*(?:FY[ ]?)?['’]?(?P<fy_y2>[0-9]{4}|[0-9]{2})(?![0-9]))?"
    r"(?:[ -]*(?:Q(?P<fy_q>[1-4])|H(?P<fy_h>[12])))?(?![0-9A-Za-z])"
    # 2026 / 2024-2029 / 2025-26 / 2026-01 / 2024 to 2029
    r"|(?<![A-Za-z0-9_$€£.,'’/:#@])(?P<yr>[12][0-9]{3})(?![0-9]|[.,][0-9]|['’]?s(?![A-Za-z]))"
    r"(?:(?:[ ]?[-–→][ ]?|[ ]+(?:to|through|thru)[ ]+|(?(rel_between)[ ]+and[ ]+|(?!)))"
    r"(?P<yr2>[12][0-9]{3}|[0-9]{2})(?![0-9]|[.,][0-9]))?"
    r")")


@functools.lru_cache(maxsize=4096)
def _last_day(y: int, m: int) -> dt.date:
    if m == 12:
        return dt.date(y, 12, 31)
    return dt.date(y, m + 1, 1) - dt.timedelta(days=1)


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


def _yy(s: str) -> int:
    v = int(s)
    if len(s) == 2:
        return 2000 + v if v < 70 else 1900 + v
    return v


def _fy_span(fy: int, cal: FiscalCalendar) -> tuple[dt.date, dt.date]:
    return cal.year_span(fy)


@functools.lru_cache(maxsize=4096)
def _months_span(y: int, m: int, count: int) -> tuple[dt.date, dt.date]:
    ey, em = _add_months(y, m, count - 1)
    return dt.date(y, m, 1), _last_day(ey, em)


def _fy_part(fy: int, cal: FiscalCalendar, idx: int, size: int) -> tuple[dt.date, dt.date]:
    """idx-th (1-based) block of `size` months (3 = quarter, 6 = half) in fiscal year `fy`."""
    return cal.part(fy, idx, size)


def _fy_of(d: dt.date, cal: FiscalCalendar) -> int:
    return cal.year_of(d)


_Candidate = tuple[str, dt.date, dt.date]  # (label, start, end)


def _nearest(cands: list[_Candidate], as_of: dt.date) -> _Candidate:
    """Pick the candidate (label, start, end) whose middle is nearest to as_of."""
    def dist(c: _Candidate) -> int:
        mid = c[1] + (c[2] - c[1]) / 2
        return abs((mid - as_of).days)
    return min(cands, key=dist)


@functools.lru_cache(maxsize=4096)
def _nearest_day(mo: int, day: int, as_of: dt.date) -> dt.date | None:
    """A yearless date: the year that puts it nearest to as_of."""
    cands = []
    for y in (as_of.year - 1, as_of.year, as_of.year + 1):
        try:
            c = dt.date(y, mo, day)
        except ValueError:
            continue
        cands.append((c.isoformat(), c, c))
    return _nearest(cands, as_of)[1] if cands else None


# A bare quarter is the current one, or the next when it starts this soon; else the last one that ended.
NEXT_QUARTER_DAYS = 92


@functools.lru_cache(maxsize=1024)
def _nearest_quarter_year(qa: int, fiscal: bool, fy: FiscalCalendar, as_of: dt.date) -> int:
    """A bare "Q4", "the third quarter": the (fiscal) year of the quarter of that number under way or starting
    within a quarter of as_of (an outlook), else of the last one that ended (a report looks back)."""
    base = _fy_of(as_of, fy) if fiscal else as_of.year
    spans = []
    for yy in (base - 1, base, base + 1):
        a, b = _fy_part(yy, fy, qa, 3) if fiscal else _months_span(yy, 3 * qa - 2, 3)
        spans.append((yy, a, b))
    for yy, a, b in spans:
        if a <= as_of <= b or as_of < a <= as_of + dt.timedelta(days=NEXT_QUARTER_DAYS):
            return yy
    return max(yy for yy, _, b in spans if b < as_of)



_Resolved = tuple[str, dt.date, dt.date, str]   # (label, start, end, granularity)
_Trim = Literal["trim"]  # only the first year of a 'year-yy' form is a period
# a period form's reader: (match, its groups, as-of date, calendar) → the period it writes
_Reader = Callable[[re.Match[str], dict[str, Any], dt.date, FiscalCalendar], "_Resolved | _Trim | None"]


def _resolve(m: re.Match[str], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | _Trim | None:
    """(label, start, end, granularity) for a period match, or None if it is not a valid period; "trim" when
    only the first year of a 'year-yy' form is a period."""
    g = m.groupdict()
    read = _reader_of(g)
    return read(m, g, as_of, fy) if read is not None else None


def _reader_of(g: dict[str, Any]) -> _Reader | None:
    """The reader of the first period form the match's groups hold."""
    for applies, read in _PERIOD_FORMS:
        if applies(g):
            return read
    return None


def _day_of(d: dt.date | None) -> _Resolved | None:
    return None if d is None else (d.isoformat(), d, d, "day")


def _iso_day(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """2026-01-28"""
    return _day_of(dt.date(int(g["iso_y"]), int(g["iso_m"]), int(g["iso_d"])))


def _us_day(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """1/28/2026 (and 28/1/2026, when the first number cannot be a month)"""
    a, b = int(g["us_m"]), int(g["us_d"])
    if a > 12:
        a, b = b, a
    return _day_of(dt.date(int(g["us_y"]), a, b))


def _named_month_day(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """November 18, 2025 / 28 January 2026 / Jan 28 (the year nearest the source's date)"""
    mo = month_of(g["mdy_m"] or g["dmy_m"])
    day = int(g["mdy_d"] or g["dmy_d"])
    ys = g["mdy_y"] or g["dmy_y"]
    return _day_of(dt.date(int(ys), mo, day) if ys else _nearest_day(mo, day, as_of))


def _named_month(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """February 2026 / Feb '26"""
    mo = month_of(g["my_m"])
    y = int(g["my_y"]) if g["my_y"] else _yy(g["my_yy"])
    a, b = _months_span(y, mo, 1)
    return f"{y:04d}-{mo:02d}", a, b, "month"


def _part_of_year(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """early / mid / late 2026: Jan-Apr, May-Aug, Sep-Dec (four-month windows, granularity "month")"""
    y = int(g["part_y"])
    p = g["part"].lower()
    first = {"early": 1, "mid": 5, "late": 9}[p]
    a, b = _months_span(y, first, 4)
    return f"{y}-{p}", a, b, "month"


_MONTH_COUNTS = {"three": 3, "six": 6, "nine": 9}


def _first_months(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """first nine months of fiscal 2026: from the (fiscal) year's start to the end of its third quarter"""
    n = _MONTH_COUNTS.get(g["ytd_n"].lower()) or int(g["ytd_n"])
    if g["ytd_fyy"]:
        y = _yy(g["ytd_fyy"])
        a, _ = _fy_span(y, fy)
        _, b = _fy_part(y, fy, n // 3, 3)
        return f"FY{y}-{n}M", a, b, "year_to_date"
    y = int(g["ytd_y"])
    a, b = _months_span(y, 1, n)
    return f"{y}-{n}M", a, b, "year_to_date"


def _fiscal_year(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    """FY2025 / fiscal 2025 / FY2024-FY2026"""
    y1 = _yy(g["fy_y"])
    a, b = _fy_span(y1, fy)
    if g["fy_y2"]:
        y2 = _yy(g["fy_y2"]) if len(g["fy_y2"]) == 4 else (y1 // 100) * 100 + int(g["fy_y2"])
        if y2 <= y1:
            return None
        _, b = _fy_span(y2, fy)
        return f"FY{y1}..FY{y2}", a, b, "fiscal_year"
    return f"FY{y1}", a, b, "fiscal_year"


def _year(m: re.Match[str], g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | _Trim | None:
    """2026 / 2024-2029 / 2025-26 / 2026-01 / 2024 to 2029"""
    y1 = int(g["yr"])
    if not 1900 <= y1 <= 2100:
        return None
    if not g["yr2"]:
        return str(y1), dt.date(y1, 1, 1), dt.date(y1, 12, 31), "year"
    y2 = int(g["yr2"]) if len(g["yr2"]) == 4 else (y1 // 100) * 100 + int(g["yr2"])
    if y1 < y2 <= 2100 and (len(g["yr2"]) == 4 or y2 - y1 <= 20):
        return f"{y1}..{y2}", dt.date(y1, 1, 1), dt.date(y2, 12, 31), "year"
    if len(g["yr2"]) == 2 and 1 <= int(g["yr2"]) <= 12 and "-" in m.group(0)[m.end("yr") - m.start():]:
        mo = int(g["yr2"])
        a, b = _months_span(y1, mo, 1)
        return f"{y1}-{mo:02d}", a, b, "month"
    return "trim"


def _is_quarter(g: dict[str, Any]) -> bool:
    return bool(g["q_a"] or g["qn_a"] or (g["ord"] and g["ord_k"].lower() == "quarter") or g["fy_q"])


def _is_half(g: dict[str, Any]) -> bool:
    return bool(g["h_a"] or g["hn_a"] or (g["ord"] and g["ord_k"].lower() == "half") or g["fy_h"])


# the period forms, in the order they are tried: (does the match hold this form?, read it)
_PERIOD_FORMS: tuple[tuple[Callable[[dict[str, Any]], Any], _Reader], ...] = (
    (lambda g: g["iso_y"], _iso_day),
    (lambda g: g["us_y"], _us_day),
    (lambda g: g["mdy_m"] or g["dmy_m"], _named_month_day),
    (lambda g: g["my_m"], _named_month),
    (lambda g: g["part"], _part_of_year),
    (lambda g: g["ytd_n"], _first_months),
    (_is_quarter, lambda m, g, as_of, fy: _quarter(g, as_of, fy)),
    (_is_half, lambda m, g, as_of, fy: _half(g, as_of, fy)),
    (lambda g: g["fy_y"], _fiscal_year),
    (lambda g: g["yr"], _year),
)


_ORD = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def _quarter(g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    if g["fy_q"]:
        qa, qb, fyy, cyy = int(g["fy_q"]), None, g["fy_y"], None
        if g["fy_y2"]:
            return None
        ys = None
    elif g["ord"]:
        qa, qb = _ORD[g["ord"].lower()], None
        fyy, cyy, ys = g["ord_fyy"], None, g["ord_y"]
    elif g["qn_a"]:
        qa, qb, fyy, cyy = int(g["qn_a"]), None, None, None
        ys = g["qn_y"] or g["qn_yy"]
    else:
        qa = int(g["q_a"])
        qb = int(g["q_b"]) if g["q_b"] else None
        fyy, cyy = g["q_fyy"], g["q_cyy"]
        ys = g["q_y"] or g["q_yy"]
    if qb is not None and qb <= qa:
        return None
    qb = qb or qa
    fiscal = bool(fyy) or (not ys and not cyy and not fy.is_calendar_year)
    if fyy or ys or cyy:
        y = _yy(fyy or cyy or ys or "")  # one of them is set: the "" is never read
    else:
        y = _nearest_quarter_year(qa, fiscal, fy, as_of)
    if fiscal:
        a, _ = _fy_part(y, fy, qa, 3)
        _, b = _fy_part(y, fy, qb, 3)
        pre = f"FY{y}"
    else:
        a, _ = _months_span(y, 3 * qa - 2, 3)
        _, b = _months_span(y, 3 * qb - 2, 3)
        pre = f"{y}"
    label = f"{pre}-Q{qa}" if qa == qb else f"{pre}-Q{qa}..{pre}-Q{qb}"
    return label, a, b, "quarter"


def _half(g: dict[str, Any], as_of: dt.date, fy: FiscalCalendar) -> _Resolved | None:
    if g["fy_h"]:
        if g["fy_y2"]:
            return None
        ha, fyy, ys = int(g["fy_h"]), g["fy_y"], None
    elif g["ord"]:
        ha = _ORD[g["ord"].lower()]
        fyy, ys = g["ord_fyy"], g["ord_y"]
    elif g["hn_a"]:
        ha, fyy, ys = int(g["hn_a"]), None, g["hn_y"] or g["hn_yy"]
    else:
        ha, fyy = int(g["h_a"]), g["h_fyy"]
        ys = g["h_y"] or g["h_yy"] or g["h_cyy"]
    if ha not in (1, 2):
        return None
    if fyy:
        y = _yy(fyy)
        a, b = _fy_part(y, fy, ha, 6)
        return f"FY{y}-H{ha}", a, b, "half"
    assert ys is not None, "a half without a fiscal year names its year"
    y = _yy(ys)
    a, b = _months_span(y, 6 * ha - 5, 6)
    return f"{y}-H{ha}", a, b, "half"


_FIG_AFTER_YEAR = re.compile(
    r"[0-9]{4}(?:" + SP + r"?(?:%|×|[xX](?![A-Za-z0-9])|[KMBT](?![A-Za-z0-9])|(?:" + alt(PHYS_UNITS) +
    r"|(?i:" + alt(FLOPS_UNITS) + r"))(?![A-Za-z0-9]))|"
    + SP + r"(?i:thousand|million|billion|trillion|percent)(?![A-Za-z]))")


def _stated_periods(text: str, as_of: dt.date, fiscal: FiscalCalendar | int = CALENDAR_YEAR) -> list[Period]:
    """Every period/date expression in `text`, resolved against `as_of` (publication date) and the
    entity's fiscal-year end month. Never raises.

    Labels: "2026", "FY2025", "FY2026-Q2", "2025-Q4", "2026-H2", "2026-02", "2026-mid",
    "2025-11-18", ranges "2024..2029". Relations: in | by | through | end | since. For "end"
    (`end of 2025`, `year-end 2025`, `by end of 2026`) the dates are narrowed to the last month
    of the period (2025-12-01..2025-12-31); the label and granularity stay those of the period.
    """
    out: list[Period] = []
    if not isinstance(text, str) or not text:
        return out
    fy = as_calendar(fiscal)
    if not isinstance(as_of, dt.date):
        as_of = dt.date.today()
    n = len(text)
    last = 0
    for a in _DIGITS.finditer(text):
        s, e = a.start(), a.end()
        if s < last:
            continue
        if not _period_candidate(text, s, e, n):
            continue
        try:
            p = _period_at(text, s, e, n, last, as_of, fy)
        except Exception:      # defensive: never raise on odd input
            p = None
        if p is not None:
            out.append(p)
            last = p.end_offset
    return out


_DIGITS = re.compile(r"[0-9]+")
_TOKEN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]")
_MONTH_BEFORE = re.compile(MONTH_RE + r"[ ]+\Z")


def _period_candidate(text: str, s: int, e: int, n: int) -> bool:
    """Cheap filter: can the digit run text[s:e] be part of a period expression?"""
    ln = e - s
    if ln == 4:
        return "1000" <= text[s:e] <= "2999"
    if ln > 2:
        return False
    prev = text[s - 1] if s else ""
    nxt = text[e] if e < n else ""
    if prev and prev in "QHY'’":
        return True
    if nxt and nxt in "QH/":
        return True
    if prev == " " and s >= 3:
        if text[s - 3:s - 1] == "FY":
            return True
        if (text[s - 2].isalpha() or text[s - 2] == ".") and _MONTH_BEFORE.search(text, max(0, s - 12), s):
            return True
    if nxt and nxt in " \u00a0snrt" and MONTH_AFTER.match(text, e):
        return True
    return False


@functools.lru_cache(maxsize=16384)
def _period_match(text: str, s: int, e: int, n: int, last: int) -> tuple[re.Match[str], dict[str, Any],
                                                                        _Reader | None] | None:
    """The period expression around the digit run text[s:e], its groups and the reader of its form: none of it
    depends on the as-of date or the calendar, so a text is matched once however many calendars date it."""
    ws = max(last, s - 48)
    we = min(n, e + 48)
    k = 0
    while we < n and k < 64 and (text[we].isalnum() or text[we] in "'’"):
        we += 1
        k += 1
    # every alternative of _PERIOD starts at the start of a token, so try only those (leftmost first)
    for t in _TOKEN_START.finditer(text, ws, s + 1):
        cand = _PERIOD.match(text, t.start(), we)
        if cand is not None and cand.end() > s:
            g = cand.groupdict()
            return cand, g, _reader_of(g)
    return None


def _period_at(text: str, s: int, e: int, n: int, last: int, as_of: dt.date, fy: FiscalCalendar) -> Period | None:
    found = _period_match(text, s, e, n, last)
    if found is not None:
        m, g, read = found
        res = read(m, g, as_of, fy) if read is not None else None
        span_end = m.end()
        if res == "trim":
            # "2025-99": keep the first year only
            y1 = int(m["yr"])
            res = (str(y1), dt.date(y1, 1, 1), dt.date(y1, 12, 31), "year")
            span_end = m.end("yr")
        if res is None:
            return None
        label, a, b, gran = res
        if m["yr"] and not m["yr2"]:
            ys = m.start("yr")
            if _FIG_AFTER_YEAR.match(text, ys):
                return None
            if ys >= 2 and text[ys - 1] == "-" and text[ys - 2].isalnum() and not m.group(0)[:ys - m.start()].strip():
                return None
        rel = "in"
        if m["rel_end"]:
            rel = "end"
            a = dt.date(b.year, b.month, 1) if gran != "day" else a
        elif m["rel_start"] and gran != "day":
            b = _last_day(a.year, a.month)  # "at the beginning of 2025": its first month
            label, gran = f"{a.year}-{a.month:02d}", "month"
        elif m["rel_through"]:
            rel = "through"
        elif m["rel_by"]:
            rel = "by"
        elif m["rel_since"]:
            rel = "since"
        p0 = m.start()
        if m["rel_between"] and ".." not in label:
            p0 = m.end("rel_between")
        return Period(text[p0:span_end], p0, span_end, label, a, b, gran, rel)
    return None


# What each pass of _periods starts from: a digit run that may be part of a period, or a phrase that a pass reads
# without one. A text with neither gives no period whatever its as-of date or calendar, so that is known per text
# (the same sentences and cells recur under many publication dates, which the periods memo cannot share).
_PASS_STARTS = (POSSESSIVE_YEAR, YEARLESS_QUARTER, *_COUNTED_SPANS, BARE_MONTH, YEAR_END, WEEKDAY, RELATIVE)
# each with the words a match of it needs (prefilter.py): most texts hold none, and looking costs less than a search
_PASS_NEEDS = tuple((rx, needed_words(rx.pattern, rx.flags)) for rx in _PASS_STARTS)


@functools.lru_cache(maxsize=65536)
def _periodless(text: str) -> bool:
    n = len(text)
    if any(_period_candidate(text, a.start(), a.end(), n) for a in _DIGITS.finditer(text)):
        return False
    low = text.lower()
    return not any(may_hold(words, text, low) and rx.search(text) for rx, words in _PASS_NEEDS)
