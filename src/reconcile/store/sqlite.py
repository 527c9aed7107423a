"""The embedded store: one SQLite file.

Reading a file that does not exist yet returns nothing and creates nothing; the file is created on
the first write, with its whole schema, under a temporary name that is then linked into place, so a
0-byte file is always damage (and refused), never a first writer that has not committed yet.
Writers take `BEGIN IMMEDIATE`, which serialises them on the file; a lock held for 30 s is a fault.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from ..errors import UserError
from .location import SQLITE_PREFIX, Database, engine_for
from .migrations import migrate


class SQLiteDatabase(Database):
    def __init__(self, path: Path):
        self.file = Path(path)
        self.path = self.file
        self.url = f"{SQLITE_PREFIX}{self.file}"
        self.label = str(self.file)

    def exists(self) -> bool:
        return self.file.exists()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with sqlite_faults(self.file):
            self._refuse_empty_file()
            with _engine(self.file).connect() as conn:
                yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with sqlite_faults(self.file):
            self._refuse_empty_file()
            if not self.file.exists():
                self._make_home()
                self._create()
            with _engine(self.file).connect() as conn, _immediate(conn):
                migrate(conn)
                yield conn

    def _create(self) -> None:
        """Create the database with its schema under a temporary name, then link it into place."""
        scratch = self.file.with_name(f".{self.file.name}.{os.getpid()}.new")
        engine = _new_engine(scratch)
        try:
            with engine.connect() as conn, _immediate(conn):
                migrate(conn)
            os.link(scratch, self.file)
        except FileExistsError:
            pass                              # another writer created it first: use theirs
        finally:
            engine.dispose()
            scratch.unlink(missing_ok=True)

    def _refuse_empty_file(self) -> None:
        # SQLite would take a 0-byte file for a new database, and every decided conflict would reopen.
        if self.file.is_file() and self.file.stat().st_size == 0:
            raise UserError("the decisions database is empty (0 bytes): the decisions it held are gone", file=self.file,
                            hint="restore it from a backup, or import your last export with `reconcile decisions "
                                 "import FILE`; delete it only if it never held decisions")

    def _make_home(self) -> None:
        folder = self.file.parent
        if folder.exists() and not folder.is_dir():
            raise UserError("RECONCILE_HOME is not a folder (it is a file)", file=folder,
                            hint="point RECONCILE_HOME (or RECONCILE_DB_URL) at a folder, or move the file away")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(f"cannot create the folder for the decisions database ({error.strerror})", file=folder,
                            hint="create it, or point RECONCILE_HOME at a writable folder") from None
        if not os.access(folder, os.W_OK | os.X_OK) and not self.file.exists():
            raise UserError("RECONCILE_HOME is not writable, so no decisions database can be created there",
                            file=folder, hint="make the folder writable, or point RECONCILE_HOME at a writable folder")


def _engine(path: Path) -> Engine:
    return engine_for(f"sqlite:{path}", lambda: _new_engine(path))


def _new_engine(path: Path) -> Engine:
    # No pool: each use opens and closes the file, as a command does. isolation_level=None: the store
    # issues BEGIN itself, so the lock mode is explicit, and ends each transaction itself, so nothing is
    # reset on return (a connection a fault closed would fail that). `sqlite3.connect` is looked up at each call.
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    return create_engine("sqlite://", creator=connect, poolclass=NullPool, pool_reset_on_return=None)


@contextmanager
def _immediate(conn: Connection) -> Iterator[None]:
    """A write transaction that locks the file at once: two first-time writers must not both create tables."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()     # a no-op when SQLite already rolled back (a full disk), so the real error shows
        raise
    conn.commit()


@contextmanager
def sqlite_faults(path: Path) -> Iterator[None]:
    """A fault of the database file becomes one line naming the file and the fix; nothing is repaired silently."""
    try:
        yield
    except DBAPIError as error:
        if isinstance(error.orig, sqlite3.Error):
            raise _fault(path, error.orig) from None
        raise
    except sqlite3.Error as error:
        raise _fault(path, error) from None
    except OSError as error:
        raise UserError(f"cannot use the decisions database ({error.strerror or error})", file=path,
                        hint="check that the file and its folder exist and are readable and writable") from None


# SQLite's message for a fault -> what it means for the steward, and the fix.
_FAULTS = [
    (("full",), "the disk is full (database or disk is full); nothing was recorded",
     "free space on the disk that holds it, then run the command again"),
    (("readonly", "read-only"), "the decisions database is read-only; nothing was recorded",
     "make it and its folder writable by you, or decide from an account that can write it"),
    (("unable to open",), "the decisions database cannot be opened",
     "check that its folder exists and that you may read and write there"),
    (("locked", "busy"), "the decisions database stayed locked by another process for 30 s",
     "wait for the other command to finish, then run this one again"),
]


def _fault(path: Path, error: sqlite3.Error) -> UserError:
    text = str(error)
    for needles, message, hint in _FAULTS:
        if any(needle in text for needle in needles):
            return UserError(message, file=path, hint=hint)
    if isinstance(error, sqlite3.DatabaseError):
        return UserError(f"the decisions database is damaged ({text}); reconcile left it as it is", file=path,
                         hint="restore it from a backup (or import your last `reconcile decisions export`) into a "
                              f"new file; `sqlite3 {path} .recover` may save what it still holds")
    return UserError(f"the decisions database failed ({text})", file=path,
                     hint="run the command again; if it fails again, keep a copy of the file and report this")
