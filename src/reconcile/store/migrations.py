"""The schema of each backend, as numbered migrations; `schema_version` records how far a database got.

Version N means the same tables on both backends, so `schema_version()` reads alike. SQLite keeps
its migrations exactly as they shipped (existing files upgrade unchanged); PostgreSQL gets the same
tables, with plpgsql trigger functions that RAISE for what SQLite's triggers ABORT.

1. decisions, append-only, with a unique natural key
2. SQLite only: REPLACE cannot swap a decision out (PostgreSQL has no REPLACE, and its
   `INSERT ... ON CONFLICT DO UPDATE` fires the update trigger, which refuses)
3. misreads, append-only
4. users (updated in place: disable, reset, role) and user_events (append-only: who did what, when)
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import Connection, inspect, text


def _sqlite_append_only(table: str, message: str) -> str:
    """Triggers that make `table` append-only on SQLite (REPLACE deletes without firing the delete trigger)."""
    return "\n".join(
        [f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}\n"
         f"    BEGIN SELECT RAISE(ABORT, '{message}'); END;" for event in ("UPDATE", "DELETE")]
        + [f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}\n"
           f"    WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)\n"
           f"    BEGIN SELECT RAISE(ABORT, '{message}'); END;"])


# Migrations 1 to 3 are as they shipped; existing databases were created by exactly these statements.
SQLITE: list[str] = [
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
    # REPLACE / INSERT OR REPLACE delete the row they collide with without firing the delete
    # trigger, so an insert that collides with an existing id or natural key is refused up front.
    """
    CREATE TRIGGER decisions_no_replace BEFORE INSERT ON decisions
        WHEN EXISTS (SELECT 1 FROM decisions WHERE id = NEW.id)
          OR EXISTS (SELECT 1 FROM decisions WHERE conflict_id = NEW.conflict_id AND action = NEW.action
                     AND decided_by = NEW.decided_by AND decided_at = NEW.decided_at
                     AND fingerprint = NEW.fingerprint)
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
    """,
    # A steward's word that a claim was misread: while its quote is unchanged it takes part in no conflict
    # and no golden value. Append-only like the decisions.
    """
    CREATE TABLE misreads (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        claim_id    TEXT NOT NULL,
        quote_hash  TEXT NOT NULL,
        quote       TEXT NOT NULL,
        decided_by  TEXT NOT NULL CHECK (length(trim(decided_by)) > 0),
        decided_at  TEXT NOT NULL,
        reason      TEXT NOT NULL CHECK (length(trim(reason)) > 0)
    );
    CREATE UNIQUE INDEX misreads_natural_key ON misreads (claim_id, quote_hash, decided_by, decided_at);
    CREATE TRIGGER misreads_no_update BEFORE UPDATE ON misreads
        BEGIN SELECT RAISE(ABORT, 'misreads are append-only'); END;
    CREATE TRIGGER misreads_no_delete BEFORE DELETE ON misreads
        BEGIN SELECT RAISE(ABORT, 'misreads are append-only'); END;
    CREATE TRIGGER misreads_no_replace BEFORE INSERT ON misreads
        WHEN EXISTS (SELECT 1 FROM misreads WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'misreads are append-only'); END;
    """,
    # Users are updated in place; a user is disabled, never deleted, so every name in the audit trail stays
    # someone's. Names are unique whatever their case: 'Ana' cannot sign in as a second 'ana'.
    """
    CREATE TABLE users (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
        role                TEXT NOT NULL CHECK (role IN ('viewer', 'steward', 'admin')),
        password_hash       TEXT NOT NULL CHECK (substr(password_hash, 1, 10) = '$argon2id$'),
        disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at          TEXT NOT NULL,
        password_changed_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX users_name ON users (lower(name));
    CREATE TRIGGER users_no_delete BEFORE DELETE ON users
        BEGIN SELECT RAISE(ABORT, 'users are disabled, never deleted'); END;
    CREATE TRIGGER users_no_replace BEFORE INSERT ON users
        WHEN EXISTS (SELECT 1 FROM users WHERE id = NEW.id OR lower(name) = lower(NEW.name))
        BEGIN SELECT RAISE(ABORT, 'users are disabled, never deleted'); END;
    CREATE TABLE user_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_name   TEXT NOT NULL,
        event       TEXT NOT NULL,
        detail      TEXT NOT NULL DEFAULT '',
        actor       TEXT NOT NULL CHECK (length(trim(actor)) > 0),
        at          TEXT NOT NULL
    );
    """ + _sqlite_append_only("user_events", "user events are append-only"),
]


def _refuse(table: str, message: str) -> list[str]:
    """Triggers that make `table` append-only on PostgreSQL (rows, and TRUNCATE, which skips row triggers)."""
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION reconcile_refuse('{message}')",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION reconcile_refuse('{message}')",
    ]


# One statement per string: a plpgsql body holds semicolons, and no statement holds a '%'
# (the driver would take it for a parameter).
POSTGRES: list[list[str]] = [
    [
        """
        CREATE OR REPLACE FUNCTION reconcile_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
        END
        $$
        """,
        """
        CREATE TABLE decisions (
            id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            conflict_id     TEXT NOT NULL,
            action          TEXT NOT NULL CHECK (action IN ('approve', 'dismiss', 'reopen')),
            decided_by      TEXT NOT NULL CHECK (length(trim(decided_by)) > 0),
            decided_at      TEXT NOT NULL,
            reason          TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            fingerprint     TEXT NOT NULL,
            claim_ids       TEXT NOT NULL,
            "values"        TEXT NOT NULL,
            chosen_claim_id TEXT,
            chosen_value    DOUBLE PRECISION,
            chosen_low      DOUBLE PRECISION,
            chosen_high     DOUBLE PRECISION,
            unit            TEXT,
            supersedes      BIGINT REFERENCES decisions(id)
        )
        """,
        "CREATE INDEX decisions_by_conflict ON decisions (conflict_id, id)",
        "CREATE UNIQUE INDEX decisions_natural_key ON decisions (conflict_id, action, decided_by, decided_at, "
        "fingerprint)",
        *_refuse("decisions", "decisions are append-only: record a new decision instead"),
    ],
    [],
    [
        """
        CREATE TABLE misreads (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            claim_id    TEXT NOT NULL,
            quote_hash  TEXT NOT NULL,
            quote       TEXT NOT NULL,
            decided_by  TEXT NOT NULL CHECK (length(trim(decided_by)) > 0),
            decided_at  TEXT NOT NULL,
            reason      TEXT NOT NULL CHECK (length(trim(reason)) > 0)
        )
        """,
        "CREATE UNIQUE INDEX misreads_natural_key ON misreads (claim_id, quote_hash, decided_by, decided_at)",
        *_refuse("misreads", "misreads are append-only"),
    ],
    [
        """
        CREATE TABLE users (
            id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
            role                TEXT NOT NULL CHECK (role IN ('viewer', 'steward', 'admin')),
            password_hash       TEXT NOT NULL CHECK (substr(password_hash, 1, 10) = '$argon2id$'),
            disabled            BOOLEAN NOT NULL DEFAULT FALSE,
            created_at          TEXT NOT NULL,
            password_changed_at TEXT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX users_name ON users (lower(name))",
        "CREATE TRIGGER users_no_delete BEFORE DELETE ON users "
        "FOR EACH ROW EXECUTE FUNCTION reconcile_refuse('users are disabled, never deleted')",
        "CREATE TRIGGER users_no_truncate BEFORE TRUNCATE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION reconcile_refuse('users are disabled, never deleted')",
        """
        CREATE TABLE user_events (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_name   TEXT NOT NULL,
            event       TEXT NOT NULL,
            detail      TEXT NOT NULL DEFAULT '',
            actor       TEXT NOT NULL CHECK (length(trim(actor)) > 0),
            at          TEXT NOT NULL
        )
        """,
        *_refuse("user_events", "user events are append-only"),
    ],
]

assert len(SQLITE) == len(POSTGRES), "a version means the same tables on both backends"
LATEST = len(SQLITE)


def steps(dialect: str) -> list[list[str]]:
    """Each migration of the backend as its list of statements."""
    if dialect == "sqlite":
        return [sqlite_statements(script) for script in SQLITE]
    return POSTGRES


def migrate(conn: Connection) -> int:
    """Bring the schema up to date inside the caller's (serialised) transaction; the version reached."""
    if not inspect(conn).has_table("schema_version"):
        conn.exec_driver_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    current = current_version(conn)
    for version, statements in enumerate(steps(conn.dialect.name)[current:], start=current + 1):
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.execute(text("INSERT INTO schema_version (version) VALUES (:version)"), {"version": version})
    return max(current, LATEST)


def current_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT max(version) FROM schema_version").scalar() or 0)


def sqlite_statements(script: str) -> list[str]:
    """Split a SQLite migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
