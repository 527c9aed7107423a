"""`reconcile users` for real (CliRunner and a subprocess), on SQLite and PostgreSQL; store faults on a server."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pg import free_port
from reconcile.cli import app
from reconcile.users import UserStore

RECONCILE = shutil.which("reconcile") or str(Path(sys.executable).parent / "reconcile")
SECRET = "correct horse battery"


@pytest.fixture
def env_db(db_url, monkeypatch) -> str:
    monkeypatch.setenv("RECONCILE_DB_URL", db_url)
    return db_url


def cli(*args: str, stdin: str | None = None):
    return CliRunner().invoke(app, list(args), input=stdin)


def ok(*args: str, stdin: str | None = None):
    result = cli(*args, stdin=stdin)
    assert result.exit_code == 0, result.output
    return result


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    return lines[0]


def test_users_add_list_disable_enable_reset_role(env_db):
    assert "No users yet" in ok("users", "list").stdout
    assert "Added ana as admin" in ok("users", "add", "ana", "--role", "admin", stdin=SECRET + "\n").stdout
    ok("users", "add", "ben", "--role", "steward", stdin="ben's passphrase\n")
    ok("users", "disable", "ben")
    listing = ok("users", "list").stdout
    assert [line.split()[1:4] for line in listing.splitlines() if " ana " in line or " ben " in line] == \
        [["ana", "│", "admin"], ["ben", "│", "steward"]]
    assert "│ no " in listing and "│ yes " in listing
    ok("users", "enable", "ben")
    assert "ben is now viewer" in ok("users", "role", "ben", "--role", "viewer").stdout
    ok("users", "reset", "ben", stdin="a fresh passphrase\n")
    users = UserStore(env_db)
    assert users.authenticate("ben", "a fresh passphrase").role == "viewer"
    assert users.authenticate("ben", "ben's passphrase") is None
    assert [(e.event, e.actor.startswith("cli")) for e in users.events("ben")] == \
        [("added", True), ("disabled", True), ("enabled", True), ("role changed", True), ("password reset", True)]


@pytest.mark.parametrize("args, stdin, message", [
    (("users", "add", "ana", "--role", "admin"), "short\n", "too short"),
    (("users", "add", "ana", "--role", "admin"), "", "no password given on stdin"),
    (("users", "add", "ana lima", "--role", "admin"), SECRET + "\n", "user name 'ana lima' is not allowed"),
    (("users", "disable", "nobody"), None, "no user named 'nobody'"),
    (("users", "reset", "nobody"), SECRET + "\n", "no user named 'nobody'"),
])
def test_users_mistakes_are_one_line_and_change_nothing(env_db, args, stdin, message):
    line = one_error_line(cli(*args, stdin=stdin))
    assert message in line and "Fix: " in line and "short\n" not in line
    assert UserStore(env_db).list() == []


def test_users_role_choices_are_checked_by_the_cli(env_db):
    result = cli("users", "add", "ana", "--role", "root", stdin=SECRET + "\n")
    assert result.exit_code == 2 and "root" in result.output
    assert UserStore(env_db).list() == []


def test_users_add_in_a_real_process_reads_the_password_from_stdin(postgres_server, tmp_path):
    url = postgres_server.fresh_database()
    env = {**os.environ, "RECONCILE_DB_URL": url, "RECONCILE_HOME": str(tmp_path)}
    done = subprocess.run([RECONCILE, "users", "add", "ana", "--role", "steward"], input=SECRET + "\n",
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and "Added ana as steward" in done.stdout, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert UserStore(url).authenticate("ana", SECRET).role == "steward"


def test_an_unreachable_server_is_one_line_without_the_password(monkeypatch):
    url = f"postgresql://steward:s3cret@127.0.0.1:{free_port()}/reconcile"
    monkeypatch.setenv("RECONCILE_DB_URL", url)
    for args in (("users", "list"), ("history",), ("decisions", "export", "-")):
        line = one_error_line(cli(*args))
        assert "cannot connect to the decisions database postgresql://steward:***@127.0.0.1:" in line, line
        assert "s3cret" not in line and "Fix: " in line and "RECONCILE_DB_URL" in line


def test_a_missing_database_on_the_server_names_it(postgres_server, monkeypatch):
    monkeypatch.setenv("RECONCILE_DB_URL", postgres_server.url("no_such_db"))
    line = one_error_line(cli("users", "list"))
    assert 'database "no_such_db" does not exist' in line and "createdb" in line
