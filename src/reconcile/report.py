"""The conflict report for data stewards, as Markdown and as one self-contained HTML page.

Pure Python + pandas. Both renderers share one view model (`build_report`), so the two
files always say the same thing. Inputs are the pipeline's tables (see schemas.py):

- documents: DocumentsSchema (source_id, title, publisher, published, status, reason, ...)
- claims:    ClaimsSchema (claim_id, source_id, location, quote, value, value_low,
             value_high, unit, qualifier, published, ...)
- conflicts: ConflictsSchema (conflict_id, kind, severity, entity, metric, period,
             claim_ids ';'-joined, explanation, status, rule, ...) and, when the resolve
             stage has run, optionally: decision_action, decided_by, decided_at, reason,
             decided_value/_low/_high, suggestion, suggestion_rule, suggestion_value/_low/_high
- resolved:  ResolvedClaimsSchema (golden record; `conflict_ids` used when present)
- rejected:  source_id, path, reason  (quarantined files)
- unparsed:  source_id, location, text, reason  (figures that could not be read)
- orphaned:  steward decisions whose conflict this run no longer finds (id, conflict_id,
             action, decided_by, decided_at, reason): kept and listed, never dropped

Every string that came from a source is untrusted: HTML escapes it with
`html.escape(quote=True)` and the page forbids scripts and network with a CSP;
Markdown backslash-escapes its syntax characters and turns `<`, `>` and `&` into entities.
Output is deterministic: the same tables (in any row order) give the same bytes.
"""
from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd

from .figures import format_interval, format_value
from .figures import present as _present
from .schemas import CONFLICT_KINDS, CONFLICT_STATUSES, GOLDEN_STATUSES, SEVERITIES

DEFAULT_TITLE = "Reconciliation report"

# ------------------------------------------------------------------ cell values

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidi overrides can make a quote read differently from its bytes ("Trojan source").
_BIDI_CHARS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _text(value: Any) -> str:
    """A cell as clean display text: '' when missing, no control or bidi-override characters."""
    if not _present(value):
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS.sub("", text)
    return _BIDI_CHARS.sub(lambda m: f"<U+{ord(m.group()):04X}>", text).strip()


def _float(value: Any) -> float | None:
    if not _present(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _when(value: Any) -> str:
    """A timestamp as people read it: to the second, in UTC (no microseconds, no offset arithmetic)."""
    if isinstance(value, datetime):
        stamp = value
    else:
        text = _text(value)
        if len(text) <= 10:   # a date alone (or nothing) stays as written
            return text
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if stamp.tzinfo is None:
        return stamp.strftime("%Y-%m-%d %H:%M:%S")
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_QUALIFIER_SIGNS = {"approx": "~", "approx_range": "~", "at_least": "≥ ", "at_most": "≤ "}


def format_figure(value: Any, low: Any = None, high: Any = None, unit: Any = None,
                  qualifier: Any = None) -> str:
    """A point, a range or an open bound, with its qualifier (~, ≥, ≤)."""
    lo, hi = _float(low), _float(high)
    sign = _QUALIFIER_SIGNS.get(_text(qualifier), "")
    if _text(unit) == "date" and lo is not None and hi is not None:
        return format_interval(lo, hi, "date")  # 2026-Q4, 2027: a date reads as a period
    if _float(value) is not None:
        return sign + format_value(value, unit)
    if lo is not None and hi is not None and not (math.isinf(lo) or math.isinf(hi)):
        if lo == hi:
            return sign + format_value(lo, unit)
        return f"{sign}{format_value(lo, unit)}–{format_value(hi, unit)}"
    if lo is not None and not math.isinf(lo):
        return "≥ " + format_value(lo, unit)
    if hi is not None and not math.isinf(hi):
        return "≤ " + format_value(hi, unit)
    return ""


# ------------------------------------------------------------------ view model


@dataclass(frozen=True)
class ClaimCard:
    claim_id: str
    source_id: str
    source_title: str
    publisher: str
    published: str
    location: str
    quote: str
    figure: str
    found: bool = True
    read_from: str = ""                 # where its entity, metric and period were read


@dataclass(frozen=True)
class Note:
    """A suggestion or a decision attached to a conflict."""
    text: str
    rule: str = ""
    figure: str = ""
    by: str = ""
    at: str = ""
    action: str = ""
    stale: str = ""     # why an earlier decision no longer applies; empty while it does


@dataclass(frozen=True)
class GoldenLine:
    """Another golden row a conflict touches: what it is, its value, and the conflicts that decide it."""
    subject: str
    shown: str
    links: tuple[tuple[str, str], ...] = ()   # (conflict_id, anchor) of other cards in this report


@dataclass(frozen=True)
class ConflictView:
    conflict_id: str
    anchor: str
    kind: str
    severity: str
    status: str
    entity: str
    metric: str
    period: str
    explanation: str
    rule: str
    claims: tuple[ClaimCard, ...]
    suggestion: Note | None
    decision: Note | None
    golden: str                                           # the golden value this conflict decides
    assumed: str = ""                                     # fields it rests on that the text does not state
    golden_more: tuple[GoldenLine, ...] = ()              # other golden rows it touches, one click away

    @property
    def subject(self) -> str:
        return " / ".join(part for part in (self.entity, self.metric, self.period) if part) or "—"


@dataclass(frozen=True)
class SourceRow:
    source_id: str
    title: str
    publisher: str
    published: str
    claims: int
    primary: bool


@dataclass(frozen=True)
class Report:
    title: str
    generated_at: str
    n_claims: int
    kind_severity: tuple[tuple[str, tuple[int, ...], int], ...]   # (kind, counts per SEVERITIES, total)
    severity_totals: tuple[int, ...]
    open_severity_totals: tuple[int, ...]   # the header counts what still needs a steward
    by_status: tuple[tuple[str, int], ...]
    golden_by_status: tuple[tuple[str, int], ...]
    conflicts: tuple[ConflictView, ...]
    sources: tuple[SourceRow, ...]
    rejected: tuple[tuple[str, str, str], ...]                   # (source_id, path, reason)
    unparsed: tuple[tuple[str, str, str, str, str], ...]         # (source_id, title, location, text, reason)
    orphaned: tuple[tuple[str, str, str, str, str, str], ...] = ()  # (conflict_id, id, action, by, at, reason)


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None or len(df) == 0:
        return []
    # column labels are strings; the stubs type record keys as any Hashable
    return cast(list[dict[str, Any]], df.to_dict("records"))


def _rank(value: str, order: Iterable[str]) -> tuple[int, str]:
    order = list(order)
    return (order.index(value) if value in order else len(order), value)


def _ordered_counts(values: Iterable[str], order: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Counts in the schema's order (zeros included), then any unexpected values sorted."""
    counts = Counter(values)
    names = list(order) + sorted(set(counts) - set(order))
    return tuple((name, counts.get(name, 0)) for name in names)


def _anchor(conflict_id: str, taken: set[str]) -> str:
    """An id attribute safe to emit: ids are k-<hex> by contract, but never trust it."""
    base = re.sub(r"[^A-Za-z0-9_-]", "-", conflict_id) or "conflict"
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def _claim_card(claim_id: str, claims: dict[str, dict[str, Any]], documents: dict[str, dict[str, Any]]) -> ClaimCard:
    claim = claims.get(claim_id)
    if claim is None:
        return ClaimCard(claim_id, "", "", "", "", "", "(claim not found in claims table)", "", found=False)
    source_id = _text(claim.get("source_id"))
    doc = documents.get(source_id, {})
    return ClaimCard(
        claim_id=claim_id,
        source_id=source_id,
        source_title=_text(doc.get("title")) or source_id,
        publisher=_text(doc.get("publisher")),
        published=_text(doc.get("published")) or _text(claim.get("published")),
        location=_text(claim.get("location")),
        quote=_text(claim.get("quote")),
        figure=format_figure(claim.get("value"), claim.get("value_low"), claim.get("value_high"),
                             claim.get("unit"), claim.get("qualifier")),
        read_from=field_sources(claim),
    )


def field_sources(claim: Mapping[str, Any] | pd.Series[Any]) -> str:
    """'entity: clause · metric: row · period: assumed' — where each field of a claim was read."""
    parts = [f"{name}: {_text(claim.get(f'{name}_from'))}" for name in ("entity", "metric", "period")
             if _text(claim.get(f"{name}_from"))]
    return " · ".join(parts)


def _conflict_unit(cards_claims: list[dict[str, Any]]) -> str:
    units = sorted({_text(c.get("unit")) for c in cards_claims if _text(c.get("unit"))})
    return units[0] if len(units) == 1 else ""


def _suggestion(row: dict[str, Any], unit: str) -> Note | None:
    text = _text(row.get("suggestion"))
    figure = format_figure(row.get("suggestion_value"), row.get("suggestion_low"),
                           row.get("suggestion_high"), unit)
    if not (text or figure):
        return None
    return Note(text=text, rule=_text(row.get("suggestion_rule")), figure=figure)


def _decision(row: dict[str, Any], unit: str, cards: tuple[ClaimCard, ...]) -> Note | None:
    action, by = _text(row.get("decision_action")), _text(row.get("decided_by"))
    if not (action or by):
        return None
    stale = _why_stale(row, cards) if _text(row.get("status")) == "stale" else ""
    return Note(text=_text(row.get("reason")), action=action, by=by, at=_when(row.get("decided_at")),
                figure=format_figure(row.get("decided_value"), row.get("decided_low"),
                                     row.get("decided_high"), unit), stale=stale)


def _why_stale(row: dict[str, Any], cards: tuple[ClaimCard, ...]) -> str:
    """A stale decision in plain words: the evidence it was taken on has changed, and how."""
    seen = {c for c in _text(row.get("decided_claim_ids")).split(";") if c}
    new = [f"{card.claim_id} from {card.source_title or card.source_id}" for card in cards
           if seen and card.claim_id not in seen]
    gone = sorted(seen - {card.claim_id for card in cards})
    changes = ([f"new since then: {', '.join(new)}"] if new else []) + \
              ([f"no longer found: {', '.join(gone)}"] if gone else [])
    how = "; ".join(changes) or "a quote or figure it rested on has changed"
    return (f"The evidence changed after it was taken ({how}). "
            "Review the quotes and decide again.")


_Touched = tuple[str, str, list[str]]   # another golden row: (subject, shown, the other conflicts naming it)


class _GoldenIndex:
    """Golden-record rows by the conflict ids they name (or, without those, by their claim ids): built once
    per report, so each conflict looks its rows up instead of scanning the whole golden record."""

    _FIELDS = ("value", "value_low", "value_high", "unit", "status", "entity", "metric", "period", "scope",
               "claim_ids", "conflict_ids")

    def __init__(self, columns: dict[str, list[Any]], n: int, has_conflict_ids: bool):
        self.columns = columns
        self.by_conflict: dict[str, list[int]] = {}
        self.by_claim: dict[str, list[int]] = {}
        self._shown: dict[int, str] = {}
        conflict_ids = columns.get("conflict_ids") or [None] * n
        claim_ids = columns.get("claim_ids") or [None] * n
        for pos in range(n):
            if has_conflict_ids and _present(conflict_ids[pos]):
                index, keys = self.by_conflict, _text(conflict_ids[pos]).split(";")
            else:
                index, keys = self.by_claim, _text(claim_ids[pos]).split(";")
            for key in set(keys):
                index.setdefault(key, []).append(pos)

    @classmethod
    def of_frame(cls, resolved: pd.DataFrame | None) -> _GoldenIndex:
        if resolved is None or len(resolved) == 0:
            return cls({}, 0, False)
        wanted = [c for c in cls._FIELDS if c in resolved.columns]
        return cls({c: resolved[c].tolist() for c in wanted}, len(resolved), "conflict_ids" in resolved.columns)

    @classmethod
    def of_records(cls, rows: list[dict[str, Any]]) -> _GoldenIndex:
        index = cls({c: [r.get(c) for r in rows] for c in cls._FIELDS}, 0, False)
        for pos, r in enumerate(rows):
            if "conflict_ids" in r and _present(r.get("conflict_ids")):
                target, keys = index.by_conflict, _text(r["conflict_ids"]).split(";")
            else:
                target, keys = index.by_claim, _text(r.get("claim_ids")).split(";")
            for key in set(keys):
                target.setdefault(key, []).append(pos)
        return index

    def _get(self, name: str, pos: int) -> Any:
        column = self.columns.get(name)
        return column[pos] if column is not None else None

    def _show(self, pos: int) -> str:
        shown = self._shown.get(pos)
        if shown is None:
            figure = format_figure(self._get("value", pos), self._get("value_low", pos), self._get("value_high", pos),
                                   self._get("unit", pos))
            shown = self._shown[pos] = f"{figure or '—'} ({_text(self._get('status', pos)) or 'unknown'})"
        return shown

    def _key(self, pos: int) -> tuple[str, ...]:
        return tuple(_text(self._get(c, pos)) for c in ("entity", "metric", "period"))

    def _subject(self, pos: int) -> str:
        parts = self._key(pos)
        scope = _text(self._get("scope", pos))
        return " · ".join(p for p in parts if p) + (f" [{scope}]" if scope else "")

    def golden_for(self, row: Mapping[str, Any], claim_ids: list[str]) -> tuple[str, list[_Touched]]:
        """The row this conflict decides (same entity, metric and period, sharing most claims), shown; and
        the other rows it touches as (subject, shown, the conflicts that name them)."""
        conflict_id = _text(row.get("conflict_id"))
        hits = set(self.by_conflict.get(conflict_id, ()))
        for claim_id in set(claim_ids):
            hits.update(self.by_claim.get(claim_id, ()))
        subject = tuple(_text(row.get(c)) for c in ("entity", "metric", "period"))
        mine = set(claim_ids)

        def weight(pos: int) -> tuple[Any, ...]:
            same = sum(a == b for a, b in zip(subject, self._key(pos), strict=False))
            shared = len(mine & set(_text(self._get("claim_ids", pos)).split(";")))
            return (-same, -shared, self._subject(pos), self._show(pos))

        ranked = sorted(hits, key=weight)
        if not ranked:
            return "", []
        rest = [(self._subject(pos), self._show(pos),
                 [c for c in _text(self._get("conflict_ids", pos)).split(";") if c and c != conflict_id])
                for pos in ranked[1:]]
        return self._show(ranked[0]), rest


# The steward's queue: undecided before decided (a stale decision first: it was trusted and is not now),
# then errors before warnings. `reconcile conflicts` lists in this order too.
QUEUE_STATUSES = ("stale", "open", "resolved", "dismissed")


def conflict_sort_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The order of conflicts everywhere a steward sees them: status, severity, kind, subject, id."""
    return (_rank(_text(row.get("status")) or "open", QUEUE_STATUSES),
            _rank(_text(row.get("severity")), SEVERITIES), _rank(_text(row.get("kind")), CONFLICT_KINDS),
            _text(row.get("entity")).casefold(), _text(row.get("metric")).casefold(),
            _text(row.get("period")), _text(row.get("conflict_id")))


def sort_conflicts(conflicts: pd.DataFrame) -> pd.DataFrame:
    """`conflicts` in queue order (`conflict_sort_key`)."""
    keys = [conflict_sort_key(row) for row in _records(conflicts)]
    return conflicts.iloc[sorted(range(len(keys)), key=keys.__getitem__)]


def _conflict_views(conflicts: list[dict[str, Any]], claims: dict[str, dict[str, Any]],
                    documents: dict[str, dict[str, Any]],
                    resolved: list[dict[str, Any]] | _GoldenIndex) -> tuple[ConflictView, ...]:
    golden = resolved if isinstance(resolved, _GoldenIndex) else _GoldenIndex.of_records(resolved)
    ordered = sorted(conflicts, key=conflict_sort_key)
    taken: set[str] = set()
    own_anchor = [_anchor(_text(row.get("conflict_id")), taken) for row in ordered]
    anchors: dict[str, str] = {}
    for row, anchor in zip(ordered, own_anchor, strict=False):
        anchors.setdefault(_text(row.get("conflict_id")), anchor)
    views = []
    for row, anchor in zip(ordered, own_anchor, strict=False):
        conflict_id = _text(row.get("conflict_id"))
        claim_ids = [c.strip() for c in _text(row.get("claim_ids")).split(";") if c.strip()]
        unit = _conflict_unit([claims[c] for c in claim_ids if c in claims])
        cards = tuple(_claim_card(c, claims, documents) for c in claim_ids)
        shown, rest = golden.golden_for(row, claim_ids)
        views.append(ConflictView(
            conflict_id=conflict_id, anchor=anchor,
            kind=_text(row.get("kind")), severity=_text(row.get("severity")),
            status=_text(row.get("status")) or "open",
            entity=_text(row.get("entity")), metric=_text(row.get("metric")), period=_text(row.get("period")),
            explanation=_text(row.get("explanation")), rule=_text(row.get("rule")), claims=cards,
            suggestion=_suggestion(row, unit), decision=_decision(row, unit, cards), golden=shown,
            assumed=_text(row.get("assumed")).replace(";", ", "),
            golden_more=tuple(GoldenLine(subject, text, tuple((c, anchors[c]) for c in named if c in anchors))
                              for subject, text, named in rest),
        ))
    return tuple(views)


def conflict_view(row: Mapping[str, Any], claims: dict[str, dict[str, Any]], documents: dict[str, dict[str, Any]],
                  golden: _GoldenIndex) -> ConflictView:
    """One conflict as its report card shows it (the steward console's conflict page shows the same)."""
    return _conflict_views([dict(row)], claims, documents, golden)[0]


golden_index = _GoldenIndex.of_frame
clean_text = _text          # a cell as safe display text (no control or bidi-override characters)
when = _when                # a timestamp as people read it


def _kind_severity(conflicts: tuple[ConflictView, ...]) -> tuple[Any, ...]:
    pairs = Counter((c.kind, c.severity) for c in conflicts)
    kinds = [k for k, _ in _ordered_counts((c.kind for c in conflicts), CONFLICT_KINDS)]
    rows = []
    for kind in kinds:
        counts = tuple(pairs.get((kind, sev), 0) for sev in SEVERITIES)
        rows.append((kind, counts, sum(1 for c in conflicts if c.kind == kind)))
    return tuple(rows)


def _sources(documents: list[dict[str, Any]], claims: list[dict[str, Any]] | Counter[str]) -> tuple[SourceRow, ...]:
    per_source = claims if isinstance(claims, Counter) else Counter(_text(c.get("source_id")) for c in claims)
    read = [d for d in documents if _text(d.get("status")) in ("", "ok")]
    rows = [SourceRow(source_id=_text(d.get("source_id")), title=_text(d.get("title")),
                      publisher=_text(d.get("publisher")), published=_text(d.get("published")),
                      claims=per_source.get(_text(d.get("source_id")), 0),
                      primary=bool(d.get("primary")) if _present(d.get("primary")) else False)
            for d in read]
    return tuple(sorted(rows, key=lambda r: (r.title.casefold(), r.source_id)))


def _rejected(rejected: list[dict[str, Any]], documents: list[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    """Quarantined files from the rejected table and from documents with status 'rejected'."""
    rows = {(_text(r.get("source_id")), _text(r.get("path"))): _text(r.get("reason")) for r in rejected}
    for doc in documents:
        key = (_text(doc.get("source_id")), _text(doc.get("path")))
        if _text(doc.get("status")) == "rejected" and key not in rows:
            rows[key] = _text(doc.get("reason"))
    return tuple(sorted((sid, path, reason) for (sid, path), reason in rows.items()))


def _unparsed(unparsed: list[dict[str, Any]], documents: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    rows = []
    for row in unparsed:
        source_id = _text(row.get("source_id"))
        title = _text(documents.get(source_id, {}).get("title")) or source_id
        rows.append((source_id, title, _text(row.get("location")), _text(row.get("text")),
                     _text(row.get("reason"))))
    return tuple(sorted(rows))


def _orphaned(orphaned: list[dict[str, Any]]) -> tuple[Any, ...]:
    rows = [(_text(r.get("conflict_id")), _text(r.get("id")), _text(r.get("action")), _text(r.get("decided_by")),
             _when(r.get("decided_at")), _text(r.get("reason"))) for r in orphaned]
    return tuple(sorted(rows))


def _timestamp(generated_at: str | datetime | None) -> str:
    return "" if generated_at is None else _when(generated_at)


@dataclass(frozen=True)
class ReportTables:
    """The run's tables a report is built from; any may be missing (None)."""
    documents: pd.DataFrame | None
    claims: pd.DataFrame | None
    conflicts: pd.DataFrame | None
    resolved: pd.DataFrame | None = None
    rejected: pd.DataFrame | None = None
    unparsed: pd.DataFrame | None = None
    orphaned: pd.DataFrame | None = None


def build_report(tables: ReportTables, *, generated_at: str | datetime | None = None,
                 title: str = DEFAULT_TITLE) -> Report:
    """The report's content, independent of the output format.

    Only the claims the conflicts cite are turned into records; counts come from column value counts, and
    the golden record is indexed once (not scanned per conflict)."""
    documents, claims, conflicts, resolved = tables.documents, tables.claims, tables.conflicts, tables.resolved
    doc_rows, conflict_rows = _records(documents), _records(conflicts)
    docs_by_id = {_text(d.get("source_id")): d for d in doc_rows}
    cited = {c.strip() for row in conflict_rows for c in _text(row.get("claim_ids")).split(";") if c.strip()}
    claims_by_id = {_text(c.get("claim_id")): c for c in _records(_rows_with_ids(claims, cited))}
    views = _conflict_views(conflict_rows, claims_by_id, docs_by_id, _GoldenIndex.of_frame(resolved))
    return Report(
        title=_text(title) or DEFAULT_TITLE,
        generated_at=_timestamp(generated_at),
        n_claims=0 if claims is None else len(claims),
        kind_severity=_kind_severity(views),
        severity_totals=tuple(sum(1 for c in views if c.severity == s) for s in SEVERITIES),
        open_severity_totals=tuple(sum(1 for c in views if c.severity == s and c.status in ("open", "stale"))
                                   for s in SEVERITIES),
        by_status=_ordered_counts((c.status for c in views), CONFLICT_STATUSES),
        golden_by_status=(_ordered_counts(_text_counts(resolved, "status").elements(), GOLDEN_STATUSES)
                          if resolved is not None else ()),
        conflicts=views,
        sources=_sources(doc_rows, _text_counts(claims, "source_id")),
        rejected=_rejected(_records(tables.rejected), doc_rows),
        unparsed=_unparsed(_records(tables.unparsed), docs_by_id),
        orphaned=_orphaned(_records(tables.orphaned)),
    )


def _text_counts(df: pd.DataFrame | None, column: str) -> Counter[str]:
    """Counter of `_text(value)` over a column (a missing column counts every row as '')."""
    counts: Counter[str] = Counter()
    if df is None or len(df) == 0:
        return counts
    if column not in df.columns:
        counts[""] = len(df)
        return counts
    for value, n in df[column].value_counts(dropna=False, sort=False).items():
        counts[_text(value)] += int(n)
    return counts


def _rows_with_ids(claims: pd.DataFrame | None, ids: set[str]) -> pd.DataFrame | None:
    """The claims whose cleaned claim_id is one of `ids`, in table order."""
    if claims is None or len(claims) == 0 or "claim_id" not in claims.columns or not ids:
        return None
    cleaned = {v: _text(v) for v in pd.unique(claims["claim_id"])} if claims["claim_id"].dtype == object \
        else None
    keep = claims["claim_id"].map(cleaned) if cleaned is not None else claims["claim_id"].map(_text)
    return claims[keep.isin(ids).to_numpy()]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _headline(report: Report) -> list[str]:
    """The run summary as short phrases, shared by both formats."""
    severities = ", ".join(f"{n} {sev}" for sev, n in zip(SEVERITIES, report.severity_totals, strict=False))
    return [
        f"{_plural(len(report.sources), 'source')} read",
        f"{len(report.rejected)} rejected",
        _plural(report.n_claims, "claim"),
        f"{_plural(len(report.conflicts), 'conflict')} ({severities})",
        f"{_plural(len(report.unparsed), 'unparsed figure')}",
    ] + ([_plural(len(report.orphaned), "orphaned decision")] if report.orphaned else [])


# ------------------------------------------------------------------ markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#!{}])")


def md(value: Any) -> str:
    """Untrusted text made inert in Markdown (inline and in table cells)."""
    text = _text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\n", "<br>")


def _md_table(header: list[str], rows: Iterable[Iterable[Any]], align: str = "") -> list[str]:
    """A pipe table; every cell is escaped, so no cell can add a column or a link."""
    aligns = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in aligns]
    # Headers are ours, so they stay unescaped.
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(md(cell) if cell != "" else "—" for cell in row) + " |" for row in rows]
    return lines


def _md_summary(report: Report) -> list[str]:
    lines = ["## Summary", "", "### Conflicts by kind and severity", ""]
    rows = [(kind, *map(str, counts), str(total)) for kind, counts, total in report.kind_severity]
    rows.append(("total", *map(str, report.severity_totals), str(len(report.conflicts))))
    lines += _md_table(["kind", *SEVERITIES, "total"], rows, "l" + "r" * (len(SEVERITIES) + 1))
    lines += ["", "### Conflicts by status", ""]
    lines += _md_table(["status", "conflicts"], [(s, str(n)) for s, n in report.by_status], "lr")
    if report.golden_by_status:
        lines += ["", "### Golden record by status", ""]
        lines += _md_table(["status", "rows"], [(s, str(n)) for s, n in report.golden_by_status], "lr")
    return lines + [""]


def _md_contents(report: Report) -> list[str]:
    lines = ["## Contents", "", "- [Summary](#summary)", "- [Conflicts](#conflicts)"]
    lines += [f"  - [{md(c.severity)} · {md(c.kind)} · {md(c.subject)} ({md(c.conflict_id)})](#{c.anchor})"
              for c in report.conflicts]
    lines += ["- [Sources read](#sources-read)", "- [Rejected sources](#rejected-sources)",
              "- [Unparsed figures](#unparsed-figures)"]
    lines += ["- [Orphaned decisions](#orphaned-decisions)"] if report.orphaned else []
    lines += [""]
    return lines


def _note_parts(note: Note, escape: Callable[[str], str], figure: str) -> list[str]:
    """A decision reads "accept by alice on <date> → $300B — <reason>"; a suggestion "<text> → $300B"."""
    if not (note.action or note.by):
        return [escape(note.text), figure]
    who = f"by {escape(note.by) or 'unknown'}" + (f" on {escape(note.at)}" if note.at else "")
    return [escape(note.action), who, figure, f"— {escape(note.text)}" if note.text else ""]


def _note_label(label: str, note: Note) -> str:
    return "Earlier decision, no longer applies" if note.stale else label


def _md_note(label: str, note: Note) -> str:
    figure = f"→ **{md(note.figure)}**" if note.figure else ""
    rule = f"(rule: {md(note.rule)})" if note.rule else ""
    line = " ".join(p for p in [f"**{_note_label(label, note)}:**", *_note_parts(note, md, figure), rule] if p)
    return line + (f"  \n{md(note.stale)}" if note.stale else "")


def _more_rows(c: ConflictView) -> str:
    return f"{_plural(len(c.golden_more), 'more golden row')} this conflict touches"


def _md_golden(c: ConflictView) -> list[str]:
    lines = [f"**Golden value:** {md(c.golden)}", ""]
    if c.golden_more:
        lines += [f"{_more_rows(c)}:", ""]
        lines += [f"- {md(g.subject)}: {md(g.shown)}"
                  + "".join(f" · [{md(cid)}](#{anchor})" for cid, anchor in g.links) for g in c.golden_more]
        lines.append("")
    return lines


def _md_conflict(number: int, c: ConflictView) -> list[str]:
    lines = [f'<a id="{c.anchor}"></a>', "",
             f"### {number}. {md(c.severity.upper())} · {md(c.kind)} · {md(c.subject)}", "",
             f"**{md(c.conflict_id)}** · status **{md(c.status)}**" + (f" · rule {md(c.rule)}" if c.rule else ""),
             "", f"> {md(c.explanation)}", ""]
    if c.assumed:
        lines += [f"**Needs checking:** rests on an assumed {md(c.assumed)}; check the extraction first.", ""]
    rows = [(str(i), card.source_title, card.published, card.location, card.quote, card.figure, card.read_from)
            for i, card in enumerate(c.claims, 1)]
    lines += _md_table(["#", "source", "date", "location", "quote", "value", "read from"], rows, "rllllll")
    lines.append("")
    for label, note in (("Suggested", c.suggestion), ("Decision", c.decision)):
        if note is not None:
            lines += [_md_note(label, note), ""]
    if c.golden:
        lines += _md_golden(c)
    return lines


def _md_sources(report: Report) -> list[str]:
    lines = ["## Sources read", ""]
    rows = [(s.title, s.publisher, s.published, str(s.claims), s.source_id + (" (primary)" if s.primary else ""))
            for s in report.sources]
    lines += _md_table(["title", "publisher", "published", "claims", "source"], rows, "lllrl") if rows \
        else ["No sources were read."]
    lines += ["", "## Rejected sources", ""]
    lines += _md_table(["source", "path", "reason"], report.rejected) if report.rejected \
        else ["No source was rejected."]
    lines += ["", "## Unparsed figures", "", f"{_plural(len(report.unparsed), 'figure')} could not be read.", ""]
    if report.unparsed:
        lines += _md_table(["source", "location", "text", "reason"],
                           [(title, loc, text, reason) for _, title, loc, text, reason in report.unparsed])
    if report.orphaned:
        lines += ["", "## Orphaned decisions", "",
                  f"{_plural(len(report.orphaned), 'decision')} {_ORPHAN_NOTE}", ""]
        lines += _md_table(list(_ORPHAN_HEADER), report.orphaned)
    return lines + [""]


_ORPHAN_HEADER = ("conflict", "decision", "action", "by", "at", "reason")
_ORPHAN_NOTE = ("refer to conflicts this run no longer finds. They are kept in the decisions store "
                "and in orphaned_decisions.csv, and apply again if the conflict returns.")


def _markdown(report: Report) -> str:
    lines = [f"# {md(report.title)}", ""]
    if report.generated_at:
        lines += [f"Generated {md(report.generated_at)}", ""]
    lines += [" · ".join(md(p) for p in _headline(report)), ""]
    lines += _md_contents(report) + _md_summary(report)
    lines += ["## Conflicts", ""]
    if not report.conflicts:
        lines += ["No conflicts found.", ""]
    for number, conflict in enumerate(report.conflicts, 1):
        lines += _md_conflict(number, conflict)
    lines += _md_sources(report)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(tables: ReportTables, *, generated_at: str | datetime | None = None,
                    title: str = DEFAULT_TITLE) -> str:
    """report.md: the conflict report as Markdown (GitHub-flavoured tables)."""
    return _markdown(build_report(tables, generated_at=generated_at, title=title))


def render_both(tables: ReportTables, *, generated_at: str | datetime | None = None,
                title: str = DEFAULT_TITLE) -> tuple[str, str]:
    """(report.md, report.html) from one build of the report's content."""
    built = build_report(tables, generated_at=generated_at, title=title)
    return _markdown(built), _html(built)


# ------------------------------------------------------------------ HTML


def esc(value: Any) -> str:
    """Untrusted text as inert HTML text or attribute value."""
    return html.escape(_text(value), quote=True)


_CSS = """
:root{--fg:#1d2433;--muted:#5b6474;--bg:#fff;--panel:#f6f7f9;--line:#dfe3ea;--accent:#2456b3;
--error:#b42318;--error-bg:#fef3f2;--warning:#a15c07;--warning-bg:#fffaeb;--info:#175cd3;--info-bg:#eff8ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#a3abba;--bg:#14171c;--panel:#1d2128;
--line:#323844;--accent:#8ab4ff;--error:#ff8a80;--error-bg:#3a1d1b;--warning:#ffc46b;--warning-bg:#3a2d14;
--info:#8ab4ff;--info-bg:#172a45}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:break-word}
.page{max-width:76rem;margin:0 auto;padding:2rem 1.25rem 4rem}
h1{font-size:1.9rem;line-height:1.2;margin:0 0 .25rem}
h2{font-size:1.35rem;margin:2.5rem 0 .75rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:1.25rem 0 .5rem}
a{color:var(--accent)}
.muted{color:var(--muted)}
.tiles{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:.6rem;padding:.6rem .9rem;min-width:8rem}
.tile b{display:block;font-size:1.5rem;line-height:1.2}
.scroll{overflow-x:auto;max-width:100%;margin:.5rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.93rem}
th,td{border-bottom:1px solid var(--line);padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 2rem}
nav.toc{background:var(--panel);border:1px solid var(--line);border-radius:.6rem;padding:.75rem 1.1rem;margin:1.5rem 0}
nav.toc ol{margin:.25rem 0;padding-left:1.3rem}
nav.toc li{margin:.1rem 0}
.badge{display:inline-block;border-radius:999px;padding:0 .55rem;font-size:.78rem;font-weight:600;
letter-spacing:.02em;border:1px solid currentColor;white-space:nowrap}
.sev-error{color:var(--error)}.sev-warning{color:var(--warning)}.sev-info{color:var(--info)}
.status{color:var(--muted)}
article.conflict{border:1px solid var(--line);border-left:.35rem solid var(--muted);border-radius:.6rem;
padding:1rem 1.25rem;margin:1.25rem 0;break-inside:avoid-page}
article.conflict.error{border-left-color:var(--error)}
article.conflict.warning{border-left-color:var(--warning)}
article.conflict.info{border-left-color:var(--info)}
article.conflict h3{margin-top:0}
.meta{display:flex;flex-wrap:wrap;gap:.4rem .75rem;align-items:center;font-size:.9rem;margin-bottom:.5rem}
.meta code{font-size:.85rem;overflow-wrap:anywhere}
.meta>*{min-width:0}
.explanation{margin:.5rem 0 1rem}
.claims{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:.9rem}
.card{background:var(--panel);border:1px solid var(--line);border-radius:.5rem;padding:.75rem .9rem;
display:flex;flex-direction:column;break-inside:avoid}
.card .src{font-weight:600}
.card .where{font-size:.85rem;color:var(--muted)}
.card blockquote{margin:.6rem 0;padding:.1rem 0 .1rem .75rem;border-left:3px solid var(--line);
white-space:pre-wrap;overflow-wrap:anywhere}
.card .figure{margin-top:auto;font-weight:600;font-variant-numeric:tabular-nums}
.card.missing{border-style:dashed}
.note{margin:.9rem 0 0;padding:.55rem .8rem;border-radius:.45rem;background:var(--info-bg)}
.note.decision{background:var(--panel);border:1px solid var(--line)}
.note.golden{background:transparent;border:1px dashed var(--line)}
.note.stale{border-color:var(--warning);background:var(--warning-bg)}
.note .why{display:block;margin-top:.3rem;font-weight:600}
.note details{margin-top:.3rem;font-size:.9rem}
.note details ul{margin:.3rem 0;padding-left:1.2rem}
@media (max-width:30rem){.page{padding:1rem .75rem 3rem}article.conflict{padding:.75rem}}
.error-bg{background:var(--error-bg)}
td.text{white-space:pre-wrap;overflow-wrap:anywhere}
footer{margin-top:3rem;font-size:.85rem;color:var(--muted)}
@media print{body{font-size:10.5pt;background:#fff;color:#000}.page{max-width:none;padding:0}
nav.toc{break-after:page}a{color:inherit;text-decoration:none}
article.conflict,.card{break-inside:avoid}h2{break-after:avoid}}
""".strip()

# No scripts, no network, no frames: even a bug in escaping could not run or fetch anything.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _html_table(header: list[str], rows: Iterable[Iterable[Any]], numeric: AbstractSet[int] = frozenset(),
                text_cols: AbstractSet[int] = frozenset()) -> str:
    def cls(i: int) -> str:
        names = (["n"] if i in numeric else []) + (["text"] if i in text_cols else [])
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(i)}>{esc(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{esc(cell) or '—'}</td>" for i, cell in enumerate(row))
                   + "</tr>\n" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table></div>'


def _badge(text: str, css: str) -> str:
    return f'<span class="badge {css}">{esc(text)}</span>'


def _sev_class(severity: str) -> str:
    return f"sev-{severity}" if severity in SEVERITIES else "status"


def _html_header(report: Report) -> str:
    tiles = [(len(report.sources), "sources read"), (len(report.rejected), "rejected"),
             (report.n_claims, "claims"), (len(report.conflicts), "conflicts"),
             *[(n, f"open {sev}") for sev, n in zip(SEVERITIES, report.open_severity_totals, strict=False)],
             (len(report.unparsed), "unparsed figures")]
    stamp = f'<p class="muted">Generated {esc(report.generated_at)}</p>' if report.generated_at else ""
    tiles_html = "".join(
        f'<div class="tile {_sev_class(label.split()[-1]) if label.split()[-1] in SEVERITIES else ""}">'
        f"<b>{n}</b>{esc(label)}</div>" for n, label in tiles)
    return f"<header><h1>{esc(report.title)}</h1>{stamp}<div class=\"tiles\">{tiles_html}</div></header>"


def _html_contents(report: Report) -> str:
    items = "".join(f'<li><a href="#{c.anchor}">{esc(c.subject)}</a> {_badge(c.severity, _sev_class(c.severity))} '
                    f'<span class="muted">{esc(c.kind)} · {esc(c.status)}</span></li>'
                    for c in report.conflicts)
    conflicts = f"<ol>{items}</ol>" if items else ""
    return ('<nav class="toc" aria-label="Contents"><strong>Contents</strong><ul>'
            '<li><a href="#summary">Summary</a></li>'
            f'<li><a href="#conflicts">Conflicts</a>{conflicts}</li>'
            '<li><a href="#sources-read">Sources read</a></li>'
            '<li><a href="#rejected-sources">Rejected sources</a></li>'
            '<li><a href="#unparsed-figures">Unparsed figures</a></li>'
            + ('<li><a href="#orphaned-decisions">Orphaned decisions</a></li>' if report.orphaned else "")
            + '</ul></nav>')


def _html_summary(report: Report) -> str:
    rows = [(kind, *counts, total) for kind, counts, total in report.kind_severity]
    rows.append(("total", *report.severity_totals, len(report.conflicts)))
    numeric = set(range(1, len(SEVERITIES) + 2))
    parts = ['<section id="summary"><h2>Summary</h2><div class="counts">',
             "<div><h3>Conflicts by kind and severity</h3>",
             _html_table(["kind", *SEVERITIES, "total"], rows, numeric), "</div>",
             "<div><h3>Conflicts by status</h3>",
             _html_table(["status", "conflicts"], report.by_status, {1}), "</div>"]
    if report.golden_by_status:
        parts += ["<div><h3>Golden record by status</h3>",
                  _html_table(["status", "rows"], report.golden_by_status, {1}), "</div>"]
    return "".join(parts) + "</div></section>"


def _html_card(card: ClaimCard) -> str:
    if not card.found:
        return (f'<div class="card missing"><div class="src">{esc(card.claim_id)}</div>'
                f"<blockquote>{esc(card.quote)}</blockquote></div>")
    where = " · ".join(esc(x) for x in (card.publisher, card.published, card.location) if x)
    return (f'<div class="card"><div class="src">{esc(card.source_title)}</div>'
            f'<div class="where">{where}</div>'
            f"<blockquote>{esc(card.quote)}</blockquote>"
            f'<div class="figure">{esc(card.figure) or "—"}</div>'
            + (f'<div class="where">read from — {esc(card.read_from)}</div>' if card.read_from else "")
            + "</div>")


def _html_note(label: str, note: Note, css: str) -> str:
    figure = f"→ <b>{esc(note.figure)}</b>" if note.figure else ""
    rule = f'<span class="muted">(rule: <code>{esc(note.rule)}</code>)</span>' if note.rule else ""
    parts = [f"<strong>{esc(_note_label(label, note))}:</strong>", *_note_parts(note, esc, figure), rule]
    why = f'<br><span class="why">{esc(note.stale)}</span>' if note.stale else ""
    stale = " stale" if note.stale else ""
    return f'<p class="note {css}{stale}">{" ".join(p for p in parts if p)}{why}</p>'


def _html_golden(c: ConflictView) -> str:
    if not c.golden:
        return ""
    more = ""
    if c.golden_more:
        items = "".join(f"<li>{esc(g.subject)}: {esc(g.shown)}"
                        + "".join(f' · <a href="#{a}">{esc(cid)}</a>' for cid, a in g.links) + "</li>"
                        for g in c.golden_more)
        more = f"<details><summary>{esc(_more_rows(c))}</summary><ul>{items}</ul></details>"
    return (f'<div class="note golden"><strong>Golden value:</strong> '
            f'<span class="golden-value">{esc(c.golden)}</span>{more}</div>')


def _html_conflict(number: int, c: ConflictView) -> str:
    sev = c.severity if c.severity in SEVERITIES else ""
    meta = (f"{_badge(c.severity, _sev_class(c.severity))} {_badge(c.kind, 'status')} "
            f"{_badge(c.status, 'status')} <code>{esc(c.conflict_id)}</code>"
            + (f" {_badge('needs checking: ' + c.assumed + ' assumed', 'status')}" if c.assumed else "")
            + (f' <span class="muted">rule <code>{esc(c.rule)}</code></span>' if c.rule else ""))
    notes = "".join(_html_note(label, note, css) for label, note, css in
                    (("Suggested", c.suggestion, "suggestion"), ("Decision", c.decision, "decision"))
                    if note is not None)
    golden = _html_golden(c)
    cards = "".join(_html_card(card) for card in c.claims)
    return (f'<article class="conflict {sev}" id="{c.anchor}"><h3>{number}. {esc(c.subject)}</h3>'
            f'<div class="meta">{meta}</div><p class="explanation">{esc(c.explanation)}</p>'
            f'<div class="claims">{cards}</div>{notes}{golden}</article>\n')


def _html_sources(report: Report) -> str:
    rows = [(s.title, s.publisher, s.published, s.claims, s.source_id + (" (primary)" if s.primary else ""))
            for s in report.sources]
    read = _html_table(["title", "publisher", "published", "claims", "source"], rows, {3}) if rows \
        else "<p>No sources were read.</p>"
    rejected = _html_table(["source", "path", "reason"], report.rejected, text_cols={2}) if report.rejected \
        else "<p>No source was rejected.</p>"
    unparsed_rows = [(title, loc, text, reason) for _, title, loc, text, reason in report.unparsed]
    unparsed = _html_table(["source", "location", "text", "reason"], unparsed_rows, text_cols={2}) \
        if unparsed_rows else ""
    count = f"<p>{_plural(len(report.unparsed), 'figure')} could not be read.</p>"
    orphaned = ""
    if report.orphaned:
        orphaned = (f'<section id="orphaned-decisions"><h2>Orphaned decisions</h2>'
                    f"<p>{_plural(len(report.orphaned), 'decision')} {esc(_ORPHAN_NOTE)}</p>"
                    f"{_html_table(list(_ORPHAN_HEADER), report.orphaned, text_cols={5})}</section>")
    return (f'<section id="sources-read"><h2>Sources read</h2>{read}</section>'
            f'<section id="rejected-sources"><h2>Rejected sources</h2>{rejected}</section>'
            f'<section id="unparsed-figures"><h2>Unparsed figures</h2>{count}{unparsed}</section>{orphaned}')


def _html(report: Report) -> str:
    conflicts = "".join(_html_conflict(n, c) for n, c in enumerate(report.conflicts, 1)) \
        or "<p>No conflicts found.</p>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{esc(report.title)}</title>\n<style>\n{_CSS}\n</style></head>\n"
        f"<body><div class=\"page\">\n{_html_header(report)}\n{_html_contents(report)}\n"
        f"{_html_summary(report)}\n"
        f"<section id=\"conflicts\"><h2>Conflicts</h2>\n{conflicts}</section>\n"
        f"{_html_sources(report)}\n"
        f"<footer>{' · '.join(esc(p) for p in _headline(report))}</footer>\n"
        "</div></body></html>\n"
    )


def render_html(tables: ReportTables, *, generated_at: str | datetime | None = None,
                title: str = DEFAULT_TITLE) -> str:
    """report.html: one self-contained page (inline CSS, no scripts, no network)."""
    return _html(build_report(tables, generated_at=generated_at, title=title))
