"""Publish the run: every output file, the report and GX Data Docs, replaced atomically as one set."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import report
from .outputs import output_set, to_csv_safe
from .resolve import orphaned_decisions

REJECTED_COLUMNS = ["source_id", "path", "reason"]


@dataclass
class Written:
    out_dir: Path
    report_html: Path
    gx_index: Path
    files: list[str] = field(default_factory=list)
    gx_results: list[Any] = field(default_factory=list)


def rejected_sources(documents: pd.DataFrame) -> pd.DataFrame:
    return documents.loc[documents["status"] == "rejected", REJECTED_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class RunTables:
    """What one run publishes: the stage tables and the steward decisions they were read with."""
    documents: pd.DataFrame
    claims: pd.DataFrame
    unparsed: pd.DataFrame
    conflicts: pd.DataFrame
    resolved: pd.DataFrame
    decisions: pd.DataFrame


def write_outputs(out_dir: Path, expectations_dir: Path | str, run: RunTables, *, generated_at: dt.datetime,
                  validate: bool = True) -> Written:
    """Write CSVs, report.html, report.md and gx_docs/ into a staging folder, then swap it in as out/."""
    from .quality import validating

    documents, claims, unparsed, conflicts, resolved, decisions = (
        run.documents, run.claims, run.unparsed, run.conflicts, run.resolved, run.decisions)

    rejected = rejected_sources(documents)
    orphans = orphaned_decisions(conflicts, decisions) if len(decisions) else decisions
    tables = {
        "documents.csv": documents, "claims.csv": claims, "conflicts.csv": conflicts,
        "resolved_claims.csv": resolved, "rejected_sources.csv": rejected, "unparsed_figures.csv": unparsed,
        "orphaned_decisions.csv": orphans,
    }
    stamp = generated_at.strftime("%Y-%m-%d %H:%M UTC")
    checked = {"documents": documents, "claims": claims, "conflicts": conflicts, "resolved_claims": resolved}
    with output_set(out_dir) as staging, \
            validating(checked if validate else {}, Path(expectations_dir), staging / "gx_docs") as gx_results:
        for name, frame in tables.items():
            to_csv_safe(frame, staging / name, index=False)
        for_report = report.ReportTables(documents, claims, conflicts, resolved, rejected, unparsed, orphans)
        markdown, page = report.render_both(for_report, generated_at=stamp)  # one build, two formats
        (staging / "report.md").write_text(markdown, encoding="utf-8")
        (staging / "report.html").write_text(page, encoding="utf-8")
        results = gx_results()
        files = sorted(p.relative_to(staging).as_posix() for p in staging.iterdir())
    out_dir = Path(out_dir)
    return Written(out_dir=out_dir, report_html=out_dir / "report.html", gx_index=out_dir / "gx_docs" / "index.html",
                   files=files, gx_results=results)
