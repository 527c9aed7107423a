"""Faults around a real `reconcile run` (issue 5): SIGKILL at random points, and two runs at once.

The CLI is started on a copy of the bundled sources and killed with SIGKILL at seeded random
moments. After every kill, out/ must be either the complete previous set or the complete new set,
never a mix or a part; a steward writing decisions at the same moment is killed too, and the
decisions database must stay consistent (integrity_check, a linear chain, nothing committed lost).
"""
from __future__ import annotations

import csv
import hashlib
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from reconcile.outputs import lock_path_for, read_lock_holder

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "reconcile")
TOP_LEVEL = {"claims.csv", "conflicts.csv", "documents.csv", "gx_docs", "orphaned_decisions.csv",
             "rejected_sources.csv", "report.html", "report.md", "resolved_claims.csv", "unparsed_figures.csv"}


def make_work(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "sources", tmp_path / "sources")
    shutil.copytree(REPO / "vocab", tmp_path / "vocab")  # frozen for the test's duration
    return tmp_path


def env_for(work: Path) -> dict[str, str]:
    env = dict(os.environ, RECONCILE_HOME=str(work / "home"), RECONCILE_VOCAB=str(work / "vocab"))
    for name in ("DAGSTER_HOME", "RECONCILE_DB_URL", "RECONCILE_OUT", "RECONCILE_SOURCES"):
        env.pop(name, None)
    return env


def start_run(work: Path) -> subprocess.Popen:
    return subprocess.Popen([CLI, "run", "--sources", "sources", "--out", "out"], cwd=work, env=env_for(work),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def staging_started(work: Path, pid: int) -> bool:
    """True once run `pid` has begun writing its output set (its staging folder inside out.d/).

    Staging folders of runs killed earlier stay until the next commit sweeps them: match the pid."""
    gens = work / "out.d"
    return gens.is_dir() and any(p.name.startswith(f".staging-{pid}-") for p in gens.iterdir())


def wait_for_staging(work: Path, proc: subprocess.Popen, timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while not staging_started(work, proc.pid):
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def kill(proc: subprocess.Popen) -> str:
    """SIGKILL the process and everything it started; what it printed before dying."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    out, _ = proc.communicate()
    return out or ""


def snapshot(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def assert_complete_set(out: Path) -> None:
    """A whole output set: every file there, every CSV parses, both reports complete."""
    assert out.is_symlink(), "out/ must be the generation symlink"
    assert {p.name for p in out.iterdir()} == TOP_LEVEL
    for path in out.glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert rows and len({len(r) for r in rows}) == 1, f"{path.name}: ragged or empty"
        pd.read_csv(path)  # and pandas agrees
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    assert (out / "report.md").read_text(encoding="utf-8").strip()
    assert (out / "gx_docs" / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    claims = pd.read_csv(out / "claims.csv")
    documents = pd.read_csv(out / "documents.csv")
    assert set(claims["source_id"]) <= set(documents["source_id"])  # tables of one run, not two


def marker_of(out: Path) -> str:
    """Which edit of the sources this set was built from (the marker document's id, or none)."""
    ids = set(pd.read_csv(out / "documents.csv")["source_id"])
    markers = sorted(i for i in ids if i.startswith("marker-"))
    assert len(markers) <= 1, markers
    return markers[0] if markers else ""


# A steward recording decisions in a loop while it may be SIGKILLed at any instant.
STEWARD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from reconcile.decisions import DecisionStore, NewDecision
    store = DecisionStore(Path(sys.argv[1]))
    tag = sys.argv[2]
    for n in range(10_000):
        seen = store.latest_id("k-000000000001")
        action = ("dismiss", "reopen")[n % 2]
        store.record(NewDecision(conflict_id="k-000000000001", action=action, decided_by=f"{tag}-{n}",
                                 reason="kill test", fingerprint="f" * 16, claim_ids="c-1;c-2"), seen=seen)
        print(f"committed {tag}-{n}", flush=True)
        time.sleep(0.02)
""")


def check_decisions_db(db: Path, committed: set[str]) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, decided_by, supersedes FROM decisions "
                            "WHERE conflict_id = 'k-000000000001' ORDER BY id").fetchall()
    finally:
        conn.close()
    recorded = {by for _, by, _ in rows}
    assert committed <= recorded, sorted(committed - recorded)[:5]  # nothing a writer saw committed is lost
    for (prev_id, _, _), (_, _, supersedes) in zip(rows, rows[1:], strict=False):
        assert supersedes == prev_id  # one linear chain: no half-written or interleaved decision
    return len(rows)


def test_sigkill_at_random_points_leaves_the_old_or_the_new_set(tmp_path):
    work = make_work(tmp_path)
    out = work / "out"
    started = time.monotonic()
    proc = start_run(work)
    assert wait_for_staging(work, proc), proc.communicate()
    writing = time.monotonic()
    while not out.exists() and proc.poll() is None:
        time.sleep(0.005)
    to_swap = time.monotonic() - writing  # from the first staged byte to the symlink swap
    code, stdout, stderr = finish(proc)
    assert code == 0, stdout + stderr
    full_run = time.monotonic() - started
    assert_complete_set(out)
    current, current_marker = snapshot(out), marker_of(out)

    script = tmp_path / "steward.py"
    script.write_text(STEWARD)
    db = work / "home" / "decisions.db"
    committed: set[str] = set()
    rng = random.Random(20260205)
    outcomes = []
    rounds = 6
    for round_no in range(1, rounds + 1):
        marker = f"marker-{round_no}"
        for old in (work / "sources").glob("marker-*.md"):
            old.unlink()
        (work / "sources" / f"{marker}.md").write_text(
            f"# Marker {round_no}\n\nOracle revenue was ${round_no}0.5B in FY20{10 + round_no}.\n")
        run_proc = start_run(work)
        steward = subprocess.Popen([sys.executable, str(script), str(db), f"r{round_no}"], env=env_for(work),
                                   stdout=subprocess.PIPE, text=True, start_new_session=True)
        if round_no % 2:
            time.sleep(rng.uniform(0.1, 1.0) * full_run)  # anywhere: imports, extraction, detection ...
        else:  # into the writing of the set: tables, reports, GX docs, fsync, rename, symlink swap, prune
            wait_for_staging(work, run_proc)
            time.sleep(rng.uniform(0.5, 2.0) * to_swap)  # slower than alone: the steward competes
        printed = kill(steward)
        committed |= {line.split()[1] for line in printed.splitlines() if line.startswith("committed ")}
        finished = run_proc.poll() is not None
        kill(run_proc)

        seen = snapshot(out)
        if seen == current:
            outcomes.append("old")
            assert marker_of(out) == current_marker
        else:
            assert_complete_set(out)
            assert marker_of(out) == marker, f"round {round_no}: a set that is neither the old nor the new one"
            outcomes.append("new" if not finished else "new (finished)")
            current, current_marker = seen, marker
        assert set(os.listdir(out.resolve())) == TOP_LEVEL
        if db.exists():
            check_decisions_db(db, committed)

    print("outcomes:", outcomes, f"full run {full_run:.1f}s, writing until the swap {to_swap:.1f}s")
    assert "old" in outcomes, outcomes  # at least one kill landed before the swap
    # After the carnage a clean run succeeds, publishes the latest sources and sweeps the debris.
    code, stdout, stderr = finish(start_run(work))
    assert code == 0, stdout + stderr
    assert_complete_set(out)
    assert marker_of(out) == f"marker-{rounds}"
    debris = [p.name for p in (work / "out.d").iterdir() if p.name.startswith(".") and p.name != ".commit.lock"]
    assert not debris and not [p for p in work.iterdir() if p.name.startswith(".swap-")]
    assert len([p for p in (work / "out.d").iterdir() if not p.name.startswith(".")]) <= 2
    assert check_decisions_db(db, committed) >= len(committed) > 0


def test_a_second_run_on_the_same_out_and_home_refuses_naming_the_lock_and_pid(tmp_path):
    work = make_work(tmp_path)
    out = work / "out"
    lock = lock_path_for(out.absolute())
    first = start_run(work)
    try:
        deadline = time.monotonic() + 180
        while read_lock_holder(lock).get("pid") != str(first.pid):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGSTOP)  # hold the first run inside its locked section
        second = subprocess.run([CLI, "run", "--sources", "sources", "--out", "out"], cwd=work, env=env_for(work),
                                capture_output=True, text=True, timeout=180)
        assert second.returncode == 2, second.stdout + second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
        # The run holds the locks of both out/ and home; the refusal names whichever it met first.
        home_lock = lock_path_for(Path(env_for(work)["RECONCILE_HOME"]).absolute())
        assert any(lines[0].startswith(f"error: {held}: another reconcile run (pid {first.pid}")
                   for held in (lock, home_lock)), lines[0]
        assert f"stop pid {first.pid}" in lines[0]
        # The refused run wrote nothing: no staging folder, no generation of its own.
        gens = work / "out.d"
        assert not gens.exists() or not [p for p in gens.iterdir() if p.name != ".commit.lock"]
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    code, stdout, stderr = finish(first)
    assert code == 0, stdout + stderr
    assert_complete_set(out)
    generation = out.resolve().name
    assert re.match(rf"\d{{8}}T\d+Z-{first.pid}-", generation), generation  # the set is the first run's
    assert read_lock_holder(lock) == {}  # released
