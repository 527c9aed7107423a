"""The code location: `dagster dev` from the repo root loads `defs` from here."""
from __future__ import annotations

import dagster as dg

from . import assets, checks
from .automation import EXECUTOR, daily_reconcile, document_claims_job, reconcile_job, sources_sensor
from .resources import ReconcileSettings, log_progress
from .storage import duckdb_io_manager

ASSETS = [assets.documents, assets.document_claims, assets.claims, assets.conflicts, assets.resolved_claims,
          assets.report]
CHECKS = [checks.claims_schema, checks.open_conflicts, checks.stale_decisions, checks.rejected_sources]


def build_definitions(settings: ReconcileSettings | None = None, progress=log_progress) -> dg.Definitions:
    settings = settings or ReconcileSettings.from_env()
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[reconcile_job, document_claims_job],
        schedules=[daily_reconcile],
        sensors=[sources_sensor],
        executor=EXECUTOR,  # also for 'Materialize' in the UI
        resources={"settings": settings, "progress": progress,
                   "io_manager": duckdb_io_manager(settings.resolved().duckdb_path)},
    )


defs = build_definitions()
