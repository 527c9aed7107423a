"""The database behind the decisions and the users: one SQLite file (the default) or one PostgreSQL database.

Named parts:
- `location`: `RECONCILE_DB_URL` → a `Database` (`open_database`), and a URL shown without its password;
- `sqlite`: the file store (0-byte file refused, file created atomically, `BEGIN IMMEDIATE` writers);
- `postgres`: the server store (writers serialised per database by a transaction-level advisory lock);
- `migrations`: each backend's numbered schema steps; `tables`: the tables as SQLAlchemy Core objects.

Every database fault becomes one `UserError` naming the file or the URL (never its password) and the fix.
"""
from __future__ import annotations

from .location import Database, dispose_engines, open_database, redact, sqlite_path

__all__ = ["Database", "dispose_engines", "open_database", "redact", "sqlite_path"]
