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
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from ..parse import Block
from ..quantities import Period, find_periods
from ..vocab import Vocabulary
from .filing import form_lines, registrant_topic
from .model import Context, Extraction, FigureSite, Mention, Reading, TooComplex, Topic, UnparsedFigure
from .periods import find_quantities, unplaced, year_before
from .prose import fiscal_year_of, read_prose
from .segments import Sections
from .tables import CaptionLine, read_table, table_scale
from .topic import document_topic
from .words import metrics_beside_entities

__all__ = ["Context", "Extraction", "FigureSite", "Mention", "TooComplex", "Topic", "UnparsedFigure", "document_topic",
           "extract_document", "find_periods", "find_quantities", "metrics_beside_entities"]


def extract_document(blocks: list[Block], source_id: str, published: dt.date, vocab: Vocabulary,
                     heading_label: Callable[[str], str] | None = None, topic: Topic | None = None,
                     deadline: float | None = None) -> Extraction:
    """Every figure of a parsed document. `topic` is what the document is about by its own title or
    publisher (document_topic): the entity of a block whose headings and sentences name no one.
    Past `deadline` (a time.thread_time()) reading stops with TooComplex, naming the place reached."""
    from ..parse import heading_label as default_label
    label_of = heading_label or default_label
    out = Extraction()
    counters: dict[tuple[str, str], int] = {}
    context_cache: dict[tuple[str, ...], Context] = {}

    def context_of(headings: tuple[str, ...]) -> Context:
        """heading_context, once per run of headings: a heading's own context is its blocks' context too."""
        if headings not in context_cache:
            context_cache[headings] = heading_context(headings, published, vocab, label_of, topic)
        return context_cache[headings]

    pending_scale = None
    caption = CaptionLine()     # 'Revenue by Reportable Segments' just above a table
    lead: tuple[tuple[str, ...], Period] | None = None
    topic = topic or registrant_topic(vocab, blocks)
    sections = Sections(vocab, blocks)
    form = form_lines(vocab.cues, blocks)   # a filing's cover-page fields and form sentences: no figures
    last_subject: tuple[tuple[str, ...], str | None] = ((), None)  # a section's last subject, for "The company …"
    for index, block in enumerate(blocks):
        if index in form:
            continue
        ctx = context_of(block.headings)
        segment = sections.of(block)
        if segment is not None:
            ctx = replace(ctx, segment=segment)
        if lead is not None and _continues_list(block, lead[0]):
            ctx = replace(ctx, period=lead[1], period_from="heading")
        else:
            lead = None
        start = lead_in_period(block, ctx, published, vocab)
        if start is not None:
            lead = (block.headings, start)
        section = ctx.label
        kind = "table" if block.kind == "table" else ("bullet" if block.kind == "bullet" else "paragraph")
        if block.kind == "heading":
            kind = "heading"
        n = counters[(section, kind)] = counters.get((section, kind), 0) + 1
        reading = Reading(source_id, published, vocab, out, block.line, topic=topic, deadline=deadline)
        reading.on_time(f"{section} › {kind} {n}")
        if block.kind == "table":
            read_table(reading, block, ctx, f"{section} › table {n}", pending_scale, caption.current())
            pending_scale = None
        elif block.kind == "paragraph" and len(block.text) <= 80 and table_scale(vocab.cues, [block.text], ()):
            pending_scale = table_scale(vocab.cues, [block.text], ())  # "($ in billions)" alone above a table
        else:
            heading_ctx = ctx
            if block.kind == "heading":
                # A heading is read in the context of its parents, with itself as the topic.
                heading_ctx = context_of(block.headings + (block.text,))
            previous = last_subject[1] if last_subject[0] == block.headings and block.kind != "heading" else None
            if topic is not None and previous == topic.entity:
                previous = None  # the document's own topic is read as such, from where it was read
            subject = read_prose(reading, block.text, heading_ctx, f"{section} › {kind} {n}", previous)
            # a headline-like line (a title, no end punctuation) is no paragraph a next one continues
            last_subject = (block.headings, subject if block.text.rstrip()[-1:] in ".!?\"”'’)" else None)
        caption.see(block)
    _date_by_reporting_quarter(out.mentions, published, vocab, topic)
    _date_year_ago(out.mentions, vocab)
    return out


# Flows a results story reports for the quarter without saying so again ('Revenue: $1.57 billion vs. $1.55 billion
# expected'): the growth and the analysts' figure of such a flow too.
REPORTED_RELATIONS = (None, "growth", "consensus")
FORWARD_SCOPES = ("target", "guidance")  # an outlook is for a period of its own, never the one reported


def _date_by_reporting_quarter(mentions: list[Mention], published: dt.date, vocab: Vocabulary,
                               topic: Topic | None) -> None:
    """An undated flow of a company whose document dates its other figures, or whose title dates the document, by
    one past quarter is that quarter's (assumed): the quarter a results release or an earnings story is about, in
    the company's own calendar."""
    sentences: dict[str, dict[Period, set[str]]] = {}
    if topic is not None and topic.reported is not None:
        sentences[topic.entity] = {topic.reported: {"(title)"}}
    for m in mentions:
        p = m.period
        if p is not None and m.period_from == "clause" and p.granularity == "quarter" \
                and p.relation == "in" and p.end < published:
            # a company the vocabulary lacks ('Pinterest') has no name here: its story's figures share ''
            sentences.setdefault(m.entity or "", {}).setdefault(unplaced(p), set()).add(m.quote)
    # each sentence names its quarter once, however many figures it has
    stated = {entity: Counter({p: len(quotes) for p, quotes in by.items()}) for entity, by in sentences.items()}
    if not stated:
        return
    for n, m in enumerate(mentions):
        counts = stated.get(m.entity or "")
        metric = vocab.definition(m.metric)
        if counts is None or m.period is not None or m.quantity is None or metric is None or \
                metric.granularity not in ("annual", "quarterly") or m.relation not in REPORTED_RELATIONS or \
                m.scope in FORWARD_SCOPES:
            continue
        quarter = max(counts, key=lambda p: (counts[p], p.end))
        if vocab.cues.full_year.search(m.quote):
            quarter = fiscal_year_of(quarter, vocab.fiscal_year_end(m.entity))  # "Full-year revenue rose 68%"
        mentions[n] = replace(m, period=quarter, period_from="assumed")


def _date_year_ago(mentions: list[Mention], vocab: Vocabulary) -> None:
    """'Net income rose to $9.4 billion from $1.58 billion a year ago': the earlier figure is the same span a year
    before the one its sentence or document gives; so dated, it is a claim of its own, not a replaced one."""
    for n, m in enumerate(mentions):
        if not m.year_ago:
            continue
        later = next((o for o in reversed(mentions[:n]) if o.quote == m.quote and o.location == m.location
                      and not o.year_ago and o.period is not None and o.metric == m.metric), None)
        said = later or m  # the figure it is compared with
        earlier = year_before(said.period, vocab.fiscal_year_end(m.entity)) if said.period is not None else None
        if earlier is not None:
            mentions[n] = replace(m, period=earlier, period_from=said.period_from, superseded=False)


def heading_context(headings: tuple[str, ...], published: dt.date, vocab: Vocabulary, label_of: Callable[[str], str],
                    topic: Topic | None = None) -> Context:
    """The entity, metric and period the headings above a block name (the entity else the document's topic),
    and the block's section label."""
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
    entity_from = referred_from = "heading"
    if entity is None and topic is not None:
        # An issuer's release is about the issuer as read; a headline's subject is only likely the topic.
        entity, referred_from = topic.entity, topic.read_from
        entity_from = topic.read_from if topic.issuer else "assumed"
    period_from = "heading"
    for depth, text in enumerate(texts):
        periods = [p for p in find_periods(text, published, vocab.fiscal_year_end(entity)) if p.relation == "in"]
        if periods:
            period = periods[0]
            period_from = "title" if depth == len(texts) - 1 else "heading"
            break
    label = label_of(headings[0]) if headings else "document"
    if len(headings) > 1:
        inner = label_of(headings[-1])
        if inner and inner != label:
            label = f"{label} › {inner}"
    return Context(entity=entity, metric=metric, period=period, label=label, entity_from=entity_from,
                   referred_from=referred_from, period_from=period_from)


def lead_in_period(block: Block, ctx: Context, published: dt.date, vocab: Vocabulary) -> Period | None:
    """'NVIDIA's outlook for the fourth quarter of fiscal 2026 is as follows:': the period a list's lead-in names,
    for the figures listed under it (guidance gets the period it is for)."""
    text = block.text.strip()
    if block.kind != "paragraph" or not text.endswith(":") or len(text) > 240:
        return None
    ents = vocab.entity_matcher.find(text)
    entity = ents[0].name if ents else ctx.entity
    periods = [p for p in find_periods(text, published, vocab.fiscal_year_end(entity)) if p.relation == "in"]
    return periods[-1] if periods else None


def _continues_list(block: Block, headings: tuple[str, ...]) -> bool:
    """A block still under a lead-in: a bullet or a sentence-like paragraph in the same section (a short line
    without end punctuation, such as 'Highlights', starts a new part)."""
    return block.headings == headings and (block.kind == "bullet" or (
        block.kind == "paragraph" and block.text.rstrip()[-1:] in ".!?:)\"”'’"))
