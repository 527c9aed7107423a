"""One asset per stage. Each body calls the engine; nothing here reconciles anything itself."""

import datetime as dt

import dagster as dg
import pandas as pd

from reconcile import engine, registry
from reconcile.decisions import DecisionStore
from reconcile.detect import detect_conflicts
from reconcile.resolve import apply_decisions, golden_record
from reconcile.vocab import load_vocabulary

from reconcile import publish

from . import metadata as meta
from .resources import Progress, ReconcileSettings

GROUP = "reconcile"


@dg.asset(group_name=GROUP, description="Every file in the sources folder: registry metadata, hash, read or quarantined.")
def documents(context: dg.AssetExecutionContext, settings: ReconcileSettings,
              progress: dg.ResourceParam[Progress]) -> pd.DataFrame:
    docs, warnings = registry.discover(settings.sources_path)
    for warning in warnings:
        context.log.warning(warning)
        progress(f"warning: {warning}")
    for doc in docs:
        if doc.status != "ok":
            context.log.warning(f"quarantined {doc.path}: {doc.reason}")
            progress(f"quarantined {doc.source_id}: {doc.reason}")
    frame = registry.documents_frame(docs, settings.sources_path)
    context.add_output_metadata(meta.table_metadata(frame) | {
        "rejected": int((frame["status"] == "rejected").sum()),
        "warnings": dg.MetadataValue.md("\n".join(f"- {meta.md_escape(w)}" for w in warnings) or "none"),
    })
    return frame


@dg.multi_asset(
    group_name=GROUP,
    outs={
        "claims": dg.AssetOut(description="One row per stated figure, normalised, with provenance."),
        "unparsed_figures": dg.AssetOut(description="Figure-like text that could not be read safely, with its place."),
    },
)
def claims(context: dg.AssetExecutionContext, settings: ReconcileSettings, progress: dg.ResourceParam[Progress],
           documents: pd.DataFrame):
    vocab = load_vocabulary(settings.vocab_dir)
    docs = engine.reload_documents(documents, settings.sources_path)
    cache = engine.ClaimCache(settings.home_path / "cache")
    result = engine.extract_claims(docs, vocab, cache, progress)
    context.log.info(f"extracted {len(result.extracted)} documents, {len(result.cached)} unchanged from cache")
    yield dg.Output(result.claims, "claims", metadata=meta.table_metadata(result.claims) | {
        "extracted_documents": len(result.extracted), "cached_documents": len(result.cached)})
    yield dg.Output(result.unparsed, "unparsed_figures", metadata=meta.table_metadata(result.unparsed))


@dg.asset(group_name=GROUP, description="Conflicts found by the pandera checks, with steward decisions applied.")
def conflicts(context: dg.AssetExecutionContext, settings: ReconcileSettings, claims: pd.DataFrame,
              documents: pd.DataFrame) -> pd.DataFrame:
    found = detect_conflicts(claims, documents)
    decisions = DecisionStore.from_settings(settings.engine_settings()).frame()
    frame = apply_decisions(found, decisions, claims, documents)
    context.add_output_metadata(meta.table_metadata(frame) | meta.conflict_metadata(frame))
    return frame


@dg.asset(group_name=GROUP, description="The golden record: one value per entity, metric and period, traced to claims.")
def resolved_claims(context: dg.AssetExecutionContext, claims: pd.DataFrame, conflicts: pd.DataFrame,
                    documents: pd.DataFrame) -> pd.DataFrame:
    frame = golden_record(claims, conflicts, documents)
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    context.add_output_metadata(meta.table_metadata(frame) | {f"status_{k}": int(v) for k, v in counts.items()})
    return frame


@dg.asset(group_name=GROUP, check_specs=meta.GX_CHECK_SPECS,
          description="Writes out/: CSVs, report.html, report.md and GX Data Docs, replaced atomically as a set.")
def report(context: dg.AssetExecutionContext, settings: ReconcileSettings, progress: dg.ResourceParam[Progress],
           documents: pd.DataFrame, claims: pd.DataFrame, unparsed_figures: pd.DataFrame,
           conflicts: pd.DataFrame, resolved_claims: pd.DataFrame):
    decisions = DecisionStore.from_settings(settings.engine_settings()).frame()
    written = publish.write_outputs(
        settings.out_path, settings.expectations_dir, documents=documents, claims=claims, unparsed=unparsed_figures,
        conflicts=conflicts, resolved=resolved_claims, decisions=decisions,
        generated_at=dt.datetime.now(dt.timezone.utc))
    progress(f"report written to {written.report_html}")
    yield dg.Output(str(written.report_html), metadata={
        "report_html": dg.MetadataValue.path(str(written.report_html)),
        "gx_docs": dg.MetadataValue.path(str(written.gx_index)),
        "files": dg.MetadataValue.md("\n".join(f"- {name}" for name in written.files)),
    })
    for result in meta.gx_check_results(written.gx_results, written):
        yield result
