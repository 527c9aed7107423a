"""Output sets swap atomically (even under SIGKILL), runs lock each other out, CSVs are formula-safe."""
from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.errors import RunLockedError, UserError
from reconcile.outputs import (
    RunLock,
    atomic_write_text,
    csv_safe,
    current_generation,
    escape_cell,
    generations_dir,
    lock_path_for,
    output_set,
    pin_output_set,
    read_csv_safe,
    read_lock_holder,
    run_locks,
    to_csv_safe,
    unescape_cell,
    write_output_set,
)


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file under out/, by relative path, with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ output sets


def test_first_write_creates_symlinked_set_with_subfolder(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, {"claims.csv": "a,b\n1,2\n", "gx_docs/index.html": b"<p>ok</p>"})
    assert out.is_symlink()
    assert snapshot(out) == {"claims.csv": b"a,b\n1,2\n", "gx_docs/index.html": b"<p>ok</p>"}
    assert current_generation(out).parent == generations_dir(out).resolve()


def test_new_set_replaces_old_set_entirely(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, {"a.txt": "old", "only_old.txt": "x"})
    write_output_set(out, {"a.txt": "new", "b.txt": "new"})
    assert snapshot(out) == {"a.txt": b"new", "b.txt": b"new"}


def test_keep_carries_unwritten_entries_from_the_old_set(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, {"a.txt": "old", "gx_docs/index.html": "docs", "drop.txt": "d"})
    write_output_set(out, {"a.txt": "new"}, keep={"gx_docs", "a.txt"})
    assert snapshot(out) == {"a.txt": b"new", "gx_docs/index.html": b"docs"}


def test_dirs_are_copied_into_the_set(tmp_path):
    docs = tmp_path / "built_docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "page.html").write_text("page")
    out = tmp_path / "out"
    write_output_set(out, {"r.md": "# r"}, dirs={"gx_docs": docs})
    assert snapshot(out) == {"r.md": b"# r", "gx_docs/sub/page.html": b"page"}


def test_old_generations_are_pruned_keeping_one_previous(tmp_path):
    out = tmp_path / "out"
    for i in range(4):
        write_output_set(out, {"n.txt": str(i)})
    gens = [p for p in generations_dir(out).iterdir() if not p.name.startswith(".")]
    assert len(gens) == 2
    assert (out / "n.txt").read_text() == "3"


def test_pinned_reader_keeps_a_consistent_view_across_one_swap(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, {"a": "1", "b": "1"})
    pinned = pin_output_set(out)
    write_output_set(out, {"a": "2", "b": "2"})
    assert (pinned / "a").read_text() + (pinned / "b").read_text() == "11"


def test_context_manager_discards_staging_on_exception(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, {"claims.csv": "old claims", "gx_docs/x.html": "old docs"})
    before = snapshot(out)
    with pytest.raises(RuntimeError, match="boom"):
        with output_set(out) as staging:
            (staging / "claims.csv").write_text("half of the new")
            raise RuntimeError("boom")
    assert snapshot(out) == before
    assert not [p for p in generations_dir(out).iterdir() if p.name.startswith(".staging-")]


def test_migrates_a_real_out_directory_from_an_older_version(tmp_path):
    out = tmp_path / "out"
    (out / "gx_docs").mkdir(parents=True)
    (out / "claims.csv").write_text("legacy")
    (out / "gx_docs" / "i.html").write_text("legacy docs")
    with output_set(out, keep={"gx_docs"}) as staging:
        (staging / "claims.csv").write_text("new")
    assert out.is_symlink()
    assert snapshot(out) == {"claims.csv": b"new", "gx_docs/i.html": b"legacy docs"}
    write_output_set(out, {"claims.csv": "newer"})
    assert snapshot(out) == {"claims.csv": b"newer"}


@pytest.mark.parametrize("bad", ["/etc/passwd", "../escape.txt", "a/../../b"])
def test_output_names_cannot_escape_the_set(tmp_path, bad):
    out = tmp_path / "out"
    write_output_set(out, {"a": "kept"})
    with pytest.raises(ValueError, match="relative path"):
        write_output_set(out, {bad: "x"})
    assert snapshot(out) == {"a": b"kept"}
    assert not (tmp_path / "escape.txt").exists()


def test_atomic_write_text_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    atomic_write_text(target, "new ünïcode")
    assert target.read_text(encoding="utf-8") == "new ünïcode"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


# ------------------------------------------------------------------ kill -9

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from reconcile.outputs import output_set
    out, marker, n_files, size = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print("ready", flush=True)
    with output_set(out) as staging:
        (staging / "gx_docs").mkdir()
        for i in range(n_files):
            body = (f"{marker}:{i};" * size).encode()
            name = f"gx_docs/page{i}.html" if i % 3 == 0 else f"file{i}.csv"
            with open(staging / name, "wb") as fh:
                for start in range(0, len(body), 4096):   # many small writes: more places to die
                    fh.write(body[start:start + 4096])
    print("done", flush=True)
""")
N_FILES, SIZE = 12, 4000


def expected_set(marker: str) -> dict[str, bytes]:
    names = {i: (f"gx_docs/page{i}.html" if i % 3 == 0 else f"file{i}.csv") for i in range(N_FILES)}
    return {names[i]: (f"{marker}:{i};" * SIZE).encode() for i in range(N_FILES)}


def start_writer(script: Path, out: Path, marker: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(script), str(out), marker, str(N_FILES), str(SIZE)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_sigkill_at_random_points_leaves_old_or_new_set(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    out = tmp_path / "out"
    proc = start_writer(script, out, "gen0")
    started = time.monotonic()
    assert proc.stdout.readline().strip() == "done"
    write_seconds = time.monotonic() - started
    proc.wait()
    current = "gen0"
    rng = random.Random(1234)
    outcomes = {"old": 0, "new": 0}
    for round_no in range(1, 16):
        marker = f"gen{round_no}"
        proc = start_writer(script, out, marker)
        time.sleep(rng.uniform(0, max(write_seconds * 1.3, 0.02)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = snapshot(out)
        assert seen in (expected_set(current), expected_set(marker)), \
            f"round {round_no} ({outcomes}): mixed or partial set"
        outcome = "new" if seen == expected_set(marker) else "old"
        outcomes[outcome] += 1
        current = marker if outcome == "new" else current
    # After the carnage, a clean run commits and sweeps the debris of killed writers.
    proc = start_writer(script, out, "final")
    assert proc.stdout.readline().strip() == "done"
    proc.wait()
    assert snapshot(out) == expected_set("final")
    leftovers = [p.name for p in generations_dir(out).iterdir() if p.name != ".commit.lock"]
    assert len(leftovers) <= 2 and not [n for n in leftovers if n.startswith(".")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".swap-")]


# ------------------------------------------------------------------ run lock

HOLDER = textwrap.dedent("""
    import sys, time
    from reconcile.outputs import RunLock
    with RunLock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold_lock(tmp_path: Path, target: Path, seconds: float) -> subprocess.Popen:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    proc = subprocess.Popen([sys.executable, str(script), str(target), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_refuses_naming_lock_file_and_pid(tmp_path):
    out = tmp_path / "out"
    holder = hold_lock(tmp_path, out, 30)
    try:
        with pytest.raises(RunLockedError) as err:
            RunLock(out).acquire()
        message = str(err.value)
        assert str(lock_path_for(out)) in message
        assert f"pid {holder.pid}" in message
        assert isinstance(err.value, UserError) and err.value.exit_code == 2
    finally:
        holder.kill()
        holder.wait()


def test_second_run_waits_for_the_first_to_finish(tmp_path):
    out = tmp_path / "out"
    holder = hold_lock(tmp_path, out, 0.5)
    try:
        started = time.monotonic()
        with RunLock(out, timeout=10, poll_interval=0.05) as lock:
            assert read_lock_holder(lock.path)["pid"] == str(os.getpid())
        assert time.monotonic() - started >= 0.2
    finally:
        holder.wait()


def test_wait_gives_up_after_timeout(tmp_path):
    holder = hold_lock(tmp_path, tmp_path / "home", 30)
    try:
        started = time.monotonic()
        with pytest.raises(RunLockedError, match="after waiting 0.3s"):
            RunLock(tmp_path / "home", timeout=0.3, poll_interval=0.05).acquire()
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path):
    out = tmp_path / "out"
    holder = hold_lock(tmp_path, out, 30)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert read_lock_holder(lock_path_for(out))["pid"] == str(holder.pid)  # left behind
    with RunLock(out) as lock:
        assert lock.took_over_from["pid"] == str(holder.pid)
        assert read_lock_holder(lock.path)["pid"] == str(os.getpid())


def test_lock_is_exclusive_within_a_process_and_released_on_exit(tmp_path):
    home = tmp_path / "home"
    with RunLock(home):
        with pytest.raises(RunLockedError):
            RunLock(home).acquire()
    with RunLock(home) as again:
        assert again.held and again.took_over_from is None


def test_run_locks_holds_home_and_out_together(tmp_path):
    with run_locks(tmp_path / "out", tmp_path / ".reconcile") as locks:
        assert len(locks) == 2
        with pytest.raises(RunLockedError):
            RunLock(tmp_path / ".reconcile").acquire()
    assert all(not lock.held for lock in locks)


# ------------------------------------------------------------------ CSV safety

DANGEROUS = ["=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1", " =HYPERLINK(\"x\")",
             "＝1+1"]
HARMLESS = ["-5", "-1,234.5", "12", "plain text", "", "a=b", "5-3"]


@pytest.mark.parametrize("cell", DANGEROUS)
def test_csv_safe_neutralises_formula_cells(cell):
    safe = csv_safe(pd.DataFrame({"quote": [cell]}))
    assert safe.loc[0, "quote"] == "'" + cell


@pytest.mark.parametrize("cell", HARMLESS)
def test_csv_safe_leaves_plain_numbers_and_text_alone(cell):
    assert csv_safe(pd.DataFrame({"quote": [cell]})).loc[0, "quote"] == cell


def test_cells_alike_up_to_a_nul_are_each_neutralised():
    cells = ["=a\0b", "=a\0c", "", "\0"]
    assert csv_safe(pd.DataFrame({"quote": cells}))["quote"].tolist() == ["'=a\0b", "'=a\0c", "", "\0"]
    assert to_csv_safe(pd.DataFrame({"quote": cells, "n": range(4)})).split("\r\n")[1:3] == ["'=a\0b,0", "'=a\0c,1"]


def test_a_leading_plus_is_neutralised_even_on_a_number():
    assert escape_cell("+50%") == "'+50%" and unescape_cell("'+50%") == "+50%"
    assert escape_cell("+0") == "'+0"


def test_csv_safe_keeps_numeric_columns_numeric():
    df = pd.DataFrame({"value": [-5.0, 2.5], "line": [-1, 3], "ok": [True, False], "q": ["-x", None]})
    safe = csv_safe(df)
    assert safe.dtypes.to_dict() == df.dtypes.to_dict()
    assert safe["value"].tolist() == [-5.0, 2.5] and safe["line"].tolist() == [-1, 3]
    assert safe["q"].tolist()[0] == "'-x" and safe["q"].isna().tolist()[1]


def test_csv_round_trip_is_exact():
    cells = DANGEROUS + HARMLESS + ["'already quoted", "''two", "'=x"]
    df = pd.DataFrame({"quote": cells, "value": [float(i) - 3 for i in range(len(cells))]})
    text = to_csv_safe(df)
    back = read_csv_safe(io.StringIO(text), dtype={"quote": str}, keep_default_na=False)
    assert back["quote"].tolist() == cells
    assert back["value"].tolist() == df["value"].tolist()


def test_written_csv_has_no_cell_a_spreadsheet_would_evaluate(tmp_path):
    df = pd.DataFrame({"quote": DANGEROUS, "n": range(len(DANGEROUS))})
    path = tmp_path / "claims.csv"
    to_csv_safe(df, path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert all(cell.startswith("'") for cell in raw["quote"])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escape_is_reversible_and_never_leaves_a_formula(cell):
    escaped = escape_cell(cell)
    assert unescape_cell(escaped) == cell
    starts_formula = escaped[:1] in set("=+@\t\r\n＝＋＠") or escaped.lstrip()[:1] in set("=+@＝＋＠")
    assert not starts_formula


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1),
                min_size=1, max_size=5))
def test_csv_round_trip_property(cells):
    """Exact for any text but NUL, which pandas' C reader drops whatever we write."""
    text = to_csv_safe(pd.DataFrame({"quote": cells}))
    back = read_csv_safe(io.StringIO(text), dtype=str, keep_default_na=False)
    assert back["quote"].tolist() == cells


_CELLS = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(DANGEROUS + HARMLESS + ["'q", "x"]), st.text(),
                   st.integers(), st.floats(allow_nan=False), st.lists(st.integers(), max_size=2))


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELLS, min_size=1, max_size=12))
def test_csv_safe_equals_escaping_cell_by_cell(cells):
    """csv_safe decides once per distinct value; the result must be the rule applied to every cell,
    with the same dtype (a column of numbers in object cells, lists, None, repeated text)."""
    column = pd.Series(cells, dtype=object)
    expected = column.map(escape_cell)
    got = csv_safe(pd.DataFrame({"c": column}))["c"]
    assert got.dtype == expected.dtype
    assert [repr(v) for v in got] == [repr(v) for v in expected]


# The CSVs are built column by column from distinct values; pandas' writer is the reference, byte for byte.
QUOTED = ['a"b', "x,y", "l1\nl2", "\r", "'q", " ", "\0"]
TEXT_CELLS = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(DANGEROUS + HARMLESS + QUOTED),
                       st.text(max_size=12))
FLOAT_CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                        st.sampled_from([0.0, -0.0, 1e16, 1e-7, 0.1]))


@settings(max_examples=200, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=6))
def test_csv_text_is_what_pandas_writes(data, rows):
    df = pd.DataFrame({
        "text": data.draw(st.lists(TEXT_CELLS, min_size=rows, max_size=rows)),
        "value": data.draw(st.lists(FLOAT_CELLS, min_size=rows, max_size=rows)),
        "line": data.draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=rows, max_size=rows)),
        "ok": data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
        "same": "one",
    })
    expected = io.StringIO()
    csv_safe(df).to_csv(expected, index=False, lineterminator="\r\n")
    assert to_csv_safe(df) == expected.getvalue()


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": ["", None]}),                          # one column: a row of '' is written quoted
    pd.DataFrame({"a": [{"k": 1}, "x"], "b": [1, 2]}),        # an unhashable cell
    pd.DataFrame({"a": [1, "x"], "b": [1.5, None]}),          # numbers among text
    pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": ["=x", "y"]}),
    pd.DataFrame({"a": pd.Series(["x", None], dtype="string"), "b": [True, False]}),
    pd.DataFrame({"a": [], "b": []}),
    pd.DataFrame({1: ["x"], "b": ["y"]}),
    pd.DataFrame({"a": pd.Series([0.1, -0.0, None], dtype="float32"), "b": ["x", "y", "z"]}),
])
def test_csv_text_of_other_frames_is_what_pandas_writes(frame):
    expected = io.StringIO()
    csv_safe(frame).to_csv(expected, index=False, lineterminator="\r\n")
    assert to_csv_safe(frame) == expected.getvalue()
