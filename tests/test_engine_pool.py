"""Extraction on a process pool gives the serial run's tables, in document order; few documents stay serial."""
from __future__ import annotations

import pandas as pd

from reconcile import engine, registry


def _docs(tmp_path, n: int):
    for i in range(n):
        value = 100 + 10 * (i % 3)
        (tmp_path / f"d{i:02d}.md").write_text(
            f"# Anthropic brief {i}\n\nAnthropic was valued at ${value}B in January 2026.\n\n"
            f"| Company | 2025 CapEx |\n|---|---|\n| Meta | ${60 + i}B |\n", encoding="utf-8")
    docs, _ = registry.discover(tmp_path)
    return docs


def test_pool_matches_serial_in_order(tmp_path, vocab):
    docs = _docs(tmp_path, engine.PARALLEL_MIN + 4)
    serial = engine.extract_claims(docs, vocab, workers=1)
    pooled = engine.extract_claims(docs, vocab, workers=2)
    pd.testing.assert_frame_equal(serial.claims, pooled.claims)
    pd.testing.assert_frame_equal(serial.unparsed, pooled.unparsed)
    assert serial.extracted == pooled.extracted == [d.source_id for d in docs if d.status == "ok"]


def test_few_documents_stay_serial(monkeypatch):
    assert engine.workers_for(engine.PARALLEL_MIN - 1, 2) == 1
    assert engine.workers_for(engine.PARALLEL_MIN, 2) == 2
    monkeypatch.setenv("RECONCILE_WORKERS", "1")
    assert engine.workers_for(1000) == 1
