"""Metric, value and unit of figures in prose, end to end through extract and normalise (cases in
tests/fixtures/metric_patterns.yaml)."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import yaml

from reconcile.extract import extract_document
from reconcile.normalise import claims_frame
from reconcile.parse import Block

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "metric_patterns.yaml").read_text())["cases"]
AS_OF = dt.date(2026, 2, 1)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['figure']} in {c['text'][:40]}" for c in CASES])
def test_metric_value_unit_of_a_figure(vocab, case):
    out = extract_document([Block("paragraph", case["text"], 1, ("News",))], "doc", AS_OF, vocab)
    claims = claims_frame(out.mentions, {"doc": AS_OF}, vocab)
    row = claims[claims["value_text"] == case["figure"]]
    assert len(row) == 1, claims[["value_text", "metric", "value"]]
    row = row.iloc[0]
    metric = row["metric"] if isinstance(row["metric"], str) else ""
    if case["metric"] != "*":
        assert metric == case["metric"]
    assert row["unit"] == case["unit"], row.to_dict()
    if "range" in case:  # a stated range: low and high, no single value
        assert math.isnan(row["value"]) and [row["value_low"], row["value_high"]] == pytest.approx(case["range"])
    else:
        assert math.isclose(row["value"], case["value"], rel_tol=1e-9), row.to_dict()


def test_one_figure_stated_for_both_gaap_and_non_gaap_is_two_claims(vocab):
    """'GAAP and non-GAAP earnings per diluted share were both $1.30': one figure, two measures, two claims."""
    text = "For the quarter, GAAP and non-GAAP earnings per diluted share were both $1.30."
    out = extract_document([Block("paragraph", text, 1, ("News",))], "doc", AS_OF, vocab)
    claims = claims_frame(out.mentions, {"doc": AS_OF}, vocab)
    rows = claims[claims["value_text"] == "$1.30"]
    assert sorted(rows["metric"]) == ["eps", "non_gaap_eps"] and set(rows["value"]) == {1.3}


def test_a_part_named_after_the_metric_word_scopes_it(vocab):
    """'revenue in its cloud memory business' is one part's revenue: scoped, so never compared with the total."""
    text = "Micron said revenue in its cloud memory business rose more than 160% to $7.75 billion."
    out = extract_document([Block("paragraph", text, 1, ("News",))], "doc", AS_OF, vocab)
    claims = claims_frame(out.mentions, {"doc": AS_OF}, vocab)
    row = claims[claims["value_text"] == "$7.75 billion"].iloc[0]
    assert row["metric"] == "revenue" and row["scope"] == "cloud memory business"


@pytest.mark.parametrize("text", [
    "Meta does not launch products such as an Instagram app for users under 13.",
    "The rules cover children aged 8 and teens over 16.",
    "Announced the GeForce RTX™ 5070 and RTX 5060, bringing new graphics to gamers.",
    "The BlueField®-4 data processor powers the platform.",
    "The 10-year Treasury and the 2-year gilts led the bond market.",
    "Micron Reports Results for the Fiscal Year 2026 Second Quarter",
])
def test_an_age_limit_a_model_number_or_a_maturity_is_no_figure(vocab, text):
    """'users under 13' is an age limit, not a count of 13 users; 'RTX 5070' a model, not 5,070 of anything;
    'the 10-year Treasury' a bond's name."""
    out = extract_document([Block("paragraph", text, 1, ("News",))], "doc", AS_OF, vocab)
    assert claims_frame(out.mentions, {"doc": AS_OF}, vocab).empty
