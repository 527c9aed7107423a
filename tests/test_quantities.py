"""Table-driven tests for reconcile.quantities: figures, malformed forms, name look-alikes, periods."""
from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import pytest
import yaml

from reconcile.quantities import (
    Period,
    Quantity,
    Unparsed,
    find_periods,
    find_quantities,
    parse_quantity,
    render_quantity,
    render_value,
)

INF = math.inf


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def only(text):
    items = find_quantities(text)
    assert len(items) == 1, items
    return items[0]


# ---------------------------------------------------------------------------
# find_quantities: one figure per text, with (span, value, low, high, unit, qualifier, per)
# ---------------------------------------------------------------------------

FIGURES = [
    # money
    ("$730B", "$730B", 730e9, 730e9, 730e9, "USD", "exact", None),
    ("$1.4 trillion", "$1.4 trillion", 1.4e12, 1.4e12, 1.4e12, "USD", "exact", None),
    ("$505 billion", "$505 billion", 505e9, 505e9, 505e9, "USD", "exact", None),
    ("$505 Billion", "$505 Billion", 505e9, 505e9, 505e9, "USD", "exact", None),
    ("$1.25", "$1.25", 1.25, 1.25, 1.25, "USD", "exact", None),
    ("$36,999", "$36,999", 36999.0, 36999.0, 36999.0, "USD", "exact", None),
    ("$14.3B", "$14.3B", 14.3e9, 14.3e9, 14.3e9, "USD", "exact", None),
    ("$799,", "$799", 799.0, 799.0, 799.0, "USD", "exact", None),
    ("$0 direct", "$0", 0.0, 0.0, 0.0, "USD", "exact", None),
    ("€5M", "€5M", 5e6, 5e6, 5e6, "EUR", "exact", None),
    ("£2bn", "£2bn", 2e9, 2e9, 2e9, "GBP", "exact", None),
    ("US$5B", "US$5B", 5e9, 5e9, 5e9, "USD", "exact", None),
    ("$5m seed", "$5m", 5e6, 5e6, 5e6, "USD", "exact", None),
    ("$5-billion deal", "$5-billion", 5e9, 5e9, 5e9, "USD", "exact", None),
    ("5 billion USD", "5 billion USD", 5e9, 5e9, 5e9, "USD", "exact", None),
    ("$27.", "$27", 27.0, 27.0, 27.0, "USD", "exact", None),
    # approx
    ("~$730B", "~$730B", 730e9, 730e9, 730e9, "USD", "approx", None),
    ("≈$730B", "≈$730B", 730e9, 730e9, 730e9, "USD", "approx", None),
    ("about $5B", "about $5B", 5e9, 5e9, 5e9, "USD", "approx", None),
    ("approximately 3,000 staff", "approximately 3,000", 3000.0, 3000.0, 3000.0, "count", "approx", None),
    ("around 40%", "around 40%", 40.0, 40.0, 40.0, "percent", "approx", None),
    ("nearly $1 trillion", "nearly $1 trillion", 1e12, 1e12, 1e12, "USD", "approx", None),
    ("Roughly 5 GW", "Roughly 5 GW", 5.0, 5.0, 5.0, "GW", "approx", None),
    ("~2T total", "~2T", 2e12, 2e12, 2e12, "count", "approx", None),
    ("~ $5B", "~ $5B", 5e9, 5e9, 5e9, "USD", "approx", None),
    # at least
    ("$115B+", "$115B+", 115e9, 115e9, INF, "USD", "at_least", None),
    ("555,000+", "555,000+", 555e3, 555e3, INF, "count", "at_least", None),
    ("1B+ members", "1B+", 1e9, 1e9, INF, "count", "at_least", None),
    ("100%+ YoY", "100%+", 100.0, 100.0, INF, "percent", "at_least", None),
    ("80%+", "80%+", 80.0, 80.0, INF, "percent", "at_least", None),
    ("60+ regions", "60+", 60.0, 60.0, INF, "count", "at_least", None),
    ("over 100,000 users", "over 100,000", 1e5, 1e5, INF, "count", "at_least", None),
    ("more than $2B", "more than $2B", 2e9, 2e9, INF, "USD", "at_least", None),
    ("at least 50%", "at least 50%", 50.0, 50.0, INF, "percent", "at_least", None),
    ("exceeds $10B", "exceeds $10B", 10e9, 10e9, INF, "USD", "at_least", None),
    ("prices starting from $299", "starting from $299", 299.0, 299.0, INF, "USD", "at_least", None),
    ("the index crosses 59,000 for the first time", "crosses 59,000", 59000.0, 59000.0, INF, "count", "at_least", None),
    ("revenue topped $5 billion", "topped $5 billion", 5e9, 5e9, INF, "USD", "at_least", None),
    ("Starting at $1,099", "Starting at $1,099", 1099.0, 1099.0, INF, "USD", "at_least", None),
    (">90% of code", ">90%", 90.0, 90.0, INF, "percent", "at_least", None),
    ("5 GW+", "5 GW+", 5.0, 5.0, INF, "GW", "at_least", None),
    ("2+ GW", "2+ GW", 2.0, 2.0, INF, "GW", "at_least", None),
    ("4+ million", "4+ million", 4e6, 4e6, INF, "count", "at_least", None),
    ("3.5+ TB/s", "3.5+ TB/s", 3.5, 3.5, INF, "TB/s", "at_least", None),
    ("~$700B+", "~$700B+", 700e9, 700e9, INF, "USD", "at_least", None),
    # at most
    ("up to $1T", "up to $1T", 1e12, 0.0, 1e12, "USD", "at_most", None),
    ("Up to $1T", "Up to $1T", 1e12, 0.0, 1e12, "USD", "at_most", None),
    ("at most 5,000", "at most 5,000", 5000.0, 0.0, 5000.0, "count", "at_most", None),
    ("under $5", "under $5", 5.0, 0.0, 5.0, "USD", "at_most", None),
    ("below 700M MAU", "below 700M", 700e6, 0.0, 700e6, "count", "at_most", None),
    ("less than 5%", "less than 5%", 5.0, -INF, 5.0, "percent", "at_most", None),
    ("<5%", "<5%", 5.0, -INF, 5.0, "percent", "at_most", None),
    # ranges
    ("$175-185B", "$175-185B", None, 175e9, 185e9, "USD", "range", None),
    ("$115-135 Billion", "$115-135 Billion", None, 115e9, 135e9, "USD", "range", None),
    ("$5.05-5.15B", "$5.05-5.15B", None, 5.05e9, 5.15e9, "USD", "range", None),
    ("30-40%", "30-40%", None, 30.0, 40.0, "percent", "range", None),
    ("30%-40%", "30%-40%", None, 30.0, 40.0, "percent", "range", None),
    ("$25-30/user/month", "$25-30/user/month", None, 25.0, 30.0, "USD", "range", "user/month"),
    ("~$3.7-6B", "~$3.7-6B", None, 3.7e9, 6e9, "USD", "approx_range", None),
    ("~$600-700B", "~$600-700B", None, 600e9, 700e9, "USD", "approx_range", None),
    ("$600-700B", "$600-700B", None, 600e9, 700e9, "USD", "range", None),
    ("18-24 month norm", "18-24 month", None, 18.0, 24.0, "months", "range", None),
    ("2-3×", "2-3×", None, 2.0, 3.0, "multiple", "range", None),
    ("$175–185B", "$175–185B", None, 175e9, 185e9, "USD", "range", None),
    ("$5B to $7B", "$5B to $7B", None, 5e9, 7e9, "USD", "range", None),
    ("$500M-$1B", "$500M-$1B", None, 500e6, 1e9, "USD", "range", None),
    ("between $5B and $7B", "between $5B and $7B", None, 5e9, 7e9, "USD", "range", None),
    ("164-170% YoY", "164-170%", None, 164.0, 170.0, "percent", "range", None),
    ("5 to 10 years", "5 to 10 years", None, 5.0, 10.0, "years", "range", None),
    ("±5%", "±5%", None, -5.0, 5.0, "percent", "range", None),
    ("-10% to -5%", "-10% to -5%", None, -10.0, -5.0, "percent", "range", None),
    # percent and change
    ("39% YoY", "39%", 39.0, 39.0, 39.0, "percent", "exact", None),
    ("11.5% stake", "11.5%", 11.5, 11.5, 11.5, "percent", "exact", None),
    ("+50%", "+50%", 50.0, 50.0, 50.0, "percent", "change", None),
    ("-10%", "-10%", -10.0, -10.0, -10.0, "percent", "change", None),
    ("(+160% YoY)", "+160%", 160.0, 160.0, 160.0, "percent", "change", None),
    ("50 percent", "50 percent", 50.0, 50.0, 50.0, "percent", "exact", None),
    ("~16 percentage points", "~16 percentage points", 16.0, 16.0, 16.0, "pp", "approx", None),
    # multiples
    ("2×", "2×", 2.0, 2.0, 2.0, "multiple", "exact", None),
    ("~2× 2025 actual", "~2×", 2.0, 2.0, 2.0, "multiple", "approx", None),
    ("4.7× compute", "4.7×", 4.7, 4.7, 4.7, "multiple", "exact", None),
    ("10× YoY", "10×", 10.0, 10.0, 10.0, "multiple", "exact", None),
    ("2x faster", "2x", 2.0, 2.0, 2.0, "multiple", "exact", None),
    ("3X", "3X", 3.0, 3.0, 3.0, "multiple", "exact", None),
    # counts
    ("100K chips", "100K", 1e5, 1e5, 1e5, "count", "exact", None),
    ("3.6 million units", "3.6 million", 3.6e6, 3.6e6, 3.6e6, "count", "exact", None),
    ("400,000+", "400,000+", 4e5, 4e5, INF, "count", "at_least", None),
    ("4.2M DAU", "4.2M", 4.2e6, 4.2e6, 4.2e6, "count", "exact", None),
    ("26.6M MAU", "26.6M", 26.6e6, 26.6e6, 26.6e6, "count", "exact", None),
    ("900M+", "900M+", 900e6, 900e6, INF, "count", "at_least", None),
    ("15M", "15M", 15e6, 15e6, 15e6, "count", "exact", None),
    ("1,900+ models", "1,900+", 1900.0, 1900.0, INF, "count", "at_least", None),
    ("16,000 jobs", "16,000", 16000.0, 16000.0, 16000.0, "count", "exact", None),
    ("48M+", "48M+", 48e6, 48e6, INF, "count", "at_least", None),
    ("10M token context", "10M", 10e6, 10e6, 10e6, "count", "exact", None),
    ("100k users", "100k", 1e5, 1e5, 1e5, "count", "exact", None),
    ("34 regions", "34", 34.0, 34.0, 34.0, "count", "exact", None),
    ("in 7 new cities", "7", 7.0, 7.0, 7.0, "count", "exact", None),
    ("1e5", "1e5", 1e5, 1e5, 1e5, "count", "exact", None),
    ("2,048 GPUs", "2,048", 2048.0, 2048.0, 2048.0, "count", "exact", None),
    # physical units
    ("2 GW", "2 GW", 2.0, 2.0, 2.0, "GW", "exact", None),
    ("470MW", "470MW", 470.0, 470.0, 470.0, "MW", "exact", None),
    ("1,000W", "1,000W", 1000.0, 1000.0, 1000.0, "W", "exact", None),
    ("~120kW", "~120kW", 120.0, 120.0, 120.0, "kW", "approx", None),
    ("192GB HBM3e", "192GB", 192.0, 192.0, 192.0, "GB", "exact", None),
    ("7.37 TB/s bandwidth", "7.37 TB/s", 7.37, 7.37, 7.37, "TB/s", "exact", None),
    ("4,614 TFLOPS FP8", "4,614 TFLOPS", 4614.0, 4614.0, 4614.0, "TFLOPS", "exact", None),
    ("15 PFLOPS", "15 PFLOPS", 15.0, 15.0, 15.0, "PFLOPS", "exact", None),
    ("1.1 EXAFLOPS", "1.1 EXAFLOPS", 1.1, 1.1, 1.1, "EXAFLOPS", "exact", None),
    ("91 exaFLOPS", "91 exaFLOPS", 91.0, 91.0, 91.0, "EXAFLOPS", "exact", None),
    ("354 TOPS INT8", "354 TOPS", 354.0, 354.0, 354.0, "TOPS", "exact", None),
    ("TSMC 3nm", "3nm", 3.0, 3.0, 3.0, "nm", "exact", None),
    ("122 days", "122 days", 122.0, 122.0, 122.0, "days", "exact", None),
    ("a 30-day trial", "30-day", 30.0, 30.0, 30.0, "days", "exact", None),
    ("within 24 months", "24 months", 24.0, 24.0, 24.0, "months", "exact", None),
    ("2026 TFLOPS", "2026 TFLOPS", 2026.0, 2026.0, 2026.0, "TFLOPS", "exact", None),
    ("$2026", "$2026", 2026.0, 2026.0, 2026.0, "USD", "exact", None),
    # rates
    ("$37.5B/quarter", "$37.5B/quarter", 37.5e9, 37.5e9, 37.5e9, "USD", "exact", "quarter"),
    ("$15.15B/quarter", "$15.15B/quarter", 15.15e9, 15.15e9, 15.15e9, "USD", "exact", "quarter"),
    ("$30/user/month", "$30/user/month", 30.0, 30.0, 30.0, "USD", "exact", "user/month"),
    ("$30/seat/month", "$30/seat/month", 30.0, 30.0, 30.0, "USD", "exact", "seat/month"),
    ("$36,999/instance/month", "$36,999/instance/month", 36999.0, 36999.0, 36999.0, "USD", "exact",
     "instance/month"),
    ("$4,500/GPU/year", "$4,500/GPU/year", 4500.0, 4500.0, 4500.0, "USD", "exact", "GPU/year"),
    ("~$1/GPU/hr", "~$1/GPU/hr", 1.0, 1.0, 1.0, "USD", "approx", "GPU/hour"),
    ("$2.49/hr", "$2.49/hr", 2.49, 2.49, 2.49, "USD", "exact", "hour"),
    ("$40/share", "$40/share", 40.0, 40.0, 40.0, "USD", "exact", "share"),
    ("$5B per quarter", "$5B per quarter", 5e9, 5e9, 5e9, "USD", "exact", "quarter"),
    ("$5B per month", "$5B per month", 5e9, 5e9, 5e9, "USD", "exact", "month"),
    ("$5B a year", "$5B a year", 5e9, 5e9, 5e9, "USD", "exact", "year"),
    ("$35B quarterly.", "$35B quarterly", 35e9, 35e9, 35e9, "USD", "exact", "quarter"),
    ("$2B annually", "$2B annually", 2e9, 2e9, 2e9, "USD", "exact", "year"),
    ("$20 per user per month", "$20 per user per month", 20.0, 20.0, 20.0, "USD", "exact", "user/month"),
    ("$10 per M tokens", "$10 per M tokens", 10.0, 10.0, 10.0, "USD", "exact", "M tokens"),
]


@pytest.mark.parametrize("text,span,value,low,high,unit,qual,per", FIGURES, ids=[f[0] for f in FIGURES])
def test_find_one_figure(text, span, value, low, high, unit, qual, per):
    q = only(text)
    assert isinstance(q, Quantity), q
    assert q.text == span
    assert text[q.start:q.end] == span
    assert close(q.value, value) and close(q.low, low) and close(q.high, high), q
    assert (q.unit, q.qualifier, q.per) == (unit, qual, per)


@pytest.mark.parametrize("text,sig", [
    ("$730B", 0.5e9), ("$1.4 trillion", 0.05e12), ("$37.5B", 0.05e9), ("39%", 0.5), ("555,000", 0.5),
    ("$5.05-5.15B", 0.005e9), ("4.7×", 0.05), ("$1.25", 0.005),
])
def test_sig(text, sig):
    assert close(only(text).sig, sig)


@pytest.mark.parametrize("text", [
    "$1.2.3B", "$-5B", "1e400", "$B", "~~5", "$", "5..5B", "$1,2345", "~~$5B", "$ billion",
    "$1e400", "1e300T", "$10-5B", "-$5-7B", "$5%",
])
def test_malformed_is_unparsed(text):
    items = find_quantities(text)
    assert items, text
    assert all(isinstance(i, Unparsed) for i in items), items
    assert all(i.reason for i in items)
    assert parse_quantity(text) is None


@pytest.mark.parametrize("text", [
    "GPT-5.1", "H100", "B200", "v5p", "Q4", "FY2026", "TPU v7", "Llama 4", "GB300 NVL72", "Phi-4",
    "Claude 4.5", "R1", "V4", "CoWoS", "Series E", "M365", "ISO-8601", "January 26, 2026", "Q2 FY2026",
    "H2 2026", "10:30", "at 10:30 AM", "r1.0", "Microsoft 365", "Gemini 3 Pro", "2026", "2025", "in 2026,",
    "Jan 28", "Jan 27:", "Feb 01", "28 January 2026", "2026-01-28", "2024-2029", "2027-2028", "mid-2026",
    "Q2→Q3 2025", "1/28/2026", "version 1.2.3", "10.0.0.1", "5G", "3D", "1st", "4x4", "0x1F", "see [1]",
    "1. First item", "10-K filing", "3 PM", "'25", "COVID-19", "Web 2.0", "GPT-OSS", "o3", "Qwen3", "24/7",
    "600×600 display", "FY25", "end 2025", "Q4'25", "since 2018", "Jan. 5", "the 2020s", "1990s",
])
def test_identifiers_are_not_figures(text):
    assert find_quantities(text) == []


def test_figures_next_to_names():
    text = "GPT-5: $1.25/$10 per M tokens; 20× GPT-5.1 and 2× Claude 4.5 on 100K H100 GPUs"
    items = find_quantities(text)
    assert [i.text for i in items] == ["$1.25", "$10 per M tokens", "20×", "2×", "100K"]
    assert all(isinstance(i, Quantity) for i in items)


def test_price_pair_does_not_crash():
    items = find_quantities("$1.25/$10.00 per M tokens")
    assert [(i.value, i.unit, i.per) for i in items] == [(1.25, "USD", None), (10.0, "USD", "M tokens")]


def test_from_to_is_not_a_range():
    items = find_quantities("capex grew from $5B to $7B")
    assert [i.value for i in items] == [5e9, 7e9]


def test_a_year_ago_is_not_a_rate():
    assert only("$5B a year ago").per is None


def test_adjective_frequency_is_not_a_rate():
    assert only("320M+ monthly users").per is None


def test_sentence_with_many_figures_in_order():
    text = ("Microsoft: $37.5B (+66% YoY) quarterly capex; Azure grew 39% in Q2 FY2026, "
            "with 1,900+ models and ~$150B annualized, up to $1T IPO by 2027.")
    items = find_quantities(text)
    assert [i.text for i in items] == ["$37.5B", "+66%", "39%", "1,900+", "~$150B annualized", "up to $1T"]
    starts = [i.start for i in items]
    assert starts == sorted(starts)
    for i in items:
        assert text[i.start:i.end] == i.text


def test_never_raises_on_odd_text():
    for text in ["", "$", "$$", "~", "+", "-", "1" * 5000, "9" * 400 + "e9", "\x00\udcff 5", "٣ ٤", "𝟓B",
                 "5" + "," * 100 + "5", "$" * 100, "~" * 100 + "5", "1-" * 100, "1e" + "9" * 30]:
        find_quantities(text)
        parse_quantity(text)
        find_periods(text, dt.date(2026, 2, 1))


def test_non_str_input():
    assert find_quantities(None) == []  # type: ignore[arg-type]
    assert parse_quantity(None) is None  # type: ignore[arg-type]
    assert find_periods(None, dt.date(2026, 1, 1)) == []  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# parse_quantity
# ---------------------------------------------------------------------------

PARSE = [
    ("730B", 730e9, 730e9, 730e9, "count", "exact", None),
    ("$730 billion", 730e9, 730e9, 730e9, "USD", "exact", None),
    ("730000000000", 730e9, 730e9, 730e9, "count", "exact", None),
    ("~$730B", 730e9, 730e9, 730e9, "USD", "approx", None),
    ("  $730B \n", 730e9, 730e9, 730e9, "USD", "exact", None),
    ("2026", 2026.0, 2026.0, 2026.0, "count", "exact", None),
    ("34", 34.0, 34.0, 34.0, "count", "exact", None),
    ("$175-185B", None, 175e9, 185e9, "USD", "range", None),
    ("up to $1T", 1e12, 0.0, 1e12, "USD", "at_most", None),
    ("555K+", 555e3, 555e3, INF, "count", "at_least", None),
    ("$37.5B/quarter", 37.5e9, 37.5e9, 37.5e9, "USD", "exact", "quarter"),
    ("+50%", 50.0, 50.0, 50.0, "percent", "change", None),
    ("5 GW", 5.0, 5.0, 5.0, "GW", "exact", None),
]


@pytest.mark.parametrize("text,value,low,high,unit,qual,per", PARSE, ids=[p[0] for p in PARSE])
def test_parse_quantity(text, value, low, high, unit, qual, per):
    q = parse_quantity(text)
    assert q is not None
    assert close(q.value, value) and close(q.low, low) and close(q.high, high)
    assert (q.unit, q.qualifier, q.per) == (unit, qual, per)


@pytest.mark.parametrize("text", ["", "   ", "Llama 4", "$5B and $6B", "$", "$B", "hello", "$1.2.3B",
                                  "5 apples", "GPT-5", "730B!", "~~5"])
def test_parse_quantity_rejects(text):
    assert parse_quantity(text) is None


# ---------------------------------------------------------------------------
# render_quantity / render_value
# ---------------------------------------------------------------------------

RENDER = [
    ("~$730B", "~$730B"), ("$175-185B", "$175-185B"), ("$115B+", "$115B+"), ("up to $1T", "up to $1T"),
    ("555K+", "555K+"), ("555,000+", "555K+"), ("30-40%", "30-40%"), ("~2×", "~2×"),
    ("$37.5B/quarter", "$37.5B/quarter"), ("$1.4 trillion", "$1.4T"), ("$36,999", "$36,999"),
    ("+50%", "+50%"), ("-10%", "-10%"), ("39%", "39%"), ("2 GW", "2 GW"), ("7.37 TB/s", "7.37 TB/s"),
    ("$25-30/user/month", "$25-30/user/month"), ("~$3.7-6B", "~$3.7-6B"), ("18-24 months", "18-24 months"),
    ("$500M-$1B", "$0.5-1B"), ("±5%", "±5%"), ("-10% to -5%", "-10% to -5%"), ("$10 per M tokens",
                                                                             "$10 per M tokens"),
    ("up to 5%", "up to 5%"), ("$0", "$0"), ("1,900+", "1.9K+"),
]


@pytest.mark.parametrize("text,rendered", RENDER, ids=[r[0] for r in RENDER])
def test_render_round_trip(text, rendered):
    q = parse_quantity(text)
    assert q is not None
    out = render_quantity(q)
    assert out == rendered
    back = parse_quantity(out)
    assert back is not None
    assert close(back.value, q.value) and close(back.low, q.low) and close(back.high, q.high)
    assert (back.unit, back.qualifier, back.per) == (q.unit, q.qualifier, q.per)


@pytest.mark.parametrize("value,unit,expected", [
    (730e9, "USD", "$730B"), (555000, "count", "555K"), (50.0, "percent", "50%"), (2.0, "multiple", "2×"),
    (37.5e9, "USD", "$37.5B"), (1.4e12, "USD", "$1.4T"), (36999, "USD", "$36,999"), (799, "USD", "$799"),
    (2.0, "GW", "2 GW"), (0.0, "USD", "$0"), (-5e9, "USD", "-$5B"), (12.5, "percent", "12.5%"),
    (INF, "USD", "∞"), (5e6, "EUR", "€5M"), (1.25, "USD", "$1.25"), (16.0, "pp", "16pp"),
])
def test_render_value(value, unit, expected):
    assert render_value(value, unit) == expected


# ---------------------------------------------------------------------------
# find_periods
# ---------------------------------------------------------------------------

AS_OF = dt.date(2026, 2, 1)
D = dt.date

PERIODS = [
    # text, fy_end_month, span, label, start, end, granularity, relation
    ("2026", 12, "2026", "2026", D(2026, 1, 1), D(2026, 12, 31), "year", "in"),
    ("in 2025, revenue", 12, "2025", "2025", D(2025, 1, 1), D(2025, 12, 31), "year", "in"),
    ("FY2025", 6, "FY2025", "FY2025", D(2024, 7, 1), D(2025, 6, 30), "fiscal_year", "in"),
    ("FY25", 6, "FY25", "FY2025", D(2024, 7, 1), D(2025, 6, 30), "fiscal_year", "in"),
    ("fiscal 2025", 6, "fiscal 2025", "FY2025", D(2024, 7, 1), D(2025, 6, 30), "fiscal_year", "in"),
    ("FY2025", 12, "FY2025", "FY2025", D(2025, 1, 1), D(2025, 12, 31), "fiscal_year", "in"),
    ("FY2026", 1, "FY2026", "FY2026", D(2025, 2, 1), D(2026, 1, 31), "fiscal_year", "in"),
    ("Q2 FY2026", 6, "Q2 FY2026", "FY2026-Q2", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("FY2026 Q2", 6, "FY2026 Q2", "FY2026-Q2", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("Q4 2025", 12, "Q4 2025", "2025-Q4", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("Q4 2025", 6, "Q4 2025", "2025-Q4", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("Q4'25", 12, "Q4'25", "2025-Q4", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("4Q25", 12, "4Q25", "2025-Q4", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("Q4 alone", 12, "Q4", "2025-Q4", D(2025, 10, 1), D(2025, 12, 31), "quarter", "in"),
    ("H2 2026", 12, "H2 2026", "2026-H2", D(2026, 7, 1), D(2026, 12, 31), "half", "in"),
    ("H1 2025", 12, "H1 2025", "2025-H1", D(2025, 1, 1), D(2025, 6, 30), "half", "in"),
    ("2H25", 12, "2H25", "2025-H2", D(2025, 7, 1), D(2025, 12, 31), "half", "in"),
    ("second half of 2026", 12, "second half of 2026", "2026-H2", D(2026, 7, 1), D(2026, 12, 31), "half",
     "in"),
    ("fourth quarter of 2025", 12, "fourth quarter of 2025", "2025-Q4", D(2025, 10, 1), D(2025, 12, 31),
     "quarter", "in"),
    ("end 2025", 12, "end 2025", "2025", D(2025, 12, 1), D(2025, 12, 31), "year", "end"),
    ("End 2025", 12, "End 2025", "2025", D(2025, 12, 1), D(2025, 12, 31), "year", "end"),
    ("end of 2025", 12, "end of 2025", "2025", D(2025, 12, 1), D(2025, 12, 31), "year", "end"),
    ("year-end 2025", 12, "year-end 2025", "2025", D(2025, 12, 1), D(2025, 12, 31), "year", "end"),
    ("by end of 2026", 12, "by end of 2026", "2026", D(2026, 12, 1), D(2026, 12, 31), "year", "end"),
    ("by the end of 2026", 12, "by the end of 2026", "2026", D(2026, 12, 1), D(2026, 12, 31), "year", "end"),
    ("end of FY2025", 6, "end of FY2025", "FY2025", D(2025, 6, 1), D(2025, 6, 30), "fiscal_year", "end"),
    ("through 2029", 12, "through 2029", "2029", D(2029, 1, 1), D(2029, 12, 31), "year", "through"),
    ("through 2032", 12, "through 2032", "2032", D(2032, 1, 1), D(2032, 12, 31), "year", "through"),
    ("by 2027", 12, "by 2027", "2027", D(2027, 1, 1), D(2027, 12, 31), "year", "by"),
    ("By 2028", 12, "By 2028", "2028", D(2028, 1, 1), D(2028, 12, 31), "year", "by"),
    ("since 2018", 12, "since 2018", "2018", D(2018, 1, 1), D(2018, 12, 31), "year", "since"),
    ("since Sep 2025", 12, "since Sep 2025", "2025-09", D(2025, 9, 1), D(2025, 9, 30), "month", "since"),
    ("February 2026", 12, "February 2026", "2026-02", D(2026, 2, 1), D(2026, 2, 28), "month", "in"),
    ("Feb 2026", 12, "Feb 2026", "2026-02", D(2026, 2, 1), D(2026, 2, 28), "month", "in"),
    ("Dec 2025", 12, "Dec 2025", "2025-12", D(2025, 12, 1), D(2025, 12, 31), "month", "in"),
    ("June 2025", 12, "June 2025", "2025-06", D(2025, 6, 1), D(2025, 6, 30), "month", "in"),
    ("mid-2026", 12, "mid-2026", "2026-mid", D(2026, 5, 1), D(2026, 8, 31), "month", "in"),
    ("early 2026", 12, "early 2026", "2026-early", D(2026, 1, 1), D(2026, 4, 30), "month", "in"),
    ("through mid-2026", 12, "through mid-2026", "2026-mid", D(2026, 5, 1), D(2026, 8, 31), "month",
     "through"),
    ("November 18, 2025", 12, "November 18, 2025", "2025-11-18", D(2025, 11, 18), D(2025, 11, 18), "day", "in"),
    ("October 28, 2025", 12, "October 28, 2025", "2025-10-28", D(2025, 10, 28), D(2025, 10, 28), "day", "in"),
    ("Jan 28", 12, "Jan 28", "2026-01-28", D(2026, 1, 28), D(2026, 1, 28), "day", "in"),
    ("- Jan 27: Nvidia", 12, "Jan 27", "2026-01-27", D(2026, 1, 27), D(2026, 1, 27), "day", "in"),
    ("Feb 01", 12, "Feb 01", "2026-02-01", D(2026, 2, 1), D(2026, 2, 1), "day", "in"),
    ("28 January 2026", 12, "28 January 2026", "2026-01-28", D(2026, 1, 28), D(2026, 1, 28), "day", "in"),
    ("2026-01-28", 12, "2026-01-28", "2026-01-28", D(2026, 1, 28), D(2026, 1, 28), "day", "in"),
    ("1/28/2026", 12, "1/28/2026", "2026-01-28", D(2026, 1, 28), D(2026, 1, 28), "day", "in"),
    ("2026-01", 12, "2026-01", "2026-01", D(2026, 1, 1), D(2026, 1, 31), "month", "in"),
    ("2024-2029", 12, "2024-2029", "2024..2029", D(2024, 1, 1), D(2029, 12, 31), "year", "in"),
    ("2027-2028", 12, "2027-2028", "2027..2028", D(2027, 1, 1), D(2028, 12, 31), "year", "in"),
    ("2024–2029", 12, "2024–2029", "2024..2029", D(2024, 1, 1), D(2029, 12, 31), "year", "in"),
    ("2025-26", 12, "2025-26", "2025..2026", D(2025, 1, 1), D(2026, 12, 31), "year", "in"),
    ("2024 to 2029", 12, "2024 to 2029", "2024..2029", D(2024, 1, 1), D(2029, 12, 31), "year", "in"),
    ("between 2024 and 2029", 12, "between 2024 and 2029", "2024..2029", D(2024, 1, 1), D(2029, 12, 31),
     "year", "in"),
    ("Q2→Q3 2025", 12, "Q2→Q3 2025", "2025-Q2..2025-Q3", D(2025, 4, 1), D(2025, 9, 30), "quarter", "in"),
    ("FY2024-FY2026", 6, "FY2024-FY2026", "FY2024..FY2026", D(2023, 7, 1), D(2026, 6, 30), "fiscal_year",
     "in"),
    ("At the beginning of 2025", 12, "At the beginning of 2025", "2025-01", D(2025, 1, 1), D(2025, 1, 31), "month",
     "in"),
    ("first nine months of fiscal 2026", 12, "first nine months of fiscal 2026", "FY2026-9M", D(2026, 1, 1),
     D(2026, 9, 30), "year_to_date", "in"),
    ("in the first six months of 2025", 12, "first six months of 2025", "2025-6M", D(2025, 1, 1), D(2025, 6, 30),
     "year_to_date", "in"),
    ("as of the end of the third quarter", 12, "end of the third quarter", "2025-Q3", D(2025, 9, 1), D(2025, 9, 30),
     "quarter", "end"),
    ("the start of fiscal 2026", 1, "the start of fiscal 2026", "2025-02", D(2025, 2, 1), D(2025, 2, 28), "month",
     "in"),
]


# Spans counted back from the as-of date (AS_OF is 2026-02-01)
@pytest.mark.parametrize("text,label,start,end,gran", [
    ("raised $13 billion just five months ago", "2025-09", D(2025, 9, 1), D(2025, 9, 30), "month"),
    ("3 years ago", "2023", D(2023, 1, 1), D(2023, 12, 31), "year"),
    ("grew 7x in the past year", "2025-02-01..2026-02-01", D(2025, 2, 1), AS_OF, "to_date"),
    ("over the last 12 months", "2025-02-01..2026-02-01", D(2025, 2, 1), AS_OF, "to_date"),
    ("10x in just three months", "2025-11-01..2026-02-01", D(2025, 11, 1), AS_OF, "to_date"),
    ("up 36% so far in 2026", "2026-YTD", D(2026, 1, 1), AS_OF, "year_to_date"),
    ("down 4% year to date", "2026-YTD", D(2026, 1, 1), AS_OF, "year_to_date"),
])
def test_spans_to_date(text, label, start, end, gran):
    assert [(p.label, p.start, p.end, p.granularity) for p in find_periods(text, AS_OF)] == [(label, start, end, gran)]


# A month named without its year (AS_OF is 2026-02-01): the last one after a past tense, the next after a future
# word, else the nearest
@pytest.mark.parametrize("text,label,relation", [
    ("the commitment we announced in June", "2025-06", "in"),
    ("delays it disclosed in November", "2025-11", "in"),
    ("the deal is expected to close in January", "2027-01", "in"),
    ("whose terms expire at the end of March", "2026-03", "end"),
    ("whose terms expire in June", "2026-06", "in"),
    ("revenue reached $5 billion by October", "2025-10", "by"),
])
def test_bare_months(text, label, relation):
    assert [(p.label, p.relation) for p in find_periods(text, AS_OF)] == [(label, relation)]


# 'the end of the year' (AS_OF is 2026-02-01): the nearest year-end; 'this' or 'last' year: that one
@pytest.mark.parametrize("text,label,start,end", [
    ("850 megawatts at the end of the year", "2025", D(2025, 12, 1), D(2025, 12, 31)),
    ("by the end of this year", "2026", D(2026, 12, 1), D(2026, 12, 31)),
    ("at the end of last year", "2025", D(2025, 12, 1), D(2025, 12, 31)),
])
def test_year_ends(text, label, start, end):
    assert [(p.label, p.start, p.end, p.relation) for p in find_periods(text, AS_OF)] == [(label, start, end, "end")]


@pytest.mark.parametrize("text,labels", [
    ("up 69% from a year ago", []),                    # a comparison's base, not a period
    ("in the last year", ["2025"]),                    # last calendar year, as before
    ("expected to close in three months", []),         # no 'just', 'past': not a span to date
])
def test_not_spans_to_date(text, labels):
    assert [p.label for p in find_periods(text, AS_OF)] == labels


@pytest.mark.parametrize("text,fy,span,label,start,end,gran,rel", PERIODS, ids=[p[0] + f"/fy{p[1]}" for p in PERIODS])
def test_find_periods(text, fy, span, label, start, end, gran, rel):
    ps = find_periods(text, AS_OF, fy)
    assert len(ps) == 1, ps
    p = ps[0]
    assert isinstance(p, Period)
    assert (p.text, p.label, p.start, p.end, p.granularity, p.relation) == (span, label, start, end, gran, rel)
    assert text[p.start_offset:p.end_offset] == p.text


@pytest.mark.parametrize("text,as_of,label", [
    ("Jan 28", D(2026, 2, 1), "2026-01-28"),
    ("Dec 30", D(2026, 1, 5), "2025-12-30"),
    ("Jan 3", D(2025, 12, 20), "2026-01-03"),
    ("Q1", D(2026, 2, 1), "2026-Q1"),
])
def test_yearless_dates_resolve_near_as_of(text, as_of, label):
    ps = find_periods(text, as_of)
    assert [p.label for p in ps] == [label]


def test_bare_quarter_uses_fiscal_calendar():
    ps = find_periods("Q2 revenue", D(2025, 11, 15), 6)
    assert [(p.label, p.start, p.end) for p in ps] == [("FY2026-Q2", D(2025, 10, 1), D(2025, 12, 31))]


@pytest.mark.parametrize("text", [
    "$2026", "2026 TFLOPS", "2026%", "2,026 units", "GPT-2025", "ISO-8601", "H100", "3.6 million", "$37.5B",
    "5 GW", "version 2026.1", "1234", "Jan", "12:30", "the 2020s", "1990s", "Feb 30", "may 5",
])
def test_not_periods(text):
    assert find_periods(text, AS_OF) == []


def test_periods_in_order_non_overlapping():
    text = ("Azure grew 39% in Q2 FY2026 (January 2026), capex $37.5B; target 5 GW+ by 2027, "
            "contracts through 2032, H2 2026 IPO, 2024-2029 cumulative, released November 18, 2025.")
    ps = find_periods(text, AS_OF, 6)
    assert [p.label for p in ps] == ["FY2026-Q2", "2026-01", "2027", "2032", "2026-H2", "2024..2029",
                                     "2025-11-18"]
    ends = 0
    for p in ps:
        assert p.start_offset >= ends
        ends = p.end_offset
        assert text[p.start_offset:p.end_offset] == p.text


def test_bad_fy_end_month_falls_back():
    assert find_periods("FY2025", AS_OF, 13)[0].start == D(2025, 1, 1)


# ---------------------------------------------------------------------------
# speed: linear and fast on a large figure-dense text
# ---------------------------------------------------------------------------

def test_speed_on_dense_text():
    chunk = ("OpenAI at ~$730B (H2 2026 IPO up to $1T); Azure +39% YoY, $37.5B/quarter, 555,000+ GPUs, "
             "2 GW by 2027, Llama 4 and GPT-5.1 on H100s, released November 18, 2025 - $175-185B guidance.\n")
    text = chunk * 2000          # ~0.4 MB
    t0 = time.perf_counter()
    qs = find_quantities(text)
    ps = find_periods(text, AS_OF)
    elapsed = time.perf_counter() - t0
    assert [q.text for q in qs[:7]] == ["~$730B", "up to $1T", "+39%", "$37.5B/quarter", "555,000+", "2 GW",
                                      "$175-185B"]
    assert len(qs) == 7 * 2000
    assert [p.text for p in ps[:3]] == ["H2 2026", "by 2027", "November 18, 2025"]
    assert len(ps) == 3 * 2000
    assert elapsed < 10.0


FIGURE_WORDS = yaml.safe_load((Path(__file__).parent / "fixtures" / "figure_words.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", FIGURE_WORDS, ids=[c["text"] for c in FIGURE_WORDS])
def test_figures_written_in_words(case):
    found = [q for q in find_quantities(case["text"]) if isinstance(q, Quantity) and q.text == case["span"]]
    assert found, find_quantities(case["text"])
    q = found[0]
    if "range" in case:  # a magnitude or a range: its two ends, no single value
        assert q.value is None and close(q.low, float(case["range"][0])) and close(q.high, float(case["range"][1])), q
    else:
        assert close(q.value, float(case["value"])), q
    assert (q.unit, q.qualifier) == (case["unit"], case["qualifier"]), q


@pytest.mark.parametrize("text", ["The company sells flat screens.", "Shares were flat on Tuesday."])
def test_flat_without_a_base_is_no_figure(text):
    assert find_quantities(text) == []
