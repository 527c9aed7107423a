"""Where the store lives: `RECONCILE_DB_URL` → a `Database` of the right backend.

`sqlite:///relative/path` or `sqlite:////absolute/path` (or a plain `Path`): one SQLite file.
`postgresql://user:password@host:port/database` (also `postgres://` and `postgresql+psycopg://`):
a PostgreSQL database, through SQLAlchemy Core and the psycopg 3 driver.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..errors import UserError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_URL_HINT = ("use sqlite:///path/to/decisions.db or postgresql://user:password@host:5432/database, "
             "or unset it to use RECONCILE_HOME/decisions.db")


class Database(ABC):
    """One store's database: connections for reading, and serialised transactions for writing."""

    url: str          # as the user gave it (a SQLite path becomes sqlite:///<path>)
    label: str        # how messages name it: the file, or the URL without its password
    path: Path | None  # the SQLite file; None on a server

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is anything to read (a SQLite file that is not there yet holds nothing)."""

    @abstractmethod
    def reading(self) -> AbstractContextManager[Connection]:
        """A connection for reads; faults become `UserError`s."""

    @abstractmethod
    def writing(self) -> AbstractContextManager[Connection]:
        """A transaction that no other writer of this database runs beside, on an up-to-date schema.

        It commits when the block ends and rolls back when it raises.
        """

    @staticmethod
    def has_table(conn: Connection, name: str) -> bool:
        return inspect(conn).has_table(name)


def open_database(location: str | Path) -> Database:
    """The database at `location`: a SQLite file path, or a `sqlite:` or `postgresql:` URL."""
    from .postgres import PostgresDatabase
    from .sqlite import SQLiteDatabase

    if isinstance(location, Path):
        return SQLiteDatabase(location)
    if location.startswith("sqlite:"):
        return SQLiteDatabase(sqlite_path(location))
    if location.split("://", 1)[0] in POSTGRES_SCHEMES and "://" in location:
        return PostgresDatabase(location)
    raise UserError(f"RECONCILE_DB_URL={redact(location)!r} is not supported: only SQLite and PostgreSQL are",
                    hint=_URL_HINT)


def sqlite_path(db_url: str) -> Path:
    """`sqlite:///rel/path` or `sqlite:////abs/path` → the file path."""
    if not db_url.startswith(SQLITE_PREFIX) or len(db_url) == len(SQLITE_PREFIX):
        raise UserError(f"RECONCILE_DB_URL={redact(db_url)!r} is not a SQLite URL with a file path", hint=_URL_HINT)
    return Path(db_url[len(SQLITE_PREFIX):])


def redact(url: str) -> str:
    """The URL with its password shown as ***, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else url


# Engines are kept per process: a forked child must not share its parent's pooled sockets.
_ENGINES: dict[tuple[int, str], Engine] = {}


def engine_for(key: str, factory: Callable[[], Engine]) -> Engine:
    """One engine per process and key (made by `factory` on first use)."""
    slot = (os.getpid(), key)
    if slot not in _ENGINES:
        _ENGINES[slot] = factory()
    return _ENGINES[slot]


def dispose_engines() -> None:
    """Close every pooled connection of this process (a server that stops, a test that drops its database)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _forget_engines_after_fork() -> None:
    for engine in _ENGINES.values():
        engine.dispose(close=False)    # the parent still uses these connections: leave them open
    _ENGINES.clear()


os.register_at_fork(after_in_child=_forget_engines_after_fork)

