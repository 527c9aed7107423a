"""Who a figure in prose belongs to: the cases in fixtures/prose_entities.yaml, each a small document run
through the real engine (registry, metadata, parse, extract)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "prose_entities.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_prose_figure_entity(reconcile_docs, case):
    claims = reconcile_docs({case["file"]: case["text"]}).claims
    rows = claims[claims["value_text"] == case["figure"]]
    assert len(rows) == 1, f"expected one claim {case['figure']!r}:\n{claims[['value_text', 'entity']].to_string()}"
    row = rows.iloc[0]
    entity = row["entity"] if isinstance(row["entity"], str) and row["entity"] else None
    assert entity == case["entity"], row[["quote", "entity", "entity_from"]].to_dict()
    if case["entity"] is not None:
        assert row["entity_from"] == case["entity_from"], row[["quote", "entity", "entity_from"]].to_dict()
    if "metric" in case:
        assert row["metric"] == case["metric"], row[["quote", "metric", "metric_from"]].to_dict()
    if "period" in case:
        assert [row["period"], row["period_from"]] == case["period"], row[["quote", "period", "period_from"]].to_dict()
