"""Issue 12's attacks on the steward side, each with the attacker's own input.

Every test here failed before its fix. The decisions store, its YAML import, the registry and
vocabulary loaders and the CLI's printing are attacked the way the report describes.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import types
from pathlib import Path

import pandas as pd
import pytest

from reconcile import registry
from reconcile.config import default_vocab_dir
from reconcile.decisions import DecisionStore
from reconcile.errors import UserError
from reconcile.outputs import to_csv_safe
from reconcile.vocab import load_vocabulary
from test_cli_steward import CATEGORY, RECONCILE, REPORT_730, VALUATION, WEEKLY_830, cli, env, ok, write_run  # noqa: F401  (env is a fixture)


def one_clear_line(result, expect: str) -> str:
    """The command failed with exit 2 and one `error:` line containing `expect`, no traceback."""
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expect in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


# -- item 18: YAML alias bombs and oversized files ----------------------------------------------------

# The attacker's file: nine levels of aliases, each nine times the last, in a field the import reads
# as text (9**9 strings once expanded; the file is about 600 bytes).
ALIAS_BOMB = "format: reconcile-decisions/1\n" + 'a: &a [l,l,l,l,l,l,l,l,l]\n' + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=False)) + (
    "decisions:\n- conflict_id: k-a1b2c3d4e5f6\n  action: dismiss\n  decided_by: ana\n"
    "  decided_at: '2026-02-01T10:00:00+00:00'\n  reason: *i\n  fingerprint: fp-valuation-1\n"
    "  claim_ids: c-111111111111;c-222222222222\n")

def test_alias_bomb_in_decisions_import_is_refused_at_once(env):
    assert len(ALIAS_BOMB) < 650
    bomb = env.tmp / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    line = one_clear_line(cli("decisions", "import", str(bomb)), "is not allowed")
    assert f"{bomb}:2: YAML anchor &a" in line
    assert not env.db.exists()


def test_decisions_file_of_50_mb_is_refused_before_it_is_read(env):
    big = env.tmp / "big.yaml"
    entry = ("- conflict_id: k-a1b2c3d4e5f6\n  action: dismiss\n  decided_by: ana\n"
             "  decided_at: '2026-02-01T10:00:00+00:00'\n  reason: not comparable\n"
             "  fingerprint: fp-valuation-1\n  claim_ids: c-111111111111;c-222222222222\n")
    with big.open("w") as handle:
        handle.write("format: reconcile-decisions/1\ndecisions:\n")
        handle.write(entry * (50_000_000 // len(entry)))
    one_clear_line(cli("decisions", "import", str(big)), "over the limit of")


def test_decisions_file_with_too_many_entries_is_refused(env):
    many = env.tmp / "many.yaml"
    many.write_text("format: reconcile-decisions/1\ndecisions:\n" + "- {}\n" * 10_001)
    line = one_clear_line(cli("decisions", "import", str(many)), "10,001 decisions, over the limit of 10,000")
    assert "split" in line


def test_alias_in_sources_yaml_is_refused_with_its_line(tmp_path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("# A\n")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: a\n    path: a.md\n    publisher: &p Daily AI Blog\n  - id: b\n    path: b.md\n"
        "    publisher: *p\n")
    with pytest.raises(UserError, match=r"sources.yaml:4: YAML anchor &p is not allowed"):
        registry.load_registry(tmp_path)


def test_alias_bomb_in_sources_yaml_is_refused(tmp_path):
    bomb = ALIAS_BOMB.replace("format: reconcile-decisions/1\n", "").replace("decisions:", "sources:")
    (tmp_path / "sources.yaml").write_text(bomb)
    with pytest.raises(UserError, match="is not allowed"):
        registry.load_registry(tmp_path)


def test_50_mb_title_in_sources_yaml_is_refused(tmp_path):
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("# A\n")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: a\n    path: a.md\n    title: " + "x" * 50_000_000 + "\n")
    with pytest.raises(UserError, match="over the limit of"):
        registry.load_registry(tmp_path)


def test_alias_in_a_vocabulary_is_refused(tmp_path):
    vocab = tmp_path / "vocab"
    shutil.copytree(default_vocab_dir(), vocab)
    units = vocab / "units.yaml"
    text = units.read_text(encoding="utf-8")
    units.write_text(text + "\nextra: &x [1, 2]\nmore: *x\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"units.yaml:\d+: YAML anchor &x is not allowed"):
        load_vocabulary(vocab)


# -- item 19: REPLACE INTO / INSERT OR REPLACE must not rewrite a decision -----------------------------

REWRITES = [
    "REPLACE INTO decisions(id, conflict_id, action, decided_by, decided_at, reason, fingerprint, claim_ids, "
    "\"values\") VALUES(1, 'k-a1b2c3d4e5f6', 'approve', 'mallory', '2026-01-01T00:00:00+00:00', 'rewritten', "
    "'fp-valuation-1', 'c-111111111111', '{}')",
    "INSERT OR REPLACE INTO decisions(id, conflict_id, action, decided_by, decided_at, reason, fingerprint, "
    "claim_ids, \"values\") VALUES(1, 'k-a1b2c3d4e5f6', 'approve', 'mallory', '2026-01-01T00:00:00+00:00', "
    "'rewritten', 'fp-valuation-1', 'c-111111111111', '{}')",
]


@pytest.mark.parametrize("statement", REWRITES, ids=["replace-into", "insert-or-replace"])
def test_replace_cannot_rewrite_a_decision(env, statement):
    ok("dismiss", VALUATION, "--by", "ana", "--reason", "not comparable")
    proc = subprocess.run(["sqlite3", str(env.db), statement], capture_output=True, text=True)
    assert proc.returncode != 0 and "append-only" in proc.stderr, proc.stderr
    (kept,) = DecisionStore(env.db).history()
    assert (kept.id, kept.decided_by, kept.reason) == (1, "ana", "not comparable")


def test_replace_on_the_natural_key_cannot_swap_a_decision_out(env):
    ok("dismiss", VALUATION, "--by", "ana", "--reason", "not comparable")
    (first,) = DecisionStore(env.db).history()
    statement = ("REPLACE INTO decisions(id, conflict_id, action, decided_by, decided_at, reason, fingerprint, "
                 f"claim_ids, \"values\") VALUES(99, '{first.conflict_id}', 'dismiss', 'ana', '{first.decided_at}', "
                 f"'rewritten', '{first.fingerprint}', '{first.claim_ids}', '{{}}')")
    proc = subprocess.run(["sqlite3", str(env.db), statement], capture_output=True, text=True)
    assert proc.returncode != 0, proc.stderr
    assert [(d.id, d.reason) for d in DecisionStore(env.db).history()] == [(1, "not comparable")]


# -- item 24: faults of the decisions store ---------------------------------------------------------------

DECIDE = ("dismiss", VALUATION, "--by", "ana", "--reason", "not comparable")
COMMANDS = [("conflicts",), ("show", VALUATION), ("history",), ("decisions", "export", "-"), DECIDE]


def decided_twice(env) -> bytes:
    ok(*DECIDE)
    ok("dismiss", CATEGORY, "--by", "ben", "--reason", "labelled run-rate")
    return env.db.read_bytes()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_truncated_database_is_one_line_naming_it_and_is_left_as_it_was(env, command):
    whole = decided_twice(env)
    env.db.write_bytes(whole[: len(whole) // 2])
    line = one_clear_line(cli(*command), f"{env.db}: ")
    assert "damaged" in line and "Fix: " in line and "backup" in line
    assert env.db.read_bytes() == whole[: len(whole) // 2]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_zero_byte_database_is_not_taken_for_an_empty_store(env, command):
    env.db.parent.mkdir(parents=True)
    env.db.write_bytes(b"")
    line = one_clear_line(cli(*command), f"{env.db}: ")
    assert "0 bytes" in line and "Fix: " in line
    assert env.db.read_bytes() == b""


def test_reconcile_home_that_is_a_file_is_one_clear_line(env):
    env.home.write_text("not a folder\n")
    line = one_clear_line(cli(*DECIDE), str(env.home))
    assert "not a folder" in line and "RECONCILE_HOME" in line
    assert "Recorded" not in ok("conflicts").stdout      # reading still works: nothing was decided


def test_disk_full_during_approve_says_so_and_records_nothing(env, monkeypatch):
    ok(*DECIDE)
    real_connect = sqlite3.connect

    def connect_on_a_full_disk(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")   # no room for one more page
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect_on_a_full_disk)
    result = cli("approve", VALUATION, "--claim", WEEKLY_830, "--by", "ana", "--reason", "terms " * 4000)
    line = one_clear_line(result, f"{env.db}: ")
    assert "disk is full" in line and "nothing was recorded" in line and "no transaction" not in line
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    assert [d.action for d in DecisionStore(env.db).history()] == ["dismiss"]


# Permissions mean nothing to root: these commands run as `nobody` when the tests run as root.

@pytest.fixture
def shared_env(env, monkeypatch):
    """The env fixture's files in a folder another user can read (pytest's tmp folders are private)."""
    base = Path(tempfile.mkdtemp(prefix="reconcile-perm-"))
    base.chmod(0o755)
    home, out = base / "home", base / "out"
    write_run(out)
    monkeypatch.setenv("RECONCILE_HOME", str(home))
    monkeypatch.setenv("RECONCILE_OUT", str(out))
    yield types.SimpleNamespace(base=base, home=home, out=out, db=home / "decisions.db")
    shutil.rmtree(base)


def as_another_user(*args: str) -> subprocess.CompletedProcess:
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    environ = dict(os.environ, COLUMNS="250")
    return subprocess.run([*prefix, RECONCILE, *args], env=environ, capture_output=True, text=True, timeout=120)


def one_clear_line_from(proc: subprocess.CompletedProcess, expect: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], proc.stderr
    return lines[0]


def test_read_only_database_reads_and_refuses_a_decision_with_one_line(shared_env):
    ok(*DECIDE)
    for path in (shared_env.out, *shared_env.out.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    shared_env.db.chmod(0o444)
    shared_env.home.chmod(0o555)
    before = shared_env.db.read_bytes()
    listed = as_another_user("conflicts")
    assert listed.returncode == 0 and "dismissed" in listed.stdout, listed.stderr
    line = one_clear_line_from(as_another_user("dismiss", CATEGORY, "--by", "ben", "--reason", "r"),
                               str(shared_env.db))
    assert "read-only" in line and "Fix: " in line
    assert shared_env.db.read_bytes() == before


def test_reconcile_home_that_is_not_writable_is_one_clear_line(shared_env):
    shared_env.home.mkdir(mode=0o555)
    shared_env.home.chmod(0o555)
    for path in (shared_env.out, *shared_env.out.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    line = one_clear_line_from(as_another_user(*DECIDE), str(shared_env.home))
    assert "not writable" in line and "RECONCILE_HOME" in line
    assert not shared_env.db.exists()


# -- items 21 and 25: an imported decision is checked like one made with the CLI --------------------------

IMPORTED = """format: reconcile-decisions/1
decisions:
- conflict_id: k-a1b2c3d4e5f6
  action: approve
  decided_by: ana
  decided_at: '2026-02-01T10:00:00+00:00'
  reason: round terms
  fingerprint: fp-valuation-1
  claim_ids: c-111111111111;c-222222222222
  values:
    c-111111111111: 730000000000.0
    c-222222222222: 830000000000.0
  chosen_value: 830000000000.0
  unit: USD
"""
BIG = "1" + "0" * 400          # the attacker's 401-digit number

# (what the attacker wrote, the line it replaces, what the one line must say)
HOSTILE_ENTRIES = {
    "infinity": ("  chosen_value: .inf", "chosen_value", "chosen_value inf is not a finite number"),
    "low-above-high": ("  chosen_low: 10\n  chosen_high: 1", "chosen_value", "chosen_low 10 is above chosen_high 1"),
    "date-as-name": ("  decided_by: 2026-01-01", "decided_by", "decided_by must be text"),
    "date-as-value": ("    c-111111111111: 2026-01-01", "    c-111111111111", "values must map each claim id"),
    "binary-reason": ("  reason: !!binary aGVsbG8=", "reason", "reason must be text"),
    "set-fingerprint": ("  fingerprint: !!set {a, b}", "fingerprint", "fingerprint must be text"),
    "401-digits": (f"  chosen_value: {BIG}", "chosen_value", "chosen_value is too large"),
    "401-digits-in-values": (f"    c-111111111111: {BIG}", "    c-111111111111", "values must map each claim id"),
    "lone-surrogate": ('  reason: "\\ud800 checked"', "reason", "Unicode"),
}


def hostile_import(env, case: str) -> tuple[Path, int]:
    raw, replaced, _ = HOSTILE_ENTRIES[case]
    lines = IMPORTED.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(replaced.strip() + ":")
              and line.startswith(" " * (len(replaced) - len(replaced.lstrip()))))
    lines[at] = raw
    path = env.tmp / f"{case}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    return path, at + 1


@pytest.mark.parametrize("case", sorted(HOSTILE_ENTRIES))
def test_hostile_import_entry_is_one_line_naming_it_and_imports_nothing(env, case):
    path, line = hostile_import(env, case)
    said = one_clear_line(cli("decisions", "import", str(path)), f"{path}:{line}: ")
    assert HOSTILE_ENTRIES[case][2] in said and "nothing was imported" in said
    assert not env.db.exists() or DecisionStore(env.db).history() == []


def test_the_untouched_entry_imports(env):
    path = env.tmp / "fine.yaml"
    path.write_text(IMPORTED)
    ok("decisions", "import", str(path))
    assert [d.chosen_value for d in DecisionStore(env.db).history()] == [830e9]


def with_attackers_conflict(env) -> None:
    """The attacker's conflict: a valuation stated as $35B and as $37.5B."""
    claims = pd.read_csv(env.out / "claims.csv", dtype=str, keep_default_na=False)
    for claim_id, value, text in ((REPORT_730, 35e9, "$35B"), (WEEKLY_830, 37.5e9, "$37.5B")):
        row = claims["claim_id"] == claim_id
        claims.loc[row, ["value", "value_low", "value_high"]] = str(value)
        claims.loc[row, "value_text"] = text
    to_csv_safe(claims, env.out / "claims.csv")


@pytest.mark.parametrize("value, expect, fix", [
    ("35", "--value '35' reads as $35", "did you mean $35B? write 35B"),
    ("2027", "--value '2027' reads as $2.027K, which is orders of magnitude", "write the figure with its scale"),
    ("-$5B", "is negative, but every figure of the conflict is positive", "Fix: "),
    ("$0B", "is zero", "Fix: "),
    ("$1e+35T", "orders of magnitude", "Fix: "),
])
def test_approve_refuses_a_figure_that_cannot_be_meant(env, value, expect, fix):
    with_attackers_conflict(env)
    said = one_clear_line(cli("approve", VALUATION, "--value", value, "--by", "ana", "--reason", "r"), expect)
    assert fix in said
    assert not env.db.exists()


def test_approve_accepts_the_figure_written_with_its_scale(env):
    with_attackers_conflict(env)
    ok("approve", VALUATION, "--value", "35B", "--by", "ana", "--reason", "r")
    assert DecisionStore(env.db).latest(VALUATION).chosen_value == 35e9


# -- item 14: the latest decision is the newest by its own time, whatever order the imports came in ------

def history_of_twenty() -> str:
    """An export of 20 decisions on one conflict, a minute or two apart; #18 reopens at 18:21,
    #20 dismisses at 18:23."""
    entries = []
    for n in range(1, 21):
        action = "dismiss" if n % 2 or n == 20 else "reopen"
        entries.append(
            f"- id: {n}\n  conflict_id: {CATEGORY}\n  action: {action}\n  decided_by: ana\n"
            f"  decided_at: '2026-02-01T18:{3 + n:02d}:00+00:00'\n  reason: pass {n}\n"
            f"  fingerprint: fp-category-1\n  claim_ids: c-444444444444;c-555555555555\n")
    return "format: reconcile-decisions/1\ndecisions:\n" + "".join(entries)


def test_overlapping_imports_in_the_wrong_order_keep_the_newest_decision(env):
    entries = history_of_twenty().split("\n- ")
    head, body = entries[0], ["- " + e for e in entries[1:]]
    later, earlier = env.tmp / "7-20.yaml", env.tmp / "1-14.yaml"
    later.write_text(head + "\n" + "\n".join(body[6:20]) + "\n")
    earlier.write_text(head + "\n" + "\n".join(body[0:14]) + "\n")
    ok("decisions", "import", str(later))
    said = ok("decisions", "import", str(earlier)).stdout
    assert "Imported 6 decision(s)" in said
    assert "6 of them are older than the decision already recorded for their conflict" in said
    latest = DecisionStore(env.db).latest(CATEGORY)
    assert (latest.action, latest.reason, latest.decided_at) == ("dismiss", "pass 20", "2026-02-01T18:23:00+00:00")
    assert f"{CATEGORY}" in ok("conflicts", "--status", "dismissed").stdout


def test_imported_decision_supersedes_the_one_before_it_in_time(env):
    entries = history_of_twenty().split("\n- ")
    head, body = entries[0], ["- " + e for e in entries[1:]]
    (env.tmp / "a.yaml").write_text(head + "\n" + body[19] + "\n")
    (env.tmp / "b.yaml").write_text(head + "\n" + "\n".join(body[0:2]) + "\n")
    ok("decisions", "import", str(env.tmp / "a.yaml"))
    ok("decisions", "import", str(env.tmp / "b.yaml"))
    by_reason = {d.reason: d for d in DecisionStore(env.db).history()}
    assert by_reason["pass 2"].supersedes == by_reason["pass 1"].id
    assert by_reason["pass 1"].supersedes is None


# -- item 20: terminal escapes in what the CLI prints ------------------------------------------------------

# Window title, clipboard write (OSC 52), hidden text, and a C1 control sequence introducer.
HOSTILE = "ana\x1b]0;pwned\x07\x1b]52;c;cGF3bmVk\x07\x1b[8mhidden\x1b[0m\x9b31m\x08"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printed_safely(result) -> str:
    text = result.stdout + result.stderr
    assert not CONTROL.search(text), repr(CONTROL.search(text).group())
    return text


def test_control_characters_from_by_and_reason_never_reach_the_terminal(env):
    printed_safely(ok("dismiss", VALUATION, "--by", HOSTILE, "--reason", HOSTILE))
    for command in (("conflicts", "--all"), ("show", VALUATION), ("history",), ("history", VALUATION)):
        assert "pwned" in printed_safely(ok(*command))       # shown, but as inert text


def test_control_characters_from_an_imported_file_never_reach_the_terminal(env):
    path = env.tmp / "hostile.yaml"
    path.write_text(IMPORTED.replace("decided_by: ana", 'decided_by: "ana\\e]0;pwned\\a\\e[8m"')
                    .replace("reason: round terms", 'reason: "\\e]52;c;cGF3bmVk\\a terms"'))
    printed_safely(ok("decisions", "import", str(path)))
    for command in (("conflicts", "--all"), ("show", VALUATION), ("history",)):
        printed_safely(ok(*command))


def test_control_characters_from_a_source_title_never_reach_the_terminal(env):
    documents = pd.read_csv(env.out / "documents.csv", dtype=str, keep_default_na=False)
    documents["title"] = "Weekly" + HOSTILE
    to_csv_safe(documents, env.out / "documents.csv")
    assert "Weekly" in printed_safely(ok("show", VALUATION))


def test_control_characters_in_arguments_are_not_echoed_in_errors(env):
    printed_safely(cli("show", "k-\x1b]0;pwned\x07"))
    printed_safely(cli("approve", VALUATION, "--value", "\x1b[8m5", "--by", "a", "--reason", "r"))
    printed_safely(cli("decisions", "import", "no-such-\x1b]0;x\x07.yaml"))


# -- item 21 (GX): a failed critical expectation is printed and fails --fail-on error ----------------------

def test_failed_critical_expectation_is_printed_and_fails_the_run(env, monkeypatch):
    """The attacker's golden row with high < low, from a decision written straight into the store."""
    sources, out = env.tmp / "sources", env.tmp / "run-out"
    sources.mkdir()
    (sources / "a.md").write_text("# Funding note\n\nOpenAI was valued at $35 billion in February 2026.\n")
    (sources / "b.md").write_text("# Market wrap\n\nOpenAI was valued at $37.5 billion in February 2026.\n")
    monkeypatch.setenv("RECONCILE_OUT", str(out))
    ok("run", "--sources", str(sources))
    conflict = pd.read_csv(out / "conflicts.csv").iloc[0]
    ok("dismiss", conflict["conflict_id"], "--by", "ana", "--reason", "creates the store")
    with sqlite3.connect(env.db) as db:
        db.execute("INSERT INTO decisions (conflict_id, action, decided_by, decided_at, reason, fingerprint, "
                   "claim_ids, \"values\", chosen_low, chosen_high, unit) VALUES (?, 'approve', 'mallory', ?, "
                   "'imported', ?, ?, '{}', 10, 1, 'USD')",
                   (conflict["conflict_id"], "2999-01-01T00:00:00+00:00", conflict["fingerprint"],
                    conflict["claim_ids"]))
    result = cli("run", "--sources", str(sources), "--fail-on", "error")
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    said = " ".join(result.stdout.split())
    assert "critical data check failed: gx_resolved_claims_suite" in said
    assert "expect_column_pair_values_a_to_be_greater_than_b" in said
    assert "(--fail-on error)" in said
    assert cli("run", "--sources", str(sources)).exit_code == 0      # without --fail-on it is reported only


def test_zero_byte_database_stops_a_run_with_one_line(env, monkeypatch):
    sources = env.tmp / "sources"
    sources.mkdir()
    (sources / "a.md").write_text("# Funding note\n\nOpenAI was valued at $35 billion in February 2026.\n")
    env.db.parent.mkdir(parents=True)
    env.db.write_bytes(b"")
    monkeypatch.setenv("RECONCILE_OUT", str(env.tmp / "run-out"))
    line = one_clear_line(cli("run", "--sources", str(sources)), f"{env.db}: ")
    assert "0 bytes" in line and env.db.read_bytes() == b""
