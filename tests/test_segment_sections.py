"""Figures under a business segment's heading or line of its own take the segment's metric, in markdown, plain text
and HTML (cases in tests/fixtures/segment_sections.yaml); a growth rate of a segment is checked against that
segment's figures only."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from reconcile.errors import UserError
from reconcile.vocab import load_vocabulary

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "segment_sections.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_figures_under_a_segment_section(reconcile_docs, case):
    claims = reconcile_docs({case["file"]: case["text"]}).claims
    for want in case["expect"]:
        rows = claims[claims["value_text"] == want["figure"]]
        if "quote" in want:
            rows = rows[rows["quote"].str.contains(want["quote"], regex=False)]
        assert len(rows) == 1, f"{want}:\n{claims[['value_text', 'metric', 'quote']].to_string()}"
        row = rows.iloc[0]
        metric = row["metric"] if isinstance(row["metric"], str) else ""
        assert metric == want["metric"], f"{want['figure']} in {row['quote']!r}: {metric!r}"
        if "value" in want:
            assert math.isclose(row["value"], want["value"]), row.to_dict()


def test_a_segment_s_growth_is_not_checked_against_the_company_s_total(reconcile_docs):
    """'Networking revenue rose 20%' says nothing about total revenue: no arithmetic conflict with the totals,
    while a total's growth that does not follow from the totals still is one."""
    release = ("# Tesla Reports Results for Fiscal 2026\n\nTesla revenue was $100 billion in fiscal 2026.\n\n"
               "Tesla revenue was $50 billion in fiscal 2025.\n\n"
               "Tesla networking revenue rose 20% in fiscal 2026.\n\n{total}")
    scoped = reconcile_docs({"r.md": release.format(total="")})
    assert scoped.of_kind("arithmetic").empty, scoped.of_kind("arithmetic")["explanation"].tolist()
    total = reconcile_docs({"r.md": release.format(total="Tesla revenue rose 20% in fiscal 2026.\n")})
    assert len(total.of_kind("arithmetic")) == 1


def test_a_segment_names_one_metric_of_a_family(tmp_path):
    """Two revenue metrics for one segment would make 'revenue' under its heading two metrics: the vocabulary
    says so, with the file and line."""
    vocab = Path(__file__).resolve().parents[1] / "vocab"
    for name in ("entities.yaml", "events.yaml", "units.yaml", "cues.yaml"):
        (tmp_path / name).write_text((vocab / name).read_text())
    metrics = (vocab / "metrics.yaml").read_text() + (
        "  gadget_revenue:\n    unit: [money]\n    family: revenue\n    scope: gadgets\n"
        "    segment: [Automotive]\n    aliases: [gadget revenue]\n")
    (tmp_path / "metrics.yaml").write_text(metrics)
    with pytest.raises(UserError, match="segment 'Automotive' of family 'revenue' already reports"):
        load_vocabulary(tmp_path)


def test_guidance_growth_is_still_checked_against_last_year_s_actual(reconcile_docs):
    """An outlook's growth rate is computed from the outlook's figure and the actual it grows from."""
    result = reconcile_docs({"r.md": (
        "# Tesla Outlook\n\nTesla revenue was $50 billion in fiscal 2025.\n\n"
        "Tesla expects revenue of $60 billion in fiscal 2026.\n\n"
        "Tesla expects revenue to grow 50% in fiscal 2026.\n")})
    arithmetic = result.of_kind("arithmetic")
    assert len(arithmetic) == 1 and arithmetic.iloc[0]["rule"] == "growth-vs-components", result.claims[
        ["quote", "metric", "period", "scope", "base_period"]].to_string()
