"""The code location: `dagster dev` from the repo root loads `defs` from here."""
from __future__ import annotations

import dagster as dg

from . import assets, checks
from .resources import ReconcileSettings, log_progress

reconcile_job = dg.define_asset_job("reconcile", selection=dg.AssetSelection.all(),
                                    description="Ingest the sources, extract claims, detect conflicts, publish out/.")


def build_definitions(settings: ReconcileSettings | None = None, progress=log_progress) -> dg.Definitions:
    return dg.Definitions(
        assets=[assets.documents, assets.claims, assets.conflicts, assets.resolved_claims, assets.report],
        asset_checks=[checks.claims_schema, checks.open_conflicts, checks.stale_decisions, checks.rejected_sources],
        jobs=[reconcile_job],
        resources={"settings": settings or ReconcileSettings.from_env(), "progress": progress},
    )


defs = build_definitions()
