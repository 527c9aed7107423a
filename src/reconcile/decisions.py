"""The decisions store: every steward decision, append-only, in SQLite.

A decision (approve | dismiss | reopen) is one row: who, when, why, the
conflict's evidence fingerprint at decision time, the claims and values it was
taken on, and the chosen value or claim. Rows are never updated or deleted
(triggers refuse it), so the table is the audit trail.

Location: `RECONCILE_DB_URL` (`sqlite:///relative/path` or
`sqlite:////absolute/path`), by default `RECONCILE_HOME/decisions.db`.
Only SQLite is built in; a server URL is refused with a clear message.

Ordering: a conflict's *latest* decision is the one recorded last (highest
id). Insertion order, not `decided_at`, because clocks of different machines
disagree and the database serialises writers anyway.

Concurrency policy (optimistic, nothing lost): a writer passes the id of the
latest decision it saw for the conflict (`seen`). The write runs inside
`BEGIN IMMEDIATE`, which serialises writers on the database. Inside it the
store reads the conflict's real latest decision and records the new one with
`supersedes` pointing at it. If that is not the one the writer saw, another
steward decided meanwhile: the new decision is still recorded (it is the newer
one), and `Recorded.raced_with` names the decision it overtook so the CLI can
say so. Both decisions stay in the history; the chain of `supersedes` is
linear because writers are serialised.
"""
from __future__ import annotations

import json
import re
import math
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
import yaml

from .config import Settings
from .errors import UserError

ACTIONS = ("approve", "dismiss", "reopen")

DECISION_COLUMNS = [
    "id", "conflict_id", "action", "decided_by", "decided_at", "reason", "fingerprint",
    "claim_ids", "values", "chosen_claim_id", "chosen_value", "chosen_low", "chosen_high",
    "unit", "supersedes",
]

# Fields that identify the same decision in another database (import idempotency).
NATURAL_KEY = ("conflict_id", "action", "decided_by", "decided_at", "fingerprint")

# Each migration runs once, in order; `schema_version` records how far a db got.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE decisions (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        conflict_id     TEXT NOT NULL,
        action          TEXT NOT NULL CHECK (action IN ('approve', 'dismiss', 'reopen')),
        decided_by      TEXT NOT NULL CHECK (length(trim(decided_by)) > 0),
        decided_at      TEXT NOT NULL,
        reason          TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        fingerprint     TEXT NOT NULL,
        claim_ids       TEXT NOT NULL,
        "values"        TEXT NOT NULL,
        chosen_claim_id TEXT,
        chosen_value    REAL,
        chosen_low      REAL,
        chosen_high     REAL,
        unit            TEXT,
        supersedes      INTEGER REFERENCES decisions(id)
    );
    CREATE INDEX decisions_by_conflict ON decisions (conflict_id, id);
    CREATE UNIQUE INDEX decisions_natural_key
        ON decisions (conflict_id, action, decided_by, decided_at, fingerprint);
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
    """,
]


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
        return found


@dataclass(frozen=True)
class Decision(NewDecision):
    id: int = 0
    supersedes: int | None = None


@dataclass(frozen=True)
class Recorded:
    decision: Decision
    raced_with: Decision | None   # a decision recorded after the one the writer saw


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _parse_utc(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _missing(number: float | None) -> bool:
    return number is None or (isinstance(number, float) and math.isnan(number))


def sqlite_path(db_url: str) -> Path:
    """`sqlite:///rel/path` or `sqlite:////abs/path` → the file path."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix) or len(db_url) == len(prefix):
        raise UserError(f"RECONCILE_DB_URL={db_url!r} is not supported: only SQLite is built in",
                        hint="use sqlite:///path/to/decisions.db, or unset it to use RECONCILE_HOME/decisions.db")
    return Path(db_url[len(prefix):])


class DecisionStore:
    """The append-only decisions table in one SQLite file.

    Reading a store whose file does not exist yet returns no decisions and
    creates nothing; the file and schema are created on the first write.
    """

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "DecisionStore":
        settings = settings or Settings.from_env()
        return cls(sqlite_path(settings.db_url))

    # -- connection and schema -------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN ourselves so the lock mode is explicit.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 30000")
        self._migrate(conn)
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")   # two first-time writers must not both create tables
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        if not self.path.exists():
            return 0
        with _closing(self._connect()) as conn:
            return conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0

    # -- reads -------------------------------------------------------------------

    def history(self, conflict_id: str | None = None) -> list[Decision]:
        """Every decision, oldest first; only one conflict's when `conflict_id` is given."""
        if not self.path.exists():
            return []
        with _closing(self._connect()) as conn:
            if conflict_id is None:
                rows = conn.execute("SELECT * FROM decisions ORDER BY id").fetchall()
            else:
                rows = conn.execute("SELECT * FROM decisions WHERE conflict_id = ? ORDER BY id",
                                    (conflict_id,)).fetchall()
        return [_decision_from_row(row) for row in rows]

    def latest(self, conflict_id: str) -> Decision | None:
        decisions = self.history(conflict_id)
        return decisions[-1] if decisions else None

    def latest_id(self, conflict_id: str) -> int | None:
        latest = self.latest(conflict_id)
        return latest.id if latest else None

    def frame(self) -> pd.DataFrame:
        """All decisions as a DataFrame with `DECISION_COLUMNS` (what resolve.py reads)."""
        return decisions_frame(self.history())

    # -- writes ------------------------------------------------------------------

    def record(self, new: NewDecision, *, seen: int | None) -> Recorded:
        """Append `new`; `seen` is the latest decision id the steward saw for its conflict."""
        problems = new.problems()
        if problems:
            raise UserError(f"cannot record decision for {new.conflict_id}: "
                            + "; ".join(message for _, message in problems))
        with _closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                latest = _latest_in(conn, new.conflict_id)
                decision = _insert(conn, new, supersedes=latest.id if latest else None)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        raced = latest if latest is not None and latest.id != seen else None
        return Recorded(decision=decision, raced_with=raced)

    def import_decisions(self, decisions: Sequence[NewDecision]) -> tuple[int, int]:
        """Append decisions from another store, oldest first, in one transaction.

        A decision already present (same `NATURAL_KEY`) is skipped, so importing
        the same file twice changes nothing. `supersedes` is re-derived here:
        the conflict's latest decision in this store at insert time.
        Returns (added, skipped).
        """
        added = skipped = 0
        with _closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for new in decisions:
                    if _exists(conn, new):
                        skipped += 1
                        continue
                    latest = _latest_in(conn, new.conflict_id)
                    _insert(conn, new, supersedes=latest.id if latest else None)
                    added += 1
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return added, skipped


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

class _closing:
    """Close a sqlite connection on exit (sqlite3's own context manager only commits)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _latest_in(conn: sqlite3.Connection, conflict_id: str) -> Decision | None:
    row = conn.execute("SELECT * FROM decisions WHERE conflict_id = ? ORDER BY id DESC LIMIT 1",
                       (conflict_id,)).fetchone()
    return _decision_from_row(row) if row else None


def _exists(conn: sqlite3.Connection, new: NewDecision) -> bool:
    where = " AND ".join(f"{column} = ?" for column in NATURAL_KEY)
    values = tuple(getattr(new, column) for column in NATURAL_KEY)
    return conn.execute(f"SELECT 1 FROM decisions WHERE {where}", values).fetchone() is not None


def _insert(conn: sqlite3.Connection, new: NewDecision, *, supersedes: int | None) -> Decision:
    decided_at = new.decided_at or utc_now()
    cursor = conn.execute(
        """INSERT INTO decisions (conflict_id, action, decided_by, decided_at, reason, fingerprint,
               claim_ids, "values", chosen_claim_id, chosen_value, chosen_low, chosen_high, unit, supersedes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (new.conflict_id, new.action, new.decided_by, decided_at, new.reason,
         new.fingerprint, new.claim_ids, json.dumps(new.values, sort_keys=True),
         new.chosen_claim_id, _none_if_nan(new.chosen_value), _none_if_nan(new.chosen_low),
         _none_if_nan(new.chosen_high), new.unit, supersedes),
    )
    row = conn.execute("SELECT * FROM decisions WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _decision_from_row(row)


def _none_if_nan(number: float | None) -> float | None:
    return None if _missing(number) else float(number)


def _decision_from_row(row: sqlite3.Row) -> Decision:
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


def export_yaml(decisions: Iterable[Decision]) -> str:
    """Decisions as YAML with a fixed key order and oldest first, so diffs stay small."""
    entries = []
    for decision in sorted(decisions, key=lambda d: d.id):
        entry = asdict(decision)
        entries.append({column: entry[column] for column in DECISION_COLUMNS})
    body = yaml.safe_dump({"format": EXPORT_FORMAT, "decisions": entries},
                          sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return _EXPORT_HEADER + body


def parse_import(text: str, file: str | Path) -> list[NewDecision]:
    """Read an export; every bad entry is reported (with its line) before anything is imported."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise UserError(f"not valid YAML ({getattr(error, 'problem', None) or error})", file=file,
                        line=mark.line + 1 if mark else None,
                        hint="fix the syntax, or re-create the file with `reconcile decisions export`") from None
    entries, entry_nodes = _entry_nodes(root, data, file)
    decisions, problems = [], []
    for entry, node in zip(entries, entry_nodes):
        new, entry_problems = _decision_from_entry(entry, node)
        problems.extend(entry_problems)
        if new is not None:
            decisions.append(new)
    if problems:
        lines = "\n".join(f"  {file}:{line}: {problem}" for line, problem in sorted(problems))
        raise UserError(f"{file}: {len(problems)} problem(s); nothing was imported:\n{lines}",
                        hint="correct these entries and import the file again")
    return decisions


def _entry_nodes(root: Any, data: Any, file: str | Path) -> tuple[list[Any], list[Any]]:
    """The `decisions:` list and the YAML node of each entry (for line numbers)."""
    hint = f"the file needs a top-level `decisions:` list (format {EXPORT_FORMAT}), as written by `reconcile decisions export`"
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
    problems: list[tuple[int, str]] = []

    def problem(key: str | None, message: str) -> None:
        problems.append((key_lines.get(key, entry_line), message))

    for key in entry:
        if key not in _REQUIRED and key not in _OPTIONAL:
            problem(key, f"unknown field {key!r}")
    for key in _REQUIRED:
        if key not in entry or entry[key] is None or not str(entry[key]).strip():
            problem(key, f"{key} is missing or blank")
    for key in _NUMBERS:
        if entry.get(key) is not None and not _is_number(entry[key]):
            problem(key, f"{key} must be a number, got {entry[key]!r}")
    if entry.get("conflict_id") and not _CONFLICT_ID.match(str(entry["conflict_id"])):
        problem("conflict_id", f"conflict_id {entry['conflict_id']!r} is not a conflict id (k- and 12 hex digits)")
    claim_ids = [c for c in str(entry.get("claim_ids") or "").split(";") if c]
    bad_claims = [c for c in claim_ids if not _CLAIM_ID.match(c)]
    if bad_claims:
        problem("claim_ids", f"claim_ids has ids that are not claim ids: {', '.join(bad_claims)}")
    chosen = entry.get("chosen_claim_id")
    if chosen is not None and str(chosen) not in claim_ids:
        problem("chosen_claim_id", f"chosen_claim_id {chosen!r} is not one of the decision's claim_ids")
    if entry.get("values") is not None and not isinstance(entry["values"], dict):
        problem("values", "values must be a mapping of claim id to value")
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


def _timestamp_text(value: Any) -> str:
    """YAML reads an unquoted timestamp as a datetime; keep the ISO text we store."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
