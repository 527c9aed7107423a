"""The server store: one PostgreSQL database, through SQLAlchemy Core and psycopg 3.

Writers are serialised per database by a transaction-level advisory lock, taken first in every
write transaction and released at its end: one writer at a time reads a conflict's latest decision
and appends the next, so the `supersedes` chain stays linear, as `BEGIN IMMEDIATE` keeps it on
SQLite. The schema is brought up to date under the same lock, once per process.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from ..errors import UserError
from .location import Database, engine_for, redact
from .migrations import migrate

# Advisory locks are per database, so one fixed key serialises this database's writers (b"reconcil").
WRITER_LOCK = int.from_bytes(b"reconcil", "big")
LOCK_WAIT = "30s"
CONNECT_TIMEOUT_S = 10

_MIGRATED: set[str] = set()      # URLs whose schema this process has brought up to date


class PostgresDatabase(Database):
    path = None

    def __init__(self, url: str):
        self.url = url
        self.label = redact(url)

    def exists(self) -> bool:
        return True

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        self._ensure_schema()
        with postgres_faults(self.label), self._engine().connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with postgres_faults(self.label), self._engine().begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})
            if self.url not in _MIGRATED:
                migrate(conn)
            yield conn
        _MIGRATED.add(self.url)

    def _ensure_schema(self) -> None:
        if self.url not in _MIGRATED:
            with self.writing():
                pass

    def _engine(self) -> Engine:
        return engine_for(self.url, lambda: create_engine(
            driver_url(self.url), pool_pre_ping=True, pool_size=5, max_overflow=10,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S}))


def driver_url(url: str) -> str:
    """postgresql:// and postgres:// → postgresql+psycopg:// (psycopg 3, not SQLAlchemy's default psycopg2)."""
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


# SQLSTATE classes and codes -> what it means, and the fix.
_CONNECT_HINT = ("check that the PostgreSQL server is running and reachable there, and that the user, password and "
                 "database in RECONCILE_DB_URL are right (create the database with `createdb`); or unset "
                 "RECONCILE_DB_URL to use SQLite under RECONCILE_HOME")
_FAULTS = {
    "55P03": ("the decisions database stayed locked by another writer for 30 s; nothing was recorded",
              "wait for the other command to finish, then run this one again"),
    "53100": ("the database server's disk is full; nothing was recorded",
              "free space on the server, then run the command again"),
    "25006": ("the decisions database is read-only here; nothing was recorded",
              "connect to the primary server, or as a user that may write"),
    "42501": ("the database user may not use the store's tables",
              "grant it the rights to create and use tables in that database, or connect as its owner"),
}


@contextmanager
def postgres_faults(label: str) -> Iterator[None]:
    """A connection or server fault becomes one line naming the URL (never its password) and the fix."""
    try:
        yield
    except DBAPIError as error:
        raise _fault(label, error) from None


def _fault(label: str, error: DBAPIError) -> UserError:
    code = getattr(error.orig, "sqlstate", None) or ""
    reason = _first_line(error.orig)
    if code in _FAULTS:
        message, hint = _FAULTS[code]
        return UserError(f"{label}: {message} ({reason})", hint=hint)
    if not code or code[:2] in ("08", "28") or code == "3D000":   # no connection, no login, no such database
        return UserError(f"cannot connect to the decisions database {label} ({reason})", hint=_CONNECT_HINT)
    return UserError(f"{label}: the decisions database failed ({reason})",
                     hint="run the command again; if it fails again, report this with the message")


def _first_line(error: BaseException | None) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else type(error).__name__
