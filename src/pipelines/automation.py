"""Jobs, the daily schedule and the sources sensor. The decisions live in reconcile.sources_state."""
from __future__ import annotations

import dagster as dg

from reconcile import registry, sources_state
from reconcile.errors import UserError

from .partitions import SOURCES
from .resources import Deployment, ReconcileSettings

LANE_TAG = "reconcile/lane"  # runs on one deployment's sources: the dev instance runs them one at a time
LANE = {LANE_TAG: "sources"}
DEPLOYMENT = Deployment.from_env()

# The stages are a chain (documents → claims → conflicts → resolved_claims → report): a process per step
# would only add start-up time (~5 s each). Each run is still its own process (or container, with a
# Docker/K8s run launcher); RECONCILE_EXECUTOR=multiprocess brings back a process per step.
EXECUTOR = dg.multiprocess_executor if DEPLOYMENT.executor == "multiprocess" else dg.in_process_executor

reconcile_job = dg.define_asset_job(
    "reconcile", selection=dg.AssetSelection.all() - dg.AssetSelection.assets("document_claims"), tags=LANE,
    executor_def=EXECUTOR,
    description="Ingest the sources, extract claims (unchanged documents come from the cache), detect conflicts, "
                "publish out/. The job `reconcile run` executes in-process.")

document_claims_job = dg.define_asset_job(
    "read_source", selection=dg.AssetSelection.assets("document_claims"), partitions_def=SOURCES, tags=LANE,
    executor_def=EXECUTOR,
    description="Read one source (a partition): the run the sources sensor requests for a new or changed document.")


def schedule_cron(env: dict[str, str] | None = None) -> str:
    return Deployment.from_env(env).cron if env is not None else DEPLOYMENT.cron


daily_reconcile = dg.ScheduleDefinition(
    name="daily_reconcile", job=reconcile_job, cron_schedule=DEPLOYMENT.cron,
    execution_timezone=DEPLOYMENT.timezone,
    default_status=(dg.DefaultScheduleStatus.RUNNING if DEPLOYMENT.schedule_running
                    else dg.DefaultScheduleStatus.STOPPED),
    description="The whole reconciliation, daily (cron from RECONCILE_SCHEDULE_CRON, default '0 6 * * *' UTC).")


@dg.sensor(
    name="sources_sensor", jobs=[document_claims_job, reconcile_job], minimum_interval_seconds=30,
    default_status=(dg.DefaultSensorStatus.RUNNING if DEPLOYMENT.sensor_running
                    else dg.DefaultSensorStatus.STOPPED),
    description="Watches the sources folder by content hash. Adds/deletes the `sources` partitions, requests one "
                "`read_source` run (one partition) per added or changed source, then one `reconcile` run.")
def sources_sensor(context: dg.SensorEvaluationContext, settings: ReconcileSettings):
    try:
        docs, _ = registry.discover(settings.sources_path)
    except UserError as error:  # a broken registry: say so, keep the cursor, try again next tick
        return dg.SkipReason(f"sources not readable: {error}")
    current = sources_state.state_of(docs, settings.sources_path)
    changes = sources_state.diff(sources_state.decode_cursor(context.cursor), current)

    known = set(context.instance.get_dynamic_partitions(SOURCES.name))
    to_add = sorted(set(current) - known)
    to_delete = sorted(known - set(current))
    partition_requests = []
    if to_add:
        partition_requests.append(SOURCES.build_add_request(to_add))
    if to_delete:
        partition_requests.append(SOURCES.build_delete_request(to_delete))

    runs = []
    process = changes.to_process
    seen = sources_state.cursor_generation(context.cursor)
    changed = changes.any or bool(to_delete)
    generation = sources_state.next_generation(seen) if changed or seen is None else seen
    if len(process) <= max(0, settings.sensor_max_runs):
        runs = [dg.RunRequest(job_name=document_claims_job.name, partition_key=key,
                              run_key=f"{key}@{generation}-{current[key].sha256[:12]}-{current[key].meta}",
                              tags={"reconcile/change": "added" if key in changes.added else "changed"})
                for key in process]
    else:  # a bulk load: one process reads them all, instead of one run each
        context.log.info(f"{len(process)} sources to read: one reconcile run instead of one run per source")
    if changed:
        runs.append(dg.RunRequest(job_name=reconcile_job.name,
                                  run_key=f"reconcile@{generation}-{sources_state.digest(current)}",
                                  tags={"reconcile/change": changes.summary()}))
    context.log.info(f"sources: {changes.summary()}")
    return dg.SensorResult(run_requests=runs, cursor=sources_state.encode_cursor(current, generation),
                           dynamic_partitions_requests=partition_requests,
                           skip_reason=None if runs else f"sources unchanged ({len(current)} documents)")
