"""Asset checks: the pandera schema on claims, open conflicts, stale decisions, quarantined sources.

The GX suites are checks too; they run inside the `report` asset (see metadata.gx_check_results)
because that is where the Data Docs are written. Every check links to the report and the Data Docs.
"""

import dagster as dg
import pandas as pd
from pandera.errors import SchemaErrors

from reconcile.schemas import ClaimsSchema

from .metadata import markdown_table, report_links, severity_counts
from .resources import ReconcileSettings

OPEN_COLUMNS = ["conflict_id", "kind", "severity", "entity", "metric", "period", "explanation"]


def _links(settings: ReconcileSettings) -> dict:
    return report_links(settings.report_html, settings.gx_docs_index)


@dg.asset_check(asset="claims", blocking=True,
                description="Claims match the pandera ClaimsSchema (ERROR, blocking: nothing downstream runs).")
def claims_schema(settings: ReconcileSettings, claims: pd.DataFrame) -> dg.AssetCheckResult:
    try:
        ClaimsSchema.validate(claims, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        by_check = cases.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={
            "rows": len(claims), "failures": len(cases),
            "by_check": dg.MetadataValue.md(markdown_table(by_check, ["column", "check", "failures"])),
            "failure_cases": dg.MetadataValue.md(markdown_table(cases, ["column", "check", "failure_case", "index"])),
            **_links(settings)})
    return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"rows": len(claims), "failures": 0, **_links(settings)})


@dg.asset_check(asset="conflicts", description="Open conflicts by severity (WARN while any is open).")
def open_conflicts(settings: ReconcileSettings, conflicts: pd.DataFrame) -> dg.AssetCheckResult:
    open_ = conflicts[conflicts["status"].isin(["open", "stale"])] if len(conflicts) else conflicts
    counts = severity_counts(open_)
    return dg.AssetCheckResult(
        passed=open_.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"open": len(open_), "total": len(conflicts),
                  **{f"open_{r.severity}": int(r.open) for r in counts.itertuples()},
                  "by_severity": dg.MetadataValue.md(markdown_table(counts, ["severity", "open"])),
                  "open_conflicts": dg.MetadataValue.md(markdown_table(open_, OPEN_COLUMNS)),
                  **_links(settings)})


@dg.asset_check(asset="conflicts", description="Steward decisions made on evidence that has since changed (WARN).")
def stale_decisions(settings: ReconcileSettings, conflicts: pd.DataFrame) -> dg.AssetCheckResult:
    stale = conflicts[conflicts["status"] == "stale"] if len(conflicts) else conflicts
    return dg.AssetCheckResult(
        passed=stale.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"stale": len(stale), "stale_conflicts": dg.MetadataValue.md(markdown_table(
            stale, ["conflict_id", "kind", "entity", "metric", "decided_by", "decided_at", "reason"])),
            **_links(settings)})


@dg.asset_check(asset="documents", description="Sources quarantined as unreadable or unsafe (WARN).")
def rejected_sources(settings: ReconcileSettings, documents: pd.DataFrame) -> dg.AssetCheckResult:
    rejected = documents[documents["status"] == "rejected"]
    return dg.AssetCheckResult(
        passed=rejected.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"rejected": len(rejected), "documents": len(documents),
                  "rejected_sources": dg.MetadataValue.md(markdown_table(rejected, ["source_id", "path", "reason"])),
                  **_links(settings)})
