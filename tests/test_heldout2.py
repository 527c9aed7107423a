"""Second held-out set: independent authors' habits, planted conflicts and look-alikes.

Documents and ground truth live in tests/fixtures/heldout2/ (truth.yaml lists every planting and
look-alike with its status; tests/test_heldout_truth.py executes those statuses). The tests here
check what truth.yaml cannot say: which claims a conflict cites, and look-alikes named by their claims.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import Run, run_folder

HELDOUT2 = Path(__file__).resolve().parent / "fixtures" / "heldout2"
DECK, SIGNAL, ARTICLE = "compute-capital-monitor", "the-signal-w09", "trillion-dollar-question"
TRACKER, DIGEST = "earnings-tracker-q4-2025", "press-digest-2026-03-05"


@pytest.fixture(scope="module")
def run() -> Run:
    return run_folder(HELDOUT2)


def _evidence(rows: pd.DataFrame) -> set[str]:
    return {i for ids in rows["claim_ids"] for i in str(ids).split(";") if i}


def test_all_documents_registered_and_read(run):
    truth = yaml.safe_load((HELDOUT2 / "truth.yaml").read_text(encoding="utf-8"))
    assert set(truth) == {"planted", "lookalikes"}
    reg = yaml.safe_load((HELDOUT2 / "sources.yaml").read_text(encoding="utf-8"))
    ids = {s["id"] for s in reg["sources"]}
    assert ids == {DECK, SIGNAL, ARTICLE, TRACKER, DIGEST}
    assert set(run.claims["source_id"]) == ids


# --- planted conflicts found today ------------------------------------------------------------------

def test_V1_alphabet_2025_capex_across_deck_and_newsletter(run):
    deck = run.claim_ids(DECK, "$91.4B", "capex", "Google")
    signal = run.claim_ids(SIGNAL, "$85.2B", "capex", "Google")
    rows = run.conflicts_of("value", "Google", "capex")
    rows = rows[rows["period"] == "2025"]
    assert len(rows) == 1
    ev = _evidence(rows)
    assert deck <= ev and signal & ev


def test_V2_xai_valuation_january_2026_across_deck_and_article(run):
    deck = run.claim_ids(DECK, "$230B", "valuation", "xAI")
    article = run.claim_ids(ARTICLE, "$250 billion", "valuation", "xAI")
    rows = run.conflicts_of("value", "xAI", "valuation")
    assert len(rows) == 1 and rows.iloc[0]["period"] == "2026-01"
    assert deck | article <= _evidence(rows)


def test_C1_private_valuation_in_market_cap_column(run):
    cell = {i for i in run.claim_ids(DECK, "$380B", "market_cap", "Anthropic")}
    rows = run.conflicts_of("category", "Anthropic", "market_cap")
    assert len(rows) == 1
    assert cell <= _evidence(rows)


def test_P1_quarterly_revenue_in_annual_column(run):
    cell = run.claim_ids(DECK, "$1.57B/quarter", "revenue", "CoreWeave")
    rows = run.involved(cell, "period")
    assert len(rows) == 1 and rows.iloc[0]["entity"] == "CoreWeave"


def test_P2_annual_capex_in_quarterly_column(run):
    cell = run.claim_ids(TRACKER, "$50B per year", "capex", "Oracle")
    rows = run.involved(cell, "period")
    assert len(rows) == 1 and rows.iloc[0]["entity"] == "Oracle"


def test_D1_anthropic_ipo_q3_2026_vs_early_2027(run):
    early_2027 = run.claim_ids(SIGNAL, "early 2027", "ipo_date", "Anthropic")
    q3 = run.claim_ids(DECK, "Q3 2026", "ipo_date", "Anthropic") \
        | run.claim_ids(ARTICLE, "Q3 2026", "ipo_date", "Anthropic")
    rows = run.conflicts_of("date", "Anthropic", "ipo_date")
    assert len(rows) == 1
    assert early_2027 | q3 <= _evidence(rows)


def test_D3_meta_oracle_deal_feb_10_vs_march_3(run):
    feb10 = run.claim_ids(SIGNAL, "Feb 10", "deal_signed_date")
    mar3 = run.claim_ids(DIGEST, "March 3", "deal_signed_date")
    rows = run.conflicts_of("date", metric="deal_signed_date")
    hit = rows[rows["claim_ids"].map(lambda s: bool(set(s.split(";")) & feb10) and bool(set(s.split(";")) & mar3))]
    assert len(hit) == 1


def test_A5_two_company_quarterly_capex_sum(run):
    total = run.claim_ids(TRACKER, "$80B", "capex", "Amazon+Google")
    rows = run.involved(total, "arithmetic")
    assert len(rows) == 1
    assert rows.iloc[0]["rule"] == "sum-of-parts" and rows.iloc[0]["period"] == "2025-Q4"


# --- look-alikes not flagged today --------------------------------------------------------------------

@pytest.mark.parametrize("source,value_text,metric,entity", [
    (DECK, "1B+", "mau", "Meta AI"),                       # L1  1B+ vs 1 Billion
    (SIGNAL, "1 Billion", "mau", "Meta AI"),
    (SIGNAL, "$180B", "capex", "Google"),                  # L2  point inside $175-185B
    (DECK, "$14B", "revenue_run_rate", "Anthropic"),       # L7  $14B vs about $14.5B
    (SIGNAL, "About $14.5 Billion", "revenue_run_rate", "Anthropic"),
    (ARTICLE, "about $14 billion", "revenue_run_rate", "Anthropic"),
    (DECK, "$2B", "investment", "NVIDIA"),                 # L8  different counterparties
    (DIGEST, "$5 billion", "investment", "NVIDIA"),
    (DECK, "$75B", "capex", "Google"),                     # L16 superseded initial plan
    (DECK, "38%", "revenue", "Azure"),                     # L17 constant currency restatement
    (DIGEST, "$2 billion", "investment", "Tesla"),         # L19 $2B vs $2 billion
    (DIGEST, "about $50 billion", "capex", "Oracle"),      # L21 FY2026 about $50B vs $50B
])
def test_lookalike_claims_are_in_no_conflict(run, source, value_text, metric, entity):
    ids = run.claim_ids(source, value_text, metric, entity)
    # A look-alike may be cited as a part of someone else's sum; it is never one side of a disagreement.
    flagged = run.involved(ids)
    flagged = flagged[~((flagged["kind"] == "arithmetic") & (flagged["entity"] != entity))]
    assert flagged.empty


@pytest.mark.parametrize("source,value_text,metric,entity", [
    (TRACKER, "66%", "capex", "Microsoft"),                # L9  22.6 -> 37.5 is +66%
    (TRACKER, "24%", "revenue", "AWS"),                    # L10 28.8 -> 35.6 is +24%
    (SIGNAL, "Nearly tripled", "revenue_run_rate", "Anthropic"),  # L13 $5B -> $14B
    (SIGNAL, "roughly 40x", "valuation", "OpenAI"),        # L18 830 / 20
    (DECK, "nearly double", "capex", "Meta"),              # up to $135B vs $72.2B
])
def test_consistent_relations_are_not_arithmetic_conflicts(run, source, value_text, metric, entity):
    ids = run.claim_ids(source, value_text, metric, entity)
    assert run.involved(ids, "arithmetic").empty


def test_L3_quarterly_capex_next_to_annual_is_no_value_conflict(run):
    quarter = run.claim_ids(DECK, "$27.9B", "capex", "Google")
    assert run.involved(quarter, "value").empty
    assert run.involved(quarter, "period").empty


def test_L20_growth_rates_of_different_clouds_not_compared(run):
    google = run.claim_ids(DECK, "+48%", "revenue", "Google Cloud")  # Google Cloud's revenue, not "cloud revenue"
    assert run.involved(google).empty


# A3 (also in truth.yaml): no other arithmetic conflict for Google Cloud, whatever the metric.

def test_a3_annualised_word_before_the_figure(run):
    """A3: 'At $17.7B a quarter, ... an annualized revenue run-rate of roughly $60B' (4 x 17.7 = 70.8)."""
    hits = run.conflicts_of("arithmetic", "Google Cloud")
    assert list(hits["rule"]) == ["annualisation"]
