"""`reconcile serve`: check where the console may listen, say how to reach it, then run uvicorn."""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import UserError
from ..outputs import pin_output_set

LOOPBACK_NAMES = ("localhost", "ip6-localhost")
FIRST_USER = "reconcile users add NAME --role admin"


def is_loopback(host: str) -> bool:
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str | None, enabled_users: int) -> str:
    """The address to listen on; a non-loopback one only when given with --host and some user can sign in."""
    if host is None:
        return "127.0.0.1"
    if not is_loopback(host) and enabled_users == 0:
        raise UserError(f"refusing to listen on {host}: no enabled user exists, so nobody could sign in",
                        hint=f"create one first with `{FIRST_USER}`, or leave out --host to listen on 127.0.0.1")
    return host


def serve_console(*, out: Path, sources: Path, host: str | None, port: int, https_cookies: bool,
                  echo: Callable[[str], Any]) -> None:
    import uvicorn

    from ..users import UserStore
    from .app import create_app

    settings = Settings.from_env()
    users = UserStore.from_settings(settings)
    enabled = users.count(enabled_only=True)
    address = check_binding(host, enabled)
    app = create_app(out_dir=out, sources_dir=sources, users=users, home=settings.home,
                     secure_cookies=https_cookies)
    shown = f"[{address}]" if ":" in address else address
    echo(f"Steward console on http://{shown}:{port}/ — reading {out} and the decisions of {settings.home}")
    if not (pin_output_set(out) / "conflicts.csv").is_file():
        echo(f"note: {out} holds no run yet: run `reconcile run --out {out}` first")
    if enabled == 0:
        echo(f"No user can sign in yet: create the first one with `{FIRST_USER}`")
    uvicorn.run(app, host=address, port=port, proxy_headers=False, server_header=False, log_level="info")
