"""Dagster metadata and check results built from engine tables. Everything shown is escaped."""
from __future__ import annotations

import re

import dagster as dg
import pandas as pd

GX_SUITES = ("claims", "conflicts", "resolved_claims", "references")
GX_CHECK_SPECS = [
    dg.AssetCheckSpec(name=f"gx_{suite}_suite", asset="report",
                      description=f"Great Expectations suite expectations/{suite}.json "
                                  f"(ERROR for critical expectations, WARN otherwise).")
    for suite in GX_SUITES
]
PREVIEW_ROWS = 20


def md_escape(value: object) -> str:
    """Make source text inert inside a markdown table cell."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = text.replace("\\", "\\\\").replace("\n", " ").replace("\r", " ")
    return re.sub(r"([|`*_\[\]<>#!])", r"\\\1", text)


def markdown_table(frame: pd.DataFrame, columns: list[str], limit: int = PREVIEW_ROWS) -> str:
    if frame.empty:
        return "_none_"
    cols = [c for c in columns if c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.head(limit).iterrows():
        lines.append("| " + " | ".join(md_escape(row[c]) for c in cols) + " |")
    if len(frame) > limit:
        lines.append(f"\n…and {len(frame) - limit} more")
    return "\n".join(lines)


def table_metadata(frame: pd.DataFrame) -> dict:
    schema = dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])
    return {"dagster/row_count": len(frame), "dagster/column_schema": schema}


def conflict_metadata(conflicts: pd.DataFrame) -> dict:
    open_ = conflicts[conflicts["status"].isin(["open", "stale"])] if len(conflicts) else conflicts
    meta: dict = {"open_conflicts": len(open_)}
    for column in ("kind", "severity", "status"):
        if len(conflicts):
            for value, n in conflicts[column].value_counts().items():
                meta[f"{column}_{value}"] = int(n)
    meta["open_preview"] = dg.MetadataValue.md(
        markdown_table(open_, ["conflict_id", "kind", "severity", "entity", "metric", "period", "explanation"]))
    return meta


def gx_check_results(results: list, written) -> list[dg.AssetCheckResult]:
    from reconcile.quality import failures_markdown

    by_suite = {r.suite: r for r in results}
    out = []
    for suite in GX_SUITES:
        result = by_suite.get(suite)
        name = f"gx_{suite}_suite"
        if result is None:
            out.append(dg.AssetCheckResult(check_name=name, asset_key="report", passed=True,
                                           metadata={"note": "table not validated (empty or absent)"}))
            continue
        severity = dg.AssetCheckSeverity.ERROR if result.severity == "ERROR" else dg.AssetCheckSeverity.WARN
        out.append(dg.AssetCheckResult(
            check_name=name, asset_key="report", passed=result.severity == "OK", severity=severity,
            metadata={"evaluated": result.evaluated, "failed": result.failed,
                      "failures": dg.MetadataValue.md(failures_markdown(result) or "none"),
                      "data_docs": dg.MetadataValue.path(str(written.gx_index)),
                      "report": dg.MetadataValue.path(str(written.report_html))}))
    return out


def report_links(report_html, gx_index) -> dict:
    """Where a person reads the outcome: the HTML report and the GX Data Docs."""
    return {"report_html": dg.MetadataValue.path(str(report_html)),
            "data_docs": dg.MetadataValue.path(str(gx_index))}


def document_claims_metadata(doc, result) -> dict:
    """One source's materialisation: what was read, whether it came from the cache, a preview."""
    claims = result.claims
    return {
        "source_id": doc.source_id, "path": dg.MetadataValue.path(str(doc.path)), "sha256": doc.sha256,
        "status": doc.status, "reason": doc.reason or "",
        "claims": len(claims), "unparsed_figures": len(result.unparsed),
        "extracted_documents": len(result.extracted), "cached_documents": len(result.cached),
        "preview": dg.MetadataValue.md(markdown_table(
            claims, ["claim_id", "entity", "metric", "period", "value", "unit", "location"])),
    }


def files_frame(written) -> pd.DataFrame:
    """The files a run published, one row each: the `report` asset's stored value."""
    rows = []
    for name in written.files:
        path = written.out_dir / name
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else (
            path.stat().st_size if path.exists() else 0)
        rows.append({"file": name, "path": str(path.absolute()), "bytes": int(size)})
    return pd.DataFrame(rows, columns=["file", "path", "bytes"])


def severity_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Open conflicts counted by severity, most severe first, zeros kept."""
    order = ["error", "warning", "info"]
    counts = frame["severity"].value_counts() if len(frame) else pd.Series(dtype=int)
    extra = [s for s in counts.index if s not in order]
    return pd.DataFrame({"severity": order + extra, "open": [int(counts.get(s, 0)) for s in order + extra]})
