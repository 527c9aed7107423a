"""The people who may sign in to the steward console: a name, a role, and a password kept only as a hash.

Users live in the same database as the decisions (`RECONCILE_DB_URL`, SQLite or PostgreSQL; see
`reconcile.store`). Roles: a *viewer* reads, a *steward* also decides, an *admin* also manages users.
A user is disabled, never deleted, so every name in the audit trail stays someone's; names are
unique whatever their case. The users table is updated in place (disable, reset, role); each change
is also appended to `user_events` (who did what to whom, and when), which is append-only.

Passwords: only argon2id hashes (argon2-cffi's `PasswordHasher`, its RFC 9106 low-memory profile)
are stored. `authenticate` verifies a dummy hash for an unknown or disabled name, so the time it takes
does not tell whether a name exists, and rehashes a password whose hash has older parameters.
`password_changed_at` moves on every reset, so the console can end the sessions begun before it.
"""
from __future__ import annotations

import builtins
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, select, update

from .config import Settings
from .decisions import utc_now
from .errors import UserError
from .store import open_database
from .store.tables import user_events, users

ROLES = ("viewer", "steward", "admin")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024          # far above a passphrase; keeps one request from hashing megabytes
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
SYSTEM = "system"            # the actor of a change when the caller names nobody

T = TypeVar("T")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool
    created_at: str
    password_changed_at: str


@dataclass(frozen=True)
class UserEvent:
    user_name: str
    event: str        # added | disabled | enabled | password reset | role changed
    detail: str
    actor: str        # who did it: the signed-in admin, or cli:<account> for `reconcile users`
    at: str


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UserError(f"user name {name!r} is not allowed",
                        hint="use 1 to 64 characters: letters, digits and . _ - @ (for example ana.lima)")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {'|'.join(ROLES)}",
                        hint="a viewer reads, a steward also decides, an admin also manages users")
    return role


def check_password(password: str, name: str) -> str:
    """A password good enough to set (it is never echoed in a message)."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short ({len(password)} characters); nothing was changed",
                        hint=f"use at least {MIN_PASSWORD} characters, e.g. a passphrase of four words")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password is longer than {MAX_PASSWORD} characters; nothing was changed",
                        hint="use a shorter passphrase")
    if password.strip().lower() == name.lower():
        raise UserError("the password is the user's name; nothing was changed", hint="choose a password others "
                        "cannot guess")
    return password


class UserStore:
    """Users in the store's database. `db_url` follows the same rules as `DecisionStore`'s."""

    def __init__(self, db_url: str | Path, *, hasher: PasswordHasher | None = None):
        self.db = open_database(db_url)
        self.hasher = hasher or PasswordHasher()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> UserStore:
        settings = settings or Settings.from_env()
        return cls(settings.db_url)

    # -- reads ---------------------------------------------------------------------------

    def get(self, name: str) -> User | None:
        row = self._get_row(name)
        return _user(row) if row is not None else None

    def list(self) -> list[User]:
        rows: Sequence[Any] = self._read(
            lambda conn: conn.execute(select(users).order_by(func.lower(users.c.name))).all(), [])
        return [_user(row) for row in rows]

    def count(self, *, enabled_only: bool = True) -> int:
        query = select(func.count()).select_from(users)
        if enabled_only:
            query = query.where(users.c.disabled.is_(False))
        return int(self._read(lambda conn: conn.execute(query).scalar_one(), 0))

    def events(self, name: str | None = None) -> builtins.list[UserEvent]:   # `list` is the method above
        """The user-management trail, oldest first; only one user's when `name` is given."""
        query = select(user_events).order_by(user_events.c.id)
        if name is not None:
            query = query.where(func.lower(user_events.c.user_name) == name.lower())
        rows: Sequence[Any] = self._read(lambda conn: conn.execute(query).all(), [])
        return [UserEvent(r.user_name, r.event, r.detail, r.actor, r.at) for r in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the name and password match an enabled user; None otherwise, in about the same time."""
        row = self._get_row(name)
        if row is None or row.disabled:
            self._verify(_dummy_hash(self.hasher), password)
            return None
        if not self._verify(row.password_hash, password):
            return None
        if self.hasher.check_needs_rehash(row.password_hash):
            self._rehash(row, password)
        return _user(row)

    # -- changes -------------------------------------------------------------------------

    def check_new(self, name: str, role: str) -> None:
        """Refuse a name or role `add` would refuse, before anyone is asked for a password."""
        check_name(name)
        check_role(role)
        existing = self._get_row(name)
        if existing is not None:
            raise _exists(existing.name)

    def add(self, name: str, role: str, password: str, *, by: str | None = None) -> User:
        check_name(name)
        check_role(role)
        hashed = self.hasher.hash(check_password(password, name))   # before the lock: hashing takes a while
        now = utc_now()
        with self.db.writing() as conn:
            existing = _row(conn, name)
            if existing is not None:
                raise _exists(existing.name)
            conn.execute(insert(users).values(name=name, role=role, password_hash=hashed, disabled=False,
                                              created_at=now, password_changed_at=now))
            _event(conn, name, "added", f"role {role}", by)
        return User(name, role, False, now, now)

    def disable(self, name: str, *, by: str | None = None) -> User:
        return self._change(name, by, lambda user: ({"disabled": True}, "disabled", "") if not user.disabled
                            else None)

    def enable(self, name: str, *, by: str | None = None) -> User:
        return self._change(name, by, lambda user: ({"disabled": False}, "enabled", "") if user.disabled else None)

    def reset_password(self, name: str, password: str, *, by: str | None = None) -> User:
        hashed = self.hasher.hash(check_password(password, name))
        return self._change(name, by, lambda user: (
            {"password_hash": hashed, "password_changed_at": utc_now()}, "password reset", ""))

    def set_role(self, name: str, role: str, *, by: str | None = None) -> User:
        check_role(role)
        return self._change(name, by, lambda user: ({"role": role}, "role changed", f"{user.role} -> {role}")
                            if user.role != role else None)

    # -- helpers ---------------------------------------------------------------------------

    def _get_row(self, name: str) -> Any:
        """The user's row, with its hash; None for an unknown name."""
        return self._read(lambda conn: _row(conn, name), None)

    def _read(self, query: Callable[[Connection], T], empty: T) -> T:
        """`query` on the database; `empty` while there is none, or no users table yet (an older store)."""
        if not self.db.exists():
            return empty
        with self.db.reading() as conn:
            return query(conn) if self.db.has_table(conn, "users") else empty

    def _change(self, name: str, by: str | None,
                change: Callable[[Any], tuple[dict[str, Any], str, str] | None]) -> User:
        """Apply `change(row)` → (new values, event, detail) to the user, or nothing when it returns None."""
        with self.db.writing() as conn:
            row = _row(conn, name)
            if row is None:
                raise UserError(f"no user named {name!r}", hint="list the users with `reconcile users list`")
            planned = change(row)
            if planned is not None:
                values, event, detail = planned
                conn.execute(update(users).where(users.c.id == row.id).values(**values))
                _event(conn, row.name, event, detail, by)
            row = _row(conn, name)
        return _user(row)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def _rehash(self, row: Any, password: str) -> None:
        # Only if the hash is still the one verified: a reset meanwhile wins.
        with self.db.writing() as conn:
            conn.execute(update(users).where(users.c.id == row.id, users.c.password_hash == row.password_hash)
                         .values(password_hash=self.hasher.hash(password)))


def _exists(name: str) -> UserError:
    return UserError(f"user {name!r} exists already",
                     hint="choose another name, or set its password with `reconcile users reset NAME`")


def _row(conn: Connection, name: str) -> Any:
    return conn.execute(select(users).where(func.lower(users.c.name) == name.lower())).first()


def _user(row: Any) -> User:
    return User(row.name, row.role, bool(row.disabled), row.created_at, row.password_changed_at)


def _event(conn: Connection, name: str, event: str, detail: str, by: str | None) -> None:
    conn.execute(insert(user_events).values(user_name=name, event=event, detail=detail,
                                            actor=(by or "").strip() or SYSTEM, at=utc_now()))


# One dummy hash per set of hasher parameters, made once: verifying it costs what a real check costs.
_DUMMIES: dict[tuple[int, int, int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len)
    if key not in _DUMMIES:
        _DUMMIES[key] = hasher.hash(secrets.token_urlsafe(18))
    return _DUMMIES[key]
