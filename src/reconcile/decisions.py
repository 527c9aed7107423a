"""The decisions store: every steward decision, append-only, in SQLite or PostgreSQL.

A decision (approve | dismiss | reopen) is one row: who, when, why, the
conflict's evidence fingerprint at decision time, the claims and values it was
taken on, and the chosen value or claim. Rows are never updated or deleted
(triggers refuse it), so the table is the audit trail.

Location: `RECONCILE_DB_URL` (`sqlite:///relative/path`, `sqlite:////absolute/path`
or `postgresql://user:password@host:port/database`), by default
`RECONCILE_HOME/decisions.db`. The backends (files, connections, migrations,
faults) are the named parts of `reconcile.store`; this module is the same on both.

Ordering: a conflict's *latest* decision is the one with the latest `decided_at`
(its own time, compared as UTC; the id breaks ties). Not insertion order: an
export imported in parts, or two imports at once, insert decisions out of time
order, and an older decision must not win because it arrived last. An imported
decision `supersedes` the one before it in time, and the import reports how many
it added that are older than the conflict's current decision (they join the
history without changing the status).

Concurrency policy (optimistic, nothing lost): a writer passes the id of the
latest decision it saw for the conflict (`seen`). The write runs inside a
transaction that serialises writers on the database (`BEGIN IMMEDIATE` on
SQLite, a transaction-level advisory lock on PostgreSQL). Inside it the
store reads the conflict's real latest decision and records the new one with
`supersedes` pointing at it. If that is not the one the writer saw, another
steward decided meanwhile: the new decision is still recorded (it is the newer
one), and `Recorded.raced_with` names the decision it overtook so the CLI can
say so. Both decisions stay in the history; the chain of `supersedes` is
linear because writers are serialised.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import yaml
from sqlalchemy import Connection, RowMapping, insert, select

from . import safe_yaml
from .config import Settings
from .errors import UserError
from .figures import format_value
from .store import open_database
from .store import sqlite_path as sqlite_path
from .store.migrations import SQLITE, current_version
from .store.tables import decisions as decisions_table
from .store.tables import misreads as misreads_table

ACTIONS = ("approve", "dismiss", "reopen")

DECISION_COLUMNS = [
    "id", "conflict_id", "action", "decided_by", "decided_at", "reason", "fingerprint",
    "claim_ids", "values", "chosen_claim_id", "chosen_value", "chosen_low", "chosen_high",
    "unit", "supersedes",
]

# Fields that identify the same decision in another database (import idempotency).
NATURAL_KEY = ("conflict_id", "action", "decided_by", "decided_at", "fingerprint")

# SQLite's schema steps (PostgreSQL's, version for version, are in `reconcile.store.migrations`).
MIGRATIONS = SQLITE
MISREAD_COLUMNS = ["id", "claim_id", "quote_hash", "quote", "decided_by", "decided_at", "reason"]


def quote_hash(quote: str) -> str:
    """What a misread is tied to: the claim's quote as it was when the steward marked it."""
    return hashlib.sha256(" ".join(str(quote).split()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class NewDecision:
    """What a steward decided, before the store gives it an id."""

    conflict_id: str
    action: str
    decided_by: str
    reason: str
    fingerprint: str
    claim_ids: str                       # ';'-joined claim ids of the conflict
    values: dict[str, Any] = field(default_factory=dict)  # claim id -> value (or [low, high])
    chosen_claim_id: str | None = None
    chosen_value: float | None = None
    chosen_low: float | None = None
    chosen_high: float | None = None
    unit: str | None = None
    decided_at: str | None = None        # set by the store when None

    def problems(self) -> list[tuple[str, str]]:
        """(field, why) for each reason this decision cannot be recorded; empty when it can."""
        found = []
        if self.action not in ACTIONS:
            found.append(("action", f"action {self.action!r} is not one of {'|'.join(ACTIONS)}"))
        if not (self.conflict_id or "").strip():
            found.append(("conflict_id", "conflict_id is missing"))
        if not (self.decided_by or "").strip():
            found.append(("decided_by", "decided_by is blank: say who decided"))
        if not (self.reason or "").strip():
            found.append(("reason", "reason is blank: say why"))
        if not (self.fingerprint or "").strip():
            found.append(("fingerprint", "fingerprint is missing"))
        if self.action == "approve" and self.chosen_claim_id is None and _missing(self.chosen_value) \
                and _missing(self.chosen_low) and _missing(self.chosen_high):
            found.append(("chosen_value", "an approve needs a chosen_value or chosen_claim_id"))
        if self.decided_at is not None and _parse_utc(self.decided_at) is None:
            found.append(("decided_at", f"decided_at {self.decided_at!r} is not an ISO timestamp with a timezone"))
        if self.action == "approve":
            found.extend(figure_problems(self.chosen_value, self.chosen_low, self.chosen_high, self.unit,
                                         stated_numbers(self.values)))
        return found


# A chosen figure this many times larger or smaller than every figure the conflict states is a
# slip of scale ("35" for $35B), not a decision.
MAGNITUDE_GAP = 1000.0


def figure_problems(value: float | None, low: float | None, high: float | None, unit: str | None,
                    stated: Sequence[float]) -> list[tuple[str, str]]:
    """(field, why) for each way an approved figure cannot be right, judged against the conflict's own figures.

    The CLI (`reconcile approve --value`) and `decisions import` both call this, so an imported
    decision passes exactly the checks a steward's command does.
    """
    chosen = [(name, number) for name, number in (("chosen_value", value), ("chosen_low", low),
                                                  ("chosen_high", high)) if number is not None and not _missing(number)]
    found = [(name, f"{name} {number} is not a finite number") for name, number in chosen if not math.isfinite(number)]
    if found:
        return found
    if low is not None and high is not None and not _missing(low) and not _missing(high) and low > high:
        return [("chosen_low", f"chosen_low {low:g} is above chosen_high {high:g}")]
    if unit == "date" or not stated:
        return found     # dates are yyyymmdd numbers: neither sign nor scale says anything about them
    for name, number in chosen:
        why = _implausible(number, stated, unit)
        if why:
            return [(name, f"{name} {number:g} {why}")]
    return found


def _implausible(number: float, stated: Sequence[float], unit: str | None) -> str | None:
    span = f"{format_value(min(stated), unit)} to {format_value(max(stated), unit)}"
    if number < 0 and min(stated) >= 0:
        return f"is negative, but every figure of the conflict is positive ({span})"
    if number == 0:
        return None if 0 in stated else f"is zero, but no figure of the conflict is ({span})"
    if magnitude_gap(number, stated) >= MAGNITUDE_GAP:
        return f"is orders of magnitude from every figure of the conflict ({span})"
    return None


def magnitude_gap(number: float, stated: Sequence[float]) -> float:
    """How many times `number` is from the nearest non-zero stated figure (1.0 = same size)."""
    ratios = [abs(number) / abs(s) for s in stated if s]
    if not ratios or number == 0:
        return 1.0
    return min(max(r, 1 / r) for r in ratios)


def stated_numbers(values: dict[str, Any]) -> list[float]:
    """The finite numbers of a decision's `values` (claim id -> value or [low, high])."""
    numbers = []
    for value in values.values():
        for number in value if isinstance(value, (list, tuple)) else [value]:
            if _is_number(number) and math.isfinite(float(number)):
                numbers.append(float(number))
    return numbers


@dataclass(frozen=True)
class Decision(NewDecision):
    id: int = 0
    supersedes: int | None = None


class Imported(NamedTuple):
    added: int
    skipped: int       # already present
    older: int = 0     # added, but older than the conflict's current decision: history only


@dataclass(frozen=True)
class Recorded:
    decision: Decision
    raced_with: Decision | None   # a decision recorded after the one the writer saw


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _parse_utc(text: str | None) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _missing(number: float | None) -> bool:
    return number is None or (isinstance(number, float) and math.isnan(number))


class DecisionStore:
    """The append-only decisions table, in one SQLite file or one PostgreSQL database (`reconcile.store`).

    `location` is a SQLite file path or a `RECONCILE_DB_URL` (`sqlite:///...`, `postgresql://...`).
    Reading a SQLite store whose file does not exist yet returns no decisions and creates nothing; the
    file and schema are created on the first write.
    """

    def __init__(self, location: Path | str):
        self.db = open_database(location)
        self.path = self.db.path     # the SQLite file; None on PostgreSQL
        self.url = self.db.url

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> DecisionStore:
        settings = settings or Settings.from_env()
        return cls(settings.db_url)

    def schema_version(self) -> int:
        if not self.db.exists():
            return 0
        with self.db.writing() as conn:
            return current_version(conn)

    # -- reads -------------------------------------------------------------------

    def history(self, conflict_id: str | None = None) -> list[Decision]:
        """Every decision, oldest first; only one conflict's when `conflict_id` is given."""
        if not self.db.exists():
            return []
        query = select(decisions_table).order_by(decisions_table.c.id)
        if conflict_id is not None:
            query = query.where(decisions_table.c.conflict_id == conflict_id)
        with self.db.reading() as conn:
            rows = conn.execute(query).mappings().all()
        return [_decision_from_row(row) for row in rows]

    def latest(self, conflict_id: str) -> Decision | None:
        decisions = self.history(conflict_id)
        return max(decisions, key=_time_order) if decisions else None

    def latest_id(self, conflict_id: str) -> int | None:
        latest = self.latest(conflict_id)
        return latest.id if latest else None

    def frame(self) -> pd.DataFrame:
        """All decisions as a DataFrame with `DECISION_COLUMNS` (what resolve.py reads)."""
        return decisions_frame(self.history())

    def misreads(self) -> pd.DataFrame:
        """Every claim a steward marked as misread, oldest first (`MISREAD_COLUMNS`)."""
        if not self.db.exists():
            return pd.DataFrame(columns=MISREAD_COLUMNS)
        with self.db.reading() as conn:
            if not self.db.has_table(conn, "misreads"):
                return pd.DataFrame(columns=MISREAD_COLUMNS)   # a store from before misreads existed
            rows = conn.execute(select(misreads_table).order_by(misreads_table.c.id)).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=MISREAD_COLUMNS)

    # -- writes ------------------------------------------------------------------

    def record_misread(self, claim_id: str, quote: str, by: str, reason: str, at: str | None = None) -> int:
        """Append a misread; returns its id. The same claim, quote, steward and time twice is refused."""
        if not by.strip() or not reason.strip():
            raise UserError(f"cannot mark {claim_id} as misread: --by and --reason must not be empty")
        hashed = quote_hash(quote)
        with self.db.writing() as conn:
            done = conn.execute(select(misreads_table.c.id).where(misreads_table.c.claim_id == claim_id,
                                                                  misreads_table.c.quote_hash == hashed)).first()
            if done is not None:
                raise UserError(f"{claim_id} is already marked as misread (#{done[0]}) for this quote")
            added = conn.execute(insert(misreads_table).values(
                claim_id=claim_id, quote_hash=hashed, quote=quote, decided_by=by, decided_at=at or utc_now(),
                reason=reason).returning(misreads_table.c.id)).scalar_one()
        return int(added)

    def record(self, new: NewDecision, *, seen: int | None) -> Recorded:
        """Append `new`; `seen` is the latest decision id the steward saw for its conflict."""
        problems = new.problems()
        if problems:
            raise UserError(f"cannot record decision for {new.conflict_id}: "
                            + "; ".join(message for _, message in problems))
        with self.db.writing() as conn:
            latest = _latest_in(conn, new.conflict_id)
            decision = _insert(conn, new, supersedes=latest.id if latest else None)
        raced = latest if latest is not None and latest.id != seen else None
        return Recorded(decision=decision, raced_with=raced)

    def import_decisions(self, decisions: Sequence[NewDecision]) -> Imported:
        """Append decisions from another store, in one transaction.

        A decision already present (same `NATURAL_KEY`) is skipped, so importing
        the same file twice changes nothing. `supersedes` is re-derived here: the
        conflict's decision just before this one in time. A decision older than
        the conflict's current one is added to the history and counted in `older`.
        """
        added = skipped = older = 0
        with self.db.writing() as conn:
            for new in decisions:
                if _exists(conn, new):
                    skipped += 1
                    continue
                latest = _latest_in(conn, new.conflict_id)
                before = _latest_in(conn, new.conflict_id, before=new)
                older += latest is not None and before != latest
                _insert(conn, new, supersedes=before.id if before else None)
                added += 1
        return Imported(added, skipped, older)


def decisions_frame(decisions: Iterable[Decision]) -> pd.DataFrame:
    rows = [decision_record(d) for d in decisions]
    frame = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    for column in ("chosen_value", "chosen_low", "chosen_high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["id"] = frame["id"].astype("int64")
    frame["supersedes"] = frame["supersedes"].astype("Int64")
    return frame


def decision_record(decision: Decision) -> dict[str, Any]:
    """A decision as a flat dict in `DECISION_COLUMNS` order (values as JSON text)."""
    record = asdict(decision)
    record["values"] = json.dumps(record["values"], sort_keys=True)
    return {column: record[column] for column in DECISION_COLUMNS}


# -- private helpers -----------------------------------------------------------

def _latest_in(conn: Connection, conflict_id: str, before: NewDecision | None = None) -> Decision | None:
    """The conflict's latest decision by time; with `before`, the latest one older than that decision."""
    rows = conn.execute(select(decisions_table).where(decisions_table.c.conflict_id == conflict_id)).mappings()
    decisions = [_decision_from_row(row) for row in rows]
    if before is not None:
        limit = _parse_utc(before.decided_at or utc_now())
        assert limit is not None, "a new decision's time is checked when the decision is made"
        decisions = [d for d in decisions if _time_order(d)[0] < limit]
    return max(decisions, key=_time_order) if decisions else None


_NO_TIME = datetime.min.replace(tzinfo=UTC)


def _time_order(decision: Decision) -> tuple[datetime, int]:
    return (_parse_utc(decision.decided_at) or _NO_TIME, decision.id)


def chronological(decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions (a `decisions_frame`) oldest first by their own time, the id breaking ties."""
    # Python datetimes, not pandas': a timestamp past 2262 is valid here and must still sort.
    keys = [(_parse_utc(str(when)) or _NO_TIME, int(id_))
            for when, id_ in zip(decisions["decided_at"], decisions["id"], strict=False)]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return decisions.iloc[order]


def _exists(conn: Connection, new: NewDecision) -> bool:
    same = [decisions_table.c[column] == getattr(new, column) for column in NATURAL_KEY]
    return conn.execute(select(decisions_table.c.id).where(*same)).first() is not None


def _insert(conn: Connection, new: NewDecision, *, supersedes: int | None) -> Decision:
    row = conn.execute(insert(decisions_table).values(
        conflict_id=new.conflict_id, action=new.action, decided_by=new.decided_by,
        decided_at=new.decided_at or utc_now(), reason=new.reason, fingerprint=new.fingerprint,
        claim_ids=new.claim_ids, values=json.dumps(new.values, sort_keys=True),
        chosen_claim_id=new.chosen_claim_id, chosen_value=_none_if_nan(new.chosen_value),
        chosen_low=_none_if_nan(new.chosen_low), chosen_high=_none_if_nan(new.chosen_high),
        unit=new.unit, supersedes=supersedes,
    ).returning(*decisions_table.c)).mappings().one()
    return _decision_from_row(row)


def _none_if_nan(number: float | None) -> float | None:
    return None if number is None or _missing(number) else float(number)


def _decision_from_row(row: RowMapping) -> Decision:
    data = dict(row)
    data["values"] = json.loads(data["values"])
    return Decision(**data)


# -- YAML export / import --------------------------------------------------------

EXPORT_FORMAT = "reconcile-decisions/1"
_EXPORT_HEADER = (
    "# Steward decisions, exported by `reconcile decisions export`. One entry per decision,\n"
    "# oldest first; review changes in a pull request, load with `reconcile decisions import FILE`.\n"
)
_REQUIRED = ("conflict_id", "action", "decided_by", "decided_at", "reason", "fingerprint", "claim_ids")
_OPTIONAL = ("id", "values", "chosen_claim_id", "chosen_value", "chosen_low", "chosen_high", "unit", "supersedes")
_NUMBERS = ("chosen_value", "chosen_low", "chosen_high")
_CONFLICT_ID = re.compile(r"^k-[0-9a-f]{12}$")
_CLAIM_ID = re.compile(r"^c-[0-9a-f]{12}$")


def export_yaml(decisions: Iterable[Decision], misreads: pd.DataFrame | None = None) -> str:
    """Decisions as YAML with a fixed key order and oldest first, so diffs stay small; then the claims
    marked as misread, each with its quote (a ready test case for the extraction)."""
    entries = []
    for decision in sorted(decisions, key=lambda d: d.id):
        entry = asdict(decision)
        entries.append({column: entry[column] for column in DECISION_COLUMNS})
    document: dict[str, Any] = {"format": EXPORT_FORMAT, "decisions": entries}
    if misreads is not None and len(misreads):
        document["misreads"] = [{key: str(row[key]) for key in MISREAD_EXPORT_KEYS}
                                for _, row in misreads.sort_values("id").iterrows()]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return _EXPORT_HEADER + body


# Caps on one import: far above a real export (about 500 bytes a decision), far below what
# exhausts memory. A larger history is imported in parts; the order of the parts does not matter.
IMPORT_MAX_BYTES = 5_000_000
IMPORT_MAX_ENTRIES = 10_000
_SPLIT_HINT = (f"split the file into parts of at most {IMPORT_MAX_ENTRIES:,} decisions and import each part; "
               "decisions already present are skipped")


def load_import(path: Path) -> list[NewDecision]:
    """Read an export file (size capped before reading); see `parse_import`."""
    try:
        root = safe_yaml.compose_file(path, max_bytes=IMPORT_MAX_BYTES, hint_too_large=_SPLIT_HINT)
    except UnicodeDecodeError:
        raise UserError("not a UTF-8 text file", file=path,
                        hint="give a YAML file written by `reconcile decisions export`") from None
    except yaml.YAMLError as error:
        raise _syntax_error(error, path) from None
    return _decisions_from_root(root, path)


def parse_import(text: str, file: str | Path) -> list[NewDecision]:
    """Read an export; every bad entry is reported (with its line) before anything is imported."""
    try:
        root = safe_yaml.compose_text(text, file)
    except yaml.YAMLError as error:
        raise _syntax_error(error, file) from None
    return _decisions_from_root(root, file)


def _syntax_error(error: yaml.YAMLError, file: str | Path) -> UserError:
    mark = getattr(error, "problem_mark", None)
    return UserError(f"not valid YAML ({getattr(error, 'problem', None) or error}); nothing was imported", file=file,
                     line=mark.line + 1 if mark else None,
                     hint="fix the syntax, or re-create the file with `reconcile decisions export`")


MISREAD_EXPORT_KEYS = ("claim_id", "quote", "decided_by", "decided_at", "reason")


def misreads_in_file(path: Path) -> list[dict[str, str]]:
    """The `misreads:` entries of an export file, checked; [] when it has none."""
    data = safe_yaml.construct(safe_yaml.compose_file(path, max_bytes=IMPORT_MAX_BYTES, hint_too_large=_SPLIT_HINT))
    entries = data.get("misreads", []) if isinstance(data, dict) else []
    if not isinstance(entries, list):
        raise UserError("`misreads:` must be a list", file=path, hint="as written by `reconcile decisions export`")
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) and entry[k].strip()
                                                  for k in MISREAD_EXPORT_KEYS) \
                or not _CLAIM_ID.match(entry["claim_id"]):
            raise UserError(f"misread entry {n} needs {', '.join(MISREAD_EXPORT_KEYS)} as text and a claim id "
                            "like c-0123456789ab; nothing was imported", file=path)
    return entries


def _decisions_from_root(root: Any, file: str | Path) -> list[NewDecision]:
    try:
        data = safe_yaml.construct(root)
    except yaml.YAMLError as error:
        raise _syntax_error(error, file) from None
    entries, entry_nodes = _entry_nodes(root, data, file)
    if len(entries) > IMPORT_MAX_ENTRIES:
        raise UserError(f"{len(entries):,} decisions, over the limit of {IMPORT_MAX_ENTRIES:,}", file=file,
                        hint=_SPLIT_HINT)
    decisions, problems = [], []
    for entry, node in zip(entries, entry_nodes, strict=False):
        new, entry_problems = _decision_from_entry(entry, node)
        problems.extend(entry_problems)
        if new is not None:
            decisions.append(new)
    if len(problems) == 1:
        ((line, problem),) = problems
        raise UserError(f"{problem}; nothing was imported", file=file, line=line,
                        hint="correct the entry and import the file again")
    if problems:
        lines = "\n".join(f"  {file}:{line}: {problem}" for line, problem in sorted(problems))
        raise UserError(f"{file}: {len(problems)} problem(s); nothing was imported:\n{lines}",
                        hint="correct these entries and import the file again")
    return decisions


def _entry_nodes(root: Any, data: Any, file: str | Path) -> tuple[list[Any], list[Any]]:
    """The `decisions:` list and the YAML node of each entry (for line numbers)."""
    hint = (f"the file needs a top-level `decisions:` list (format {EXPORT_FORMAT}), "
            "as written by `reconcile decisions export`")
    if not isinstance(data, dict) or not isinstance(data.get("decisions"), list):
        raise UserError("no `decisions:` list found", file=file, hint=hint)
    if data.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise UserError(f"unknown format {data.get('format')!r}", file=file, hint=hint)
    list_node = next(value for key, value in root.value if key.value == "decisions")
    return data["decisions"], list_node.value


def _decision_from_entry(entry: Any, node: Any) -> tuple[NewDecision | None, list[tuple[int, str]]]:
    entry_line = node.start_mark.line + 1
    if not isinstance(entry, dict):
        return None, [(entry_line, "an entry must be a mapping of decision fields")]
    key_lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    key_lines.update(_value_lines(node, entry.get("values")))
    problems: list[tuple[int, str]] = []

    def problem(key: str | None, message: str) -> None:
        problems.append((key_lines.get(key, entry_line), message))

    for key in entry:
        if key not in _REQUIRED and key not in _OPTIONAL:
            problem(key, f"unknown field {key!r}")
    for key in _REQUIRED:
        if key not in entry or entry[key] is None or not str(entry[key]).strip():
            problem(key, f"{key} is missing or blank")
    for key, message in _type_problems(entry):
        problem(key, message)
    if entry.get("conflict_id") and not _CONFLICT_ID.match(str(entry["conflict_id"])):
        problem("conflict_id", f"conflict_id {entry['conflict_id']!r} is not a conflict id (k- and 12 hex digits)")
    claim_ids = [c for c in str(entry.get("claim_ids") or "").split(";") if c]
    bad_claims = [c for c in claim_ids if not _CLAIM_ID.match(c)]
    if bad_claims:
        problem("claim_ids", f"claim_ids has ids that are not claim ids: {', '.join(bad_claims)}")
    chosen = entry.get("chosen_claim_id")
    if chosen is not None and str(chosen) not in claim_ids:
        problem("chosen_claim_id", f"chosen_claim_id {chosen!r} is not one of the decision's claim_ids")
    if entry.get("action") is not None and entry["action"] not in ACTIONS:
        problem("action", f"action {entry['action']!r} is not one of {'|'.join(ACTIONS)}")
    if entry.get("decided_at") is not None and _parse_utc(_timestamp_text(entry["decided_at"])) is None:
        problem("decided_at", f"decided_at {entry['decided_at']!r} is not an ISO timestamp with a timezone")
    if problems:
        return None, problems
    new = NewDecision(
        conflict_id=str(entry["conflict_id"]), action=str(entry["action"]),
        decided_by=str(entry["decided_by"]), reason=str(entry["reason"]),
        fingerprint=str(entry["fingerprint"]), claim_ids=";".join(claim_ids),
        values=dict(entry.get("values") or {}),
        chosen_claim_id=None if chosen is None else str(chosen),
        chosen_value=_float_or_none(entry.get("chosen_value")),
        chosen_low=_float_or_none(entry.get("chosen_low")),
        chosen_high=_float_or_none(entry.get("chosen_high")),
        unit=None if entry.get("unit") is None else str(entry["unit"]),
        decided_at=_timestamp_text(entry["decided_at"]),
    )
    for key, message in new.problems():
        problem(key, message)
    return (None, problems) if problems else (new, [])


_TEXT_FIELDS = ("conflict_id", "action", "decided_by", "reason", "fingerprint", "claim_ids", "chosen_claim_id", "unit")


def _type_problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """Fields of the wrong YAML type (a date, !!binary, !!set, a huge number) before anything uses them."""
    found = []
    for key in _TEXT_FIELDS:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            found.append((key, f"{key} must be text, got {_type_name(value)}; put it in quotes"))
        elif isinstance(value, str) and not _encodable(value):
            found.append((key, f"{key} holds a lone surrogate, not valid Unicode text"))
    decided_at = entry.get("decided_at")
    if decided_at is not None and not isinstance(decided_at, (str, datetime)):
        found.append(("decided_at", f"decided_at must be a timestamp, got {_type_name(decided_at)}"))
    for key in _NUMBERS:
        value = entry.get(key)
        if value is not None and not _is_number(value):
            found.append((key, f"{key} must be a number, got {_type_name(value)}"))
        elif value is not None and _float_or_none(value) is None:
            found.append((key, f"{key} is too large to be a figure ({len(str(value))} digits)"))
    values = entry.get("values")
    if values is not None and not _values_ok(values):
        found.append(("values", "values must map each claim id to a number or a [low, high] pair of numbers"))
    return found


def _values_ok(values: Any) -> bool:
    return isinstance(values, dict) and all(_value_ok(key, value) for key, value in values.items())


def _value_ok(key: Any, value: Any) -> bool:
    if not isinstance(key, str) or not _encodable(key):
        return False
    numbers = value if isinstance(value, list) and len(value) == 2 else [value]
    return all(n is None or (_is_number(n) and _float_or_none(n) is not None) for n in numbers)


def _value_lines(node: Any, values: Any) -> dict[str, int]:
    """A bad entry of `values:` is reported at its own line rather than at the `values:` key."""
    if not isinstance(values, dict):
        return {}
    value_node = next((v for k, v in node.value if k.value == "values"), None)
    for (key_node, _), (key, value) in zip(getattr(value_node, "value", []), values.items(), strict=False):
        if not _value_ok(key, value):
            return {"values": key_node.start_mark.line + 1}
    return {}


def _type_name(value: Any) -> str:
    names = {bytes: "binary data", set: "a set", dict: "a mapping", list: "a list", bool: "true/false"}
    if isinstance(value, datetime) or type(value).__name__ == "date":
        return f"the date {value}"
    return names.get(type(value), type(value).__name__)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _timestamp_text(value: Any) -> str:
    """YAML reads an unquoted timestamp as a datetime; keep the ISO text we store."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float_or_none(value: Any) -> float | None:
    """The value as a float; None for None and for an integer too large for one (a 401-digit number)."""
    try:
        return None if value is None else float(value)
    except OverflowError:
        return None
