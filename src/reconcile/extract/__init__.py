"""Extract stage: parsed blocks → figure mentions, each tied to an entity, a metric and a period.

Tables are read by their shape, decided from the header row and the first
column: entities in rows, entities in columns, a time series (periods in the
first column), or key/value rows under an entity heading. Prose is read clause
by clause: the nearest metric words name the metric, the subject of the clause
(or of the heading, for "the company") names the entity.

Nothing here knows a company or a metric by name: that is the vocabulary's job,
and the cue words read around a figure are data too (vocab/cues.yaml).

Parts: tables (shapes and cells), prose (sentences and clauses), events (date
claims), emit (a figure at its site → a mention), periods and words (what the
text around a figure says), lexicon (header and stop words), model (the types).
"""
from __future__ import annotations

import datetime as dt

from ..parse import Block
from ..vocab import Vocabulary
from .model import Context, Extraction, FigureSite, Mention, Reading, UnparsedFigure
from .periods import find_periods, find_quantities
from .prose import read_prose
from .tables import read_table, table_scale
from .words import metrics_beside_entities

__all__ = ["Context", "Extraction", "FigureSite", "Mention", "UnparsedFigure", "extract_document", "find_periods",
           "find_quantities", "metrics_beside_entities"]


def extract_document(blocks: list[Block], source_id: str, published: dt.date, vocab: Vocabulary,
                     heading_label=None) -> Extraction:
    from ..parse import heading_label as default_label
    label_of = heading_label or default_label
    out = Extraction()
    counters: dict[tuple[str, str], int] = {}
    context_cache: dict[tuple[str, ...], Context] = {}
    pending_scale = None
    for block in blocks:
        key = block.headings
        if key not in context_cache:
            context_cache[key] = heading_context(block.headings, published, vocab, label_of)
        ctx = context_cache[key]
        section = ctx.label
        kind = "table" if block.kind == "table" else ("bullet" if block.kind == "bullet" else "paragraph")
        if block.kind == "heading":
            kind = "heading"
        n = counters[(section, kind)] = counters.get((section, kind), 0) + 1
        reading = Reading(source_id, published, vocab, out, block.line)
        if block.kind == "table":
            read_table(reading, block, ctx, f"{section} › table {n}", pending_scale)
            pending_scale = None
        elif block.kind == "paragraph" and len(block.text) <= 80 and table_scale(vocab.cues, [block.text], ()):
            pending_scale = table_scale(vocab.cues, [block.text], ())  # "($ in billions)" alone above a table
        else:
            heading_ctx = ctx
            if block.kind == "heading":
                # A heading is read in the context of its parents, with itself as the topic.
                heading_ctx = heading_context(block.headings + (block.text,), published, vocab, label_of)
            read_prose(reading, block.text, heading_ctx, f"{section} › {kind} {n}")
    return out


def heading_context(headings: tuple[str, ...], published: dt.date, vocab: Vocabulary, label_of) -> Context:
    """The entity, metric and period the headings above a block name, and the block's section label."""
    entity = metric = period = None
    texts = [h.split(" | ")[0] for h in reversed(headings)]
    for depth, text in enumerate(texts):
        if entity is None:
            ents = [m for m in vocab.entity_matcher.find(text)]
            if ents:
                entity = ents[0].name
        if metric is None and depth == 0 and len(headings) > 1:
            # Only a section's own heading names its metric; a document title ("Earnings Tracker") does not.
            mets = metrics_beside_entities(vocab, text)
            if mets:
                metric = mets[0].name
    for text in texts:
        periods = [p for p in find_periods(text, published, vocab.fiscal_year_end(entity)) if p.relation == "in"]
        if periods:
            period = periods[0]
            break
    label = label_of(headings[0]) if headings else "document"
    if len(headings) > 1:
        inner = label_of(headings[-1])
        if inner and inner != label:
            label = f"{label} › {inner}"
    return Context(entity=entity, metric=metric, period=period, label=label)
