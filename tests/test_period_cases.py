"""Periods and granularity on small documents written in the style of real releases and articles.

Each case in tests/fixtures/period_cases.yaml is a document (markdown), its publication date, the figure to look
at (its text as written) and what its claim must say: period span, granularity, where the period was read, and
where a case names them, its metric and qualifier.
The document goes through the real parse → extract → normalise path with the bundled vocabulary.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from reconcile.extract import extract_document
from reconcile.normalise import claims_frame
from reconcile.parse import parse_document

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "period_cases.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_period_case(vocab, case):
    published = dt.date.fromisoformat(str(case["published"]))
    blocks = parse_document(case["doc"], "markdown")
    found = extract_document(blocks, "doc", published, vocab)
    claims = claims_frame(found.mentions, {"doc": published}, vocab)
    rows = claims[claims["value_text"] == case["figure"]]
    if "quote" in case:
        rows = rows[rows["quote"].str.contains(case["quote"], regex=False)]
    assert len(rows), f"no claim for {case['figure']!r}: {claims[['value_text', 'quote']].values.tolist()}"
    got = rows.iloc[0]
    want = case["expect"]
    if "span" in want:
        assert [got["period_start"], got["period_end"]] == [str(d) for d in want["span"]], got["period"]
    for field in ("granularity", "period_from", "metric", "qualifier"):
        if field in want:
            assert got[field] == want[field], f"{field}: {got[field]!r} (period {got['period']})"
