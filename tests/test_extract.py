"""Extraction on small documents written for the tests, in markdown, plain text and HTML."""
from __future__ import annotations

import math

import pytest


def _one(claims, **where):
    rows = claims
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one claim for {where}, got {len(rows)}:\n{claims.to_string()}"
    return rows.iloc[0]


def test_table_with_entities_in_rows(reconcile_docs):
    claims = reconcile_docs({"t.md": """
        # Comparative Data

        | Company | 2026 CapEx | YoY Growth |
        |---|---|---|
        | **Amazon** | $200B | +50% |
        | Meta | $115-135B | ~2× 2025 |
        """}).claims
    amazon = _one(claims, entity="Amazon", metric="capex", unit="USD")
    assert (amazon["value"], amazon["period"], amazon["granularity"]) == (200e9, "2026", "annual")
    assert amazon["location"] == 'Comparative Data › table 1 › row "Amazon" › column "2026 CapEx"'
    meta = _one(claims, entity="Meta", metric="capex", unit="USD")
    assert math.isnan(meta["value"]) and (meta["value_low"], meta["value_high"]) == (115e9, 135e9)
    growth = _one(claims, entity="Amazon", relation="growth")
    assert growth["value"] == 50.0 and growth["unit"] == "percent"
    multiple = _one(claims, entity="Meta", relation="multiple")
    assert multiple["qualifier"] == "approx" and multiple["base_period"] == "2025"


def test_key_value_table_under_an_entity_heading(reconcile_docs):
    claims = reconcile_docs({"kv.md": """
        # Slide 4 — OpenAI: Growth | OpenAI：增长

        | Metric | Value | Date |
        |--------|-------|------|
        | **Weekly Active Users** | 900M+ | December 2025 |
        | **Valuation** | ~$730B | February 2026 |
        """}).claims
    wau = _one(claims, metric="wau")
    assert (wau["entity"], wau["period"], wau["qualifier"]) == ("OpenAI", "2025-12", "at_least")
    assert wau["value_high"] == math.inf
    valuation = _one(claims, metric="valuation")
    assert (valuation["qualifier"], valuation["period"]) == ("approx", "2026-02")
    assert valuation["location"] == 'slide 4 › table 1 › row "Valuation"'
    assert valuation["quote"] == "Valuation | ~$730B | February 2026"


def test_comparison_table_with_entities_in_columns(reconcile_docs):
    claims = reconcile_docs({"c.html": """
        <h2>Head to head</h2>
        <table>
          <tr><th>Metric</th><th>Microsoft</th><th>Google</th></tr>
          <tr><td>Capital expenditure 2025</td><td>$88B</td><td>$91.4B</td></tr>
        </table>
        """}).claims
    assert _one(claims, entity="Microsoft", metric="capex")["value"] == 88e9
    assert _one(claims, entity="Google", metric="capex")["value"] == 91.4e9


def test_time_series_table(reconcile_docs):
    claims = reconcile_docs({"s.md": """
        # OpenAI: Revenue Trajectory

        | Period | ARR |
        |---|---|
        | 2024 | ~$3.7-6B |
        | June 2025 | $10B |
        """}).claims
    series = claims[claims["metric"] == "revenue_run_rate"].set_index("period")
    assert set(series.index) == {"2024", "2025-06"}
    assert series.loc["2024", "qualifier"] == "approx_range"


def test_prose_the_company_takes_the_heading_entity(reconcile_docs):
    claims = reconcile_docs({"p.txt": """
        🚀 Anthropic Raises Again
        Investors led a round valuing the company at $183 billion in September 2025.
        """}).claims
    valuation = _one(claims, metric="valuation")
    assert valuation["entity"] == "Anthropic" and valuation["period"] == "2025-09"


def test_prose_possessive_subject_and_counterparty(reconcile_docs):
    claims = reconcile_docs({"p.md": """
        # Deals

        - Amazon’s $8 billion investment in Anthropic is its largest.
        """}).claims
    investment = _one(claims, metric="investment")
    assert investment["entity"] == "Amazon" and investment["scope"] == "Anthropic"


def test_fiscal_quarter_resolves_through_the_entity_fiscal_year(reconcile_docs):
    claims = reconcile_docs({"f.md": """
        # Microsoft: Results (Q2 FY2026)

        | Metric | Value |
        |---|---|
        | Quarterly CapEx | $37.5B |
        """}).claims
    capex = _one(claims, metric="capex")
    assert (capex["period_start"], capex["period_end"]) == ("2025-10-01", "2025-12-31")
    assert capex["granularity"] == "quarterly"


def test_undated_figures_take_the_source_date(reconcile_docs):
    claims = reconcile_docs({"u.md": "# Notes\n\nMeta spends $35B quarterly on servers.\n"},
                            registry_yaml="""
        sources:
          - id: notes
            path: u.md
            published: 2026-02-01
        """).claims
    capex = _one(claims, metric="capex")
    assert capex["period"] == "2025-Q4"  # the last full quarter before the source date


def test_dated_timeline_bullets(reconcile_docs):
    claims = reconcile_docs({"w.txt": """
        Timeline
        - Jan 28: AWS signs a $38B deal with OpenAI; Anthropic closes $15B funding.
        """}, registry_yaml="""
        sources:
          - id: weekly
            path: w.txt
            published: 2026-02-01
            format: text
        """).claims
    deal = _one(claims, metric="deal_signed_date")
    assert deal["value_low"] == 20260128 and deal["entity"] == "AWS"
    assert _one(claims, metric="contract_value")["value"] == 38e9


def test_non_ascii_text_survives(reconcile_docs):
    claims = reconcile_docs({"n.md": """
        # Slide 2 — Amazon: Infrastructure | 亚马逊：基础设施

        | Metric | Value |
        |---|---|
        | **2026 CapEx** | $200B — “guidance” → confirmed 🚀 |
        """}).claims
    capex = _one(claims, metric="capex", unit="USD")
    assert "“guidance” → confirmed 🚀" in capex["quote"]


def test_unreadable_figures_are_reported_not_dropped(reconcile_docs):
    result = reconcile_docs({"bad.md": "# Oracle\n\nOracle revenue was $1.2.3B and $B last year.\n"})
    assert set(result.unparsed["text"]) >= {"$1.2.3B"}
    assert result.unparsed.iloc[0]["location"] == "Oracle › paragraph 1"
    assert "$1.2.3B" not in set(result.claims["value_text"])


@pytest.mark.parametrize("fmt_name, text", [
    ("x.md", "# Meta\n\nMeta capex was $72.2B in 2025.\n"),
    ("x.txt", "Meta\nMeta capex was $72.2B in 2025.\n"),
    ("x.html", "<h1>Meta</h1><p>Meta capex was $72.2B in 2025.</p>"),
])
def test_the_same_sentence_reads_the_same_in_every_format(reconcile_docs, fmt_name, text):
    capex = _one(reconcile_docs({fmt_name: text}).claims, metric="capex")
    assert (capex["entity"], capex["period"], capex["value"]) == ("Meta", "2025", 72.2e9)


def test_sentences_starting_with_a_lower_case_brand_are_split(reconcile_docs):
    text = "Notes\nMeta’s 2017 ad revenue was $40B. xAI’s 2024 capex was US$3.8 billion.\n"
    claims = reconcile_docs({"s.txt": text}).claims
    assert _one(claims, entity="Meta", metric="ad_revenue")["period"] == "2017"
    assert _one(claims, entity="xAI", metric="capex")["period"] == "2024"


def test_fiscal_period_in_a_table_cell_follows_the_company_fiscal_year(reconcile_docs):
    claims = reconcile_docs({"o.md": """
        # Slide 1 — Oracle: Financials

        | Metric | Value | Source Period |
        |---|---|---|
        | **Revenue** | $52.9B | FY2016 |
        """}).claims
    revenue = _one(claims, entity="Oracle", metric="revenue")
    assert (revenue["period_start"], revenue["period_end"]) == ("2015-06-01", "2016-05-31")


def test_relative_periods_resolve_against_the_source_date(reconcile_docs):
    claims = reconcile_docs({"r.txt": "OpenAI\nLast October the company was valued at $500B.\n"},
                            registry_yaml="""
        sources:
          - id: r
            path: r.txt
            published: 2026-03-05
        """).claims
    assert _one(claims, metric="valuation")["period"] == "2025-10"


NEWSWIRE = """
    Market Notes
    Nvidia reported record quarterly revenue of $35.1 billion, up 94% from a year ago.
    The deal values xAI at $230 billion.
    Anthropic has raised $13 billion at a $183 billion post-money valuation.
    Google said Gemini has more than 650 million monthly active users.
    Amazon plans to invest about $200 billion in capital expenditures in 2026, mostly on AWS.
    Alphabet now expects 2026 capex between $175 billion and $185 billion, roughly double 2025's $91.4 billion.
    """


@pytest.mark.parametrize("entity, metric, value_text, period, granularity", [
    ("NVIDIA", "revenue", "$35.1 billion", "2025-Q4", "quarterly"),
    ("xAI", "valuation", "$230 billion", "2026-02", "point"),
    ("Anthropic", "funding_round", "$13 billion", "2026-02", "point"),
    ("Anthropic", "valuation", "$183 billion", "2026-02", "point"),
    ("Gemini", "mau", "more than 650 million", "2026-02", "point"),
    ("Amazon", "capex", "about $200 billion", "2026", "annual"),
    ("Google", "capex", "$91.4 billion", "2025", "annual"),
])
def test_newswire_sentences(reconcile_docs, entity, metric, value_text, period, granularity):
    claims = reconcile_docs({"wire.txt": NEWSWIRE}).claims
    claim = _one(claims, value_text=value_text)
    assert (claim["entity"], claim["metric"], claim["period"], claim["granularity"]) == \
        (entity, metric, period, granularity)
    assert not isinstance(claim["scope"], str)


def test_word_multiple_takes_the_period_of_its_level(reconcile_docs):
    claims = reconcile_docs({"wire.txt": NEWSWIRE}).claims
    double = _one(claims, value_text="roughly double")
    # a multiple is its own kind (no metric); base_metric names the level it multiplies
    assert (double["entity"], double["base_metric"], double["period"], double["base_period"]) == \
        ("Google", "capex", "2026", "2025")


def test_fiscal_quarter_words_without_a_year_are_quarterly(reconcile_docs):
    text = "Microsoft\nMicrosoft reported $37.5B of capex in its fiscal second quarter.\n"
    claims = reconcile_docs({"m.txt": text}).claims
    assert _one(claims, entity="Microsoft", metric="capex")["granularity"] == "quarterly"


def test_a_price_per_share_is_not_the_market_cap(reconcile_docs):
    claims = reconcile_docs({"c.md": """
        # CoreWeave: Market

        | Metric | Value |
        |---|---|
        | **Peak Market Cap** | $60B+ ($187/share, June 2025) |
        """}).claims
    assert _one(claims, value_text="$60B+")["metric"] == "market_cap"
    assert not isinstance(_one(claims, value_text="$187/share")["metric"], str)


def test_a_contract_running_through_a_year_is_not_signed_then(reconcile_docs):
    claims = reconcile_docs({"c.md": """
        # CoreWeave: Contracts

        | Metric | Value |
        |---|---|
        | **OpenAI Contract** | $22.4B through 2029 |
        """}).claims
    assert claims[claims["metric"] == "deal_signed_date"].empty


def test_an_unregistered_document_is_dated_by_its_own_byline(tmp_path):
    from reconcile import registry
    (tmp_path / "brief.html").write_text("<p>Published February 3, 2026</p><h1>OpenAI</h1><p>Valued at $500B.</p>")
    docs, warnings = registry.discover(tmp_path)
    assert docs[0].published.isoformat() == "2026-02-03"
    assert "read from its byline" in warnings[0]


def test_a_calendar_fiscal_year_is_named_as_the_year(reconcile_docs):
    claims = reconcile_docs({"c.md": """
        # CoreWeave: Results

        | Metric | FY2024 | FY2025 |
        |---|---|---|
        | Revenue | $1.92B | $5.13B |
        """}).claims
    assert set(claims[claims["metric"] == "revenue"]["period"]) == {"2024", "2025"}
