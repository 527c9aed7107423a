"""Shared by the browser tests and docs/screenshots.py: the real `reconcile serve` in a subprocess on a free
loopback port, and Debian's Chromium driven by Playwright.

Browser downloads are impossible here, so Playwright never installs a browser (never run `playwright install`):
it launches the system's Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it the browser
tests are skipped, and fail when `CI` is set, the same policy as tests/pg.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from pg import free_port, skip_or_fail_under_ci

RECONCILE = str(Path(sys.executable).with_name("reconcile"))
CHROMIUM = Path(os.environ.get("RECONCILE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Test users only: the server re-hashes with its own (strong) parameters at the first sign-in.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium is not installed ({CHROMIUM} not found): apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]' (it drives the system's Chromium)"
    return None


def require_chromium() -> None:
    """Skip (or, under CI, fail) when Chromium or Playwright is missing."""
    why = chromium_missing()
    if why is not None:
        skip_or_fail_under_ci(why, "the console in a real browser (.ci/run installs chromium as root)")


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def home_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, RECONCILE_HOME=str(home))
    env.pop("RECONCILE_DB_URL", None)
    return env


def add_users(home: Path, roles: dict[str, str], password: str) -> None:
    """Users in the decisions store of `home`, as `reconcile users add` makes them (with a cheap hash)."""
    from reconcile.config import Settings
    from reconcile.users import UserStore

    store = UserStore(Settings.from_env({"RECONCILE_HOME": str(home)}).db_url, hasher=CHEAP_HASHER)
    for name, role in roles.items():
        store.add(name, role, password)


def reconcile(home: Path, *args: str, timeout: float = 600) -> str:
    """The real CLI on `home`; its output (the test fails with it when the command does)."""
    done = subprocess.run([RECONCILE, *args], env=home_env(home), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"reconcile {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


class ServedConsole:
    """`reconcile serve` on a free loopback port over `out` and `sources`, with RECONCILE_HOME=`home`."""

    def __init__(self, out: Path, sources: Path, home: Path, log: Path):
        self.out, self.sources, self.home, self.log = out, sources, home, log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedConsole:
        self.port = free_port()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [RECONCILE, "serve", "--out", str(self.out), "--sources", str(self.sources), "--port", str(self.port)],
                env=home_env(self.home), stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_up(timeout=60)
        return self

    def _wait_until_up(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"reconcile serve exited ({self.process.returncode}):\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/signin", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"reconcile serve did not answer on {self.url} within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def sign_in(page: Any, base: str, name: str, password: str) -> None:
    """Sign in through the form, as a person does."""
    page.goto(f"{base}/signin")
    page.fill("#signin-username", name)
    page.fill("#signin-password", password)
    with page.expect_navigation():
        page.click("#signin-button")

