"""SEC 10-Q and 10-K filings as EDGAR serves them (tests/fixtures/filings, expected.yaml): inline-XBRL markup with a
hidden header, cover pages, statements whose headers span rows and columns, '$' and ')' in cells of their own, segment
notes, MD&A prose. Each expected claim is checked field by field; cover-page and hidden numbers must give no claim.
A multi-megabyte filing, generated at test time, must be read within the document budget."""
from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from reconcile import engine, registry
from reconcile.vocab import load_vocabulary

FILINGS = Path(__file__).resolve().parent / "fixtures" / "filings"
CASES = yaml.safe_load((FILINGS / "expected.yaml").read_text(encoding="utf-8"))["filings"]
VOCAB = load_vocabulary(Path(__file__).resolve().parents[1] / "vocab")
FIELDS = ("entity", "metric", "scope", "unit", "period", "granularity")


@pytest.fixture(scope="module")
def run() -> tuple[pd.DataFrame, dict[str, registry.SourceDoc]]:
    docs, _ = registry.discover(FILINGS)
    docs = [d for d in docs if d.path.suffix == ".htm"]
    return engine.extract_claims(docs, VOCAB).claims, {d.source_id: d for d in docs}


def _same(got: object, want: object) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got)) or got == ""
    return str(got) == str(want)


@pytest.mark.parametrize("case", CASES, ids=[c["source"] for c in CASES])
def test_filing_claims(run, case):
    claims, _ = run
    own = claims[claims["source_id"] == case["source"]]
    for want in case["expect"]:
        value = float(want["value"])    # YAML reads 57006e6 as a string
        rows = own[(own["value"] - value).abs() <= 1e-9 * max(1.0, abs(value))]
        if "where" in want:
            rows = rows[rows["location"].str.contains(want["where"], regex=False)]
        assert len(rows), f"{case['source']}: no claim of {want['value']} ({want.get('where', '')})"
        row = rows.iloc[0]
        expected = {"entity": case["entity"], **want}
        for field in FIELDS:
            if field in expected:
                assert _same(row[field], expected[field]), \
                    f"{case['source']}: {want['value']} {field} {row[field]!r}, not {expected[field]!r} " \
                    f"({row['location']})"
        for field in ("start", "end"):
            if field in want:
                assert row[f"period_{field}"] == str(want[field]), \
                    f"{case['source']}: {want['value']} period_{field} {row[f'period_{field}']!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["source"] for c in CASES])
def test_filing_form_numbers_are_no_claims(run, case):
    claims, _ = run
    own = claims[claims["source_id"] == case["source"]]
    for value in map(float, case.get("absent", [])):
        hits = own[(own["value"] - value).abs() <= 1e-9 * max(1.0, abs(value))]
        assert hits.empty, f"{case['source']}: {value} is no figure of the company: {hits['quote'].tolist()[:2]}"


@pytest.mark.parametrize("case", [c for c in CASES if "title" in c], ids=lambda c: c["source"])
def test_filing_title_from_cover_page(run, case):
    _, docs = run
    assert docs[case["source"]].title == case["title"]


def test_multi_megabyte_filing_is_read_within_budget(tmp_path):
    spec = importlib.util.spec_from_file_location("make_big_filing", FILINGS / "make_big_filing.py")
    assert spec is not None and spec.loader is not None
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    path = maker.write(tmp_path / "nvda-big.htm")
    assert path.stat().st_size > 2_000_000
    docs, _ = registry.discover(tmp_path)
    started = time.process_time()
    result = engine.extract_claims(docs, VOCAB)
    took = time.process_time() - started
    assert not result.unparsed["reason"].astype(str).str.startswith(engine.TOO_COMPLEX).any()
    assert took < engine.DOC_BUDGET_SECONDS
    claims = result.claims
    revenue = claims[(claims["metric"] == "revenue") & (claims["value"] == 57006e6) & (claims["period"] == "FY2026-Q3")]
    assert len(revenue) and set(revenue["entity"]) == {"NVIDIA"}
