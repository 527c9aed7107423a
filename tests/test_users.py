"""Users of the steward console, on SQLite and on a real PostgreSQL: roles, argon2id hashes, disable/reset."""
from __future__ import annotations

import sqlite3

import psycopg
import pytest
from argon2 import PasswordHasher

from reconcile.decisions import DecisionStore
from reconcile.errors import UserError
from reconcile.store.migrations import LATEST, SQLITE, sqlite_statements
from reconcile.users import UserStore

# Cheap parameters keep the tests fast; one test checks the real defaults.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRET = "correct horse battery"


class CountingHasher(PasswordHasher):
    """Counts verifications, so a test sees that an unknown name costs one too."""

    verified = 0

    def verify(self, hash, password):
        CountingHasher.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def users(db_url) -> UserStore:
    return UserStore(db_url, hasher=FAST)


def raw_rows(store: UserStore, sql: str) -> list[tuple]:
    if store.db.path is not None:
        with sqlite3.connect(store.db.path) as conn:
            return conn.execute(sql).fetchall()
    with psycopg.connect(store.db.url) as conn:
        return conn.execute(sql).fetchall()


def test_add_then_authenticate_by_name_in_any_case(users):
    added = users.add("ana.lima", "steward", SECRET)
    assert (added.name, added.role, added.disabled) == ("ana.lima", "steward", False)
    assert added.created_at == added.password_changed_at and added.created_at.endswith("+00:00")
    assert users.authenticate("ana.lima", SECRET) == added
    assert users.authenticate("Ana.Lima", SECRET) == added
    assert users.authenticate("ana.lima", SECRET + "x") is None
    assert users.authenticate("nobody", SECRET) is None
    assert users.get("ANA.LIMA") == added and users.get("nobody") is None
    assert users.list() == [added] and users.count() == 1


def test_only_an_argon2id_hash_is_stored(users):
    users.add("ana", "admin", SECRET)
    ((hashed,),) = raw_rows(users, "SELECT password_hash FROM users")
    assert hashed.startswith("$argon2id$") and SECRET not in hashed
    for table in ("users", "user_events"):
        assert SECRET not in repr(raw_rows(users, f"SELECT * FROM {table}"))


def test_the_default_hasher_is_argon2id_with_rfc_9106_parameters(tmp_path):
    store = UserStore(tmp_path / "d.db")
    store.add("ana", "viewer", SECRET)
    ((hashed,),) = raw_rows(store, "SELECT password_hash FROM users")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert store.authenticate("ana", SECRET) is not None


def test_disabled_user_cannot_sign_in_until_enabled(users):
    users.add("ana", "admin", SECRET)
    users.add("ben", "steward", SECRET)
    assert users.disable("ben", by="ana").disabled
    assert users.authenticate("ben", SECRET) is None
    assert (users.count(), users.count(enabled_only=False)) == (1, 2)
    assert not users.enable("ben", by="ana").disabled
    assert users.authenticate("ben", SECRET) is not None


def test_reset_password_moves_password_changed_at_and_only_the_new_one_works(users):
    before = users.add("ana", "steward", SECRET)
    after = users.reset_password("ana", "a whole new passphrase", by="root")
    assert after.password_changed_at > before.password_changed_at and after.created_at == before.created_at
    assert users.authenticate("ana", SECRET) is None
    assert users.authenticate("ana", "a whole new passphrase") == after


def test_every_change_is_in_the_append_only_trail(users):
    users.add("ana", "admin", SECRET, by="cli:root")
    users.add("ben", "steward", SECRET, by="ana")
    users.set_role("ben", "viewer", by="ana")
    users.set_role("ben", "viewer", by="ana")           # no change, no event
    users.disable("ben", by="ana")
    users.reset_password("ben", "another passphrase")
    trail = [(e.user_name, e.event, e.detail, e.actor) for e in users.events()]
    assert trail == [("ana", "added", "role admin", "cli:root"), ("ben", "added", "role steward", "ana"),
                     ("ben", "role changed", "steward -> viewer", "ana"), ("ben", "disabled", "", "ana"),
                     ("ben", "password reset", "", "system")]
    assert [e.event for e in users.events("BEN")] == ["added", "role changed", "disabled", "password reset"]
    refused = (sqlite3.IntegrityError, psycopg.IntegrityError)
    for statement in ("UPDATE user_events SET actor = 'mallory'", "DELETE FROM user_events", "DELETE FROM users"):
        with pytest.raises(refused, match="append-only|never deleted"):
            raw_rows(users, statement)
    assert len(users.events()) == 5 and users.count(enabled_only=False) == 2


@pytest.mark.parametrize("name, role, password, message", [
    ("ana lima", "steward", SECRET, "user name 'ana lima' is not allowed"),
    ("", "steward", SECRET, "user name '' is not allowed"),
    ("a" * 65, "steward", SECRET, "is not allowed"),
    ("ana<script>", "steward", SECRET, "is not allowed"),
    ("ana", "root", SECRET, "role 'root' is not one of viewer|steward|admin"),
    ("ana", "steward", "short pw", r"too short \(8 characters\)"),
    ("ana", "steward", "x" * 1025, "longer than 1024"),
    ("carla.lopes", "steward", "Carla.Lopes", "is the user's name"),
])
def test_bad_users_are_refused_and_nothing_is_written(users, name, role, password, message):
    with pytest.raises(UserError, match=message) as refused:
        users.add(name, role, password)
    assert password not in str(refused.value) or password == name
    assert users.list() == [] and users.events() == []


def test_a_name_is_taken_whatever_its_case(users):
    users.add("ana", "steward", SECRET)
    with pytest.raises(UserError, match="user 'ana' exists already"):
        users.add("ANA", "admin", SECRET)
    with pytest.raises(UserError, match="no user named 'ben'"):
        users.disable("ben")
    with pytest.raises(UserError, match="role 'boss'"):
        users.set_role("ana", "boss")
    assert [u.role for u in users.list()] == ["steward"]


def test_unknown_and_disabled_names_cost_a_hash_check_too(db_url):
    users = UserStore(db_url, hasher=CountingHasher(time_cost=1, memory_cost=8, parallelism=1))
    users.add("ana", "steward", SECRET)
    users.add("ben", "steward", SECRET)
    users.disable("ben")
    CountingHasher.verified = 0
    for name in ("ana", "nobody", "ben"):
        users.authenticate(name, SECRET)
    assert CountingHasher.verified == 3


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(db_url):
    UserStore(db_url, hasher=FAST).add("ana", "steward", SECRET)
    stronger = UserStore(db_url, hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert stronger.authenticate("ana", SECRET) is not None
    ((hashed,),) = raw_rows(stronger, "SELECT password_hash FROM users")
    assert "$m=16,t=2,p=1$" in hashed
    assert stronger.authenticate("ana", SECRET) is not None
    assert stronger.get("ana").password_changed_at == stronger.get("ana").created_at   # not a reset


def test_reading_users_of_a_missing_sqlite_store_creates_nothing(tmp_path):
    users = UserStore(f"sqlite:///{tmp_path / 'home' / 'decisions.db'}", hasher=FAST)
    assert users.list() == [] and users.count() == 0 and users.get("ana") is None
    assert users.authenticate("ana", SECRET) is None
    assert not (tmp_path / "home").exists()


def test_a_store_from_before_users_upgrades_and_keeps_its_decisions(tmp_path):
    path = tmp_path / "decisions.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for version, script in enumerate(SQLITE[:3], start=1):
            for statement in sqlite_statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("INSERT INTO decisions (conflict_id, action, decided_by, decided_at, reason, fingerprint, "
                     "claim_ids, \"values\") VALUES ('k-0123456789ab', 'dismiss', 'ana', "
                     "'2026-02-03T10:00:00+00:00', 'duplicate', 'fp', 'c-00000000000a', '{}')")
    users = UserStore(path, hasher=FAST)
    assert users.list() == [] and users.authenticate("ana", SECRET) is None     # reading changes nothing
    assert raw_rows(users, "SELECT max(version) FROM schema_version") == [(3,)]
    users.add("ana", "admin", SECRET)
    decisions = DecisionStore(path)
    assert decisions.schema_version() == LATEST == 4
    assert [d.reason for d in decisions.history()] == ["duplicate"]
    assert users.authenticate("ana", SECRET) is not None
