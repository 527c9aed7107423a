"""A real PostgreSQL server for the tests: Debian's PostgreSQL 15, started once per session.

`PostgresServer.start()` runs initdb in a temporary data directory and starts the server on a
free loopback port (TCP on 127.0.0.1 only, its socket in that directory), so it neither depends
on nor collides with a cluster the Debian package may have started on 5432. `fresh_database()`
creates an empty database from a template and returns its URL. As root, initdb refuses to run:
the binaries then run as the `postgres` system user, which owns the temporary directory.

Without PostgreSQL installed the tests that need it are skipped, and fail when `CI` is set.
"""
from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

BIN = Path(os.environ.get("RECONCILE_PG_BIN", "/usr/lib/postgresql/15/bin"))
TEMPLATE = "reconcile_template"
# Speed over durability: the data directory is thrown away at the end of the session.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100"


def skip_or_fail_under_ci(why: str, ci_must: str) -> None:
    """A system package a test needs is missing: skip here, but fail under CI, which must test `ci_must`."""
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI must test {ci_must}", pytrace=False)
    pytest.skip(why)


def require_postgres() -> None:
    """Skip (or, under CI, fail) when PostgreSQL 15 is not installed."""
    if (BIN / "initdb").is_file() and (BIN / "pg_ctl").is_file():
        return
    skip_or_fail_under_ci(f"PostgreSQL 15 is not installed ({BIN}/initdb not found): apt-get install postgresql",
                          "the PostgreSQL store (.ci/run installs it as root)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="reconcile-pg-"))
        self.data = self.dir / "data"
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count(1)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=self.dir)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    def start(self) -> PostgresServer:
        if self._as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        for attempt in range(5):          # another process may take the free port before the server does
            self.port = free_port()
            options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} {FAST}"
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", options,
                          "-w", "-t", "30", "start")
                break
            except RuntimeError:
                if attempt == 4:
                    raise RuntimeError(f"PostgreSQL did not start:\n{self.log()}") from None
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        return self

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)   # type: ignore[arg-type]

    def fresh_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
