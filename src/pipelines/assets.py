"""One asset per stage. Each body calls the engine; nothing here reconciles anything itself."""

import datetime as dt

import dagster as dg
import pandas as pd

from reconcile import engine, publish, registry
from reconcile.decisions import DecisionStore
from reconcile.detect import detect_conflicts
from reconcile.resolve import apply_decisions, golden_record, without_misreads
from reconcile.vocab import load_vocabulary

from . import metadata as meta
from .partitions import SOURCES
from .resources import Progress, ReconcileSettings

GROUP = "reconcile"


@dg.asset(group_name=GROUP,
          description="Every file in the sources folder: registry metadata, hash, read or quarantined.")
def documents(context: dg.AssetExecutionContext, settings: ReconcileSettings,
              progress: dg.ResourceParam[Progress]) -> pd.DataFrame:
    docs, warnings = registry.discover(settings.sources_path)
    for warning in warnings:
        context.log.warning(warning)
        progress(f"warning: {warning}")
    for doc in docs:
        if doc.status != "ok":
            context.log.warning(f"quarantined {registry.readable_name(doc.path)}: {doc.reason}")
            progress(f"quarantined {doc.source_id}: {doc.reason}")
    frame = registry.documents_frame(docs, settings.sources_path)
    context.add_output_metadata(meta.table_metadata(frame) | {
        "rejected": int((frame["status"] == "rejected").sum()),
        "warnings": dg.MetadataValue.md("\n".join(f"- {meta.md_escape(w)}" for w in warnings) or "none"),
    })
    return frame


@dg.asset(group_name=GROUP, partitions_def=SOURCES,
          description="One source's claims, read through the content-hash cache: the per-source run the sensor "
                      "requests when a document is added or changed. Warms the cache that `claims` combines.")
def document_claims(context: dg.AssetExecutionContext, settings: ReconcileSettings,
                    progress: dg.ResourceParam[Progress]) -> dg.MaterializeResult:
    source_id = context.partition_key
    docs, _ = registry.discover(settings.sources_path)
    doc = next((d for d in docs if d.source_id == source_id), None)
    if doc is None:
        context.log.warning(f"source '{source_id}' is no longer in {settings.sources_path}; nothing to read")
        return dg.MaterializeResult(metadata={"status": "missing", "claims": 0, "extracted_documents": 0})
    vocab = load_vocabulary(settings.vocab_dir)
    result = engine.extract_claims([doc], vocab, engine.ClaimCache(settings.home_path / "cache"), progress)
    return dg.MaterializeResult(metadata=meta.document_claims_metadata(doc, result))


@dg.multi_asset(
    group_name=GROUP,
    deps=[document_claims],
    outs={
        "claims": dg.AssetOut(description="One row per stated figure, normalised, with provenance: every current "
                                          "source, unchanged ones from the content-hash cache. Removed sources "
                                          "leave it, because it is rebuilt from the documents table each run."),
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
        "extracted_documents": len(result.extracted), "cached_documents": len(result.cached),
        "sources": int(result.claims["source_id"].nunique()) if len(result.claims) else 0})
    yield dg.Output(result.unparsed, "unparsed_figures", metadata=meta.table_metadata(result.unparsed))


@dg.asset(group_name=GROUP, description="Conflicts found by the pandera checks, with steward decisions applied.")
def conflicts(context: dg.AssetExecutionContext, settings: ReconcileSettings, claims: pd.DataFrame,
              documents: pd.DataFrame) -> pd.DataFrame:
    store = DecisionStore.from_settings(settings.engine_settings())
    usable = without_misreads(claims, store.misreads())   # a claim a steward marked misread compares with nothing
    found = detect_conflicts(usable, documents)
    frame = apply_decisions(found, store.frame(), usable, documents)
    context.add_output_metadata(meta.table_metadata(frame) | meta.conflict_metadata(frame)
                                | meta.report_links(settings.report_html, settings.gx_docs_index))
    return frame


@dg.asset(group_name=GROUP, description="The golden record: one value per entity, metric and period, traced to claims.")
def resolved_claims(context: dg.AssetExecutionContext, settings: ReconcileSettings, claims: pd.DataFrame,
                    conflicts: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    misreads = DecisionStore.from_settings(settings.engine_settings()).misreads()
    frame = golden_record(without_misreads(claims, misreads), conflicts, documents)
    counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    context.add_output_metadata(meta.table_metadata(frame) | {f"status_{k}": int(v) for k, v in counts.items()})
    return frame


@dg.asset(group_name=GROUP, check_specs=meta.GX_CHECK_SPECS,
          description="Writes out/: CSVs, report.html, report.md and GX Data Docs, replaced atomically as a set. "
                      "Stored as the table of files written.")
def report(context: dg.AssetExecutionContext, settings: ReconcileSettings, progress: dg.ResourceParam[Progress],
           documents: pd.DataFrame, claims: pd.DataFrame, unparsed_figures: pd.DataFrame,
           conflicts: pd.DataFrame, resolved_claims: pd.DataFrame):
    decisions = DecisionStore.from_settings(settings.engine_settings()).frame()
    run = publish.RunTables(documents, claims, unparsed_figures, conflicts, resolved_claims, decisions)
    written = publish.write_outputs(settings.out_path, settings.expectations_dir, run,
                                    generated_at=dt.datetime.now(dt.UTC))
    progress(f"report written to {written.report_html}")
    files = meta.files_frame(written)
    yield dg.Output(files, metadata=meta.table_metadata(files) | meta.report_links(written.report_html,
                                                                                    written.gx_index) | {
        "files": dg.MetadataValue.md(meta.markdown_table(files, ["file", "bytes"], limit=50)),
        "open_conflicts": int(conflicts["status"].isin(["open", "stale"]).sum()) if len(conflicts) else 0,
    })
    yield from meta.gx_check_results(written.gx_results, written)
