"""Comparative tables as they really are: ragged grids read into period columns and aligned rows.

A results table says "Q1 FY26 | Q4 FY25 | Q1 FY25 | Q/Q | Y/Y" or "Three Months Ended | Nine Months Ended" over
"Oct 26, 2025 | Oct 27, 2024 | ...". Its cells are ragged: spacer cells, '$' and ')' in cells of their own, a
banner row ("GAAP", "Non-GAAP", a scale note) above the header, headers over two rows. Each column is a claim
about its own period, and a change column about the row's change. So the n-th value of a row is read under the
n-th column of the header, not by raw cell index; a banner names the section of the rows under it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ..calendars import FiscalCalendar
from ..quantities import Period, find_periods
from ..vocab import Cues
from .periods import estimate_marks

# Cells that only carry a currency sign, a closing parenthesis or a unit: they belong to the figure beside them.
_LEADING_SIGN = re.compile(r"^\s*(?:\$|US\$|€|£|\(|\$\s*\()\s*$")
_TRAILING_MARK = re.compile(r"^\s*(?:\)|\)?\s*%|\)?\s*(?:pts?|pp|bps)\.?)\s*$", re.IGNORECASE)
_NUMBER_WORDS = {"three": 3, "six": 6, "nine": 9, "twelve": 12, "thirteen": 13, "twenty-six": 26, "thirty-nine": 39,
                 "fifty-two": 52}


@dataclass(frozen=True)
class Column:
    """What a column header says: its period, or the change it measures (qoq, yoy) and the period it is for."""
    header: str
    period: Period | None
    granularity: str | None            # quarterly, annual, cumulative, point ...
    change: str | None = None          # qoq | yoy for a change column
    base: Period | None = None         # the period a change column compares with


@dataclass(frozen=True)
class GridRow:
    label: str
    values: tuple[tuple[str, Column | None], ...]   # each value with the column it sits under
    quote: str
    non_gaap: bool                     # under a Non-GAAP banner
    caption_period: Period | None      # a period a banner row above states


@dataclass(frozen=True)
class Grid:
    label_header: str                  # the header row's first cell (often the scale note)
    rows: tuple[GridRow, ...]
    notes: tuple[str, ...]             # banner texts: scale notes, section names, captions


def read_grid(cues: Cues, rows: list[list[str]], published: dt.date, fye: FiscalCalendar,
              sources: tuple[str, ...] = ()) -> Grid | None:
    """The comparative reading of a table, or None when its header names no period or change column.
    `sources`, when given, is each row's own markup: a row's quote is then its exact text in the document."""
    sources = tuple(sources) if len(sources) == len(rows) else ("",) * len(rows)
    pairs = [([c.strip() for c in row], src) for row, src in zip(rows, sources, strict=True)
             if any(c.strip() for c in row)]
    columns: list[Column] | None = None
    pending_header: list[list[str]] = []
    label_header, notes, out = "", [], []
    non_gaap, caption = False, None
    for row, source in pairs:
        if _is_banner(row):
            text = next(c for c in row if c)
            notes.append(text)
            if cues.non_gaap.search(text) or _gaap_banner(text):
                non_gaap = bool(cues.non_gaap.search(text))
            caption = _caption_period(cues, text, published, fye) or caption
            pending_header = []
            continue
        if _is_header_row(cues, row, published, fye) and (
                columns is None or pending_header or _header_label(cues, row[0])):
            pending_header.append(row)
            continue
        if pending_header:
            label_header = pending_header[-1][0]
            columns = header_columns(cues, pending_header, published, fye)
            pending_header = []
        if columns is None:
            return None  # the first row under the banners is no header of periods: not a comparative table
        values = value_cells(row)
        out.append(GridRow(row[0], tuple(zip([v for _, v in values], align(values, columns), strict=False)),
                           source or " | ".join(c for c in row if c), non_gaap, caption))
    if not out or not any(c.period or c.change for row in out for _, c in row.values if c):
        return None
    return Grid(label_header, tuple(out), tuple(notes))


def _is_banner(row: list[str]) -> bool:
    """'GAAP', 'Non-GAAP', '($ in millions)', a caption: one text across the row (repeated where it spans)."""
    return len({c for c in row if c}) == 1 and not (row[0] == "" and len(row) > 1)


def _gaap_banner(text: str) -> bool:
    return bool(re.fullmatch(r"\W*GAAP\W*", text, re.IGNORECASE))


def _caption_period(cues: Cues, text: str, published: dt.date, fye: FiscalCalendar) -> Period | None:
    """'Q4 Fiscal 2026 Summary' above the header: the period of cells whose column names none."""
    periods = [p for p in find_periods(estimate_marks(cues, text), published, fye) if p.relation == "in"]
    return periods[0] if periods else None


def header_cell(cues: Cues, text: str, published: dt.date, fye: FiscalCalendar) -> str | None:
    """period | qoq | yoy | change | None: what a header cell names."""
    if cues.change_qoq.search(text):
        return "qoq"
    if cues.change_yoy.search(text):
        return "yoy"
    if cues.change_column.search(text):
        return "change"
    if column_period(cues, text, published, fye)[0] is not None or cues.months_ended.search(text):
        return "period"
    return None


def _is_header_row(cues: Cues, row: list[str], published: dt.date, fye: FiscalCalendar) -> bool:
    """A row of period and change headers (its first cell may be a scale note or a 'Three Months Ended')."""
    cells = [c for c in row[1:] if c]
    kinds = [header_cell(cues, c, published, fye) for c in cells]
    if not cells or any(k is None and _has_figure(c) for k, c in zip(kinds, cells, strict=False)):
        return False
    return any(kinds)


def _header_label(cues: Cues, label: str) -> bool:
    """A header row inside the body starts a new column group only under a header-like label, never under a
    row label such as 'Founded' whose value is a year."""
    return not label or bool(cues.months_ended.search(label) or cues.scale_stated.search(label))


def _has_figure(text: str) -> bool:
    return bool(re.search(r"\d", text)) and not _LEADING_SIGN.match(text) and not _TRAILING_MARK.match(text)


def header_columns(cues: Cues, header_rows: list[list[str]], published: dt.date, fye: FiscalCalendar) -> list[Column]:
    """The columns of one or more header rows: a spanning cell ('Three Months Ended') over the date cells under
    it, a row label ('Three Months Ended September 30,') before the years it ends."""
    bottom = [c for c in header_rows[-1][1:] if c]
    prefixes = [""] * len(bottom)
    for upper in header_rows[:-1]:
        spans = _dedupe_runs([c for c in upper[1:] if c])
        if spans and len(bottom) % len(spans) == 0:
            per = len(bottom) // len(spans)
            prefixes = [f"{p} {spans[i // per]}".strip() for i, p in enumerate(prefixes)]
        elif upper[0]:
            prefixes = [f"{p} {upper[0]}".strip() for p in prefixes]
    label = header_rows[-1][0]
    if label and cues.months_ended.search(label):
        prefixes = [f"{p} {label}".strip() for p in prefixes]
    texts = [f"{p} {c}".strip() for p, c in zip(prefixes, bottom, strict=False)]
    columns = [_column(cues, t, published, fye) for t in texts]
    return _with_change_bases(columns)


def _dedupe_runs(cells: list[str]) -> list[str]:
    """A spanning cell the parser repeated across the columns it spans, once."""
    return [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]


def _column(cues: Cues, text: str, published: dt.date, fye: FiscalCalendar) -> Column:
    kind = header_cell(cues, text, published, fye)
    if kind in ("qoq", "yoy", "change"):
        return Column(text, None, None, change=kind)
    period, gran = column_period(cues, text, published, fye)
    return Column(text, period, gran)


def column_period(cues: Cues, text: str, published: dt.date, fye: FiscalCalendar) -> tuple[Period | None, str | None]:
    """The period a header names and its granularity: 'Q1 FY26' a quarter, 'FY25' a year, 'Three Months Ended
    Sep 30, 2025' the quarter ending then, 'Nine Months Ended ...' the nine months to date, 'Sep 30, 2025' a day."""
    periods = [p for p in find_periods(estimate_marks(cues, text), published, fye) if p.relation == "in"]
    if not periods:
        return None, None
    p = periods[-1] if len(periods) > 1 and periods[-1].granularity == "day" else periods[0]
    ended = cues.months_ended.search(text)
    if ended and p.granularity == "day":
        return _span_ending(ended, p)
    if ended:  # the period reader already spanned "Nine Months Ended <date>": its length names the granularity
        months = round(((p.end - p.start).days + 1) / 30.44)
        return p, {3: "quarterly", 12: "annual"}.get(months, "cumulative")
    if p.granularity == "day":
        return p, "point"
    return p, {"quarter": "quarterly", "year": "annual", "fiscal_year": "annual", "month": "monthly",
               "half": "cumulative"}.get(p.granularity)


def _span_ending(ended: re.Match[str], day: Period) -> tuple[Period, str]:
    """'Nine Months Ended October 26, 2025': the months up to that day."""
    count, unit, whole = ended.group(1), (ended.group(2) or "").lower(), (ended.group(3) or "").lower()
    n = _NUMBER_WORDS.get(count.lower(), None) if count else None
    n = n if n is not None else (int(count) if count and count.isdigit() else None)
    end = day.end
    if whole.startswith("year"):
        months = 12
    elif whole.startswith("quarter"):
        months = 3
    elif unit.startswith("week") and n:
        months = round(n / 13) * 3
    else:
        months = n or 3
    start = _months_before(end, months) + dt.timedelta(days=1)
    gran = {3: "quarterly", 12: "annual"}.get(months, "cumulative")
    shape = {3: "quarter", 12: "fiscal_year", 6: "half"}.get(months, "span")
    return Period(day.text, day.start_offset, day.end_offset, _span_label(start, end, months), start, end, shape), gran


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 - months, 12)
    year, month = day.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    at_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month, last if at_month_end else min(day.day, last))


def _span_label(start: dt.date, end: dt.date, months: int) -> str:
    if start.day == 1 and months == 3 and start.month in (1, 4, 7, 10):
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if start.day == 1 and months == 12 and start.month == 1:
        return str(start.year)
    return f"{start.isoformat()}..{end.isoformat()}"


def _with_change_bases(columns: list[Column]) -> list[Column]:
    """A change column is for the first period column; it compares with the one a quarter (qoq) or a year (yoy)
    before it. A '% Change' column takes its kind from the gap between the first two period columns."""
    dated = [c for c in columns if c.period is not None]
    if not dated:
        return columns
    current = dated[0]
    out = []
    for c in columns:
        if c.change is None:
            out.append(c)
            continue
        kind = c.change if c.change != "change" else _gap_kind(current, dated[1] if len(dated) > 1 else None)
        base = next((d.period for d in dated[1:] if _gap_kind(current, d) == kind), None)
        out.append(Column(c.header, current.period, current.granularity, kind, base))
    return out


def _gap_kind(current: Column, other: Column | None) -> str | None:
    if other is None or current.period is None or other.period is None:
        return None
    days = (current.period.end - other.period.end).days
    if 80 <= days <= 100 and current.granularity == "quarterly":
        return "qoq"
    if 355 <= days <= 375:
        return "yoy"
    return None


def value_cells(row: list[str]) -> list[tuple[int, str]]:
    """The row's figures after its label, a '$' cell joined to the figure after it and ')', '%', 'pts' to the
    figure before it; spacer cells dropped."""
    out: list[tuple[int, str]] = []
    carry = ""
    for j, cell in enumerate(row[1:], start=1):
        if not cell:
            continue
        if _LEADING_SIGN.match(cell):
            carry = f"{carry}{cell} "
            continue
        if _TRAILING_MARK.match(cell) and out:
            k, prev = out[-1]
            out[-1] = (k, f"{prev}{cell}" if cell.startswith(")") else f"{prev} {cell}")
            continue
        out.append((j, f"{carry}{cell}"))
        carry = ""
    return out


def align(values: list[tuple[int, str]], columns: list[Column]) -> list[Column | None]:
    """The column each value sits under: the n-th value under the n-th column when the counts agree; a row
    with fewer values keeps them in order from the left; values beyond the header have no column."""
    return [columns[n] if n < len(columns) else None for n in range(len(values))]
