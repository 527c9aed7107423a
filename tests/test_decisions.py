"""The decisions store: schema, append-only rows, concurrency, YAML export/import."""
from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import psycopg
import pytest
import yaml

from reconcile.config import Settings
from reconcile.decisions import (
    MIGRATIONS,
    DecisionStore,
    NewDecision,
    export_yaml,
    parse_import,
    sqlite_path,
)
from reconcile.errors import UserError

CONFLICT = "k-0123456789ab"
OTHER_CONFLICT = "k-ba9876543210"
CLAIMS = "c-00000000000a;c-00000000000b"


def decision(action: str = "approve", by: str = "ana", conflict: str = CONFLICT, **overrides) -> NewDecision:
    fields = dict(conflict_id=conflict, action=action, decided_by=by, reason="checked the filing",
                  fingerprint="fp-1", claim_ids=CLAIMS,
                  values={"c-00000000000a": 730e9, "c-00000000000b": 830e9})
    if action == "approve":
        fields.update(chosen_claim_id="c-00000000000b", chosen_value=830e9, chosen_low=830e9,
                      chosen_high=830e9, unit="USD")
    fields.update(overrides)
    return NewDecision(**fields)


@pytest.fixture
def store(db_url: str) -> DecisionStore:
    """An empty store on each backend (SQLite, and PostgreSQL on the session's real server)."""
    return DecisionStore(db_url)


def raw_connection(store: DecisionStore):
    """A plain driver connection to the store's database, around the store's own checks."""
    if store.path is not None:
        return sqlite3.connect(store.path)
    return psycopg.connect(store.url, autocommit=True)


def nothing_written(store: DecisionStore) -> bool:
    return store.history() == [] and (store.path is None or not store.path.exists())


# -- location and schema -------------------------------------------------------------

def test_default_location_is_under_reconcile_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("RECONCILE_DB_URL", raising=False)
    assert DecisionStore.from_settings(Settings.from_env()).path == tmp_path / "h" / "decisions.db"


def test_db_url_accepts_sqlite_paths_and_postgresql_and_refuses_others():
    assert sqlite_path("sqlite:////var/x/d.db") == Path("/var/x/d.db")
    assert sqlite_path("sqlite:///rel/d.db") == Path("rel/d.db")
    server = DecisionStore("postgresql://steward:s3cret@db:5433/reconcile")   # connects on first use only
    assert server.path is None and server.db.label == "postgresql://steward:***@db:5433/reconcile"
    for url in ("mysql://steward:s3cret@db/reconcile", "postgresql+psycopg2://steward:s3cret@db/reconcile"):
        with pytest.raises(UserError, match="only SQLite and PostgreSQL") as refused:
            DecisionStore(url)
        assert "s3cret" not in str(refused.value)


def test_reading_a_missing_store_creates_nothing(store):
    assert store.history() == [] and store.latest(CONFLICT) is None
    assert store.frame().empty and list(store.frame().columns)[0] == "id"
    assert nothing_written(store)


def test_first_write_creates_schema_at_latest_version_once(store):
    store.record(decision(), seen=None)
    assert store.schema_version() == len(MIGRATIONS)
    store.record(decision("dismiss", by="ben"), seen=1)   # reopening must not re-run migrations
    conn = raw_connection(store)
    versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    conn.close()
    assert versions == list(range(1, len(MIGRATIONS) + 1))


REWRITES = ["UPDATE decisions SET reason = 'edited'", "DELETE FROM decisions"]
PG_REWRITES = ["TRUNCATE decisions", "TRUNCATE decisions CASCADE",
               "INSERT INTO decisions (conflict_id, action, decided_by, decided_at, reason, fingerprint, claim_ids, "
               "\"values\") SELECT conflict_id, action, decided_by, decided_at, 'swapped', fingerprint, claim_ids, "
               "\"values\" FROM decisions ON CONFLICT (conflict_id, action, decided_by, decided_at, fingerprint) "
               "DO UPDATE SET reason = 'swapped'"]


def test_rows_cannot_be_updated_or_deleted(store):
    store.record(decision(), seen=None)
    conn = raw_connection(store)
    for statement in REWRITES + ([] if store.path else PG_REWRITES):
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError), match="append-only"):
            conn.execute(statement)
    conn.close()
    assert [d.reason for d in store.history()] == ["checked the filing"]


# -- recording ---------------------------------------------------------------------

def test_each_decision_supersedes_the_previous_one_for_its_conflict(store):
    first = store.record(decision(), seen=None).decision
    other = store.record(decision(conflict=OTHER_CONFLICT), seen=None).decision
    second = store.record(decision("reopen", by="ben"), seen=first.id).decision
    assert (first.supersedes, other.supersedes, second.supersedes) == (None, None, first.id)
    assert [d.id for d in store.history(CONFLICT)] == [first.id, second.id]
    assert store.latest(CONFLICT).action == "reopen"
    assert first.values == {"c-00000000000a": 730e9, "c-00000000000b": 830e9}
    assert first.decided_at.endswith("+00:00")


def test_frame_has_one_row_per_decision_with_numeric_choices(store):
    store.record(decision(), seen=None)
    store.record(decision("dismiss"), seen=1)
    frame = store.frame()
    assert list(frame["action"]) == ["approve", "dismiss"]
    assert frame.loc[0, "chosen_value"] == 830e9 and frame["chosen_value"].isna().iloc[1]
    assert frame.loc[1, "supersedes"] == 1


@pytest.mark.parametrize("bad, message", [
    (dict(reason="   "), "reason is blank"),
    (dict(decided_by=""), "decided_by is blank"),
    (dict(action="accept"), "not one of approve|dismiss|reopen"),
    (dict(chosen_claim_id=None, chosen_value=None, chosen_low=None, chosen_high=None), "needs a chosen"),
])
def test_invalid_decision_is_refused_and_writes_nothing(store, bad, message):
    with pytest.raises(UserError, match=message):
        store.record(decision(**bad), seen=None)
    assert nothing_written(store)


def test_stale_seen_id_is_recorded_as_newer_and_reports_the_race(store):
    ana = store.record(decision(), seen=None)
    ben = store.record(decision("dismiss", by="ben"), seen=None)   # ben saw no decision
    assert ana.raced_with is None
    assert ben.raced_with is not None and ben.raced_with.id == ana.decision.id
    assert ben.decision.supersedes == ana.decision.id
    assert [d.decided_by for d in store.history(CONFLICT)] == ["ana", "ben"]


# -- two real processes ------------------------------------------------------------------

def _decide_after_barrier(url: str, by: str, barrier, results) -> None:
    store = DecisionStore(url)
    seen = store.latest_id(CONFLICT)          # what this steward saw
    barrier.wait(30)                           # both have read; now both write (a failure ends, not hangs)
    recorded = store.record(decision("approve" if by == "ana" else "dismiss", by=by), seen=seen)
    results.put((by, seen, recorded.decision.id, recorded.decision.supersedes,
                 recorded.raced_with.id if recorded.raced_with else None))


def _decide_many(url: str, by: str, count: int) -> None:
    store = DecisionStore(url)
    for n in range(count):
        store.record(decision("reopen", by=by, reason=f"pass {n}"), seen=store.latest_id(CONFLICT))


def test_two_processes_deciding_at_once_both_land_in_history(store):
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_decide_after_barrier, args=(store.url, by, barrier, results))
               for by in ("ana", "ben")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [w.exitcode for w in workers] == [0, 0]
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert {o[1] for o in outcomes} == {None}                   # neither saw the other's decision
    first, second = sorted(outcomes, key=lambda o: o[2])
    assert first[3] is None and first[4] is None                # the first writer raced nobody
    assert second[3] == first[2] and second[4] == first[2]      # the second supersedes it, and knows
    assert sorted(d.decided_by for d in store.history(CONFLICT)) == ["ana", "ben"]


def test_many_concurrent_writes_keep_a_linear_chain(store):
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_decide_many, args=(store.url, by, 8)) for by in ("ana", "ben")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    history = store.history(CONFLICT)
    assert [w.exitcode for w in workers] == [0, 0] and len(history) == 16
    assert [d.supersedes for d in history] == [None] + [d.id for d in history[:-1]]


# -- YAML export / import ------------------------------------------------------------------

def _fill(store: DecisionStore) -> None:
    first = store.record(decision(), seen=None).decision
    store.record(decision(conflict=OTHER_CONFLICT, action="dismiss", by="ben",
                          reason="same figure: one is a forecast"), seen=None)
    store.record(decision("reopen", reason="new filing"), seen=first.id)


def test_export_is_stable_and_readable(store):
    _fill(store)
    text = export_yaml(store.history())
    assert text == export_yaml(reversed(store.history()))
    data = yaml.safe_load(text)
    assert [d["id"] for d in data["decisions"]] == [1, 2, 3]
    assert list(data["decisions"][0])[:3] == ["id", "conflict_id", "action"]
    assert data["decisions"][0]["values"] == {"c-00000000000a": 730e9, "c-00000000000b": 830e9}


def test_export_import_round_trips_into_an_empty_store(store, tmp_path):
    _fill(store)
    text = export_yaml(store.history())
    copy = DecisionStore(tmp_path / "copy" / "decisions.db")
    assert copy.import_decisions(parse_import(text, "d.yaml")) == (3, 0, 0)
    assert export_yaml(copy.history()) == text


def test_reimport_is_idempotent(store):
    _fill(store)
    text = export_yaml(store.history())
    assert store.import_decisions(parse_import(text, "d.yaml")) == (0, 3, 0)
    assert len(store.history()) == 3


def test_imported_decision_supersedes_the_local_latest_when_it_is_newer(store, tmp_path):
    local = store.record(decision(), seen=None).decision
    elsewhere = DecisionStore(tmp_path / "elsewhere.db")
    elsewhere.record(decision("dismiss", by="carla"), seen=None)
    assert store.import_decisions(parse_import(export_yaml(elsewhere.history()), "d.yaml")) == (1, 0, 0)
    assert store.latest(CONFLICT).decided_by == "carla"
    assert store.latest(CONFLICT).supersedes == local.id


def test_an_older_imported_decision_joins_the_history_without_becoming_latest(store, tmp_path):
    elsewhere = DecisionStore(tmp_path / "elsewhere.db")
    elsewhere.record(decision("dismiss", by="carla"), seen=None)
    local = store.record(decision(), seen=None).decision
    assert store.import_decisions(parse_import(export_yaml(elsewhere.history()), "d.yaml")) == (1, 0, 1)
    assert store.latest(CONFLICT) == local
    assert [d.decided_by for d in store.history(CONFLICT)] == ["ana", "carla"]


def test_unquoted_timestamps_keep_their_iso_text():
    text = f"""decisions:
- conflict_id: {CONFLICT}
  action: dismiss
  decided_by: ana
  decided_at: 2026-02-03T10:00:00.500000+00:00
  reason: duplicate
  fingerprint: fp-1
  claim_ids: {CLAIMS}
"""
    (parsed,) = parse_import(text, "d.yaml")
    assert parsed.decided_at == "2026-02-03T10:00:00.500000+00:00"


def test_import_reports_every_bad_row_with_its_line(store):
    good = yaml.safe_load(export_yaml([]))
    text = f"""format: reconcile-decisions/1
decisions:
- conflict_id: {CONFLICT}
  action: approve
  decided_by: ana
  decided_at: '2026-02-03T10:00:00+00:00'
  reason: ok
  fingerprint: fp-1
  claim_ids: {CLAIMS}
  chosen_value: 830000000000.0
- conflict_id: {CONFLICT}
  action: aprove
  decided_by: ana
  decided_at: '2026-02-03T10:00:00+00:00'
  reason: ''
  fingerprint: fp-1
  claim_ids: {CLAIMS}
- conflict_id: not-an-id
  action: dismiss
  decided_by: ben
  decided_at: yesterday
  reason: dup
  fingerprint: fp-1
  claim_ids: {CLAIMS}
  chosen_value: lots
"""
    assert good["decisions"] == []
    with pytest.raises(UserError) as error:
        parse_import(text, "d.yaml")
    message = str(error.value)
    assert "nothing was imported" in message
    for expected in ("d.yaml:12: action 'aprove'", "d.yaml:15: reason is missing or blank",
                     "d.yaml:18: conflict_id 'not-an-id'", "d.yaml:25: chosen_value must be a number",
                     "d.yaml:21: decided_at 'yesterday'"):
        assert expected in message
    assert nothing_written(store)


@pytest.mark.parametrize("text, message", [
    ("decisions: [\n", "not valid YAML"),
    ("- just a list\n", "no `decisions:` list"),
    ("format: other/9\ndecisions: []\n", "unknown format"),
])
def test_import_refuses_files_that_are_not_exports(text, message):
    with pytest.raises(UserError, match=message):
        parse_import(text, "d.yaml")
