"""GX suites in expectations/ pass on a valid frame set and fail, with the right severity, on broken ones.

Each validate_tables call builds one ephemeral GX context, so the runs are shared through
module-scoped fixtures: one valid run (with Data Docs), one run with several breakages at once,
one run with only a warning-level breakage.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from reconcile import schemas
from reconcile.errors import UserError
from reconcile.quality import (
    ExpectationOutcome,
    SuiteResult,
    failures_markdown,
    load_suite_specs,
    validate_tables,
    validating,
)

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "expectations"


# --- a small valid frame set --------------------------------------------------------------------

def _frame(model, rows: list[dict], default: object = "x") -> pd.DataFrame:
    return pd.DataFrame([{c: row.get(c, default) for c in schemas.columns_of(model)} for row in rows])


def valid_tables() -> dict[str, pd.DataFrame]:
    documents = _frame(schemas.DocumentsSchema, [
        {"source_id": s, "primary": True, "registered": True, "bytes": 10, "status": "ok"} for s in ("s1", "s2")])
    claims = _frame(schemas.ClaimsSchema, [
        {"claim_id": "c-000000000001", "source_id": "s1", "location": "p1", "quote": "$10bn", "value": 10.0,
         "value_low": 9.5, "value_high": 10.5, "unit": "USD", "tolerance": 0.0, "line": 1},
        {"claim_id": "c-000000000002", "source_id": "s2", "location": "p2", "quote": "$12bn", "value": 12.0,
         "value_low": 12.0, "value_high": 12.0, "unit": "USD", "tolerance": 0.1, "line": 3},
        {"claim_id": "c-000000000003", "source_id": "s2", "location": "p3", "quote": "about 1 GW", "value": None,
         "value_low": None, "value_high": None, "unit": "GW", "tolerance": 0.0, "line": 7},
    ], default=None)
    conflicts = _frame(schemas.ConflictsSchema, [
        {"conflict_id": "k-000000000001", "kind": "value", "severity": "error", "status": "open",
         "claim_ids": "c-000000000001;c-000000000002", "explanation": "10 vs 12"}])
    resolved = _frame(schemas.ResolvedClaimsSchema, [
        {"entity": "AWS", "metric": "revenue", "period": "2025", "value": 12.0, "value_low": 12.0,
         "value_high": 12.0, "unit": "USD", "status": "approved", "claim_ids": "c-000000000002"}], default=None)
    return {"documents": documents, "claims": claims, "conflicts": conflicts, "resolved_claims": resolved}


def by_suite(results: list[SuiteResult]) -> dict[str, SuiteResult]:
    return {r.suite: r for r in results}


def failed(result: SuiteResult, expectation_type: str) -> list[ExpectationOutcome]:
    return [o for o in result.failures if o.expectation_type == expectation_type]


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gx_docs")


@pytest.fixture(scope="module")
def valid_run(docs_dir) -> dict[str, SuiteResult]:
    return by_suite(validate_tables(valid_tables(), SUITES, docs_dir))


@pytest.fixture(scope="module")
def broken_run() -> dict[str, SuiteResult]:
    t = valid_tables()
    t["claims"].loc[1, "claim_id"] = "c-000000000001"          # duplicate id
    t["claims"].loc[0, "value"] = 11.0                          # above value_high 10.5
    t["claims"].loc[2, "source_id"] = "s-unknown"               # no such document
    t["conflicts"].loc[0, "claim_ids"] = "c-000000000001;c-00000000dead"  # missing claim
    t["conflicts"].loc[0, "kind"] = "vibes"
    return by_suite(validate_tables(t, SUITES, None))


# --- valid data ---------------------------------------------------------------------------------

def test_valid_frames_pass_every_suite(valid_run):
    specs = load_suite_specs(SUITES)
    assert set(valid_run) == set(specs) >= {"claims", "conflicts", "resolved_claims", "references"}
    for name, result in valid_run.items():
        assert result.severity == "OK", failures_markdown(result)
        assert result.success and result.failed == 0
        assert result.evaluated == len(specs[name]["expectations"])


def test_data_docs_index_written(valid_run, docs_dir):
    index = docs_dir / "index.html"
    assert index.is_file() and valid_run["claims"].docs_index == index
    pages = {p.stem for p in (docs_dir / "expectations").glob("*.html")}
    assert pages == {"claims", "conflicts", "resolved_claims", "references"}
    assert list((docs_dir / "validations").rglob("*claims*.html"))


# --- broken data --------------------------------------------------------------------------------

def test_duplicate_claim_id_is_error(broken_run):
    claims = broken_run["claims"]
    assert claims.severity == "ERROR" and not claims.success
    [dup] = failed(claims, "expect_column_values_to_be_unique")
    assert dup.severity == "critical" and dup.unexpected_count == 2
    assert dup.unexpected_sample == ["c-000000000001", "c-000000000001"]


def test_value_above_high_is_error(broken_run):
    [pair] = failed(broken_run["claims"], "expect_column_pair_values_a_to_be_greater_than_b")
    assert pair.severity == "critical" and pair.column == "value_high >= value"
    assert pair.unexpected_sample == [[10.5, 11.0]]
    assert pair.unexpected_rows[0]["claim_id"] == "c-000000000001"


def test_missing_references_are_errors(broken_run):
    refs = broken_run["references"]
    assert refs.severity == "ERROR"
    missing = {(row["relation"], row["missing_id"]) for o in refs.failures for row in o.unexpected_rows}
    assert missing == {("claims.source_id", "s-unknown"), ("conflicts.claim_ids", "c-00000000dead")}
    assert sorted(v for o in refs.failures for v in o.unexpected_sample) == ["c-00000000dead", "s-unknown"]
    assert all(o.severity == "critical" for o in refs.failures)


def test_conflict_kind_outside_set_is_error(broken_run):
    conflicts = broken_run["conflicts"]
    assert conflicts.severity == "ERROR"
    assert [o.unexpected_sample for o in failed(conflicts, "expect_column_values_to_be_in_set")] == [["vibes"]]


def test_unit_outside_set_only_warns():
    t = valid_tables()
    t["claims"].loc[0, "unit"] = "furlongs"
    t["resolved_claims"].loc[0, "unit"] = "furlongs"
    results = by_suite(validate_tables(t, SUITES, None))
    assert results["claims"].severity == "WARN" and results["resolved_claims"].severity == "WARN"
    assert results["conflicts"].severity == "OK" and results["references"].severity == "OK"
    [unit] = results["claims"].failures
    assert unit.column == "unit" and unit.unexpected_sample == ["furlongs"] and unit.severity == "warning"


def test_empty_frames_validate():
    typed = {k: schemas.empty_frame(m) for k, m in [("documents", schemas.DocumentsSchema),
             ("claims", schemas.ClaimsSchema), ("conflicts", schemas.ConflictsSchema),
             ("resolved_claims", schemas.ResolvedClaimsSchema)]}
    bare = {k: pd.DataFrame() for k in typed}
    for tables in (typed, bare):
        results = validate_tables(tables, SUITES, None)
        assert len(results) == 4 and all(r.severity == "OK" for r in results), [failures_markdown(r) for r in results]


def test_missing_column_in_nonempty_frame_is_reported_not_raised():
    t = valid_tables()
    t["claims"] = t["claims"].drop(columns=["quote"])
    claims = by_suite(validate_tables({"claims": t["claims"]}, SUITES, None))["claims"]
    quote = [o for o in claims.failures if o.column == "quote"]
    assert claims.severity == "ERROR" and len(quote) == 2 and all("quote" in o.error for o in quote)



def test_row_condition_may_name_a_column_no_expectation_names(tmp_path):
    # GX is given only the columns a suite names, except when a row condition could name any other
    suite = {"name": "gw_claims", "meta": {"table": "claims", "id_columns": ["claim_id"]}, "expectations": [
        {"type": "expect_column_values_to_not_be_null", "meta": {"severity": "critical"},
         "kwargs": {"column": "value", "row_condition": 'unit=="GW"', "condition_parser": "pandas"}}]}
    (tmp_path / "gw_claims.json").write_text(json.dumps(suite))
    [result] = validate_tables({"claims": valid_tables()["claims"]}, tmp_path, None)
    [outcome] = result.outcomes
    assert outcome.error is None and outcome.unexpected_count == 1
    assert [row["claim_id"] for row in outcome.unexpected_rows] == ["c-000000000003"]

# --- markdown -----------------------------------------------------------------------------------

def test_failures_markdown_lists_unexpected_values(broken_run, valid_run):
    md = failures_markdown(broken_run["references"])
    assert md.splitlines()[0].startswith("| severity |") and "missing_id=c-00000000dead" in md
    assert "value_high >= value" in failures_markdown(broken_run["claims"])
    assert "passed" in failures_markdown(valid_run["claims"])


# --- suite files --------------------------------------------------------------------------------

def test_malformed_suite_json_names_file_and_line(tmp_path):
    (tmp_path / "claims.json").write_text('{\n  "name": "claims",\n  "expectations": [,]\n}\n')
    with pytest.raises(UserError) as err:
        load_suite_specs(tmp_path)
    assert "claims.json" in str(err.value) and err.value.line == 3


def test_unknown_severity_is_rejected(tmp_path):
    suite = {"name": "claims", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "claim_id"}, "meta": {"severity": "fatal"}}]}
    (tmp_path / "claims.json").write_text(json.dumps(suite))
    with pytest.raises(UserError, match="fatal"):
        load_suite_specs(tmp_path)


def test_unknown_expectation_type_names_file(tmp_path):
    suite = {"name": "claims", "meta": {"table": "claims"}, "expectations": [
        {"type": "expect_column_values_to_be_wonderful", "kwargs": {"column": "claim_id"}}]}
    (tmp_path / "claims.json").write_text(json.dumps(suite))
    with pytest.raises(UserError, match="claims.json.*wonderful"):
        validate_tables(valid_tables(), tmp_path, None)


def _value_set(spec: dict, column: str) -> set:
    [exp] = [e for e in spec["expectations"]
             if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"].get("column") == column]
    return set(exp["kwargs"]["value_set"])


def test_suite_sets_agree_with_schemas_and_vocab():
    specs = load_suite_specs(SUITES)
    assert _value_set(specs["conflicts"], "kind") == set(schemas.CONFLICT_KINDS)
    assert _value_set(specs["conflicts"], "severity") == set(schemas.SEVERITIES)
    assert _value_set(specs["conflicts"], "status") == set(schemas.CONFLICT_STATUSES)
    assert _value_set(specs["resolved_claims"], "status") == set(schemas.GOLDEN_STATUSES)
    vocab_units = {u for units in yaml.safe_load((ROOT / "vocab" / "units.yaml").read_text())["unit_kinds"].values()
                   for u in units}
    assert vocab_units <= _value_set(specs["claims"], "unit") == _value_set(specs["resolved_claims"], "unit")


# --- issue 12 item 3: Data Docs work offline ------------------------------------------------------

FOREIGN = re.compile(r"""(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
                     r"""\s*(?:https?:)?//(?!localhost\b|127\.0\.0\.1\b)""", re.I)


def foreign_references(folder: Path) -> list[str]:
    """Every place a file under `folder` would fetch or link another host."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".html", ".css", ".js", ".svg", ".md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{path.relative_to(folder)}: {text[m.start():m.start() + 80]!r}" for m in FOREIGN.finditer(text)]
    return hits


def test_data_docs_refer_to_no_other_host(valid_run, docs_dir):
    assert foreign_references(docs_dir) == []


def test_data_docs_index_lists_its_pages_without_scripts(valid_run, docs_dir):
    # The index's tables were filled by jQuery from a CDN: offline they were empty.
    soup = BeautifulSoup((docs_dir / "index.html").read_text(encoding="utf-8"), "lxml")
    links = {a["href"] for a in soup.select("table a[href]")}
    assert {f"expectations/{name}.html" for name in ("claims", "conflicts", "resolved_claims", "references")} <= links
    assert any(href.startswith("validations/") for href in links)
    for href in links:
        assert (docs_dir / href).is_file(), href
    assert soup.find("script", src=True) is None


# --- validation in a second process ---------------------------------------------------------------

def _plain_results(results: list[SuiteResult]) -> list[tuple]:
    return [(r.suite, r.severity, r.evaluated, r.failed, r.outcomes) for r in results]


def _not_here(*args):
    raise AssertionError("validated in this process")


@pytest.mark.parametrize("child_python", ["own", "/bin/false"])
def test_validating_gives_the_in_process_results_and_docs(tmp_path, monkeypatch, child_python):
    tables = valid_tables()
    tables["claims"].loc[0, "unit"] = "furlongs"
    expected = _plain_results(validate_tables(tables, SUITES, None))
    if child_python == "own":   # the second process does the work
        monkeypatch.setattr("reconcile.quality._validate_frames", _not_here)
    else:   # one that cannot run (an interpreter that only fails) leaves it to this one
        monkeypatch.setattr("sys.executable", child_python)
    with validating(tables, SUITES, tmp_path / "docs") as results:
        got = results()
    assert _plain_results(got) == expected
    assert all(r.docs_index == tmp_path / "docs" / "index.html" for r in got)
    assert len(list((tmp_path / "docs" / "validations").rglob("*.html"))) == 4


def test_validating_raises_what_validate_tables_raises(tmp_path):
    suite = {"name": "claims", "meta": {"table": "claims"}, "expectations": [
        {"type": "expect_column_values_to_be_wonderful", "kwargs": {"column": "claim_id"}}]}
    (tmp_path / "claims.json").write_text(json.dumps(suite))
    with pytest.raises(UserError, match="claims.json.*wonderful"):
        with validating(valid_tables(), tmp_path, None) as results:
            results()


def test_validating_nothing_reads_no_suites(tmp_path):
    with validating({}, tmp_path / "no such folder", None) as results:
        assert results() == []
