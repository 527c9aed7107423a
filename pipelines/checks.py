"""Asset checks: the pandera schema on claims, open conflicts, stale decisions, quarantined sources."""

import dagster as dg
import pandas as pd
from pandera.errors import SchemaErrors

from reconcile.schemas import ClaimsSchema

from .metadata import markdown_table


@dg.asset_check(asset="claims", blocking=True, description="Claims match the pandera ClaimsSchema (ERROR, blocking).")
def claims_schema(claims: pd.DataFrame) -> dg.AssetCheckResult:
    try:
        ClaimsSchema.validate(claims, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata={
            "failures": len(cases),
            "failure_cases": dg.MetadataValue.md(markdown_table(cases, ["column", "check", "failure_case", "index"]))})
    return dg.AssetCheckResult(passed=True, metadata={"rows": len(claims)})


@dg.asset_check(asset="conflicts", description="Open conflicts by severity (WARN while any is open).")
def open_conflicts(conflicts: pd.DataFrame) -> dg.AssetCheckResult:
    open_ = conflicts[conflicts["status"].isin(["open", "stale"])] if len(conflicts) else conflicts
    counts = open_["severity"].value_counts().to_dict() if len(open_) else {}
    return dg.AssetCheckResult(
        passed=open_.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"open": len(open_), **{f"open_{k}": int(v) for k, v in counts.items()},
                  "open_conflicts": dg.MetadataValue.md(markdown_table(
                      open_, ["conflict_id", "kind", "severity", "entity", "metric", "period", "explanation"]))})


@dg.asset_check(asset="conflicts", description="Steward decisions made on evidence that has since changed (WARN).")
def stale_decisions(conflicts: pd.DataFrame) -> dg.AssetCheckResult:
    stale = conflicts[conflicts["status"] == "stale"] if len(conflicts) else conflicts
    return dg.AssetCheckResult(
        passed=stale.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"stale": len(stale), "stale_conflicts": dg.MetadataValue.md(markdown_table(
            stale, ["conflict_id", "kind", "entity", "metric", "decided_by", "decided_at", "reason"]))})


@dg.asset_check(asset="documents", description="Sources quarantined as unreadable or unsafe (WARN).")
def rejected_sources(documents: pd.DataFrame) -> dg.AssetCheckResult:
    rejected = documents[documents["status"] == "rejected"]
    return dg.AssetCheckResult(
        passed=rejected.empty, severity=dg.AssetCheckSeverity.WARN,
        metadata={"rejected": len(rejected),
                  "rejected_sources": dg.MetadataValue.md(markdown_table(rejected, ["source_id", "path", "reason"]))})
