"""Tables, read by their shape: decided from the header row and the first column, entities in rows,
entities in columns, a time series (periods in the first column), or key/value rows under an entity heading."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..calendars import FiscalCalendar
from ..parse import Block
from ..quantities import Period, find_periods
from ..vocab import AliasMatcher, Cues, Match
from .emit import cell_figures
from .events import cell_events
from .grid import Column, Grid, attach_signs, read_grid
from .lexicon import ENTITY_HEADERS, KEY_VALUE_HEADERS, NEUTRAL_WORDS, PARENTHESES, PERIOD_HEADERS, SCALE_FACTORS
from .model import Context, FigureSite, Reading, filled_at_once
from .periods import estimate_marks, granularity, is_relation_base
from .segments import is_label_line, segment_metric, segment_named
from .words import (
    clean_label,
    entity_in_label,
    longest_metric,
    metric_in,
    metrics_outside,
    norm,
    share,
    short,
    top_company,
)


@filled_at_once
@dataclass(frozen=True)
class TableCell:
    """One body cell and what its row and column say about it."""
    shape: str                         # table_rows | table_columns | key_value | series
    label: str                         # the row's first cell
    header: str                        # the column's header
    text: str
    quote: str                         # the whole row
    location: str
    row_entity: Match | None = None
    col_entity: Match | None = None
    row_period: Period | None = None
    unknown_entity_label: bool = False  # the first column is headed 'Company': its labels are names
    column: Column | None = None       # comparative tables: the period or change column the cell sits under
    non_gaap: bool = False             # comparative tables: under a Non-GAAP banner, caption or heading
    caption_period: Period | None = None
    caption_granularity: str | None = None
    part_of: str | None = None         # the metric of the 'Total revenue' row this row is a part (or the whole) of
    part: bool = False                 # a part of it, not the whole


@dataclass(frozen=True)
class CellMeaning:
    entity: str | None
    metric: str | None
    period: Period | None
    expected: str | None               # the granularity the header or label implies
    scope: str | None = None
    entity_from: str = ""              # where each was read: row, column or heading
    metric_from: str = ""
    period_from: str = ""
    change: str | None = None          # the cell is the row's change (qoq, yoy, change), not its level


class CaptionLine:
    """The short title line just above a table ('Revenue by Reportable Segments', maybe with a sentence between):
    the measure of the rows that name none (a 'Total' row and the parts above it). Fed every block in order."""

    AGE = 2                            # blocks a caption still holds for

    def __init__(self) -> None:
        self.text, self.age = "", 0

    def see(self, block: Block) -> None:
        self.age += 1
        if block.kind == "table":
            self.text = ""
        elif is_label_line(block):
            self.text, self.age = block.text, 0

    def current(self) -> str:
        return self.text if self.age <= self.AGE else ""


def read_table(r: Reading, block: Block, ctx: Context, where: str, scale: tuple[float, bool] | None = None,
               caption: str = "") -> None:
    if len(block.rows) < 2:
        return
    header, body = list(block.rows[0]), [attach_signs(list(row)) for row in block.rows[1:]]
    width = len(header)
    if width < 2:
        return
    first_col = [row[0] if row else "" for row in body]
    row_entities = [entity_in_label(r.vocab, c) for c in first_col]
    col_entities = [entity_in_label(r.vocab, h) for h in header[1:]]
    grid = read_grid(r.cues, [list(row) for row in block.rows], r.published, r.vocab.fiscal_year_end(ctx.entity),
                     block.row_sources)
    if grid is not None and share([entity_in_label(r.vocab, row.label) for row in grid.rows]) < 0.5:
        measure = metric_in(r.vocab, caption) if caption and not r.cues.statement_label.search(caption) else None
        read_comparative(r, block, ctx, where, grid, scale, measure)
        return
    row_periods = [_whole_period(r, c) for c in first_col]
    shape = table_shape(header, row_entities, col_entities, row_periods)
    period_cols = [j for j, h in enumerate(header) if j > 0 and norm(h) in PERIOD_HEADERS]
    skipped = set(period_cols) | {j for j, h in enumerate(header) if j > 0 and r.cues.identifier_header.match(h)}
    r.scale = _money_if_any_cell_is(table_scale(r.cues, header[:1], block.headings) or scale, block)
    column_names = [short(h) for h in header]  # once per table, not per cell
    for i, row in enumerate(body):
        label = row[0].strip()
        row_where = f'{where} › row "{short(label)}"'
        row_quote = " | ".join(c.strip() for c in row)
        entity_match = row_entities[i]
        row_entity_name = entity_match.name if shape == "table_rows" and entity_match else ctx.entity
        row_period = row_periods[i] if shape == "series" else _row_period(r, row, period_cols, row_entity_name)
        for j in range(1, width):
            text = row[j] if j < len(row) else ""
            if j in skipped or not text.strip():
                continue
            location = row_where if shape == "key_value" and width <= 3 else \
                f'{row_where} › column "{column_names[j]}"'
            read_cell(r, ctx, TableCell(shape, label, header[j], text, row_quote, location,
                                        row_entity=row_entities[i], col_entity=col_entities[j - 1],
                                        row_period=row_period,
                                        unknown_entity_label=norm(header[0]) in ENTITY_HEADERS))


def read_comparative(r: Reading, block: Block, ctx: Context, where: str, grid: Grid,
                     scale: tuple[float, bool] | None = None, measure: str | None = None) -> None:
    """A results table: each value under its own period or change column, the rows naming the metrics (or the
    caption's `measure` naming a 'Total' row's and its parts')."""
    r.scale = _money_if_any_cell_is(table_scale(r.cues, [grid.label_header, *grid.notes], block.headings) or scale,
                                    block)
    heading_non_gaap = any(r.cues.non_gaap.search(h) for h in block.headings[-1:])
    parts = _parts_of_totals(r, grid, measure)
    for row, (part_of, part) in zip(grid.rows, parts, strict=True):
        row_where = f'{where} › row "{short(row.label)}"'
        label = _with_lead(r, row.lead, row.label)
        for text, column in row.values:
            if _NIL.match(text):
                continue            # '$ —': nothing, written the accountant's way
            header = column.header if column else ""
            read_cell(r, ctx, TableCell("comparative", label, header, text, row.quote,
                                        f'{row_where} › column "{short(header)}"', column=column,
                                        non_gaap=row.non_gaap or heading_non_gaap,
                                        caption_period=row.caption_period,
                                        caption_granularity=row.caption_granularity, part_of=part_of,
                                        part=part))


def _with_lead(r: Reading, lead: str, label: str) -> str:
    """'Diluted' under 'Net income per share:' or 'Weighted average shares used in per share computation:' is read
    with its lead-in: a short row label that only names a variant of the measure the lead-in names. Other lead-ins
    ('Cash flows from investing activities:') only group rows that name their own measures."""
    if not lead or len(label.split()) > 3 or metric_in(r.vocab, label) is not None:
        return label
    if r.cues.per_share_row.search(lead) or r.cues.share_count_row.search(lead):
        return f"{lead} {label}"
    return label


_NIL = re.compile(r"^\s*(?:[$€£]|US\$)?\s*[—–-]+\s*$")


def _parts_of_totals(r: Reading, grid: Grid, measure: str | None) -> list[tuple[str | None, bool]]:
    """'Data Center', 'Gaming', … above 'Total revenue' in their group: parts (True) of the total's metric. Only rows
    above it that name no measure of their own ('Gross profit' below a total is no part of it). A bare 'Total' row
    under a caption that names the measure is that measure's whole (False)."""
    parts: list[tuple[str | None, bool]] = [(None, False)] * len(grid.rows)
    waiting: list[int] = []
    for i, row in enumerate(grid.rows):
        if waiting and grid.rows[waiting[-1]].group != row.group:
            waiting = []
        metric = metric_in(r.vocab, row.label)
        total = bool(r.cues.total.search(row.label))
        if total and metric is None and measure is not None:
            metric, parts[i] = measure, (measure, False)
        if metric and total:
            for k in waiting:
                parts[k] = (metric, True)
            waiting = []
        elif metric is None and not r.cues.statement_label.search(row.label):
            waiting.append(i)
        else:
            waiting = []
    return parts


def table_shape(header: list[str], row_entities: list[Any], col_entities: list[Any], row_periods: list[Any]) -> str:
    """table_columns, key_value, table_rows or series: which of the first column and the header names what."""
    width, header0 = len(header), norm(header[0])
    entity_columns = sum(e is not None for e in col_entities) >= max(1, (width - 1) // 2 + (width - 1) % 2)
    if entity_columns and header0 not in ENTITY_HEADERS and share(row_entities) < 0.5:
        return "table_columns"
    if header0 in KEY_VALUE_HEADERS and share(row_entities) < 0.75:
        return "key_value"
    if header0 in ENTITY_HEADERS or share(row_entities) >= 0.5:
        return "table_rows"
    if share(row_periods) >= 0.5:
        return "series"
    return "key_value"


def read_cell(r: Reading, ctx: Context, cell: TableCell) -> None:
    shares, label_m, header_m, growth_label, per_share = _cell_words(cell.label, cell.header, r.vocab.entity_matcher,
                                                                     r.vocab.metric_matcher, r.cues)
    meaning = _SHAPES[cell.shape](r, ctx, cell, label_m, header_m)
    entity, metric = meaning.entity, meaning.metric
    counterparty = None
    if metric in r.vocab.metrics and r.vocab.metrics[metric].relational:
        others = [m.name for m in r.vocab.entity_matcher.find(cell.text + " " + cell.label + " " + cell.header)
                  if m.name != entity]
        counterparty = others[0] if others else (ctx.entity if ctx.entity != entity else None)
    site = FigureSite(location=cell.location, quote=cell.quote, context=cell.shape, entity=entity, metric=metric,
                      period=meaning.period, expected=meaning.expected,
                      # Only a header or row label imposes a metric on a cell; a section heading only suggests one.
                      imposed=metric is not None and metric in (header_m, label_m), scope=meaning.scope,
                      counterparty=counterparty,
                      growth_label=growth_label,
                      entity_from=meaning.entity_from, metric_from=meaning.metric_from,
                      period_from=meaning.period_from, change=meaning.change,
                      granularity=meaning.expected if cell.shape == "comparative" else None,
                      per_share=per_share, share_count=shares,
                      deduction=bool(cell.label) and r.cues.deduction_row.search(cell.label) is not None)
    cell_figures(r, cell.text, site)
    cell_events(r, f"{cell.label}: {cell.text}", FigureSite(cell.location, cell.quote, cell.shape, entity=entity,
                                                            entity_from=meaning.entity_from), ctx)


@lru_cache(maxsize=8192)
def _cell_words(label: str, header: str, entity_matcher: AliasMatcher, metric_matcher: AliasMatcher,
                cues: Cues) -> tuple[bool, str | None, str | None, bool, bool]:
    """What a cell's row label and column header say, whatever the cell holds (remembered: a header is asked
    about for every row): a share count, the label's and header's metrics, growth, an amount per share."""
    # a count of shares: by its row ('Weighted average shares'), unless its column is a money account
    # ('Shares repurchased' under 'Retained Earnings'), or by its column ('Common Stock Outstanding Shares')
    shares = bool(cues.share_count_row.search(header)) or (
        bool(cues.share_count_row.search(label)) and not cues.statement_label.search(header))
    # 'Cost of revenue' is no revenue, 'Total Shareholders' Equity' no investment, 'Weighted average shares' no price
    label_m = None if shares or cues.statement_label.search(label) else \
        longest_metric(label, entity_matcher, metric_matcher)
    header_m = None if shares or cues.statement_label.search(header) else \
        longest_metric(header, entity_matcher, metric_matcher)
    growth = bool(cues.growth.search(label)) or bool(cues.growth.search(header))
    return shares, label_m, header_m, growth, not shares and bool(cues.per_share_row.search(label))


def _rows_cell(r: Reading, ctx: Context, cell: TableCell, label_m: str | None, header_m: str | None) -> CellMeaning:
    """Entities in rows: the row names the entity, the header the metric."""
    row_entity = cell.row_entity
    entity = row_entity.name if row_entity else (clean_label(cell.label) if cell.unknown_entity_label else None)
    if entity and entity[:1] in "=+-@":
        entity = None  # '=HYPERLINK(...)' is a spreadsheet formula, not a company
    period, period_from = _first_period((_period_in(r, cell.header, entity), "column"),
                                        (_period_in(r, cell.label, entity), "row"), (cell.row_period, "row"),
                                        (ctx.period, "heading"))
    metric, metric_from = _first_of((header_m, "column"), (label_m, "row"), (ctx.metric, "heading"))
    return CellMeaning(entity, metric, period, granularity(r.cues, cell.header),
                       _residual(r, cell.label, row_entity, None), "row", metric_from, period_from)


def _columns_cell(r: Reading, ctx: Context, cell: TableCell, label_m: str | None, header_m: str | None) -> CellMeaning:
    """Entities in columns: the header names the entity, the row the metric."""
    entity = cell.col_entity.name if cell.col_entity else None
    period, period_from = _first_period((_period_in(r, cell.label, entity), "row"),
                                        (_period_in(r, cell.header, entity), "column"), (ctx.period, "heading"))
    metric, metric_from = _first_of((label_m, "row"), (ctx.metric, "heading"))
    return CellMeaning(entity, metric, period, granularity(r.cues, cell.label),
                       _residual(r, cell.header, cell.col_entity, None), "column", metric_from, period_from)


def _series_cell(r: Reading, ctx: Context, cell: TableCell, label_m: str | None, header_m: str | None) -> CellMeaning:
    """A time series: the row is a period, the header the metric, the heading the entity."""
    metric, metric_from = _first_of((header_m, "column"), (ctx.metric, "heading"))
    period, period_from = _first_period((cell.row_period, "row"), (ctx.period, "heading"))
    return CellMeaning(ctx.entity, metric, period, granularity(r.cues, cell.header), None, ctx.entity_from, metric_from,
                       period_from)


def _key_value_cell(r: Reading, ctx: Context, cell: TableCell, label_m: str | None,
                    header_m: str | None) -> CellMeaning:
    """Key/value rows under an entity heading: the row names the metric, the heading the entity."""
    label, header = cell.label, cell.header
    column_period = _period_in(r, header, None)
    label_entity = entity_in_label(r.vocab, label)
    entity = label_entity.name if label_entity else ctx.entity
    if label_entity is None and entity and r.cues.total.search(label):
        entity = top_company(r.vocab, entity)  # "Total Revenue" under "Azure ..." is Microsoft's
    metric, metric_from = _first_of((label_m, "row"),
                                    (header_m if header_m and norm(header) not in ("value", "metric") else None,
                                     "column"))
    label_period = _period_in(r, label, entity)
    if column_period is not None and entity:
        column_period = _period_in(r, header, entity) or column_period
    period, period_from = _first_period((label_period, "row"), (column_period, "column"), (cell.row_period, "row"),
                                        (ctx.period, "heading"))
    return CellMeaning(entity, metric, period, granularity(r.cues, label) or granularity(r.cues, header),
                       _residual(r, label, label_entity, metric), "row" if label_entity else ctx.entity_from,
                       metric_from, period_from)


def _comparative_cell(r: Reading, ctx: Context, cell: TableCell, label_m: str | None,
                      header_m: str | None) -> CellMeaning:
    """A results table: the heading names the entity, the row the metric, the column the period or the change."""
    column = cell.column
    metric = _per_share_metric(r, cell.label, label_m)
    if metric and r.cues.adjusted_label.search(cell.label) and not metric.startswith("adjusted_"):
        metric = f"adjusted_{metric}"       # "Adjusted EBITDA" is itself the non-GAAP measure
    elif metric and cell.non_gaap and not metric.startswith("adjusted_"):
        metric = f"non_gaap_{metric}"       # GAAP and non-GAAP figures are different metrics
    period, period_from = _first_period((column.period if column else None, "column"),
                                        (cell.caption_period, "caption"), (ctx.period, "heading"))
    narrower = r.cues.exclusion.search(cell.label)
    scope = re.sub(r"\W+", " ", narrower.group(0)).strip().lower() if narrower else None
    if metric is None and cell.part_of and cell.part:    # 'Data Center' above 'Total revenue': the segment's
        metric = segment_metric(r.vocab, segment_named(r.vocab, cell.label), cell.part_of)
        metric, scope = (metric, scope) if metric else (cell.part_of, norm(clean_label(cell.label) or cell.label))
    elif metric is None and cell.part_of:                # 'Total' under 'Revenue by Reportable Segments'
        metric = cell.part_of
    row_entity = entity_in_label(r.vocab, cell.label)     # "Google Cloud revenue" under Alphabet's heading
    entity = row_entity.name if row_entity else ctx.entity
    part = _part_column(r, column)
    if part is not None:                   # 'Compute & Networking' over a segment note's values
        scope = scope or part
    return CellMeaning(entity, metric, period, (column.granularity if column else None) or cell.caption_granularity,
                       scope, "row" if row_entity else "heading",
                       "row" if metric else "", period_from, change=column.change if column else None)


def _part_column(r: Reading, column: Column | None) -> str | None:
    """A column that names a part of the company (a segment), not a period or a change: its name as a scope.
    'Consolidated' or 'Total' is the whole."""
    if column is None or column.period is not None or column.change is not None or not column.header:
        return None
    return None if r.cues.total.search(column.header) else norm(clean_label(column.header) or column.header)


def _per_share_metric(r: Reading, label: str, metric: str | None) -> str | None:
    """'Net income (loss) per share, diluted' is earnings per share, not net income; a basic per-share figure
    is not the (diluted) EPS the vocabulary names, so it keeps no metric."""
    if metric is None or not r.cues.per_share_row.search(label):
        return metric
    if r.cues.basic_only.search(label):
        return None
    return metric_in(r.vocab, "earnings per share") or metric


def _first_of(*candidates: tuple[str | None, str]) -> tuple[str | None, str]:
    """The first value given, with where it was read."""
    for value, source in candidates:
        if value:
            return value, source
    return None, ""


def _first_period(*candidates: tuple[Period | None, str]) -> tuple[Period | None, str]:
    for value, source in candidates:
        if value is not None:
            return value, source
    return None, ""


_SHAPES = {"table_rows": _rows_cell, "table_columns": _columns_cell, "series": _series_cell,
           "key_value": _key_value_cell, "comparative": _comparative_cell}


def _period_in(r: Reading, text: str, entity: str | None) -> Period | None:
    return _first_period_in(text, r.published, r.vocab.fiscal_year_end(entity), r.cues)


@lru_cache(maxsize=8192)
def _first_period_in(text: str, published: dt.date, calendar: FiscalCalendar, cues: Cues) -> Period | None:
    """The first period a label or header states (not a comparison base); remembered, as every cell of a table
    asks about its row's label and its column's header."""
    text = estimate_marks(cues, text)
    periods = [p for p in find_periods(text, published, calendar) if not is_relation_base(cues, text, p)]
    return periods[0] if periods else None


def _whole_period(r: Reading, cell: str) -> Period | None:
    """A first-column cell that is a period and nothing else: a time series row."""
    periods = find_periods(cell, r.published, 12)
    if not periods:
        return None
    rest = cell
    for p in periods:
        rest = rest.replace(p.text, " ")
    if re.search(r"[$\d%]", rest) or len(rest.split()) > 3:
        return None
    return periods[0]


def _row_period(r: Reading, row: list[str], period_cols: list[int], entity: str | None = None) -> Period | None:
    for j in period_cols:
        if j < len(row):
            periods = find_periods(row[j], r.published, r.vocab.fiscal_year_end(entity))
            if periods:
                return periods[0]
    return None


_LABEL_WORD = re.compile(r"[\w.+-]+")


def _residual(r: Reading, label: str, entity_m: Match | None, metric: str | None) -> str | None:
    """Words of a row label beyond its entity, metric and period: they narrow the scope (e.g. 'v1', 'peak')."""
    return _label_residual(label, r.published, r.vocab.entity_matcher, r.vocab.metric_matcher)


@lru_cache(maxsize=8192)
def _label_residual(label: str, published: dt.date, entity_matcher: AliasMatcher,
                    metric_matcher: AliasMatcher) -> str | None:
    """_residual, remembered per label: a label is asked about for every cell of its row."""
    text = label
    for m in entity_matcher.find(text) + metrics_outside(entity_matcher, metric_matcher, text):
        text = text.replace(m.text, " ")
    for p in find_periods(text, published, 12):
        text = text.replace(p.text, " ")
    text = PARENTHESES.sub(" ", text)
    words = [w for w in _LABEL_WORD.findall(text.lower()) if w not in NEUTRAL_WORDS and not w.isdigit()]
    return " ".join(words) if words else None


def _money_if_any_cell_is(scale: tuple[float, bool] | None, block: Block) -> tuple[float, bool] | None:
    """'(In thousands, except percentages)' over rows some of which carry '$': the bare amounts are money too."""
    if scale is None or scale[1]:
        return scale
    money = any(re.match(r"\s*\(?\s*[$€£]", cell) for row in block.rows[1:] for cell in row[1:])
    return scale[0], money


def table_scale(cues: Cues, notes: list[str], headings: tuple[str, ...]) -> tuple[float, bool] | None:
    """'($ in billions, except per share)': the factor for figures written without a magnitude, and money or not.
    Read from the notes given (a header's first cell, a comparative table's banner rows), then the heading."""
    for text in list(notes) + list(headings[-1:]):
        m = cues.scale_note.search(text or "")
        if m and cues.scale_stated.search(text):
            return SCALE_FACTORS[m.group(2).lower()], bool(m.group(1))
    return None
