"""The real CLI on the bundled sources: what a new user sees after `make run`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reconcile.outputs import read_csv_safe

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "reconcile")


def run_cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RECONCILE_HOME=str(home))
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    shutil.copytree(REPO / "sources", work / "sources")
    proc = run_cli("run", "--sources", "sources", "--out", "out", cwd=work, home=work / "home")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = work / "out"
    return work, proc, read_csv_safe(out / "claims.csv"), read_csv_safe(out / "conflicts.csv")


def _claims_of(conflict: pd.Series, claims: pd.DataFrame) -> pd.DataFrame:
    return claims[claims["claim_id"].isin(conflict["claim_ids"].split(";"))]


def test_run_writes_the_outputs_and_says_where(bundled_run):
    work, proc, claims, conflicts = bundled_run
    for name in ("claims.csv", "conflicts.csv", "report.html", "report.md", "resolved_claims.csv",
                 "documents.csv", "rejected_sources.csv", "gx_docs/index.html"):
        assert (work / "out" / name).is_file(), name
    assert "report.html" in proc.stdout
    assert list(claims.columns[:12]) == ["claim_id", "source_id", "location", "quote", "entity", "metric", "period",
                                         "value", "value_low", "value_high", "unit", "qualifier"]
    assert list(conflicts.columns[:9]) == ["conflict_id", "kind", "severity", "entity", "metric", "period",
                                           "claim_ids", "explanation", "status"]
    assert set(conflicts["status"]) == {"open"}
    assert set(claims["source_id"]) == {"infra-race-r1", "ai-weekly-2026-w05"}


def test_openai_valuation_conflict_is_flagged(bundled_run):
    _, _, claims, conflicts = bundled_run
    hits = conflicts[(conflicts["kind"] == "value") & (conflicts["entity"] == "OpenAI")
                     & (conflicts["metric"] == "valuation")]
    assert len(hits) == 1
    values = set(_claims_of(hits.iloc[0], claims)["value"])
    assert {730e9, 830e9} <= values
    assert set(hits.iloc[0]["source_ids"].split(";")) == {"infra-race-r1", "ai-weekly-2026-w05"}


def test_aws_run_rate_recorded_as_ai_revenue_is_flagged(bundled_run):
    _, _, claims, conflicts = bundled_run
    hits = conflicts[(conflicts["kind"] == "category") & (conflicts["entity"] == "Amazon")
                     & (conflicts["metric"] == "ai_revenue")]
    assert len(hits) == 1
    involved = _claims_of(hits.iloc[0], claims)
    assert "AWS" in " ".join(involved["quote"])
    assert (involved["value_low"] == 115e9).all()


def test_meta_range_and_point_are_not_a_value_conflict(bundled_run):
    _, _, claims, conflicts = bundled_run
    meta = conflicts[(conflicts["kind"] == "value") & (conflicts["entity"] == "Meta")
                     & (conflicts["metric"] == "capex")]
    assert meta.empty
    stated = claims[(claims["entity"] == "Meta") & (claims["metric"] == "capex") & (claims["period"] == "2026")
                    & (claims["unit"] == "USD")]
    assert {135e9} <= set(stated["value_high"]) and 115e9 in set(stated["value_low"])


def test_microsoft_quarter_and_annualised_figures_are_not_a_value_conflict(bundled_run):
    _, _, claims, conflicts = bundled_run
    annual = claims[(claims["entity"] == "Microsoft") & (claims["metric"] == "capex") & (claims["value"] == 150e9)]
    assert len(annual) == 1
    for _, conflict in conflicts[conflicts["kind"] == "value"].iterrows():
        assert annual.iloc[0]["claim_id"] not in conflict["claim_ids"].split(";")


def test_every_conflict_kind_is_found_on_the_bundled_sources(bundled_run):
    _, _, _, conflicts = bundled_run
    assert set(conflicts["kind"]) == {"value", "category", "period", "date", "arithmetic"}


def test_a_new_html_document_is_reconciled_without_code_changes(tmp_path):
    shutil.copytree(REPO / "sources", tmp_path / "sources")
    (tmp_path / "sources" / "newswire.html").write_text(
        "<html><head><title>Wire</title><script>alert(1)</script></head><body>"
        "<h1>OpenAI</h1><p>OpenAI was valued at $500 billion in February 2026, sources said.</p>"
        "</body></html>", encoding="utf-8")
    proc = run_cli("run", "--sources", "sources", "--out", "out", cwd=tmp_path, home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "newswire" in proc.stdout + proc.stderr  # the missing registry entry is warned about
    claims = read_csv_safe(tmp_path / "out" / "claims.csv")
    conflicts = read_csv_safe(tmp_path / "out" / "conflicts.csv")
    assert "newswire" in set(claims["source_id"])
    valuation = conflicts[(conflicts["entity"] == "OpenAI") & (conflicts["metric"] == "valuation")]
    assert "newswire" in valuation.iloc[0]["source_ids"]
    assert "<script>alert(1)" not in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_no_file_under_out_refers_to_another_host(bundled_run):
    # Opened offline, the report and the Data Docs must render whole: nothing fetched from a CDN.
    from test_quality import foreign_references
    work = bundled_run[0]
    assert (work / "out" / "gx_docs" / "index.html").is_file()
    assert foreign_references(work / "out") == []


def test_a_steward_can_list_the_conflicts_that_need_checking_and_see_where_fields_were_read(bundled_run):
    """Conflicts resting on an assumed field are filterable, and `show` says where each field was read."""
    work, _, claims, conflicts = bundled_run
    assumed = conflicts[conflicts["assumed"].notna()]
    stated = conflicts[conflicts["assumed"].isna()]
    assert len(assumed) and set(assumed["severity"]) == {"info"}
    checking = run_cli("conflicts", "--needs-checking", "--out", "out", cwd=work, home=work / "home")
    stated_only = run_cli("conflicts", "--stated-only", "--out", "out", cwd=work, home=work / "home")
    assert checking.returncode == 0 and stated_only.returncode == 0
    assert f"{len(assumed)} of {len(conflicts)} conflicts shown" in checking.stdout
    assert f"{len(stated)} of {len(conflicts)} conflicts shown" in stated_only.stdout
    fewest = assumed.loc[assumed["claim_ids"].str.count(";").idxmin()]
    shown = run_cli("show", fewest["conflict_id"], "--out", "out", cwd=work, home=work / "home")
    text = " ".join(shown.stdout.split())
    assert shown.returncode == 0 and "Read" in text and "period: assumed" in text
    assert "needs checking" in (work / "out" / "report.html").read_text(encoding="utf-8")


def test_a_claim_marked_misread_leaves_conflicts_and_golden_record_and_is_exported(tmp_path):
    """`reconcile misread`: the next run compares the claim with nothing; the audit trail and the export keep it."""
    work = tmp_path
    shutil.copytree(REPO / "sources", work / "sources")
    home = work / "home"
    assert run_cli("run", "--sources", "sources", "--out", "out", cwd=work, home=home).returncode == 0
    conflicts = read_csv_safe(work / "out" / "conflicts.csv")
    valuation = conflicts[(conflicts["entity"] == "OpenAI") & (conflicts["metric"] == "valuation")
                          & (conflicts["kind"] == "value")].iloc[0]
    claims = read_csv_safe(work / "out" / "claims.csv")
    marked = _claims_of(valuation, claims).sort_values("value").iloc[0]["claim_id"]
    done = run_cli("misread", marked, "--by", "ana", "--reason", "read from a caption", "--out", "out",
                   cwd=work, home=home)
    assert done.returncode == 0 and "next run" in done.stdout
    again = run_cli("misread", marked, "--by", "ana", "--reason", "twice", "--out", "out", cwd=work, home=home)
    assert again.returncode != 0 and "already marked" in again.stderr
    assert run_cli("run", "--sources", "sources", "--out", "out", cwd=work, home=home).returncode == 0
    after = read_csv_safe(work / "out" / "conflicts.csv")
    assert not after["claim_ids"].str.contains(marked).any()
    golden = read_csv_safe(work / "out" / "resolved_claims.csv")
    assert not golden["claim_ids"].fillna("").str.contains(marked).any()
    assert marked in run_cli("history", "--out", "out", cwd=work, home=home).stdout
    exported = run_cli("decisions", "export", "decisions.yaml", cwd=work, home=home)
    assert exported.returncode == 0 and marked in (work / "decisions.yaml").read_text(encoding="utf-8")
    fresh = run_cli("decisions", "import", "decisions.yaml", cwd=work, home=work / "home2")
    assert fresh.returncode == 0 and "1 misread claim" in fresh.stdout
