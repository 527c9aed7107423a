"""`reconcile run`: the Dagster job executed in-process, through the same assets `dagster dev` shows."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from reconcile import registry
from reconcile.errors import UserError
from reconcile.outputs import run_locks
from reconcile.vocab import load_vocabulary

from .definitions import build_definitions
from .resources import ReconcileSettings

# The CLI shows its own progress and warning lines; Dagster's event log stays in the instance.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}   # a failure is raised, not logged


@dataclass
class RunResult:
    documents: int
    rejected: int
    claims: int
    conflicts: int
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    report_path: Path
    out_dir: Path
    warnings: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)   # ERROR-severity checks that failed, with what failed
    extracted: int = 0
    cached: int = 0


def preflight(settings: ReconcileSettings) -> None:
    """Configuration errors fail here, before anything is written."""
    load_vocabulary(Path(settings.vocab_dir))
    if not settings.sources_path.is_dir():
        raise UserError("sources folder not found", file=settings.sources_dir,
                        hint="pass --sources DIR pointing at a folder of documents")
    refuse_out_inside_sources(settings.out_path, settings.sources_path)
    registry.load_registry(settings.sources_path)
    from reconcile.quality import load_suite_specs
    load_suite_specs(Path(settings.expectations_dir))


def refuse_out_inside_sources(out: Path, sources: Path) -> None:
    """An output folder inside the sources folder would be read back as sources on the next run."""
    out, sources = out.resolve(), sources.resolve()
    if out == sources or sources in out.parents:
        raise UserError(f"--out {out} is inside --sources {sources}, so each run would read its own outputs",
                        hint=f"write the outputs outside the sources folder, e.g. --out {sources.parent / 'out'}")


def run_pipeline(sources_dir: Path, out_dir: Path, progress: Callable[[str], None] | None = None,
                 home: Path | None = None) -> RunResult:
    overrides = {"sources_dir": str(sources_dir), "out_dir": str(out_dir)}
    if home is not None:
        overrides["home"] = str(home)
    settings = ReconcileSettings.from_env(**overrides).resolved()
    preflight(settings)
    warnings: list[str] = []

    def report(message: str) -> None:
        if message.startswith("warning: "):
            warnings.append(message[len("warning: "):])
        if progress:
            progress(message)

    defs = build_definitions(settings, progress=report)
    job = defs.resolve_job_def("reconcile")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    # out/ and home (cache, DuckDB, decisions) are each written by one run at a time.
    with run_locks(settings.out_path, settings.home_path):
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET)
    if not result.success:
        raise _failure(result)
    return _summary(result, settings, warnings)


def _failure(result) -> Exception:
    """A step's UserError (e.g. a damaged decisions database) stays one clear line; anything else is a bug."""
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            cause = data.error.cause if data.error and data.error.cause else data.error
            if cause is not None and cause.cls_name in ("UserError", "RunLockedError"):
                return UserError(cause.message.split(": ", 1)[-1].strip())
            why = cause.message.strip() if cause else "unknown error"
            return RuntimeError(f"step '{event.step_key}' failed: {why}")
    return RuntimeError("the run failed")


def _summary(result, settings: ReconcileSettings, warnings: list[str]) -> RunResult:
    documents = result.output_for_node("documents")
    claims = result.output_for_node("claims", "claims")
    conflicts = result.output_for_node("conflicts")
    open_ = conflicts[conflicts["status"].isin(["open", "stale"])] if len(conflicts) else conflicts
    mats = {str(m.asset_key.path[-1]): m for m in result.asset_materializations_for_node("claims")}
    meta = mats["claims"].metadata if "claims" in mats else {}
    return RunResult(
        documents=int((documents["status"] == "ok").sum()),
        rejected=int((documents["status"] == "rejected").sum()),
        claims=len(claims), conflicts=len(conflicts),
        by_kind={k: int(v) for k, v in conflicts["kind"].value_counts().items()} if len(conflicts) else {},
        by_severity={k: int(v) for k, v in open_["severity"].value_counts().items()} if len(open_) else {},
        report_path=settings.out_path / "report.html", out_dir=settings.out_path, warnings=warnings,
        failed_checks=_critical_failures(result),
        extracted=int(meta["extracted_documents"].value) if "extracted_documents" in meta else 0,
        cached=int(meta["cached_documents"].value) if "cached_documents" in meta else 0,
    )


def _critical_failures(result) -> list[str]:
    """Each failed ERROR-severity check (the critical GX suites, the claims schema), naming what failed."""
    failed = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        table = getattr(evaluation.metadata.get("failures"), "value", "") or ""
        # failures_markdown rows: | severity | expectation | column | unexpected | values |
        found = dict.fromkeys(f"{name} on {column.strip()}" if column.strip() else name
                              for name, column in re.findall(r"^\| critical \| (\w+) \| ([^|]*)\|", table, re.M))
        failed.append(evaluation.check_name + (f": {'; '.join(found)}" if found else ""))
    return failed
