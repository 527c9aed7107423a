"""Each conflict kind: a case that must be flagged and a look-alike that must not.

The documents are written for these tests, in all three formats, with wording
that does not appear in the bundled sources.
"""
from __future__ import annotations

import pandas as pd

from reconcile.detect import detect_conflicts


def _kinds(result, entity=None):
    conflicts = result.conflicts
    if entity is not None:
        conflicts = conflicts[conflicts["entity"] == entity]
    return sorted(conflicts["kind"])


# --- value ---------------------------------------------------------------------------------------

def test_value_conflict_across_markdown_and_html(reconcile_docs):
    result = reconcile_docs({
        "brief.md": """
            # Anthropic: Funding Update

            Anthropic was valued at about $350 billion in January 2026, according to people familiar.
            """,
        "page.html": """
            <html><body><h1>Anthropic</h1>
            <p>The company’s valuation reached $183B in January 2026 after the round.</p>
            </body></html>
            """,
    })
    value = result.of_kind("value")
    assert len(value) == 1
    row = value.iloc[0]
    assert (row["entity"], row["metric"], row["period"]) == ("Anthropic", "valuation", "2026-01")
    assert "brief" in row["explanation"] and "page" in row["explanation"]
    assert row["severity"] == "error"


def test_value_within_one_document_counts_too(reconcile_docs):
    result = reconcile_docs({"memo.txt": """
        Oracle Results
        Oracle reported total revenue of $57.4B for FY2025.
        Later in the call, Oracle put FY2025 revenue at $61B.
        """})
    assert list(result.of_kind("value")["entity"]) == ["Oracle"]


def test_same_value_written_differently_is_not_a_conflict(reconcile_docs):
    result = reconcile_docs({
        "a.md": """
            # xAI: Compute

            | Metric | Value |
            |---|---|
            | GPU Count | 555,000+ |
            """,
        "b.txt": """
            xAI Update
            xAI now runs 555K GPUs across its sites.
            """,
    })
    assert result.claims_for("xAI", "gpu_count")["value_low"].eq(555000).all()
    assert result.of_kind("value").empty


def test_point_inside_a_range_is_not_a_value_conflict(reconcile_docs):
    result = reconcile_docs({
        "a.md": """
            # Meta: Spending

            | Metric | Value |
            |---|---|
            | 2026 CapEx Guidance | $115-135B |
            """,
        "b.html": "<h2>Meta</h2><p>Meta raised its 2026 capex to $135 billion.</p>",
    })
    assert len(result.claims_for("Meta", "capex")) == 2
    assert result.of_kind("value").empty


def test_different_as_of_dates_are_not_a_conflict(reconcile_docs):
    result = reconcile_docs({"a.txt": """
        Anthropic History
        Anthropic's valuation was $61.5B in March 2025.
        Anthropic's valuation was $183B in September 2025.
        """})
    assert len(result.claims_for("Anthropic", "valuation")) == 2
    assert result.of_kind("value").empty


def test_cluster_is_not_compared_with_the_whole_fleet(reconcile_docs):
    result = reconcile_docs({"a.md": """
        # xAI: Infrastructure

        | Metric | Value |
        |---|---|
        | GPU Count | 555,000+ |
        | Colossus v2 | Expanded to 200K GPUs |
        """})
    assert result.of_kind("value").empty


# --- category ------------------------------------------------------------------------------------

def test_category_figure_of_another_scope_in_an_ai_revenue_column(reconcile_docs):
    result = reconcile_docs({"cmp.md": """
        # AI Revenue Comparison

        | Company | AI Revenue (Annual) |
        |---|---|
        | Microsoft | $13B+ run rate |
        | Alphabet | $58B Google Cloud revenue |
        """})
    category = result.of_kind("category")
    assert list(category["entity"]) == ["Google"]
    assert "Google Cloud" in category.iloc[0]["explanation"] or "cloud" in category.iloc[0]["explanation"]


def test_category_names_the_echo_elsewhere(reconcile_docs):
    result = reconcile_docs({"r.md": """
        # Slide 1 — Amazon: Cloud

        | Metric | Value |
        |---|---|
        | AWS Annualized Run Rate | $128B+ |

        # Slide 2 — Comparison

        | Company | AI Revenue (Annual) |
        |---|---|
        | Amazon | $128B+ AWS run rate |
        """})
    category = result.of_kind("category")
    assert len(category) == 1
    assert len(category.iloc[0]["claim_ids"].split(";")) == 2  # the AI-revenue cell and its echo


# --- period --------------------------------------------------------------------------------------

def test_quarterly_figure_in_an_annual_column(reconcile_docs):
    result = reconcile_docs({"t.md": """
        # Revenue Table

        | Company | Revenue (Annual) |
        |---|---|
        | Oracle | $14.9B/quarter |
        | Cisco | $57B |
        """})
    period = result.of_kind("period")
    assert list(period["entity"]) == ["Oracle"]


def test_annualised_cell_is_not_a_period_conflict(reconcile_docs):
    result = reconcile_docs({"t.md": """
        # Spending Table

        | Company | 2026 CapEx |
        |---|---|
        | Oracle | ~$57B (annualized from $14.25B/quarter) |
        """})
    assert result.of_kind("period").empty
    assert result.of_kind("arithmetic").empty


def test_quarterly_next_to_annual_is_not_a_value_conflict(reconcile_docs):
    result = reconcile_docs({"a.md": """
        # Microsoft: Spending (Q2 FY2026)

        | Metric | Value |
        |---|---|
        | Quarterly CapEx | $37.5B |

        # Microsoft: Outlook

        | Company | 2026 CapEx |
        |---|---|
        | Microsoft | ~$150B |
        """})
    assert len(result.claims_for("Microsoft", "capex")) == 2
    assert result.of_kind("value").empty


# --- date ----------------------------------------------------------------------------------------

def test_same_event_dated_differently(reconcile_docs):
    result = reconcile_docs({
        "a.txt": """
            CoreWeave Story
            CoreWeave completed its IPO in March 2025 on Nasdaq.
            """,
        "b.md": """
            # CoreWeave: Listing

            | Detail | Value |
            |---|---|
            | IPO | May 2025 |
            """,
    })
    date = result.of_kind("date")
    assert len(date) == 1 and date.iloc[0]["entity"] == "CoreWeave"


def test_different_events_are_not_a_date_conflict(reconcile_docs):
    result = reconcile_docs({
        "a.txt": """
            CoreWeave Story
            CoreWeave completed its IPO in March 2025 on Nasdaq.
            """,
        "b.md": """
            # CoreWeave: Listing

            | Detail | Value |
            |---|---|
            | IPO filing | February 2025 |
            """,
    })
    assert result.of_kind("date").empty


# --- arithmetic ----------------------------------------------------------------------------------

CAPEX_TABLE = """
    # 2026 Capital Expenditure

    | Company | 2026 CapEx |
    |---|---|
    | Amazon | $200B |
    | Microsoft | $150B |
    | Google | $180B |
    """


def test_sum_of_parts_that_does_not_add_up(reconcile_docs):
    result = reconcile_docs({
        "table.md": CAPEX_TABLE,
        "note.txt": """
            Spending Note
            Combined 2026 capex for Amazon, Microsoft and Alphabet will total $300 billion.
            """,
    })
    arithmetic = result.of_kind("arithmetic")
    assert len(arithmetic) == 1
    assert arithmetic.iloc[0]["rule"] == "sum-of-parts"
    assert "$530B" in arithmetic.iloc[0]["explanation"] or "530" in arithmetic.iloc[0]["explanation"]


def test_sum_that_adds_up_is_not_flagged(reconcile_docs):
    result = reconcile_docs({
        "table.md": CAPEX_TABLE,
        "note.txt": """
            Spending Note
            Combined 2026 capex for Amazon and Microsoft will total $350 billion.
            """,
    })
    assert result.of_kind("arithmetic").empty


def test_growth_that_does_not_follow_from_the_years(reconcile_docs):
    result = reconcile_docs({"m.md": """
        # Meta: Capital Spending

        | Metric | Value |
        |---|---|
        | 2025 CapEx | $70B |
        | 2026 CapEx | $125B (+50% YoY) |
        """})
    assert list(result.of_kind("arithmetic")["rule"]) == ["growth-vs-components"]


def test_growth_that_follows_is_not_flagged(reconcile_docs):
    result = reconcile_docs({"m.md": """
        # Meta: Capital Spending

        | Metric | Value |
        |---|---|
        | 2025 CapEx | $70B |
        | 2026 CapEx | $105B (+50% YoY) |
        """})
    assert result.of_kind("arithmetic").empty


# --- mechanics -----------------------------------------------------------------------------------

def test_conflict_ids_are_stable_and_fingerprints_follow_the_evidence(reconcile_docs):
    docs = {
        "a.md": "# Anthropic\n\nAnthropic was valued at $350B in January 2026.\n",
        "b.md": "# Anthropic\n\nAnthropic was valued at $183B in January 2026.\n",
    }
    first = reconcile_docs(docs).of_kind("value").iloc[0]
    again = reconcile_docs(docs).of_kind("value").iloc[0]
    assert (first["conflict_id"], first["fingerprint"]) == (again["conflict_id"], again["fingerprint"])
    docs["c.md"] = "# Anthropic\n\nAnthropic was valued at $250B in January 2026.\n"
    third = reconcile_docs(docs).of_kind("value").iloc[0]
    assert third["conflict_id"] == first["conflict_id"]
    assert third["fingerprint"] != first["fingerprint"]


def test_one_conflict_per_group_not_per_pair(reconcile_docs):
    files = {f"copy{i}.md": f"# Anthropic\n\nAnthropic was valued at ${100 + 50 * (i % 2)}B in January 2026.\n"
             for i in range(20)}
    result = reconcile_docs(files)
    assert len(result.of_kind("value")) == 1
    assert len(result.of_kind("value").iloc[0]["claim_ids"].split(";")) == 20


def test_detection_on_an_empty_claims_table():
    from reconcile.engine import _concat
    assert detect_conflicts(_concat([]), pd.DataFrame()).empty


def _tiled(claims: pd.DataFrame, copies: int) -> pd.DataFrame:
    parts = []
    for i in range(copies):
        p = claims.copy()
        p["source_id"] = p["source_id"] + f"~{i}"
        p["claim_id"] = p["claim_id"] + f"~{i}"
        parts.append(p)
    return pd.concat(parts, ignore_index=True)


def test_arithmetic_rule_runs_once_and_looks_components_up(reconcile_docs, monkeypatch):
    """Complexity guard, without timing: many groups of claims, one pass of the arithmetic rule, and
    no per-claim scan of every group (the linear `_pick` is never called by detection)."""
    from reconcile import detect
    result = reconcile_docs({
        "table.md": CAPEX_TABLE,
        "note.txt": "Spending Note\nCombined 2026 capex for Amazon, Microsoft and Alphabet will total $300 billion.\n",
        "m.md": "# Meta: Capital Spending\n\n| Metric | Value |\n|---|---|\n| 2025 CapEx | $70B |\n"
                "| 2026 CapEx | $125B (+50% YoY) |\n",
    })
    big = _tiled(result.claims, 50)
    calls = []
    real = detect._compute_findings
    monkeypatch.setattr(detect, "_compute_findings", lambda df: calls.append(len(df)) or real(df))

    def no_scan(*a, **k):
        raise AssertionError("linear scan of every group per claim")
    monkeypatch.setattr(detect, "_pick", no_scan)
    conflicts = detect_conflicts(big)
    assert calls == [len(big)]
    assert sorted(conflicts[conflicts["kind"] == "arithmetic"]["rule"]) == ["growth-vs-components", "sum-of-parts"]


def test_indexed_component_lookup_matches_the_linear_scan(reconcile_docs):
    from reconcile import detect
    result = reconcile_docs({"m.md": "# Meta: Capital Spending\n\n| Metric | Value |\n|---|---|\n"
                                     "| 2025 CapEx | $70B |\n| 2026 CapEx | $125B (+50% YoY) |\n"
                                     "| 2024 CapEx | $40B |\n"})
    claims = result.claims.assign(_lo=result.claims["value_low"], _hi=result.claims["value_high"],
                                  scope=result.claims["scope"].fillna(""))
    index = {k: g for k, g in claims.groupby(detect._GROUP_KEYS, dropna=False)}
    lookups = detect._Lookups(claims, index)
    for key in {(e, m, s) for e, m, s, *_ in index}:
        for period in ("2024", "2025", "2026", "2030", None):
            assert lookups.pick(key, period) == detect._pick(index, key, period)


def test_sum_uses_what_a_part_s_claims_agree_on(reconcile_docs):
    result = reconcile_docs({
        "table.md": CAPEX_TABLE,
        "meta.md": "# Meta: Spending\n\n- Meta will spend up to $135B on 2026 capex.\n- Meta 2026 capex: $115-135B.\n",
        "note.txt": """
            Spending Note
            Combined 2026 capex for Amazon, Microsoft, Alphabet and Meta will total $560 billion.
            """,
    })
    assert list(result.of_kind("arithmetic")["rule"]) == ["sum-of-parts"]


# --- assumed fields --------------------------------------------------------------------------------

def test_a_conflict_on_an_assumed_period_is_info_and_says_what_to_check(reconcile_docs):
    """Neither text dates its figure: the period is the publication date, assumed, so the clash is a question
    about the extraction first — info, with the assumed field named — never an error."""
    result = reconcile_docs({
        "a.md": "# Anthropic\n\nAnthropic was valued at about $350 billion.\n",
        "b.md": "# Anthropic\n\nAnthropic's valuation reached $183B after the round.\n",
    })
    value = result.of_kind("value")
    assert len(value) == 1
    row = value.iloc[0]
    assert row["severity"] == "info" and row["assumed"] == "period"
    assert "Needs checking: the period of" in row["explanation"] and "assumed" in row["explanation"]
    claims = result.claims[result.claims["metric"] == "valuation"]
    assert set(claims["period_from"]) == {"assumed"} and set(claims["entity_from"]) == {"clause"}


def test_stated_fields_keep_the_error(reconcile_docs):
    result = reconcile_docs({
        "a.md": "# Anthropic\n\nAnthropic was valued at about $350 billion in January 2026.\n",
        "b.md": "# Anthropic\n\nAnthropic's valuation reached $183B in January 2026 after the round.\n",
    })
    row = result.of_kind("value").iloc[0]
    assert row["severity"] == "error" and pd.isna(row["assumed"])


def test_stated_claims_that_disagree_by_themselves_keep_the_error_beside_an_assumed_one(reconcile_docs):
    """A third figure with an assumed period joins the group, but the two that state theirs already disagree:
    the conflict does not rest on the assumption, so it stays an error and names the assumed claim."""
    result = reconcile_docs({
        "a.md": "# Anthropic\n\nAnthropic was valued at about $350 billion in February 2026.\n",
        "b.md": "# Anthropic\n\nAnthropic's valuation reached $183B in February 2026 after the round.\n",
        "c.md": "# Anthropic\n\nAnthropic's valuation is $250B.\n",
    })
    value = result.of_kind("value")
    assert len(value) == 1
    row = value.iloc[0]
    assert row["severity"] == "error" and row["assumed"] == "period"
    assert "disagree by themselves" in row["explanation"]


# --- the contract between stages -------------------------------------------------------------------

def test_the_claims_table_is_the_one_detect_declares(vocab):
    from conftest import REPO
    from reconcile import engine, registry
    from reconcile.schemas import DetectClaimsSchema, columns_of
    docs, _ = registry.discover(REPO / "sources")
    claims = engine.extract_claims(docs, vocab).claims
    assert list(claims.columns) == columns_of(DetectClaimsSchema)
    DetectClaimsSchema.validate(claims, lazy=True)


def test_the_checks_are_pure_functions_of_their_frame(reconcile_docs):
    """The arithmetic check needs no state from detect_conflicts: on the claims alone it fails the same rows."""
    from reconcile import detect
    result = reconcile_docs({"table.md": CAPEX_TABLE, "note.txt": (
        "Spending Note\nCombined 2026 capex for Amazon, Microsoft and Alphabet will total $300 billion.\n")})
    claims = detect._numeric(result.claims)
    alone = detect.failing_rows_by_check(claims)["arithmetic"]
    flagged = result.of_kind("arithmetic")
    assert len(flagged) == 1 and alone
    assert set(claims.loc[alone, "claim_id"]) <= set(flagged.iloc[0]["claim_ids"].split(";"))
    assert detect.failing_rows_by_check(claims) == detect.failing_rows_by_check(claims)


def test_a_company_launching_unnamed_things_is_not_one_release(reconcile_docs):
    """'Amazon launched X in 2023' and 'Amazon launched Y in 2022' date two releases: the thing released is not
    the company, so the release is assumed to be one and the clash only needs checking."""
    result = reconcile_docs({
        "a.md": "# Health\n\nIn 2023, Amazon launched RxPass, a pharmacy subscription.\n",
        "b.md": "# Space\n\nIn 2022, Amazon launched two prototype satellites.\n",
    })
    dates = result.of_kind("date")
    assert len(dates) == 1 and dates.iloc[0]["severity"] == "info" and dates.iloc[0]["assumed"] == "metric"


def test_a_named_product_released_on_two_dates_stays_a_conflict(reconcile_docs):
    result = reconcile_docs({
        "a.md": "# Chips\n\nMicrosoft's Maia 200 chip launched in January 2026.\n",
        "b.md": "# Chips\n\nThe Maia 200 was launched in 2024.\n",
    })
    dates = result.of_kind("date")
    assert len(dates) == 1 and dates.iloc[0]["severity"] in ("error", "warning")


def test_a_counterfactual_figure_is_not_compared_with_the_actual(reconcile_docs):
    result = reconcile_docs({"r.md": (
        "# Acme Q1 FY2026 results\n\nFor Q1 FY2026, Acme's gross margin was 60.5%. Excluding the inventory charge, "
        "Acme's gross margin in Q1 FY2026 would have been 71.3%.\n")})
    assert result.of_kind("value").empty
    claim = result.claims[result.claims["value_text"] == "71.3%"].iloc[0]
    assert claim["scope"] == "counterfactual"


def test_releases_of_things_longer_than_the_known_name_are_not_one_release(reconcile_docs):
    """'Claude Code' and 'a new version of its Claude LLM' are not the release of Claude itself."""
    result = reconcile_docs({"a.md": (
        "# Code wars\n\nIn early 2025, Anthropic released Claude Code for developers.\n\n"
        "In late 2025, Anthropic released a new version of its Claude LLM, called Opus 4.5.\n")})
    assert set(result.of_kind("date")["severity"]) <= {"info"}


def test_a_companys_own_release_disagreeing_with_itself_needs_checking(reconcile_docs):
    """Two revenues for one quarter in CoreWeave's own release are two scopes the words did not separate (a
    segment heading lost in plain text); two newswires stating different revenues disagree: an error."""
    own = reconcile_docs({"own.md": (
        "# CoreWeave Q3 2025 results\n\nCoreWeave revenue was $5.0 billion in Q3 2025.\n\n"
        "CoreWeave revenue was $1.3 billion in Q3 2025, driven by demand for robots.\n")}, """
        sources:
          - {id: own, path: own.md, publisher: CoreWeave Newsroom, published: 2025-10-30}
        """).of_kind("value")
    assert len(own) == 1 and own.iloc[0]["severity"] == "info" and "scope" in own.iloc[0]["assumed"]
    wires = reconcile_docs({"a.md": "# Q3\n\nCoreWeave revenue was $5.0 billion in Q3 2025.\n",
                            "b.md": "# Q3\n\nCoreWeave revenue was $1.3 billion in Q3 2025.\n"}, """
        sources:
          - {id: a, path: a.md, publisher: Daily Wire, published: 2025-10-30}
          - {id: b, path: b.md, publisher: Evening Post, published: 2025-10-30}
        """).of_kind("value")
    assert len(wires) == 1 and wires.iloc[0]["severity"] == "error"


def test_a_vague_magnitude_is_recorded_but_never_compared(reconcile_docs):
    """'tens of billions of dollars' is a claim (its range kept) but states no figure to disagree with."""
    result = reconcile_docs({
        "a.md": "# Google\n\nIn October 2025 Anthropic signed a cloud contract with Google worth tens of billions of"
                " dollars.\n",
        "b.md": "# Google\n\nIn October 2025 Anthropic signed a cloud contract with Google worth $5 billion.\n",
    })
    vague = result.claims[result.claims["qualifier"] == "vague"]
    assert len(vague) == 1 and vague.iloc[0]["value_low"] == 10e9 and vague.iloc[0]["group_key"] is None
    assert result.of_kind("value").empty
