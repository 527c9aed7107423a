"""Smoke test of the benchmark corpus: a tiny corpus with its truth, and its planted conflicts found."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

corpus = pytest.importorskip("bench.corpus")
from bench.score import score  # noqa: E402


def test_generator_writes_documents_registry_and_truth(tmp_path):
    truth = corpus.generate(6, tmp_path / "c", target_bytes=4000)
    files = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert "sources.yaml" in files and len(files) == 7
    assert {Path(f).suffix for f in files} == {".md", ".txt", ".html", ".yaml"}
    saved = json.loads((tmp_path / "c.truth.json").read_text())
    assert saved == truth
    kinds = {c["kind"] for c in truth["conflicts"]}
    assert kinds == {"value", "category", "period", "date", "arithmetic"}
    assert truth["lookalikes"] and all(c["sources"] for c in truth["conflicts"])
    # deterministic for a seed
    assert corpus.generate(6, tmp_path / "d", target_bytes=4000)["conflicts"] == truth["conflicts"]


def test_planted_conflicts_of_a_three_document_corpus_are_found(tmp_path):
    from reconcile import detect, engine, registry
    from reconcile.config import default_vocab_dir
    from reconcile.vocab import load_vocabulary

    src = tmp_path / "n3"
    truth = corpus.generate(3, src, target_bytes=6000)
    docs, _ = registry.discover(src)
    assert len(docs) == 3 and all(d.status == "ok" for d in docs)
    claims = engine.extract_claims(docs, load_vocabulary(default_vocab_dir())).claims
    conflicts = detect.detect_conflicts(claims, registry.documents_frame(docs, src))
    result = score(conflicts, truth)
    missed = {k: v for k, v in result["by_kind"].items() if v["found"] < v["planted"]}
    assert not missed, (missed, result["missed"])
    assert result["recall"] == 1.0
    assert result["lookalikes_flagged"] == 0, result["false_positives"]
