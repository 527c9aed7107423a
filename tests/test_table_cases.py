"""Comparative tables (tests/fixtures/table_cases.yaml): each column is read as a claim about its own period,
change columns as growth rates or point changes, accounting signs and scale notes applied."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconcile.extract import extract_document
from reconcile.normalise import claims_frame
from reconcile.parse import parse_document
from reconcile.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
CASES = yaml.safe_load((ROOT / "tests/fixtures/table_cases.yaml").read_text())["cases"]
VOCAB = load_vocabulary(ROOT / "vocab")


def _claims(case: dict):
    published = case["published"]
    blocks = parse_document(case["text"], case["format"])
    out = extract_document(blocks, "case", published, VOCAB)
    return claims_frame(out.mentions, {"case": published}, VOCAB)


@pytest.mark.parametrize("case", CASES, ids=[c["name"][:60] for c in CASES])
def test_table_case(case):
    claims = _claims(case)
    for want in case["expect"]:
        rows = claims[(claims["value"] - want["value"]).abs() <= 1e-9 * max(1.0, abs(want["value"]))]
        assert len(rows) >= 1, f"{case['name']}: no claim of {want['value']} in {sorted(claims['value'])}"
        row = rows.iloc[0]
        for field in ("unit", "metric", "period", "granularity", "period_from", "relation", "quote"):
            if field in want:
                assert row[field] == want[field], f"{case['name']}: {want['value']} {field} {row[field]!r}"
        for field in ("start", "end"):
            if field in want:
                got = row[f"period_{field}"]
                assert got == str(want[field]), f"{case['name']}: {want['value']} period_{field} {got!r}"
