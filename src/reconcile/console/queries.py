"""Page data for the steward console: pure functions over the last run's tables and the decisions store.

`RunCache` reads the run once per output set (keyed by the files' mtimes and sizes) and applies the
decisions once per state of the store (keyed by the number of decisions and the latest id), so a page
view costs a filter and a slice, not a CSV read: the inbox stays fast with 10,000 conflicts.

The conflict statuses come from `resolve.apply_decisions`, as in the CLI (`deciding.view_of`). Only the
suggestions are taken from the run's conflicts.csv when it has them (the run computed them from the
same claims and documents); recomputing them takes seconds per thousand conflicts, on every decision.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from markupsafe import Markup, escape
from pandera.typing.pandas import DataFrame

from ..deciding import RunView, read_run_tables, view_of
from ..decisions import DecisionStore, decisions_frame
from ..figures import present
from ..outputs import pin_output_set, read_csv_safe
from ..queue import QUEUE, about, decision_short, single_unit, stated, stated_summary, suggestion_short
from ..report import clean_text, conflict_view, format_figure, golden_index, sort_conflicts
from ..resolve import SUGGESTION_COLUMNS, apply_decisions, claims_of
from ..schemas import CONFLICT_KINDS, CONFLICT_STATUSES, SEVERITIES, ConflictsSchema

PAGE_SIZE = 50
CONFLICT_ID = re.compile(r"k-[0-9a-f]{12}")
OPTIONAL_FILES = ("resolved_claims", "rejected_sources")
WATCHED = ("conflicts", "claims", "documents") + OPTIONAL_FILES


# -- the cached run --------------------------------------------------------------------------------

@dataclass
class RunData:
    """One output set with one state of the decisions applied; conflicts in queue order."""

    view: RunView
    resolved: pd.DataFrame
    rejected: pd.DataFrame
    claim_sources: pd.Series            # conflict position -> each source id it draws on (exploded)
    golden: Any                         # report.golden_index over `resolved`
    documents_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Base:
    """What depends on the output files only."""

    tables: dict[str, pd.DataFrame]
    suggestions: pd.DataFrame
    resolved: pd.DataFrame
    rejected: pd.DataFrame


class RunCache:
    """The last run in `out_dir` with the store's decisions, rebuilt only when either changes."""

    def __init__(self, out_dir: Path, store: DecisionStore):
        self.out_dir, self.store = Path(out_dir), store
        self._lock = threading.Lock()
        self._base: tuple[Any, _Base] | None = None
        self._data: tuple[Any, RunData] | None = None

    def get(self) -> RunData:
        decided = self.store.frame()
        decisions_key = (len(decided), int(decided["id"].max()) if len(decided) else 0)
        with self._lock:
            files_key = _files_key(self.out_dir)
            if self._base is None or self._base[0] != files_key:
                self._base = (files_key, _read_base(self.out_dir))
                self._data = None
            key = (files_key, decisions_key)
            if self._data is None or self._data[0] != key:
                self._data = (key, _run_data(self.out_dir, self._base[1], decided))
            return self._data[1]


def _files_key(out_dir: Path) -> tuple[Any, ...]:
    pinned = pin_output_set(out_dir)
    stats = []
    for name in WATCHED:
        path = pinned / f"{name}.csv"
        stat = path.stat() if path.is_file() else None
        stats.append((name, stat.st_mtime_ns, stat.st_size) if stat else (name, None, None))
    return (str(pinned), tuple(stats))


def _read_base(out_dir: Path) -> _Base:
    tables = read_run_tables(out_dir)
    conflicts = tables["conflicts"]
    if all(c in conflicts.columns for c in SUGGESTION_COLUMNS):
        suggestions = conflicts[SUGGESTION_COLUMNS].copy()
        for column in ("suggestion_value", "suggestion_low", "suggestion_high"):
            suggestions[column] = pd.to_numeric(suggestions[column], errors="coerce").astype(float)
    else:
        suggestions = view_of(out_dir, tables, decisions_frame([])).conflicts[SUGGESTION_COLUMNS]
    pinned = pin_output_set(out_dir)
    optional = {name: read_csv_safe(pinned / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
                if (pinned / f"{name}.csv").is_file() else pd.DataFrame() for name in OPTIONAL_FILES}
    tables["claims"] = tables["claims"].set_index("claim_id", drop=False).rename_axis("claim_id")
    return _Base(tables, suggestions, optional["resolved_claims"], optional["rejected_sources"])


def _run_data(out_dir: Path, base: _Base, decided: pd.DataFrame) -> RunData:
    conflicts: pd.DataFrame = apply_decisions(cast(DataFrame[ConflictsSchema], base.tables["conflicts"]), decided)
    for column in SUGGESTION_COLUMNS:
        conflicts[column] = base.suggestions[column].to_numpy()
    conflicts = sort_conflicts(conflicts).reset_index(drop=True)
    conflicts["needs_checking"] = conflicts["assumed"].map(present) if "assumed" in conflicts else False
    view = RunView(out_dir, conflicts, base.tables["claims"], base.tables["documents"], decided)
    sources = conflicts["source_ids"].fillna("").str.split(";").explode()
    documents = base.tables["documents"]
    return RunData(view=view, resolved=base.resolved, rejected=base.rejected,
                   claim_sources=sources[sources.astype(bool)], golden=golden_index(base.resolved),
                   documents_by_id={str(d["source_id"]): d for d in _records(documents)})


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))   # column labels are strings


# -- the inbox -------------------------------------------------------------------------------------

STATUS_CHOICES = ("queue",) + tuple(CONFLICT_STATUSES) + ("all",)
FACETS = ("kind", "severity", "status", "entity", "source", "needs_checking")


@dataclass(frozen=True)
class InboxQuery:
    kind: str = ""
    severity: str = ""
    status: str = "queue"          # queue = open and stale, as `reconcile conflicts` lists by default
    entity: str = ""
    source: str = ""
    needs_checking: bool = False
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> InboxQuery:
        status = params.get("status", "queue")
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        return cls(kind=params.get("kind", ""), severity=params.get("severity", ""),
                   status=status if status in STATUS_CHOICES else "queue", entity=params.get("entity", ""),
                   source=params.get("source", ""), needs_checking=params.get("needs_checking", "") == "1",
                   page=page)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this query with `changes` (for paging links); defaults left out."""
        values = {name: getattr(self, name) for name in FACETS + ("page",)} | changes
        shown = {k: ("1" if v is True else str(v)) for k, v in values.items() if v not in ("", False, None)}
        if shown.get("status") == "queue":
            del shown["status"]
        if shown.get("page") == "1":
            del shown["page"]
        return shown


@dataclass(frozen=True)
class InboxRow:
    conflict_id: str
    kind: str
    severity: str
    status: str
    about: str
    stated: str
    suggestion: str
    decision: str
    needs_checking: bool


@dataclass(frozen=True)
class Inbox:
    rows: list[InboxRow]
    total: int                 # matching the filters
    all_conflicts: int
    page: int
    pages: int
    facets: dict[str, list[tuple[str, int]]]   # filter -> (value, count among the other filters)
    query: InboxQuery


def _masks(data: RunData, query: InboxQuery) -> dict[str, pd.Series]:
    conflicts = data.view.conflicts
    every = pd.Series(True, index=conflicts.index)
    masks = {name: every for name in FACETS}
    for name in ("kind", "severity", "entity"):
        value = getattr(query, name)
        if value:
            masks[name] = conflicts[name].fillna("") == value
    if query.status == "queue":
        masks["status"] = conflicts["status"].isin(QUEUE)
    elif query.status != "all":
        masks["status"] = conflicts["status"] == query.status
    if query.source:
        hits = data.claim_sources[data.claim_sources == query.source].index
        masks["source"] = pd.Series(conflicts.index.isin(hits), index=conflicts.index)
    if query.needs_checking:
        masks["needs_checking"] = conflicts["needs_checking"].astype(bool)
    return masks


def _others(masks: dict[str, pd.Series], left_out: str) -> pd.Series:
    keep = pd.Series(True, index=next(iter(masks.values())).index)
    for name, mask in masks.items():
        if name != left_out:
            keep &= mask
    return keep


def _facets(data: RunData, masks: dict[str, pd.Series]) -> dict[str, list[tuple[str, int]]]:
    conflicts = data.view.conflicts
    facets: dict[str, list[tuple[str, int]]] = {}
    orders = {"kind": CONFLICT_KINDS, "severity": SEVERITIES}
    for name in ("kind", "severity", "entity"):
        counts = conflicts.loc[_others(masks, name), name].fillna("").value_counts()
        order = list(orders.get(name, ())) + sorted(set(counts.index) - set(orders.get(name, ())), key=str.casefold)
        facets[name] = [(str(v), int(counts.get(v, 0))) for v in order if v]
    statuses = conflicts.loc[_others(masks, "status"), "status"].value_counts()
    facets["status"] = [("queue", int(sum(statuses.get(s, 0) for s in QUEUE)))] + \
        [(s, int(statuses.get(s, 0))) for s in CONFLICT_STATUSES] + [("all", int(statuses.sum()))]
    keep = _others(masks, "source")
    sources = data.claim_sources[data.claim_sources.index.isin(conflicts.index[keep])].value_counts()
    facets["source"] = sorted(((str(s), int(n)) for s, n in sources.items()), key=lambda p: p[0].casefold())
    needs = int(conflicts.loc[_others(masks, "needs_checking"), "needs_checking"].astype(bool).sum())
    facets["needs_checking"] = [("1", needs)]
    return facets


def inbox(data: RunData, query: InboxQuery, page_size: int = PAGE_SIZE) -> Inbox:
    """One page of the conflicts matching `query`, in queue order, with the counts per filter value."""
    masks = _masks(data, query)
    keep = _others(masks, "")
    matching = data.view.conflicts[keep]
    pages = max(1, -(-len(matching) // page_size))
    page = min(query.page, pages)
    shown = matching.iloc[(page - 1) * page_size: page * page_size]
    records = _records(shown)
    wanted = list(dict.fromkeys(c for row in records for c in str(row["claim_ids"]).split(";") if c))
    claims = data.view.claims
    found = claims.loc[claims.index.intersection(wanted)]    # one look-up for the page, not one per row
    by_id = dict(zip(found.index, _records(found), strict=True))
    rows = [_inbox_row(row, by_id) for row in records]
    return Inbox(rows=rows, total=len(matching), all_conflicts=len(data.view.conflicts), page=page, pages=pages,
                 facets=_facets(data, masks), query=query)


def _inbox_row(row: dict[str, Any], claims: dict[str, dict[str, Any]]) -> InboxRow:
    involved = [claims[c] for c in str(row["claim_ids"]).split(";") if c in claims]
    return InboxRow(conflict_id=str(row["conflict_id"]), kind=str(row["kind"]), severity=str(row["severity"]),
                    status=str(row["status"]), about=clean_text(about(row)),
                    stated=clean_text(stated_summary(involved)),
                    suggestion=clean_text(suggestion_short(row, single_unit(involved))),
                    decision=clean_text(decision_short(row)), needs_checking=bool(row.get("needs_checking")))


# -- one conflict ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    claim_id: str
    card: Any                  # report.ClaimCard: source title, publisher, date, location, quote
    quote: Markup              # the quote, escaped, with the figure wrapped in <mark>
    stated: str
    line: int | None


@dataclass(frozen=True)
class ConflictPage:
    conflict: dict[str, Any]
    card: Any                  # report.ConflictView: rule, explanation, suggestion, decision (stale why), golden
    quotes: list[Quote]
    golden_row: int | None     # position in resolved_claims of the golden value it feeds
    seen: int | None           # the latest decision id as this page shows it


def highlight(quote: str, figure: str) -> Markup:
    """`quote` escaped, with the first occurrence of `figure` (also escaped) wrapped in <mark>."""
    quote, figure = clean_text(quote), clean_text(figure)
    at = quote.find(figure) if figure else -1
    if at < 0 and figure:
        at = quote.casefold().find(figure.casefold())
    if at < 0 or len(quote.casefold()) != len(quote):
        return escape(quote)
    return (escape(quote[:at]) + Markup("<mark>") + escape(quote[at:at + len(figure)]) + Markup("</mark>")
            + escape(quote[at + len(figure):]))


def conflict_page(data: RunData, conflict_id: str) -> ConflictPage:
    """Raises UserError (unknown conflict id) like `reconcile show`."""
    row = cast(dict[str, Any], data.view.conflict(conflict_id).to_dict())
    involved = claims_of(row, data.view.claims)
    records = _records(involved)
    card = conflict_view(row, {str(c["claim_id"]): c for c in records}, data.documents_by_id, data.golden)
    quotes = [Quote(claim_id=c.claim_id, card=c, quote=highlight(c.quote, stated(claim)), stated=stated(claim),
                    line=_whole(claim.get("line"))) for c, claim in zip(card.claims, records, strict=False)]
    return ConflictPage(conflict=row, card=card, quotes=quotes, golden_row=_golden_row_of(data, conflict_id),
                        seen=_whole(row.get("decision_id")))


def _whole(value: Any) -> int | None:
    try:
        return int(float(value)) if present(value) else None
    except ValueError:
        return None


def _golden_row_of(data: RunData, conflict_id: str) -> int | None:
    if "conflict_ids" not in data.resolved:
        return None
    hits = data.resolved.index[data.resolved["conflict_ids"].fillna("").str.split(";").map(
        lambda ids: conflict_id in ids)]
    return int(hits[0]) if len(hits) else None


# -- the golden record -----------------------------------------------------------------------------

GOLDEN_PAGE_SIZE = 100


@dataclass(frozen=True)
class GoldenRow:
    position: int
    entity: str
    metric: str
    period: str
    scope: str
    figure: str
    status: str
    rule: str


@dataclass(frozen=True)
class GoldenPage:
    rows: list[GoldenRow]
    total: int
    page: int
    pages: int


def golden_rows(data: RunData, entity: str = "", metric: str = "", page: int = 1,
                page_size: int = GOLDEN_PAGE_SIZE) -> GoldenPage:
    """One page of resolved_claims rows, of one entity and metric when given."""
    resolved = data.resolved
    if resolved.empty:
        return GoldenPage([], 0, 1, 1)
    keep = pd.Series(True, index=resolved.index)
    if entity:
        keep &= resolved["entity"] == entity
    if metric:
        keep &= resolved["metric"] == metric
    matching = resolved[keep]
    pages = max(1, -(-len(matching) // page_size))
    page = min(max(1, page), pages)
    rows = [GoldenRow(position=int(cast(int, pos)), entity=clean_text(r.get("entity")),
                      metric=clean_text(r.get("metric")),
                      period=clean_text(r.get("period")), scope=clean_text(r.get("scope")),
                      figure=format_figure(r.get("value"), r.get("value_low"), r.get("value_high"), r.get("unit")),
                      status=clean_text(r.get("status")), rule=clean_text(r.get("rule")))
            for pos, r in matching.iloc[(page - 1) * page_size: page * page_size].iterrows()]
    return GoldenPage(rows, len(matching), page, pages)


def golden_choices(data: RunData) -> dict[str, list[str]]:
    resolved = data.resolved
    if resolved.empty:
        return {"entity": [], "metric": []}
    return {name: sorted({str(v) for v in resolved[name].dropna() if str(v)}, key=str.casefold)
            for name in ("entity", "metric")}


@dataclass(frozen=True)
class Explain:
    row: dict[str, Any]
    figure: str
    claims: list[dict[str, Any]]       # claim rows with `title` and `quote_html`
    conflicts: list[dict[str, Any]]    # the conflicts it took part in (id, kind, status, about)


def explain(data: RunData, position: int) -> Explain | None:
    """Golden row `position`: the claims behind it, the rule or decision, and the conflicts touching it."""
    if position < 0 or position >= len(data.resolved):
        return None
    row = cast(dict[str, Any], data.resolved.iloc[position].to_dict())
    ids = [c for c in str(row.get("claim_ids") or "").split(";") if c]
    claims = []
    for claim in cast(list[dict[str, Any]], claims_of({"claim_ids": ";".join(ids)}, data.view.claims)
                      .to_dict("records")):
        document = data.documents_by_id.get(str(claim["source_id"]), {})
        claims.append(claim | {"title": clean_text(document.get("title")) or claim["source_id"],
                               "quote_html": highlight(str(claim.get("quote", "")), stated(claim)),
                               "line_no": _whole(claim.get("line"))})
    named = {c for c in str(row.get("conflict_ids") or "").split(";") if c}
    conflicts = data.view.conflicts
    touching = conflicts["conflict_id"].isin(named) | conflicts["claim_ids"].fillna("").str.split(";").map(
        lambda cs: bool(set(cs) & set(ids)))
    return Explain(row=row, figure=format_figure(row.get("value"), row.get("value_low"), row.get("value_high"),
                                                 row.get("unit")),
                   claims=claims,
                   conflicts=[{"conflict_id": c["conflict_id"], "kind": c["kind"], "status": c["status"],
                               "about": clean_text(about(c))}
                              for c in _records(conflicts[touching])])


# -- sources and documents -------------------------------------------------------------------------

CONTEXT_LINES = 400         # a document longer than twice this shows this many lines either side of the claim


@dataclass(frozen=True)
class DocumentPage:
    document: dict[str, Any]
    lines: list[tuple[int, str]]       # (number, text) shown
    target: int | None
    claims: list[dict[str, Any]]
    problem: str                       # why the text cannot be shown ('' when it can)


def sources(data: RunData) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(documents read, with their claim counts; files quarantined, with the reason)."""
    counts = data.view.claims["source_id"].value_counts()
    read = [d | {"claims": int(counts.get(d["source_id"], 0))} for d in data.documents_by_id.values()]
    rejected = _records(data.rejected) if len(data.rejected) else []
    return read, rejected


def document_page(data: RunData, sources_dir: Path, source_id: str, line: int | None) -> DocumentPage | None:
    """The document's text (escaped by the template) around `line`; None for an unknown source id."""
    document = data.documents_by_id.get(source_id)
    if document is None:
        return None
    claims = data.view.claims
    mine = _records(claims[claims["source_id"] == source_id])
    text, problem = _document_text(sources_dir, str(document.get("path") or ""))
    numbered = list(enumerate(text.splitlines(), start=1))
    if len(numbered) > 2 * CONTEXT_LINES and line is not None:
        numbered = numbered[max(0, line - CONTEXT_LINES - 1): line + CONTEXT_LINES]
    elif len(numbered) > 2 * CONTEXT_LINES:
        numbered = numbered[: 2 * CONTEXT_LINES]
    return DocumentPage(document=document, lines=[(n, clean_text(t) if t.strip() else "") for n, t in numbered],
                        target=line, claims=mine, problem=problem)


def _document_text(sources_dir: Path, relative: str) -> tuple[str, str]:
    root = Path(sources_dir).resolve()
    path = (root / relative).resolve()
    if not relative or not path.is_relative_to(root):
        return "", "the document's path is outside the sources folder"
    if not path.is_file():
        return "", f"{relative} is no longer in the sources folder ({root})"
    return path.read_text(encoding="utf-8", errors="replace"), ""
