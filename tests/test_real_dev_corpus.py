"""The real-document development corpus, scored field by field: a regression floor for extraction.

Runs the real CLI on ../shared/corpus/real-dev/sources and scores it with ../shared/tools/score_corpus.py
against the hand-made gold; the floor is tests/fixtures/real_dev_floor.yaml.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "real-dev"
SCORER = SHARED / "tools" / "score_corpus.py"
FLOOR = yaml.safe_load((REPO / "tests" / "fixtures" / "real_dev_floor.yaml").read_text(encoding="utf-8"))
CLI = str(Path(sys.executable).parent / "reconcile")

pytestmark = pytest.mark.skipif(not (CORPUS / "gold.yaml").is_file() or not SCORER.is_file(),
                                reason="needs ../shared/corpus/real-dev and ../shared/tools beside the checkout")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    work = tmp_path_factory.mktemp("real-dev")
    env = dict(os.environ, RECONCILE_HOME=str(work / "home"))
    proc = subprocess.run([CLI, "run", "--sources", str(CORPUS / "sources"), "--out", str(work / "out")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    spec = importlib.util.spec_from_file_location("score_corpus", SCORER)
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    gold = yaml.safe_load((CORPUS / "gold.yaml").read_text(encoding="utf-8"))
    with contextlib.redirect_stdout(io.StringIO()):
        return scorer.score(gold, work / "out", show=0)


@pytest.mark.parametrize("field", list(FLOOR["shares"]))
def test_share_does_not_fall_below_the_floor(scored, field):
    total = scored["total"]
    base = total.get("gold", 0) if field in ("found", "fully correct") else total.get("found", 0)
    share = 100 * total.get(field, 0) / base if base else 0.0
    floor = FLOOR["shares"][field]
    assert share >= floor - FLOOR["slack_points"], f"{field}: {share:.1f}% < floor {floor}% - {FLOOR['slack_points']}"


def test_conflict_figures_do_not_get_worse(scored):
    c, want = scored["conflicts"], FLOOR["conflicts"]
    assert len(c["found"]) >= want["gold_found_at_least"], c["found"]
    assert len(c["trap_false_alarms"]) <= want["trap_false_alarms_at_most"], c["trap_false_alarms"]
    assert len(c["other_flagged"]) <= want["other_flagged_at_most"], c["other_flagged"]
