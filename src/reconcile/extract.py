"""Extract stage: parsed blocks → figure mentions, each tied to an entity, a metric and a period.

Tables are read by their shape, decided from the header row and the first
column: entities in rows, entities in columns, a time series (periods in the
first column), or key/value rows under an entity heading. Prose is read clause
by clause: the nearest metric words name the metric, the subject of the clause
(or of the heading, for "the company") names the entity.

Nothing here knows a company or a metric by name: that is the vocabulary's job.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from .parse import Block
from .quantities import Period, Quantity, Unparsed, find_periods, find_quantities
from .vocab import Match, Vocabulary

# Header words that say the first column holds entities even when the vocabulary does not know them.
ENTITY_HEADERS = {"company", "companies", "player", "players", "firm", "entity", "lab", "labs", "partner",
                  "cloud partner", "vendor", "provider", "organization", "organisation", "startup", "issuer",
                  "investor", "competitor", "hyperscaler"}
PERIOD_HEADERS = {"date", "period", "source period", "as of", "year", "quarter", "timing", "when"}
# Label words that qualify a figure without changing what it measures.
NEUTRAL_WORDS = {"combined", "total", "estimated", "estimate", "projected", "guidance", "actual", "current",
                 "annual", "reported", "the", "of", "a", "an", "and", "in", "for", "on", "at", "to", "by", "from",
                 "&", "+", "-", "—", "–", "/", "vs", "new", "net", "overall", "expected", "planned", "approx",
                 "approximately", "official", "latest", "full", "year", "fy", "calendar", "metric", "value", "s",
                 "target", "growth", "yoy", "qoq", "rate", "all", "its", "their", "detail", "key", "ai"}
GRANULARITY_WORDS = [
    (re.compile(r"(?i)\b(?:per\s+quarter|/\s*quarter|quarterly|a\s+quarter|q/q)\b|/quarter"), "quarterly"),
    (re.compile(r"(?i)\b(?:per\s+month|/\s*month|monthly|a\s+month)\b|/month"), "monthly"),
    (re.compile(r"(?i)\b(?:annual(?:ly)?|per\s+year|/\s*year|a\s+year|yearly)\b|/year|\(annual\)"), "annual"),
    (re.compile(r"(?i)\b(?:annuali[sz]ed|run[\s-]rate|ARR)\b"), "run_rate"),
    (re.compile(r"(?i)\bcumulative\b"), "cumulative"),
]
GROWTH_WORDS = re.compile(r"(?i)\b(?:yoy|y/y|year[- ]over[- ]year|growth|grew|grow(?:ing|s)?|increase[sd]?|up|rise|rose|"
                          r"jump(?:ed)?|qoq|q/q|sequentially|decline[sd]?|down|fell|drop(?:ped)?)\b")
WORD_MULTIPLES = re.compile(r"(?i)\b(nearly\s+|almost\s+|roughly\s+|about\s+|near-)?"
                            r"(doubl(?:ed|ing|e)|tripl(?:ed|ing|e)|quadrupl(?:ed|ing|e)|halv(?:ed|ing))\b")
WORD_MULTIPLE_VALUES = {"doubl": 2.0, "tripl": 3.0, "quadrupl": 4.0, "halv": 0.5}
SUPERSEDED_BEFORE = re.compile(r"(?i)\b(?:initial(?:ly)?|original(?:ly)?|previous(?:ly)?|prior|earlier|old|beat|"
                               r"raised\s+from|up\s+from|down\s+from|from|vs\.?|versus|compared\s+(?:with|to)|"
                               r"than|over)\s*[~≈]?\s*$")
ANNUALISED_FROM = re.compile(r"(?i)annuali[sz]ed\s+from\s*$")
PRONOUNS = re.compile(r"(?i)\b(?:the\s+company|the\s+firm|the\s+group|the\s+startup|its|it|the\s+lab|they|their)\b")
COUNTERPARTY_BEFORE = re.compile(r"(?i)\b(?:in|into|with|from|to|for|backing|of)\s*$")
CLAUSE_SPLIT = re.compile(r"\s*(?:;|,\s+(?:and|while|but|as)\s+|\s+(?:while|whereas|but|as|and)\s+(?=[^,;]*?[$\d])|"
                          r"\s+[—–]\s+|:\s+)\s*")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(\[])")
LEAD_DATE = re.compile(r"^\s*([A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{4}-\d{2}-\d{2})\s*[:–—-]\s+")
MIN_MONEY_FOR_ECHO = 1e6


@dataclass
class Mention:
    """One figure as found, before normalisation into a claim."""
    source_id: str
    location: str
    line: int
    quote: str
    context: str                       # table_rows | table_columns | key_value | series | prose
    entity: str | None
    metric: str | None
    quantity: Quantity | None          # None for date claims
    period: Period | None = None
    granularity: str | None = None     # from the figure's own words
    expected_granularity: str | None = None
    metric_imposed: bool = False       # the metric came from a header, not the figure's own words
    stated_metric: str | None = None
    stated_entity: str | None = None
    scope: str | None = None
    counterparty: str | None = None
    relation: str | None = None        # growth | multiple | annualised | sum
    base_period: Period | None = None
    members: tuple[str, ...] = ()
    superseded: bool = False
    event: str | None = None


@dataclass
class UnparsedFigure:
    source_id: str
    location: str
    line: int
    text: str
    reason: str
    quote: str


@dataclass
class Extraction:
    mentions: list[Mention] = field(default_factory=list)
    unparsed: list[UnparsedFigure] = field(default_factory=list)


@dataclass
class Context:
    """What the headings above a block say: its section entity, metric and period."""
    entity: str | None
    metric: str | None
    period: Period | None
    label: str


# --- entry point ---------------------------------------------------------------------------------

def extract_document(blocks: list[Block], source_id: str, published: dt.date, vocab: Vocabulary,
                     heading_label=None) -> Extraction:
    from .parse import heading_label as default_label
    label_of = heading_label or default_label
    out = Extraction()
    counters: dict[tuple[str, str], int] = {}
    context_cache: dict[tuple[str, ...], Context] = {}
    for block in blocks:
        key = block.headings
        if key not in context_cache:
            context_cache[key] = _heading_context(block.headings, published, vocab, label_of)
        ctx = context_cache[key]
        section = ctx.label
        kind = "table" if block.kind == "table" else ("bullet" if block.kind == "bullet" else "paragraph")
        if block.kind == "heading":
            kind = "heading"
        n = counters[(section, kind)] = counters.get((section, kind), 0) + 1
        reader = _Reader(source_id, published, vocab, out, block.line)
        if block.kind == "table":
            reader.table(block, ctx, f"{section} › table {n}")
        else:
            heading_ctx = ctx
            if block.kind == "heading":
                # A heading is read in the context of its parents, with itself as the topic.
                heading_ctx = _heading_context(block.headings + (block.text,), published, vocab, label_of)
            reader.prose(block.text, heading_ctx, f"{section} › {kind} {n}")
    return out


def _heading_context(headings: tuple[str, ...], published: dt.date, vocab: Vocabulary, label_of) -> Context:
    entity = metric = period = None
    for heading in reversed(headings):
        text = heading.split(" | ")[0]
        if entity is None:
            ents = [m for m in vocab.entity_matcher.find(text)]
            if ents:
                entity = ents[0].name
        if metric is None:
            mets = vocab.metric_matcher.find(text)
            if mets:
                metric = mets[0].name
        if period is None:
            periods = [p for p in find_periods(text, published, vocab.fiscal_year_end(entity)) if p.relation == "in"]
            if periods:
                period = periods[0]
    label = label_of(headings[0]) if headings else "document"
    if len(headings) > 1:
        inner = label_of(headings[-1])
        if inner and inner != label:
            label = f"{label} › {inner}"
    return Context(entity=entity, metric=metric, period=period, label=label)


# --- reading -------------------------------------------------------------------------------------

class _Reader:
    def __init__(self, source_id: str, published: dt.date, vocab: Vocabulary, out: Extraction, line: int):
        self.source_id = source_id
        self.published = published
        self.vocab = vocab
        self.out = out
        self.line = line

    # Tables -------------------------------------------------------------------------------------
    def table(self, block: Block, ctx: Context, where: str) -> None:
        if len(block.rows) < 2:
            return
        header, body = list(block.rows[0]), [list(r) for r in block.rows[1:]]
        width = len(header)
        if width < 2:
            return
        first_col = [r[0] if r else "" for r in body]
        row_entities = [self._entity_in_label(c) for c in first_col]
        col_entities = [self._entity_in_label(h) for h in header[1:]]
        row_periods = [self._whole_period(c, ctx) for c in first_col]
        header0 = _norm(header[0])
        if header0 in ENTITY_HEADERS or _share(row_entities) >= 0.5:
            shape = "table_rows"
        elif sum(e is not None for e in col_entities) >= max(1, (width - 1) // 2 + (width - 1) % 2):
            shape = "table_columns"
        elif _share(row_periods) >= 0.5:
            shape = "series"
        else:
            shape = "key_value"
        period_cols = [j for j, h in enumerate(header) if j > 0 and _norm(h) in PERIOD_HEADERS]
        for i, row in enumerate(body):
            label = row[0].strip()
            quote = " | ".join(c.strip() for c in row)
            row_where = f'{where} › row "{_short(label)}"'
            row_period = self._row_period(row, period_cols, ctx)
            for j in range(1, width):
                if j in period_cols:
                    continue
                cell = row[j] if j < len(row) else ""
                if not cell.strip():
                    continue
                col_where = row_where if shape == "key_value" and width <= 3 else f'{row_where} › column "{_short(header[j])}"'
                self._table_cell(shape, ctx, label, header[j], cell, quote, col_where,
                                 row_entity=row_entities[i], col_entity=col_entities[j - 1],
                                 row_period=row_periods[i] if shape == "series" else row_period,
                                 unknown_entity_label=(header0 in ENTITY_HEADERS))

    def _table_cell(self, shape, ctx, label, header, cell, quote, where, *, row_entity, col_entity,
                    row_period, unknown_entity_label) -> None:
        label_m = self._metric_in(label)
        header_m = self._metric_in(header)
        header_gran = _granularity(header)
        scope = None
        if shape == "table_rows":
            entity = row_entity.name if row_entity else (_clean_label(label) if unknown_entity_label else None)
            scope = self._residual(label, row_entity, None)
            metric, header_period = header_m, self._period_in(header, ctx, entity)
            if metric is None:
                metric = ctx.metric
            period = header_period or row_period or ctx.period
            expected = header_gran
        elif shape == "table_columns":
            entity = col_entity.name if col_entity else None
            metric = label_m or ctx.metric
            period = self._period_in(label, ctx, entity) or self._period_in(header, ctx, entity) or ctx.period
            scope = self._residual(header, col_entity, None)
            expected = _granularity(label)
        elif shape == "series":
            entity = ctx.entity
            metric = header_m or ctx.metric
            period = row_period or ctx.period
            expected = header_gran
        else:  # key_value
            label_entity = self._entity_in_label(label)
            entity = label_entity.name if label_entity else ctx.entity
            metric = label_m or (header_m if header_m and _norm(header) not in ("value", "metric") else None)
            period = self._period_in(label, ctx, entity) or row_period or ctx.period
            scope = self._residual(label, label_entity, metric)
            expected = _granularity(label) or header_gran
        growth_label = bool(GROWTH_WORDS.search(label)) or bool(GROWTH_WORDS.search(header))
        self._figures(cell, quote, where, context=shape, entity=entity, metric=metric, period=period,
                      expected=expected, imposed=True, scope=scope, growth_label=growth_label)

    # Prose --------------------------------------------------------------------------------------
    def prose(self, text: str, ctx: Context, where: str) -> None:
        if not text.strip():
            return
        lead_date = None
        m = LEAD_DATE.match(text)
        if m:
            dates = find_periods(m.group(1), self.published)
            lead_date = dates[0] if dates else None
        topic = self._topic(text, ctx)
        for sentence in SENTENCE_SPLIT.split(text):
            if not sentence.strip():
                continue
            self._sentence(sentence.strip(), ctx, where, topic, lead_date)

    def _topic(self, text: str, ctx: Context) -> str | None:
        """The entity a passage is about: its lead-in before a colon, else its first words, else the heading."""
        lead = text.split(":", 1)[0] if ":" in text[:120] else text[:60]
        ents = self.vocab.entity_matcher.find(lead)
        return ents[0].name if ents else ctx.entity

    def _sentence(self, sentence: str, ctx: Context, where: str, topic: str | None, lead_date: Period | None) -> None:
        if lead_date is not None:
            sentence = LEAD_DATE.sub("", sentence, count=1)
        entities = self.vocab.entity_matcher.find(sentence)
        metrics = self.vocab.metric_matcher.find(sentence)
        clauses = _clause_spans(sentence)
        sentence_topic = topic
        if entities and entities[0].start < 25:
            sentence_topic = entities[0].name
        members = self._members(sentence, entities)
        for clause_start, clause_end in clauses:
            clause = sentence[clause_start:clause_end]
            self._events(clause, sentence, where, entities, clause_start, sentence_topic, lead_date, ctx)
        for item in find_quantities(sentence):
            if isinstance(item, Unparsed):
                self._unparsed(item, sentence, where)
                continue
            q = item
            c_start, c_end = _clause_of(clauses, q.start)
            metric_m = _nearest(metrics, q, c_start, c_end, window=70)
            metric = metric_m.name if metric_m else None
            entity, counterparty = self._prose_entity(sentence, entities, q, c_start, c_end, sentence_topic, metric)
            grp = members if members and self._is_sum_figure(sentence, q) else ()
            if grp:
                entity = "+".join(grp)
            elif entity and self.vocab.entities.get(entity) and self.vocab.entities[entity].kind == "group":
                grp = self.vocab.entities[entity].members
            period = self._prose_period(sentence, q, c_start, c_end, ctx, entity)
            if period is None and lead_date is not None and metric and \
                    self.vocab.metrics[metric].granularity in ("point", "cumulative"):
                period = lead_date
            self._figure(q, sentence, sentence, where, context="prose", entity=entity, metric=metric,
                         period=period, expected=None, imposed=False, scope=None, counterparty=counterparty,
                         members=grp, growth_label=False)
        self._word_multiples(sentence, sentence, where, "prose", topic if not entities else entities[0].name,
                             metrics[0].name if metrics else ctx.metric, None, ctx)

    def _members(self, sentence: str, entities: list[Match]) -> tuple[str, ...]:
        """Entities listed together after 'combined' / 'total' / 'together': the parts of a stated sum."""
        if not re.search(r"(?i)\b(?:combined|together|total|collectively|in aggregate|sum of)\b", sentence):
            return ()
        names = []
        for e in entities:
            ent = self.vocab.entities.get(e.name)
            if ent is None or ent.kind == "group":
                continue
            top = self._top_company(e.name)
            if top not in names:
                names.append(top)
        return tuple(sorted(names)) if len(names) >= 2 else ()

    def _is_sum_figure(self, sentence: str, q: Quantity) -> bool:
        return q.unit in ("USD", "count", "GW", "MW") and q.per is None

    def _top_company(self, name: str) -> str:
        chain = [name] + self.vocab.ancestors(name)
        companies = [n for n in chain if self.vocab.entities.get(n) and self.vocab.entities[n].kind == "company"]
        return companies[-1] if companies else chain[-1]

    def _prose_entity(self, sentence, entities, q, c_start, c_end, topic, metric):
        relational = bool(metric and self.vocab.metrics[metric].relational)
        before = [e for e in entities if c_start <= e.start and e.end <= q.start]
        after = [e for e in entities if q.end <= e.start and e.end <= c_end]
        counterparty = None
        subject = None
        if before:
            cand = before[-1]
            between = sentence[cand.end:q.start]
            if PRONOUNS.search(between):
                subject = topic
            elif relational and COUNTERPARTY_BEFORE.search(sentence[max(c_start, cand.start - 12):cand.start]):
                counterparty = cand.name
                earlier = [e for e in before[:-1]]
                subject = earlier[-1].name if earlier else topic
            else:
                subject = cand.name
        if subject is None:
            # "valuing the company at $830B", "$2 billion investment in xAI": the clause names no subject.
            subject = topic
            if after and not relational and not PRONOUNS.search(sentence[c_start:q.start]):
                near = after[0]
                if near.start - q.end <= 20 and not COUNTERPARTY_BEFORE.search(sentence[q.end:near.start]):
                    subject = near.name
        if relational and counterparty is None and after:
            for e in after:
                if e.name != subject:
                    counterparty = e.name
                    break
        if relational and counterparty is None:
            others = [e.name for e in entities if e.name != subject and c_start <= e.start < c_end]
            counterparty = others[0] if others else None
        return subject, counterparty

    def _prose_period(self, sentence, q, c_start, c_end, ctx, entity) -> Period | None:
        fye = self.vocab.fiscal_year_end(entity)
        periods = [p for p in find_periods(sentence, self.published, fye) if not _is_relation_base(sentence, p)]
        if not periods:
            return ctx.period
        in_clause = [p for p in periods if c_start <= p.start_offset < c_end]
        pool = in_clause or periods
        return min(pool, key=lambda p: abs(p.start_offset - q.start))

    def _events(self, clause, sentence, where, entities, offset, topic, lead_date, ctx) -> None:
        events = self.vocab.event_matcher.find(clause)
        if not events:
            return
        dates = [p for p in find_periods(clause, self.published, 12)]
        if not dates and lead_date is None:
            return
        clause_entities = [e.name for e in entities if offset <= e.start < offset + len(clause)]
        subject = clause_entities[0] if clause_entities else topic
        if subject is None:
            return
        others = sorted({self._top_company(e) for e in clause_entities[1:] if self._top_company(e) != self._top_company(subject)})
        for ev in events[:1]:
            date = min(dates, key=lambda p: abs(p.start_offset - ev.start)) if dates else lead_date
            self.out.mentions.append(Mention(
                source_id=self.source_id, location=where, line=self.line, quote=sentence, context="prose",
                entity=subject, metric=f"{ev.name}_date", quantity=None, period=date,
                counterparty=";".join(others) or None, event=ev.name))

    # Figures ------------------------------------------------------------------------------------
    def _figures(self, cell, quote, where, *, context, entity, metric, period, expected, imposed, scope,
                 growth_label) -> None:
        items = find_quantities(cell)
        quantities = [q for q in items if isinstance(q, Quantity)]
        for bad in items:
            if isinstance(bad, Unparsed):
                self._unparsed(bad, quote, where)
        primary_done = False
        for q in quantities:
            if q.unit == "count" and q.value is not None and q.qualifier == "exact" and _is_bare_small(q):
                continue
            own_metric_m = self._metric_near(cell, q)
            if not primary_done:
                primary_done = True
                self._figure(q, cell, quote, where, context=context, entity=entity, metric=metric, period=period,
                             expected=expected, imposed=imposed and metric is not None, scope=scope,
                             stated_metric=own_metric_m, members=self._group_members(entity),
                             growth_label=growth_label)
            else:
                # Secondary figures in a cell ("(+50% YoY)", "(11.5% stake)") carry their own words.
                sec_metric = own_metric_m or metric
                self._figure(q, cell, quote, where, context=context, entity=entity, metric=sec_metric,
                             period=period, expected=None, imposed=False, scope=scope, members=(),
                             growth_label=growth_label, secondary=True)
        self._word_multiples(cell, quote, where, context, entity, metric, period, None)
        self._cell_events(cell, quote, where, context, entity)

    def _cell_events(self, cell, quote, where, context, entity) -> None:
        if entity is None:
            return
        for ev in self.vocab.event_matcher.find(cell):
            dates = [p for p in find_periods(cell, self.published, self.vocab.fiscal_year_end(entity))]
            if not dates:
                continue
            date = min(dates, key=lambda p: min(abs(p.start_offset - ev.end), abs(p.end_offset - ev.start)))
            self.out.mentions.append(Mention(source_id=self.source_id, location=where, line=self.line, quote=quote,
                                             context=context, entity=entity, metric=f"{ev.name}_date", quantity=None,
                                             period=date, event=ev.name))

    def _group_members(self, entity: str | None) -> tuple[str, ...]:
        ent = self.vocab.entities.get(entity or "")
        return ent.members if ent and ent.kind == "group" else ()

    def _figure(self, q: Quantity, text: str, quote: str, where: str, *, context, entity, metric, period,
                expected, imposed, scope, counterparty=None, stated_metric=None, members=(), growth_label=False,
                secondary=False) -> None:
        before = text[max(0, q.start - 40):q.start]
        after = text[q.end:q.end + 40]
        relation = base = None
        if q.unit == "percent" and (q.qualifier == "change" or GROWTH_WORDS.search(after[:25]) or
                                    GROWTH_WORDS.search(before[-20:]) or growth_label):
            relation = "growth"
        elif q.unit == "multiple":
            relation = "multiple"
        if relation:
            base = _base_period(after, self.published, self.vocab.fiscal_year_end(entity))
        if ANNUALISED_FROM.search(before):
            relation = relation or None
        if metric and metric in self.vocab.metrics and relation is None and not self.vocab.accepts(metric, q.unit):
            metric = None
        own_gran = _granularity_of_figure(q, after)
        stated_entity = self._stated_entity(text, q, entity) if imposed else None
        superseded = bool(SUPERSEDED_BEFORE.search(before[-30:])) and not secondary
        if context != "prose" and secondary and SUPERSEDED_BEFORE.search(before[-30:]):
            superseded = True
        annualised = bool(re.search(r"(?i)\bannuali[sz]ed\b", after[:30])) and q.per is None
        self.out.mentions.append(Mention(
            source_id=self.source_id, location=where, line=self.line, quote=quote, context=context,
            entity=entity, metric=metric, quantity=q, period=period, granularity=own_gran,
            expected_granularity=expected, metric_imposed=imposed, stated_metric=stated_metric,
            stated_entity=stated_entity, scope=scope, counterparty=counterparty,
            relation=relation or ("annualised" if annualised else None), base_period=base, members=tuple(members),
            superseded=superseded))

    def _word_multiples(self, text, quote, where, context, entity, metric, period, ctx) -> None:
        if entity is None or metric is None:
            return
        for m in WORD_MULTIPLES.finditer(text):
            value = WORD_MULTIPLE_VALUES[m.group(2).lower()[:-2] if m.group(2).lower().startswith("hal") else
                                         re.sub(r"(ed|ing|e)$", "", m.group(2).lower())]
            approx = bool(m.group(1))
            q = Quantity(text=m.group(0), start=m.start(), end=m.end(), value=value, low=value, high=value,
                         unit="multiple", qualifier="approx" if approx else "exact")
            base = _base_period(text[m.end():m.end() + 40], self.published, self.vocab.fiscal_year_end(entity))
            self.out.mentions.append(Mention(
                source_id=self.source_id, location=where, line=self.line, quote=quote, context=context,
                entity=entity, metric=metric, quantity=q, period=period, relation="multiple", base_period=base))

    def _unparsed(self, bad: Unparsed, quote: str, where: str) -> None:
        self.out.unparsed.append(UnparsedFigure(self.source_id, where, self.line, bad.text, bad.reason, quote))

    # Vocabulary helpers -------------------------------------------------------------------------
    def _entity_in_label(self, label: str) -> Match | None:
        found = self.vocab.entity_matcher.find(label)
        return found[0] if found else None

    def _metric_in(self, text: str) -> str | None:
        found = self.vocab.metric_matcher.find(text)
        if not found:
            return None
        return max(found, key=lambda m: m.end - m.start).name

    def _metric_near(self, cell: str, q: Quantity) -> str | None:
        found = self.vocab.metric_matcher.find(cell)
        m = _nearest(found, q, 0, len(cell), window=40)
        return m.name if m else None

    def _stated_entity(self, text: str, q: Quantity, entity: str | None) -> str | None:
        """An entity the figure's own words attribute it to, other than the one the table gives."""
        window_start, window_end = max(0, q.start - 25), min(len(text), q.end + 30)
        for m in self.vocab.entity_matcher.find(text[window_start:window_end]):
            if entity and m.name != entity and self.vocab.related(m.name, entity):
                return m.name
        return None

    def _period_in(self, text: str, ctx: Context, entity: str | None) -> Period | None:
        periods = [p for p in find_periods(text, self.published, self.vocab.fiscal_year_end(entity))
                   if not _is_relation_base(text, p)]
        return periods[0] if periods else None

    def _whole_period(self, cell: str, ctx: Context) -> Period | None:
        periods = find_periods(cell, self.published, 12)
        if not periods:
            return None
        rest = cell
        for p in periods:
            rest = rest.replace(p.text, " ")
        if re.search(r"[$\d%]", rest) or len(rest.split()) > 3:
            return None
        return periods[0]

    def _row_period(self, row: list[str], period_cols: list[int], ctx: Context) -> Period | None:
        for j in period_cols:
            if j < len(row):
                periods = find_periods(row[j], self.published, 12)
                if periods:
                    return periods[0]
        return None

    def _residual(self, label: str, entity_m: Match | None, metric: str | None) -> str | None:
        """Words of a row label beyond its entity, metric and period: they narrow the scope (e.g. 'v1', 'peak')."""
        text = label
        for m in self.vocab.entity_matcher.find(text) + self.vocab.metric_matcher.find(text):
            text = text.replace(m.text, " ")
        for p in find_periods(text, self.published, 12):
            text = text.replace(p.text, " ")
        text = re.sub(r"\([^)]*\)", " ", text)
        words = [w for w in re.findall(r"[\w.+-]+", text.lower()) if w not in NEUTRAL_WORDS and not w.isdigit()]
        return " ".join(words) if words else None


# --- small helpers -------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*_`:]", "", text)).strip().casefold()


def _short(text: str, limit: int = 48) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean_label(text: str) -> str | None:
    text = re.sub(r"\([^)]*\)", "", text).strip(" *_")
    return text or None


def _share(items: list) -> float:
    return sum(x is not None for x in items) / len(items) if items else 0.0


def _granularity(text: str) -> str | None:
    for regex, name in GRANULARITY_WORDS:
        if regex.search(text):
            return name
    return None


def _granularity_of_figure(q: Quantity, after: str) -> str | None:
    if q.per:
        per = q.per.split("/")[-1]
        return {"quarter": "quarterly", "month": "monthly", "year": "annual", "hour": "hourly"}.get(per)
    m = re.match(r"\s*(?:in\s+)?(quarterly|per\s+quarter|a\s+quarter|monthly|per\s+month|annual(?:ly)?|per\s+year|a\s+year)\b",
                 after, re.IGNORECASE)
    if m:
        word = m.group(1).lower()
        return "quarterly" if "quarter" in word else "monthly" if "month" in word else "annual"
    return None


def _is_bare_small(q: Quantity) -> bool:
    """A bare small integer ("3 sites", "7 players") is too ambiguous to be a claim on its own."""
    return re.fullmatch(r"\d{1,3}", q.text.strip()) is not None


def _clause_spans(sentence: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in CLAUSE_SPLIT.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


def _clause_of(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for s, e in spans:
        if s <= pos < e:
            return s, e
    return spans[-1]


def _nearest(matches: list[Match], q: Quantity, lo: int, hi: int, window: int) -> Match | None:
    best, best_d = None, window + 1
    for m in matches:
        if not (lo <= m.start < hi):
            continue
        d = m.start - q.end if m.start >= q.end else q.start - m.end
        if m.start >= q.end:
            d = max(0, d) * 0.8  # "$830B valuation": words right after a figure usually name it
        if d < best_d:
            best, best_d = m, d
    return best


def _is_relation_base(text: str, p: Period) -> bool:
    """'~2× 2025', 'up 38% from 2025', 'tripled from 2024', 'vs 2024': the year is a comparison base."""
    before = text[max(0, p.start_offset - 14):p.start_offset]
    return bool(re.search(r"(?i)(?:[×x]\s*|\bfrom\s+|\bvs\.?\s+|\bversus\s+|\bover\s+|\bthan\s+|\bsince\s+)$", before))


def _base_period(after: str, published: dt.date, fye: int) -> Period | None:
    m = re.match(r"(?i)\s*(?:from|over|vs\.?|versus|than)?\s*((?:FY\s?)?\d{4}|Q[1-4]\s+\d{4})", after)
    if not m:
        return None
    periods = find_periods(m.group(1), published, fye)
    return periods[0] if periods else None
