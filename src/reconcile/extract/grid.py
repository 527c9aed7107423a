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
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
    cells: tuple[int, int] = (0, -1)   # the grid positions the header spans (an HTML colspan); empty when unknown


@dataclass(frozen=True)
class GridRow:
    label: str
    values: tuple[tuple[str, Column | None], ...]   # each value with the column it sits under
    quote: str
    non_gaap: bool                     # under a Non-GAAP banner
    caption_period: Period | None      # a period a banner row above states
    lead: str = ""                     # the lead-in row above the row's group ('Net income per share:')
    caption_granularity: str | None = None   # what the banner's period says: 'Three Months Ended …' quarterly
    group: int = 0                     # rows between the same two banners share a group


@dataclass(frozen=True)
class Grid:
    label_header: str                  # the header row's first cell (often the scale note)
    rows: tuple[GridRow, ...]
    notes: tuple[str, ...]             # banner texts: scale notes, section names, captions


def read_grid(cues: Cues, rows: list[list[str]], published: dt.date, fye: FiscalCalendar,
              sources: Sequence[str] = ()) -> Grid | None:
    """The comparative reading of a table, or None when its header names no period or change column.
    `sources`, when given, is each row's own markup: a row's quote is then its exact text in the document."""
    sources = sources if len(sources) == len(rows) else ("",) * len(rows)  # read only for the rows kept
    pairs = [([c.strip() for c in row], i) for i, row in enumerate(rows) if any(c.strip() for c in row)]
    columns: list[Column] | None = None
    pending_header: list[list[str]] = []
    label_header, notes, out = "", [], []
    non_gaap, caption, caption_gran, lead, group = False, None, None, "", 0
    for row, i in pairs:
        if _is_banner(row) and (row[0] or header_cell(cues, row[-1] or next(c for c in row if c), published, fye)
                                is None):
            text = next(c for c in row if c)
            notes.append(text)
            if cues.non_gaap.search(text) or _gaap_banner(text):
                non_gaap = bool(cues.non_gaap.search(text))
            stated = column_period(cues, text, published, fye)
            if stated[0] is not None:
                caption, caption_gran = stated
            if pending_header:      # 'Assets' or '(In millions)' under the dates: the header is complete
                label_header, columns = pending_header[-1][0], header_columns(cues, pending_header, published, fye)
            pending_header = []
            lead = text if columns is not None and text.endswith(":") else ""
            group += 1
            continue
        if _is_header_row(cues, row, published, fye) and (
                columns is None or pending_header or _header_label(cues, row[0])) or (
                columns is None and not pending_header and _names_header(row)):
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
                           sources[i] or " | ".join(c for c in row if c), non_gaap, caption, lead, caption_gran, group))
    if not out or not any(c.period or c.change or row.caption_period for row in out for _, c in row.values if c):
        return None
    return Grid(label_header, tuple(out), tuple(notes))


def _names_header(row: list[str]) -> bool:
    """'| Compute & Networking | Graphics | Consolidated': columns of parts over rows whose banners name the
    periods (a segment note). Read as comparative only when a banner below does name a period."""
    names = {c for c in row[1:] if c}
    return not row[0] and len(names) >= 2 and not any(_has_figure(c) for c in names)


def _is_banner(row: list[str]) -> bool:
    """'GAAP', 'Non-GAAP', '($ in millions)', a caption: one text across the row (repeated where it spans), in
    its first cell or spanning the value columns (a lone figure under an empty label is no banner)."""
    texts = [c for c in row if c]
    if len(set(texts)) != 1:
        return False
    return row[0] != "" or len(row) == 1 or (len(texts) > 1 and not _has_figure(texts[0]))


def _gaap_banner(text: str) -> bool:
    return bool(re.fullmatch(r"\W*GAAP\W*", text, re.IGNORECASE))


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
    it, a row label ('Three Months Ended September 30,') before the years it ends. A header cell an HTML colspan
    repeated is one column over all the positions it spans."""
    runs = _header_runs(header_rows)
    bottom = [text for _, _, text in runs]
    prefixes = [""] * len(bottom)
    for upper in header_rows[:-1]:
        if _spanning(upper):    # the spanning cell's text sits over exactly the columns it spans
            prefixes = [f"{p} {upper[first]}".strip() if upper[first] else p
                        for p, (first, _, _) in zip(prefixes, runs, strict=True)]
            continue
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
    columns = [replace(_column(cues, t, published, fye), cells=(first, last))
               for t, (first, last, _) in zip(texts, runs, strict=True)]
    return _with_change_bases(columns)


def _header_runs(header_rows: list[list[str]]) -> list[tuple[int, int, str]]:
    """The bottom header row's columns as (first, last position, text): a cell repeated across adjacent positions
    (with the same cells above it) is one column the parser expanded from a colspan."""
    width = min(len(r) for r in header_rows)
    runs: list[tuple[int, int, str]] = []
    last_key: tuple[str, ...] | None = None
    for j in range(1, width):
        key = tuple(r[j] for r in header_rows)
        if not key[-1]:
            last_key = None
            continue
        if key == last_key:
            first, _, text = runs[-1]
            runs[-1] = (first, j, text)
        else:
            runs.append((j, j, key[-1]))
        last_key = key
    return runs


def _spanning(row: list[str]) -> bool:
    """A header row whose cells repeat across adjacent positions: an HTML colspan the parser expanded."""
    return any(row[j] and row[j] == row[j + 1] for j in range(1, len(row) - 1))


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
        span, gran = _span_ending(ended, p)
        return (_fiscal_to_date(span, fye) if gran == "cumulative" else span), gran
    if ended:  # the period reader already spanned "Nine Months Ended <date>": its length names the granularity
        months = round(((p.end - p.start).days + 1) / 30.44)
        gran = {3: "quarterly", 12: "annual"}.get(months, "cumulative")
        return (_fiscal_to_date(p, fye) if gran == "cumulative" else p), gran
    if p.granularity == "day":
        return p, "point"
    return p, {"quarter": "quarterly", "year": "annual", "fiscal_year": "annual", "month": "monthly",
               "half": "cumulative"}.get(p.granularity)


def _fiscal_to_date(span: Period, fye: FiscalCalendar) -> Period:
    """'Nine Months Ended October 26, 2025' of a 52/53-week year runs from the fiscal year's first day (Jan 27),
    not nine calendar months back (Jan 26)."""
    start = fye.year_span(fye.year_of(span.end))[0]
    if start == span.start or abs((span.start - start).days) > 7:
        return span
    return replace(span, start=start, label=f"{start.isoformat()}..{span.end.isoformat()}")


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
        out.append(Column(c.header, current.period, current.granularity, kind, base, c.cells))
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
    start = 1
    while start < len(row) and row[0] and row[start] == row[0]:
        start += 1              # the label an HTML colspan repeated
    for j, cell in enumerate(row[start:], start=start):
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


def attach_signs(row: list[str]) -> list[str]:
    """A row whose '$' and ')' sit in cells of their own, with each figure whole at its own position (the sign
    cells emptied, an HTML colspan's repeated label dropped): what the cell-by-cell reading of a table needs."""
    if not any(_LEADING_SIGN.match(c) or _TRAILING_MARK.match(c) for c in row[1:] if c):
        return row
    out = [row[0]] + [""] * (len(row) - 1)
    for j, text in value_cells(row):
        out[j] = text
    return out


def align(values: list[tuple[int, str]], columns: list[Column]) -> list[Column | None]:
    """The column each value sits under: the one whose header spans the value's position when every value has
    its own; else the n-th value under the n-th column (a ragged row keeps its values in order from the left;
    values beyond the header have no column)."""
    placed = [next((c for c in columns if c.cells[0] <= j <= c.cells[1]), None) for j, _ in values]
    if placed and all(placed) and len({id(c) for c in placed}) == len(placed):
        return placed
    return [columns[n] if n < len(columns) else None for n in range(len(values))]
