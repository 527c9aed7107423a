"""The console's guards: who is signed in, CSRF tokens, sign-in rate limits, security headers, the session key.

- Sessions: Starlette's SessionMiddleware (a signed cookie, HttpOnly, SameSite=Strict, 8 h). The cookie holds
  the user name, the sign-in time and the CSRF token. Every request looks the user up again: a disabled user,
  a deleted one, or one whose password changed after the sign-in is signed out.
- CSRF: one random token per session, in every form; every POST without it gets 403 (`checked_form`).
- Rate limit: failed sign-ins are counted per client address and per user name; 5 within 5 minutes
  and further attempts get 429 with Retry-After until the oldest failure leaves the window.
- Headers: a strict Content-Security-Policy (no inline script or style, nothing from another origin, no
  framing) and its companions on every response, errors and static files included.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import UserError
from ..users import User, UserStore

SESSION_MAX_AGE = 8 * 3600
SESSION_COOKIE = "reconcile_session"
SECRET_FILE = "console-secret"
ROLE_RANK = {"viewer": 0, "steward": 1, "admin": 2}

SECURITY_HEADERS = (
    ("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)


# -- the session key -----------------------------------------------------------------------------

def session_secret(home: Path, env: dict[str, str] | None = None) -> str:
    """RECONCILE_SECRET_KEY, else a random key generated once and kept (mode 0600) under RECONCILE_HOME."""
    env = dict(os.environ if env is None else env)
    if env.get("RECONCILE_SECRET_KEY", "").strip():
        return env["RECONCILE_SECRET_KEY"].strip()
    path = Path(home) / SECRET_FILE
    try:
        Path(home).mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as error:
        raise UserError(f"cannot keep the console's session key under RECONCILE_HOME ({error.strerror})", file=path,
                        hint="make RECONCILE_HOME writable, or set RECONCILE_SECRET_KEY") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        raise UserError("the console's session key is readable by other users", file=path,
                        hint=f"chmod 600 {path} (or delete it: a new one signs everybody out)")
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise UserError("the console's session key is too short", file=path,
                        hint="delete the file: a new key is generated on the next start")
    return secret


# -- who is signed in ----------------------------------------------------------------------------

def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _instant(text: Any) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def sign_in(request: Request, user: User) -> None:
    """A fresh session for `user` (a new CSRF token too: nothing from before the sign-in carries over)."""
    request.session.clear()
    request.session.update(user=user.name, since=utc_now(), csrf=secrets.token_urlsafe(32))


def current_user(request: Request, users: UserStore) -> User | None:
    """The signed-in user, or None; a session of a disabled user, or older than their password, ends here."""
    name, since = request.session.get("user"), _instant(request.session.get("since"))
    if not name:
        return None
    user = users.get(str(name))
    changed = _instant(user.password_changed_at) if user is not None else None
    if since is None or user is None or user.disabled or (time.time() - since.timestamp()) > SESSION_MAX_AGE \
            or (changed is not None and changed > since):
        request.session.clear()
        return None
    return user


def may(user: User | None, role: str) -> bool:
    return user is not None and ROLE_RANK.get(user.role, -1) >= ROLE_RANK[role]


def require(user: User | None, role: str) -> User:
    if user is None:
        raise HTTPException(401, "sign in first")
    if not may(user, role):
        raise HTTPException(403, f"this needs the {role} role; you are signed in as a {user.role}")
    return user


# -- CSRF ----------------------------------------------------------------------------------------

def csrf_token(request: Request) -> str:
    """The session's token (created for a visitor who is not signed in yet: the sign-in form needs one)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


async def checked_form(request: Request) -> FormData:
    """The POST's form, after its CSRF token matched the session's; else 403."""
    form = await request.form()
    sent, expected = form.get("csrf"), request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, str(expected)):
        raise HTTPException(403, "the form's security token is missing or out of date: reload the page and "
                                 "submit it again")
    return form


# -- sign-in rate limit --------------------------------------------------------------------------

class FailureLimiter:
    """At most `limit` failed sign-ins per key within `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until each key may try again (0: it may now)."""
        now = self.clock()
        with self._lock:
            waits = [self._wait(key, now) for key in keys]
        return max(waits, default=0)

    def _wait(self, key: str, now: float) -> int:
        failures = self._failures.get(key)
        if not failures:
            return 0
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.limit:
            return 0
        return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def forget(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


# -- headers -------------------------------------------------------------------------------------

class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in dict(SECURITY_HEADERS)]
                headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
