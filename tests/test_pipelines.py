"""The Dagster code location: definitions, schedule, sensor, partitions, DuckDB storage, the full job."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines import automation, metadata
from pipelines.assets import document_claims
from pipelines.definitions import build_definitions, defs
from pipelines.partitions import SOURCES
from pipelines.resources import ReconcileSettings
from pipelines.run import run_pipeline
from pipelines.storage import duckdb_safe
from reconcile import sources_state

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ["agentic-ai-infrastructure-race-r1.0.md", "ai-weekly-2026-w05.txt", "sources.yaml"]
EXTRA_DOC = "# Acme Corp\n\nAcme Corp revenue was $12B in FY2025.\n"
ASSETS = {"documents", "document_claims", "claims", "unparsed_figures", "conflicts", "resolved_claims", "report"}
CHECKS = {("claims", "claims_schema"), ("conflicts", "open_conflicts"), ("conflicts", "stale_decisions"),
          ("documents", "rejected_sources"), ("report", "gx_claims_suite"), ("report", "gx_conflicts_suite"),
          ("report", "gx_resolved_claims_suite"), ("report", "gx_references_suite")}


@pytest.fixture()
def workspace(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in BUNDLED:
        shutil.copy(ROOT / "sources" / name, sources / name)
    return tmp_path


def settings_for(tmp: Path) -> ReconcileSettings:
    return ReconcileSettings.from_env(sources_dir=str(tmp / "sources"), out_dir=str(tmp / "out"),
                                      home=str(tmp / "home"), duckdb=str(tmp / "home" / "reconcile.duckdb"))


# --- definitions -------------------------------------------------------------------------------

def test_definitions_load_with_every_asset_check_job_schedule_and_sensor():
    repo = defs.get_repository_def()
    assert {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()} == ASSETS
    checks = {(k.asset_key.to_user_string(), k.name) for k in repo.asset_graph.asset_check_keys}
    assert CHECKS <= checks
    assert defs.resolve_job_def("reconcile") and defs.resolve_job_def("read_source")
    assert defs.resolve_schedule_def("daily_reconcile").cron_schedule == automation.schedule_cron()
    assert defs.resolve_sensor_def("sources_sensor")
    from pipelines.checks import claims_schema
    assert next(iter(claims_schema.check_specs)).blocking
    assert defs.resolve_assets_def("document_claims").partitions_def == SOURCES


def test_dagster_definitions_validate_passes(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path), RECONCILE_HOME=str(tmp_path / "home"))
    proc = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
                           "-m", "pipelines.definitions"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


# --- settings ----------------------------------------------------------------------------------

def test_settings_set_in_the_environment_are_read_when_a_run_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_SOURCES", str(tmp_path / "a"))
    monkeypatch.setenv("RECONCILE_SENSOR_MAX_RUNS", "3")
    monkeypatch.setenv("RECONCILE_DB_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    settings = ReconcileSettings.from_env(out_dir=str(tmp_path / "out"))
    assert isinstance(settings.sources_dir, dg.EnvVar)          # not read at load time, not shown in the UI
    monkeypatch.setenv("RECONCILE_SOURCES", str(tmp_path / "b"))
    resolved = settings.resolved()
    assert resolved.sources_path == tmp_path / "b" and resolved.sensor_max_runs == 3
    assert resolved.out_path == tmp_path / "out" and resolved.vocab_dir == ReconcileSettings().vocab_dir
    assert resolved.engine_settings().db_url == f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.delenv("RECONCILE_DB_URL")
    engine = ReconcileSettings.from_env(home=str(tmp_path / "h")).resolved().engine_settings()
    assert engine.db_url == f"sqlite:///{tmp_path / 'h' / 'decisions.db'}"


def test_deployment_settings_shape_the_definitions():
    from pipelines.resources import Deployment
    assert Deployment.from_env({}) == Deployment()
    chosen = Deployment.from_env({"RECONCILE_EXECUTOR": "multiprocess", "RECONCILE_SCHEDULE_TZ": "Europe/Paris",
                                  "RECONCILE_SCHEDULE_STATUS": "Stopped", "RECONCILE_SENSOR_STATUS": "running"})
    assert (chosen.executor, chosen.timezone, chosen.schedule_running, chosen.sensor_running) == (
        "multiprocess", "Europe/Paris", False, True)


# --- schedule ----------------------------------------------------------------------------------

def test_schedule_cron_comes_from_the_environment():
    assert automation.schedule_cron({}) == "0 6 * * *"
    assert automation.schedule_cron({"RECONCILE_SCHEDULE_CRON": "30 2 * * 1-5"}) == "30 2 * * 1-5"


def test_daily_schedule_requests_the_whole_reconciliation():
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance)
        data = automation.daily_reconcile.evaluate_tick(context)
    assert len(data.run_requests) == 1 and data.run_requests[0].job_name in (None, "reconcile")
    assert automation.daily_reconcile.job_name == "reconcile"
    assert defs.resolve_job_def("reconcile").asset_layer  # the whole reconciliation, not one partition


# --- sensor ------------------------------------------------------------------------------------

def tick(instance, settings, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
    result = automation.sources_sensor(context)
    if isinstance(result, dg.SkipReason):
        pytest.fail(f"sensor skipped: {result.skip_message}")
    for request in result.dynamic_partitions_requests or []:  # what the daemon does with them
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
    per_source = sorted(r.partition_key for r in result.run_requests if r.job_name == "read_source")
    whole = [r for r in result.run_requests if r.job_name == "reconcile"]
    return result, per_source, whole


def test_sensor_requests_runs_only_for_changed_documents_and_deletes_removed_partitions(workspace):
    settings = settings_for(workspace)
    sources = workspace / "sources"
    with dg.instance_for_test() as instance:
        result, per_source, whole = tick(instance, settings, None)
        assert per_source == ["ai-weekly-2026-w05", "infra-race-r1"] and len(whole) == 1
        assert set(instance.get_dynamic_partitions("sources")) == {"ai-weekly-2026-w05", "infra-race-r1"}
        cursor = result.cursor
        assert sources_state.decode_cursor(cursor)["infra-race-r1"].sha256  # content hashes, not mtimes

        # touched but not changed: same bytes, new mtime → nothing to do
        blog = sources / "ai-weekly-2026-w05.txt"
        os.utime(blog, (1, 1))
        result, per_source, whole = tick(instance, settings, cursor)
        assert per_source == [] and whole == [] and result.skip_reason

        # one document changed, one added → a run for each of them alone, then one reconcile run
        blog.write_text(blog.read_text(encoding="utf-8") + "\nOpenAI raised $1B in 2026.\n", encoding="utf-8")
        (sources / "acme.md").write_text(EXTRA_DOC, encoding="utf-8")
        result, per_source, whole = tick(instance, settings, result.cursor)
        assert per_source == ["acme", "ai-weekly-2026-w05"] and len(whole) == 1
        assert "acme" in instance.get_dynamic_partitions("sources")

        # removed → its partition is deleted, no per-source run, the reconcile run drops its claims
        (sources / "acme.md").unlink()
        result, per_source, whole = tick(instance, settings, result.cursor)
        assert per_source == [] and len(whole) == 1
        assert set(instance.get_dynamic_partitions("sources")) == {"ai-weekly-2026-w05", "infra-race-r1"}


def test_sensor_republishes_every_change_even_a_return_to_an_earlier_state(workspace):
    """The daemon skips a request whose run key an earlier run had: so every change needs a new key."""
    settings, sources = settings_for(workspace), workspace / "sources"
    launched: set[str] = set()

    def new_runs(cursor):
        result, _, _ = tick(instance, settings, cursor)
        fresh = [r for r in result.run_requests if r.run_key not in launched]
        launched.update(r.run_key for r in result.run_requests)
        return result, [r.partition_key or r.job_name for r in fresh]

    with dg.instance_for_test() as instance:
        result, runs = new_runs(None)
        assert "reconcile" in runs
        (sources / "acme.md").write_text(EXTRA_DOC, encoding="utf-8")
        result, runs = new_runs(result.cursor)
        assert runs == ["acme", "reconcile"]
        (sources / "acme.md").unlink()                  # back to the first state: its claims must leave out/
        result, runs = new_runs(result.cursor)
        assert runs == ["reconcile"]
        (sources / "acme.md").write_text(EXTRA_DOC, encoding="utf-8")   # and back again
        result, runs = new_runs(result.cursor)
        assert runs == ["acme", "reconcile"]
        again, _, _ = tick(instance, settings, result.cursor)           # no change: nothing requested
        assert again.run_requests == [] and again.skip_reason


def test_sensor_skips_a_broken_registry_and_keeps_its_cursor(workspace):
    settings = settings_for(workspace)
    (workspace / "sources" / "sources.yaml").write_text("sources: [\n", encoding="utf-8")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor="{}", resources={"settings": settings})
        result = automation.sources_sensor(context)
    assert isinstance(result, dg.SkipReason) and "sources.yaml" in result.skip_message


def test_sensor_reads_a_bulk_load_in_one_run(workspace, monkeypatch):
    monkeypatch.setenv("RECONCILE_SENSOR_MAX_RUNS", "1")
    with dg.instance_for_test() as instance:
        _, per_source, whole = tick(instance, settings_for(workspace), None)
    assert per_source == [] and len(whole) == 1


# --- storage -----------------------------------------------------------------------------------

def test_duckdb_safe_frames_store_and_read_back():
    frame = pd.DataFrame({"text": ["a", None], "mixed": [1, "x"], "nums": [1, 2.5], "inf": [np.inf, np.nan],
                          "flag": [True, None], "all_none": [None, None], "obj": [{"a": 1}, None]})
    safe = duckdb_safe(frame)  # noqa: F841 (duckdb reads the local `safe` by name in the SQL below)
    con = duckdb.connect()
    con.execute("create table t as select * from safe")
    back = con.execute("select * from t").fetchdf()
    assert back["mixed"].tolist() == ["1", "x"] and back["obj"].tolist()[0] == "{'a': 1}"
    assert np.isinf(back["inf"][0]) and back["text"][0] == "a"
    assert frame["mixed"].tolist() == [1, "x"]  # the input is not modified



class _Context:
    """What the handler asks of Dagster's output and input contexts."""

    def add_output_metadata(self, metadata):
        self.metadata = metadata


def test_a_table_read_twice_is_fetched_once_and_a_rewrite_is_read_again():
    from dagster._core.storage.db_io_manager import TableSlice  # dagster exports it only from here

    from pipelines.storage import ReconcileDuckDBTypeHandler
    handler, con, where = ReconcileDuckDBTypeHandler(), duckdb.connect(), TableSlice(table="claims", schema="main")
    handler.handle_output(_Context(), where, pd.DataFrame({"claim_id": ["c-1", "c-2"], "value": [1.0, 2.0]}), con)
    first = handler.load_input(_Context(), where, con)
    first.loc[0, "value"] = 99.0   # a step changing its own copy
    con.execute("drop table main.claims")   # the second read must not need the database
    assert handler.load_input(_Context(), where, con)["value"].tolist() == [1.0, 2.0]
    handler.handle_output(_Context(), where, pd.DataFrame({"claim_id": ["c-3"], "value": [3.0]}), con)
    assert handler.load_input(_Context(), where, con)["claim_id"].tolist() == ["c-3"]

# --- GX results become checks of the right severity -----------------------------------------------

def test_gx_suite_results_map_to_check_severity(tmp_path):
    from reconcile.quality import ExpectationOutcome, SuiteResult

    def suite(name, severity):
        outcome = ExpectationOutcome("expect_column_values_to_not_be_null", "quote", severity, False, 2, ["", ""])
        return SuiteResult(suite=name, table=name, success=False, evaluated=3, failed=1, outcomes=[outcome])

    written = type("W", (), {"gx_index": tmp_path / "gx_docs/index.html", "report_html": tmp_path / "report.html"})
    results = {r.check_name: r for r in metadata.gx_check_results(
        [suite("claims", "critical"), suite("conflicts", "warning")], written)}
    assert results["gx_claims_suite"].severity == dg.AssetCheckSeverity.ERROR and not results["gx_claims_suite"].passed
    assert results["gx_conflicts_suite"].severity == dg.AssetCheckSeverity.WARN
    assert results["gx_resolved_claims_suite"].passed


# --- the job, in-process ---------------------------------------------------------------------------

def claims_meta(result) -> dict:
    mat = next(m for m in result.asset_materializations_for_node("claims") if m.asset_key.path[-1] == "claims")
    return {k: v.value for k, v in mat.metadata.items() if k in ("extracted_documents", "cached_documents")}


def test_full_job_materialises_stores_duckdb_and_an_unchanged_rerun_extracts_nothing(workspace):
    settings = settings_for(workspace)
    (workspace / "sources" / "acme.md").write_text(EXTRA_DOC, encoding="utf-8")
    job = build_definitions(settings).resolve_job_def("reconcile")
    with dg.instance_for_test() as instance:
        first = job.execute_in_process(instance=instance, run_config={
            "loggers": {"console": {"config": {"log_level": "WARNING"}}}})
        assert first.success
        assert claims_meta(first) == {"extracted_documents": 3, "cached_documents": 0}
        checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
        assert checks["claims_schema"].passed
        assert {"open_conflicts", "stale_decisions", "rejected_sources", "gx_claims_suite"} <= set(checks)
        assert "report_html" in checks["open_conflicts"].metadata

    out = workspace / "out"
    assert (out / "report.html").is_file() and (out / "gx_docs" / "index.html").is_file()
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        assert {"documents", "claims", "conflicts", "resolved_claims", "report"} <= tables
        assert con.execute("select count(*) from claims where source_id = 'acme'").fetchone()[0] >= 1
        assert con.execute("select count(*) from conflicts where kind = 'value'").fetchone()[0] >= 1

    # unchanged: nothing parsed or extracted; the CLI's path reports the same through RunResult
    (workspace / "sources" / "acme.md").unlink()
    again = run_pipeline(workspace / "sources", out, home=workspace / "home")
    assert (again.extracted, again.cached) == (0, 2) and again.documents == 2
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:  # the removed source's claims left
        assert con.execute("select count(*) from claims where source_id = 'acme'").fetchone()[0] == 0
        assert con.execute("select count(*) from claims").fetchone()[0] == again.claims


def test_document_claims_partition_reads_one_source_through_the_cache(workspace):
    settings = settings_for(workspace)
    resources = {"settings": settings, "progress": lambda _: None}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("sources", ["infra-race-r1"])
        metas = []
        for _ in range(2):
            result = dg.materialize([document_claims], partition_key="infra-race-r1", instance=instance,
                                    resources=resources)
            mat = result.asset_materializations_for_node("document_claims")[0]
            metas.append({k: v.value for k, v in mat.metadata.items()})
    assert metas[0]["extracted_documents"] == 1 and metas[0]["claims"] > 100
    assert metas[1]["extracted_documents"] == 0 and metas[1]["cached_documents"] == 1
    assert metas[1]["claims"] == metas[0]["claims"]
