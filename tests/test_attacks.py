"""Issue 12's attacks on the steward side, each with the attacker's own input.

Every test here failed before its fix. The decisions store, its YAML import, the registry and
vocabulary loaders and the CLI's printing are attacked the way the report describes.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reconcile import registry
from reconcile.config import default_vocab_dir
from reconcile.decisions import DecisionStore
from reconcile.errors import UserError
from reconcile.vocab import load_vocabulary
from test_cli_steward import VALUATION, cli, env, ok  # noqa: F401  (env is a fixture)


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
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")) + (
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
