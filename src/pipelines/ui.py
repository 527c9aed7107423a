"""`make ui`: the Dagster UI and daemon, stopped as a whole on Ctrl-C (SIGINT) or SIGTERM.

`dagster dev` starts a webserver, a daemon and code servers. It shuts them down on SIGINT, but SIGTERM
ends it alone and leaves its children running. So this launcher runs it in a process group of its own,
turns either signal into the SIGINT `dagster dev` handles (its graceful shutdown), and after a grace
period ends whatever of the group is left. The Makefile `exec`s it, so no shell stands between make
(which passes SIGTERM on to its child) and this process.

`dagster dev` is what Dagster 1.13 ships with the `dagster` package; it prints that `dg dev` (the separate
`dagster-dg-cli` package, which pulls in dagster-cloud-cli, gql, watchdog and more, expects a dg project
layout, and itself runs `dagster dev`) supersedes it. That one warning category is filtered in the
supervising `dagster dev` process only; everything else it prints passes through.

    python -m pipelines.ui [--host 127.0.0.1] [--port 3000]
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

GRACE_S = 15.0     # dagster dev's own shutdown of webserver, daemon and code servers
KILL_AFTER_S = 3.0
# only the supervising `dagster dev` process: -W is not passed on to the webserver, daemon or code servers
QUIET_SUPERSEDED = ["-W", "ignore:Function `dev_command` is superseded"]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return True
        time.sleep(0.1)
    return not _group_alive(pgid)


def stop_group(proc: subprocess.Popen, grace: float = GRACE_S) -> None:
    """SIGINT to `dagster dev` (it stops its services), then SIGTERM and SIGKILL to whatever of the group is left."""
    pgid = proc.pid  # the group leader: started with start_new_session
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, KILL_AFTER_S), (signal.SIGKILL, KILL_AFTER_S)):
        try:
            if sig == signal.SIGINT:
                proc.send_signal(sig)
            else:
                os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        if proc.poll() is None:
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        if _wait_group(pgid, wait if proc.poll() is not None else 0):
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.ui", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("DAGSTER_PORT", "3000"))
    args = parser.parse_args(argv)
    command = [sys.executable, *QUIET_SUPERSEDED, "-m", "dagster", "dev", "-m", "pipelines.definitions",
               "-h", args.host, "-p", str(args.port)]
    # a group of its own: the terminal's Ctrl-C reaches this launcher, which stops the group in order
    proc = subprocess.Popen(command, start_new_session=True)
    stopping: list[int] = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while proc.poll() is None and not stopping:
        time.sleep(0.2)
    if stopping:
        print(f"\nstopping the Dagster UI ({signal.Signals(stopping[0]).name})", file=sys.stderr, flush=True)
    stop_group(proc)
    return 0 if stopping else (proc.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
