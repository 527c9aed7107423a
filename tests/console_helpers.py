"""Shared by the console tests: a real run of the bundled sources, users, a signed-in TestClient."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
RECONCILE = str(Path(sys.executable).with_name("reconcile"))
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SEEN = re.compile(r'name="seen" value="([^"]*)"')


def real_run(sources: Path, out: Path, home: Path) -> Path:
    """`reconcile run` as a steward runs it, into `out`, with its own RECONCILE_HOME."""
    env = dict(os.environ, RECONCILE_HOME=str(home))
    env.pop("RECONCILE_DB_URL", None)
    done = subprocess.run([RECONCILE, "run", "--sources", str(sources), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def user_store():
    from reconcile.users import UserStore
    return UserStore.from_settings()


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD, *, expect: int = 303):
    token = csrf_of(client.get("/signin").text)
    response = client.post("/signin", data={"username": name, "password": password, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == expect, (response.status_code, response.text[:500])
    return response
