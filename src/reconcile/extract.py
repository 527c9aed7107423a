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
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .parse import Block
from .quantities import Period, Quantity, Unparsed, none_off_calendar
from .quantities import find_quantities as _find_quantities
from .quantities import find_periods as _stated_periods
from .vocab import Match, Vocabulary

# Header words that say the first column holds entities even when the vocabulary does not know them.
ENTITY_HEADERS = {"company", "companies", "player", "players", "firm", "entity", "lab", "labs", "partner",
                  "cloud partner", "vendor", "provider", "organization", "organisation", "startup", "issuer",
                  "investor", "competitor", "hyperscaler"}
KEY_VALUE_HEADERS = {"metric", "metrics", "item", "detail", "details", "kpi", "measure", "term", "spec", "field",
                     "attribute", "indicator", "figure", "key figure", "parameter"}
# "$35.1B in the fourth quarter", "$37.5B of capex in its fiscal second quarter"
THIS_QUARTER = re.compile(r"(?i)\s*(?:of\s+[\w-]+(?:\s+[\w-]+)?\s+)?,?\s*(?:in|during|for|this|last|the|its)\s+"
                          r"(?:(?:its|the|latest|fiscal|first|second|third|fourth|calendar)\s+){0,3}quarter\b(?!ly)")
# Words that end a metric's qualifier phrase when read backwards ("its ... revenue", "was ... revenue").
SCOPE_STOP = {"is", "was", "were", "are", "be", "been", "its", "his", "her", "their", "our", "record", "reported",
              "posted", "with", "said", "says", "while", "that", "which", "who", "has", "have", "had", "will", "would",
              "expects", "expected", "sees", "saw", "total", "quarterly", "annual", "monthly", "fiscal", "company",
              "firm", "group", "strong", "higher", "lower", "first", "second", "third", "fourth", "full", "net",
              "gross", "adjusted", "organic", "reported", "this", "that", "these", "those", "about", "around",
              "annualized", "annualised", "running", "revenue", "revenues", "sales"}
NOUN_ANAPHORA = re.compile(r"(?i)\b(?:the|this|that|its|their)\s+(?:[a-z-]+\s+){0,2}?(cluster|supercomputer|campus|facility|site|project|chip|"
                           r"model|product|platform|service|app|division|unit|segment|subsidiary)\b")
ANAPHORA_KINDS = {"supercomputer": "cluster", "campus": "project|cluster", "facility": "project|cluster",
                  "site": "project|cluster", "chip": "product", "model": "product", "platform": "product",
                  "service": "product", "app": "product", "unit": "division", "segment": "division",
                  "subsidiary": "division|company"}
DIFFERENCE_AFTER = re.compile(r"(?i)\s*(?:more|less|higher|lower|above|below|short)\s+(?:than|of)\b")
SCOPABLE_NOUN = re.compile(r"(?i)\b(?:revenues?|sales|capex|spend(?:ing)?|expenditures?|backlog|income|profit|margins?|"
                           r"users|subscribers|seats|customers|valuation|run[- ]rate|ARR|orders|bookings)$")
WEAK_METRIC_WORDS = {"invest", "invests", "invested", "investing", "spend", "spends", "spent", "raise", "raises",
                     "raised", "backed", "backing", "round", "deal", "deals", "equity", "share", "stake"}
# "running at an annualized revenue run-rate of roughly $60B": the word may precede the figure.
ANNUALISED_BEFORE = re.compile(r"(?i)\bannuali[sz]ed\b[^$€£\d;]{0,40}$")
DURATION_EVENTS = {"deal_signed", "investment", "acquisition", "funding_closed"}
TOTAL_WORDS = re.compile(r"(?i)\b(?:total|overall|company[- ]wide|consolidated|group)\b")
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
GROWTH_WORDS = re.compile(r"(?i)\b(?:yoy|y/y|year[- ]over[- ]year|year[- ]on[- ]year|growth|grew|grow(?:ing|s)?|"
                          r"increase[sd]?|up|rise|rose|climb(?:ed|s)?|surg(?:ed|es)|soar(?:ed|s)?|gain(?:ed|s)?|"
                          r"jump(?:ed)?|qoq|q/q|sequentially|decline[sd]?|down|fell|drop(?:ped)?)\b")
WORD_MULTIPLES = re.compile(r"(?i)\b(nearly\s+|almost\s+|roughly\s+|about\s+|near-)?"
                            r"(doubl(?:ed|ing|e)|tripl(?:ed|ing|e)|quadrupl(?:ed|ing|e)|halv(?:ed|ing))\b")
WORD_MULTIPLE_VALUES = {"doubl": 2.0, "tripl": 3.0, "quadrupl": 4.0, "halv": 0.5}
SUPERSEDED_BEFORE = re.compile(r"(?i)\b(?:initial(?:ly)?|original(?:ly)?|previous(?:ly)?|prior|earlier|old|beat|"
                               r"raised\s+from|up\s+from|down\s+from|from)\s*[~≈]?\s*$")
ANNUALISED_FROM = re.compile(r"(?i)annuali[sz]ed\s+from\s*$")
PRONOUNS = re.compile(r"(?i)\b(?:the\s+company|the\s+firm|the\s+group|the\s+startup|its|it|the\s+lab|they|their)\b")
COUNTERPARTY_BEFORE = re.compile(r"(?i)\b(?:in|into|with|from|to|for|backing|of)\s*$")
CLAUSE_SPLIT = re.compile(r"\s*(?:;|,\s+(?:and|while|but|with|which|after|before|despite)\s+|\s+(?:while|whereas|but|and(?!\s+[A-Z]))\s+(?=[^,;]*?[$\d])|"
                          r"\s+[—–]\s+|:\s+)\s*")
# A sentence ends at . ! ? before a capital, a quote, or a lower-case brand such as xAI or eBay.
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(\[]|[a-z]{1,3}[A-Z])")
LEAD_DATE = re.compile(r"^\s*([A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{4}-\d{2}-\d{2})\s*[:–—-]\s+")


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
    pending_scale = None
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
            reader.table(block, ctx, f"{section} › table {n}", pending_scale)
            pending_scale = None
        elif block.kind == "paragraph" and len(block.text) <= 80 and _table_scale([block.text], ()):
            pending_scale = _table_scale([block.text], ())  # "($ in billions)" on its own line above a table
        else:
            heading_ctx = ctx
            if block.kind == "heading":
                # A heading is read in the context of its parents, with itself as the topic.
                heading_ctx = _heading_context(block.headings + (block.text,), published, vocab, label_of)
            reader.prose(block.text, heading_ctx, f"{section} › {kind} {n}")
    return out


def _heading_context(headings: tuple[str, ...], published: dt.date, vocab: Vocabulary, label_of) -> Context:
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


# --- reading -------------------------------------------------------------------------------------

class _Reader:
    def __init__(self, source_id: str, published: dt.date, vocab: Vocabulary, out: Extraction, line: int):
        self.scale: tuple[float, bool] | None = None   # a table's "($ in billions)" note
        self.source_id = source_id
        self.published = published
        self.vocab = vocab
        self.out = out
        self.line = line

    # Tables -------------------------------------------------------------------------------------
    def table(self, block: Block, ctx: Context, where: str, scale=None) -> None:
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
        entity_columns = sum(e is not None for e in col_entities) >= max(1, (width - 1) // 2 + (width - 1) % 2)
        if entity_columns and header0 not in ENTITY_HEADERS and _share(row_entities) < 0.5:
            shape = "table_columns"
        elif header0 in KEY_VALUE_HEADERS and _share(row_entities) < 0.75:
            shape = "key_value"
        elif header0 in ENTITY_HEADERS or _share(row_entities) >= 0.5:
            shape = "table_rows"
        elif _share(row_periods) >= 0.5:
            shape = "series"
        else:
            shape = "key_value"
        period_cols = [j for j, h in enumerate(header) if j > 0 and _norm(h) in PERIOD_HEADERS]
        self.scale = _table_scale(header, block.headings) or scale
        for i, row in enumerate(body):
            label = row[0].strip()
            quote = " | ".join(c.strip() for c in row)
            row_where = f'{where} › row "{_short(label)}"'
            row_entity_name = row_entities[i].name if shape == "table_rows" and row_entities[i] else ctx.entity
            row_period = self._row_period(row, period_cols, ctx, row_entity_name)
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
        column_period = self._period_in(header, ctx, None) if shape in ("key_value", "table_rows") else None
        label_m = self._metric_in(label)
        header_m = self._metric_in(header)
        header_gran = _granularity(header)
        scope = None
        if shape == "table_rows":
            entity = row_entity.name if row_entity else (_clean_label(label) if unknown_entity_label else None)
            if entity and entity[:1] in "=+-@":
                entity = None  # '=HYPERLINK(...)' is a spreadsheet formula, not a company
            scope = self._residual(label, row_entity, None)
            metric, header_period = header_m, self._period_in(header, ctx, entity)
            if metric is None:
                metric = label_m or ctx.metric
            period = header_period or self._period_in(label, ctx, entity) or row_period or ctx.period
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
            if label_entity is None and entity and TOTAL_WORDS.search(label):
                entity = self._top_company(entity)  # "Total Revenue" under "Azure ..." is Microsoft's
            metric = label_m or (header_m if header_m and _norm(header) not in ("value", "metric") else None)
            period = self._period_in(label, ctx, entity) or column_period or row_period or ctx.period
            if column_period is not None and entity:
                period = self._period_in(label, ctx, entity) or self._period_in(header, ctx, entity) or period
            scope = self._residual(label, label_entity, metric)
            expected = _granularity(label) or header_gran
        growth_label = bool(GROWTH_WORDS.search(label)) or bool(GROWTH_WORDS.search(header))
        counterparty = None
        if metric and self.vocab.metrics[metric].relational:
            others = [m.name for m in self.vocab.entity_matcher.find(cell + " " + label + " " + header)
                      if m.name != entity]
            counterparty = others[0] if others else (ctx.entity if ctx.entity != entity else None)
        # Only a header or row label imposes a metric on a cell; a section heading only suggests one.
        imposed = metric is not None and metric in (header_m, label_m)
        self._figures(cell, quote, where, context=shape, entity=entity, metric=metric, period=period,
                      expected=expected, imposed=imposed, scope=scope, growth_label=growth_label,
                      counterparty=counterparty)
        self._cell_events(f"{label}: {cell}", quote, where, shape, entity, ctx)

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
        previous = None
        for sentence in SENTENCE_SPLIT.split(text):
            if not sentence.strip():
                continue
            starts_with_pronoun = bool(re.match(r"(?i)\s*(?:its|it|the company|the firm|they|their)\b", sentence))
            subject = self._sentence(sentence.strip(), ctx, where,
                                     previous if starts_with_pronoun and previous else topic, lead_date)
            previous = subject or previous

    def _topic(self, text: str, ctx: Context) -> str | None:
        """The entity a passage is about: its lead-in before a colon, else its first words, else the heading."""
        lead = text.split(":", 1)[0] if ":" in text[:120] else text[:60]
        ents = self.vocab.entity_matcher.find(lead)
        return ents[0].name if ents else ctx.entity

    def _sentence(self, sentence: str, ctx: Context, where: str, topic: str | None, lead_date: Period | None) -> None:
        if lead_date is not None:
            sentence = LEAD_DATE.sub("", sentence, count=1)
        entities = self.vocab.entity_matcher.find(sentence)
        # "Google Cloud revenue": the entity's own words are not a metric ("cloud revenue").
        metrics = metrics_beside_entities(self.vocab, sentence, entities)
        clauses = _clause_spans(sentence)
        first_subject = None
        sentence_topic = topic
        if entities and entities[0].start < 25 and not _prepositional(sentence, entities[0]):
            sentence_topic = entities[0].name
        members, sum_word = self._members(sentence, entities)
        for clause_start, clause_end in clauses:
            self._events(sentence, clause_start, clause_end, where, entities, sentence_topic, lead_date, ctx.entity)
        found = _outside_periods(find_quantities(sentence), sentence, self.published)
        quantities = [q for q in found if isinstance(q, Quantity) and not _is_bare_small(q)]
        for bad in found:
            if isinstance(bad, Unparsed):
                self._unparsed(bad, sentence, where)
        chosen = _assign_aliases([q for q in quantities if q.unit in ("percent", "multiple")], metrics, clauses)
        levels = [q for q in quantities if q.unit not in ("percent", "multiple")]
        chosen.update(_assign_aliases(levels, [m for m in metrics if self._accepts_any(m.name, levels)], clauses,
                                      accepts=self.vocab.accepts))
        _share_parallel_metrics(sentence, levels, chosen, entities)
        _quarter_behind_annualised(sentence, levels, chosen)
        _base_of_multiples(sentence, quantities, chosen)
        periods_of: dict[int, Period] = {}
        for q in quantities:
            c_start, c_end = _clause_of(clauses, q.start)
            metric_m = chosen.get(q.start)
            metric = metric_m.name if metric_m else None
            if metric is None and not metrics and ctx.metric and self.vocab.accepts(ctx.metric, q.unit):
                metric = ctx.metric  # a bullet under a metric heading ("Infrastructure Investment")
            entity, counterparty = self._prose_entity(sentence, entities, q, c_start, c_end, sentence_topic, metric)
            if _contrasted(sentence, quantities, q, entities):
                entity = None  # "~$650B, versus roughly $760B for the seven largest spenders": another subject
            grp = members if members and _summable(q) and _governed_by(sentence, sum_word, q) else ()
            if grp:
                entity = "+".join(grp)
            elif entity and self.vocab.entities.get(entity) and self.vocab.entities[entity].kind == "group":
                grp = self.vocab.entities[entity].members
            period = self._prose_period(sentence, q, c_start, c_end, ctx, entity)
            if q.unit in ("percent", "multiple"):
                level = _level_before(q, levels, periods_of)
                if level is not None:
                    period = periods_of[level.start]  # "$125B in 2026, up 50% YoY": the growth is the $125B's
            elif period is not None:
                periods_of[q.start] = period
            if period is None and lead_date is not None and metric and \
                    self.vocab.metrics[metric].granularity in ("point", "cumulative"):
                period = lead_date
            scope = _target_scope(sentence, q) or (self._prose_scope(sentence, metric_m) if metric_m else None)
            first_subject = first_subject or entity
            self._figure(q, sentence, sentence, where, context="prose", entity=entity, metric=metric,
                         period=period, expected=None, imposed=False, scope=scope,
                         counterparty=counterparty, members=grp, growth_label=False)
        self._word_multiples(sentence, sentence, where, "prose", sentence_topic,
                             metrics[0].name if metrics else ctx.metric, None, ctx, levels=levels, periods_of=periods_of)
        return first_subject or (entities[0].name if entities else None)

    def _noun_referent(self, sentence: str, entities: list[Match], c_start: int, q: Quantity) -> str | None:
        """'Colossus 2 reached 1 GW; the cluster runs 550,000 GPUs': 'the cluster' is the last cluster named."""
        found = list(NOUN_ANAPHORA.finditer(sentence[c_start:q.start]))
        if not found:
            return None
        m = found[-1]
        if any(c_start + m.end() <= e.start < q.start for e in entities):
            return None  # a name closer to the figure than 'the cluster' is its subject
        for e in reversed([e for e in entities if e.end <= c_start + m.start()]):
            entity = self.vocab.entities.get(e.name)
            if entity is not None and entity.kind in m.group(1).lower() + "|" + ANAPHORA_KINDS.get(m.group(1).lower(), ""):
                return e.name
        return None

    def _prose_scope(self, sentence: str, metric_m: Match) -> str | None:
        """Up to three words qualifying a metric word: 'Cloud infrastructure (IaaS) revenue' is not total revenue."""
        if not SCOPABLE_NOUN.search(metric_m.text):
            return None  # "valuing the company at": a verb phrase takes no qualifier
        lead = re.sub(r"\([^)]*\)", " ", sentence[max(0, metric_m.start - 40):metric_m.start])
        lead = re.split(r"[:;,.!?\[\]]", lead)[-1]  # the metric's own phrase only
        pieces = re.split(r"[\d$€£%]", lead)
        lead = re.sub(r"(?i)^\s*(?:[A-Za-z]{1,2}|thousand|million|billion|trillion|bn|mn)\b", " ", pieces[-1]) \
            if len(pieces) > 1 else lead  # "$35B", "$183 billion": no qualifier word
        words = re.findall(r"[A-Za-z][\w-]*", lead)[-3:]
        kept: list[str] = []
        for word in reversed(words):
            low = word.lower()
            if low in NEUTRAL_WORDS or low in SCOPE_STOP or "quarter" in low or "year" in low or \
                    self.vocab.entity_matcher.find(word) or find_periods(word, self.published, 12):
                break
            kept.insert(0, low)
        return " ".join(kept) if kept else None

    def _accepts_any(self, metric: str, quantities: list[Quantity]) -> bool:
        return any(self.vocab.accepts(metric, q.unit) for q in quantities)

    def _members(self, sentence: str, entities: list[Match]) -> tuple[tuple[str, ...], re.Match | None]:
        """The listed names nearest 'combined' / 'total' / 'together': the parts of a stated sum."""
        key = re.search(r"(?i)\b(?:combined|together|total|collectively|in aggregate|sum of)\b", sentence)
        if not key:
            return (), None
        runs = [[e for e in run if self.vocab.entities.get(e.name) and self.vocab.entities[e.name].kind != "group"]
                for run in _enumerations(sentence, entities)]
        runs = [r for r in runs if len(r) >= 2]
        if not runs:
            return (), None
        run = min(runs, key=lambda r: min(abs(r[0].start - key.end()), abs(key.start() - r[-1].end)))
        names = sorted({self._top_company(e.name) for e in run})
        return (tuple(names), key) if len(names) >= 2 else ((), None)

    def _top_company(self, name: str) -> str:
        chain = [name] + self.vocab.ancestors(name)
        companies = [n for n in chain if self.vocab.entities.get(n) and self.vocab.entities[n].kind == "company"]
        return companies[-1] if companies else chain[-1]

    def _prose_entity(self, sentence, entities, q, c_start, c_end, topic, metric):
        relational = bool(metric and self.vocab.metrics[metric].relational)
        before = [e for e in entities if c_start <= e.start and e.end <= q.start]
        if not relational:
            before = [e for e in before if not _prepositional(sentence, e)]
        after = [e for e in entities if q.end <= e.start and e.end <= c_end]
        counterparty = None
        subject = None
        referent = self._noun_referent(sentence, entities, c_start, q)
        if referent is not None:
            return referent, None
        if re.search(r"(?i)\b(?:its|their|the|a)\s+(?:[a-z-]+\s+){0,2}?(?:cluster|campus|site|facility)\b",
                     sentence[c_start:q.start]):
            return None, None  # a part of the company we cannot name: not the company's own figure
        if relational:
            for e in after:
                if e.start - q.end <= 40 and COUNTERPARTY_BEFORE.search(sentence[max(q.end, e.start - 12):e.start]):
                    counterparty = e.name  # "$8B it has put into Anthropic"
                    break
            if counterparty is not None:
                before = [e for e in before if not _prepositional(sentence, e)]
        if before:
            cand = before[-1]
            between = sentence[cand.end:q.start]
            if PRONOUNS.search(between):
                subject = topic
            elif relational and counterparty is None and \
                    COUNTERPARTY_BEFORE.search(sentence[max(c_start, cand.start - 12):cand.start]):
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
                if near.start - q.end <= 20 and not COUNTERPARTY_BEFORE.search(sentence[q.end:near.start]) \
                        and not _prepositional(sentence, near):
                    subject = near.name
        if relational and counterparty is None:
            for e in after + before:
                if e.name != subject:
                    counterparty = e.name
                    break
        return subject, counterparty

    def _prose_period(self, sentence, q, c_start, c_end, ctx, entity) -> Period | None:
        """A period in the figure's own clause and close to it; else the heading's period."""
        fye = self.vocab.fiscal_year_end(entity)
        events = self.vocab.event_matcher.find(sentence)
        best, best_d = None, 45
        others = [o for o in find_quantities(sentence) if isinstance(o, Quantity) and o.start != q.start
                  and o.unit not in ("percent", "multiple")]  # a growth rate's base year still dates its level
        for p in find_periods(sentence, self.published, fye):
            if _owned_by_other(p, q, others):
                continue  # "$500 billion in October 2025, now ... $830 billion": October is the $500B's date
            in_clause = c_start <= p.start_offset < c_end
            lead_in = p.end_offset <= q.start and ";" not in sentence[p.end_offset:q.start] \
                and q.start - p.end_offset <= 90
            if not (in_clause or lead_in) or _is_relation_base(sentence, p):
                continue
            if any(0 <= e.start - p.end_offset <= 2 for e in events):
                continue  # "a Q4 2026 IPO": the period dates the event, not the figure
            d = p.start_offset - q.end if p.start_offset >= q.end else q.start - p.end_offset
            if lead_in and not in_clause:
                d = min(d, 44)  # "Full-year 2025 capital expenditures ... were $72.2 billion"
            if d < best_d:
                best, best_d = p, d
        return best or ctx.period

    def _events(self, sentence, c_start, c_end, where, entities, topic, lead_date, heading_entity=None) -> None:
        """Date claims: an event word with a date written right beside it (or a timeline's lead date)."""
        clause = sentence[c_start:c_end]
        found = self.vocab.event_matcher.find(clause)
        if not found:
            return
        dates = find_periods(clause, self.published, 12)
        specific = [e for e in found if not self.vocab.event_generic.get(e.name)]
        generic = [e for e in found if self.vocab.event_generic.get(e.name)]
        dated: list[tuple[Match, str, Period]] = []
        dates = _not_ranges(clause, dates)  # "Feb 23-Mar 1, 2026" spans a week, it dates nothing
        for ev in specific:
            date = _adjacent_date(dates, ev) or _scheduled_date(clause, dates, ev)
            if date is None and lead_date is not None and not dates and self.vocab.event_timeline.get(ev.name):
                date = lead_date
            if date is not None:
                dated.append((ev, ev.name, date))
        for ev in generic:
            date = _adjacent_date(dates, ev)
            if date is not None and specific and not dated:
                # "the AWS deal (announced 2025)": the deal is what the date belongs to.
                dated.append((specific[0], specific[0].name, date))
            elif not specific:
                date = date or (lead_date if not dates else None)
                if date is not None:
                    dated.append((ev, ev.name, date))
        for ev, name, date in dated:
            self._event_mention(sentence, c_start, c_end, clause, ev, name, date, entities, topic, where,
                                heading_entity)

    def _event_mention(self, sentence, c_start, c_end, clause, ev, name, date, entities, topic, where,
                       heading_entity) -> None:
        near = [e for e in entities if c_start <= e.start < c_end and
                min(abs(e.start - (c_start + ev.end)), abs((c_start + ev.start) - e.end)) <= 25]
        if near:
            subject = near[0].name
        elif topic and not _unknown_name(clause[max(0, ev.start - 25):ev.start], self.vocab):
            subject = topic
        else:
            return
        parties = {self._top_company(e.name) for e in near}
        # A possessive names the owner of something else ("ended Microsoft's exclusivity"), not a party.
        in_clause = [e.name for e in entities if c_start <= e.start < c_end
                     and not re.match(r"['’]s\b", sentence[e.end:e.end + 2])]
        if len(parties) < 2 and self.vocab.event_relational.get(name):
            for fallback in in_clause + [heading_entity, topic]:
                if fallback and self._top_company(fallback) not in parties | {self._top_company(subject)}:
                    parties.add(self._top_company(fallback))
                    break
        others = sorted(p for p in parties if p and p != self._top_company(subject))
        self.out.mentions.append(Mention(
            source_id=self.source_id, location=where, line=self.line, quote=sentence, context="prose",
            entity=subject, metric=f"{name}_date", quantity=None, period=date,
            counterparty=";".join(others) or None, event=name))

    def _figures(self, cell, quote, where, *, context, entity, metric, period, expected, imposed, scope,
                 growth_label, counterparty=None) -> None:
        items = _outside_periods(find_quantities(cell), cell, self.published)
        quantities = [_scaled(q, self.scale) if isinstance(q, Quantity) else q for q in items]
        items = quantities
        quantities = [q for q in quantities if isinstance(q, Quantity)]
        for bad in items:
            if isinstance(bad, Unparsed):
                self._unparsed(bad, quote, where)
        primary_done = False
        for q in quantities:
            if q.unit == "count" and q.value is not None and q.qualifier == "exact" and _is_bare_small(q):
                continue
            own_metric_m = self._metric_near(cell, q)
            own_period = self._cell_period(cell, q, entity)
            fig_scope = _target_scope(cell, q) or (_trailing_qualifier(cell, q, self.vocab) if primary_done else None) \
                or scope
            if not primary_done:
                primary_done = True
                fig_entity, fig_metric, stated = self._refine(cell, q, entity, metric, own_metric_m)
                self._figure(q, cell, quote, where, context=context, entity=fig_entity, metric=fig_metric,
                             period=own_period or period, expected=expected,
                             imposed=imposed and fig_metric is not None and fig_metric == metric, scope=fig_scope,
                             stated_metric=stated, members=self._group_members(fig_entity),
                             growth_label=growth_label, counterparty=counterparty)
            else:
                # Secondary figures in a cell ("(+50% YoY)", "(11.5% stake)") carry their own words.
                sec_metric = own_metric_m or metric
                self._figure(q, cell, quote, where, context=context, entity=entity, metric=sec_metric,
                             period=own_period or period, expected=None, imposed=False, scope=fig_scope, members=(),
                             growth_label=growth_label, secondary=True, counterparty=counterparty)
        self._word_multiples(cell, quote, where, context, entity, metric, period, None)

    def _cell_events(self, text, quote, where, context, entity, ctx) -> None:
        """'IPO Target: Up to $1T (H2 2026 filing, 2027 listing)': each event word dated by the date beside it."""
        if entity is None:
            return
        dates = find_periods(text, self.published, self.vocab.fiscal_year_end(entity))
        found = self.vocab.event_matcher.find(text)
        specific = [e for e in found if not self.vocab.event_generic.get(e.name)]
        for ev in found:
            date = _adjacent_date(dates, ev)
            if date is None:
                continue
            name = specific[0].name if self.vocab.event_generic.get(ev.name) and specific else ev.name
            others = [m.name for m in self.vocab.entity_matcher.find(text) if m.name != entity]
            if not others and self.vocab.event_relational.get(name) and ctx.entity and ctx.entity != entity:
                others = [ctx.entity]
            self.out.mentions.append(Mention(source_id=self.source_id, location=where, line=self.line, quote=quote,
                                             context=context, entity=entity, metric=f"{name}_date", quantity=None,
                                             period=date, counterparty=";".join(others) or None, event=name))

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
        if q.per and q.per not in ("quarter", "month", "year") and metric in self.vocab.metrics \
                and "price" not in self.vocab.metrics[metric].units:
            metric = None  # "$187/share" is a price per share, not the market cap it sits beside
        if metric and metric in self.vocab.metrics and relation is None and not self.vocab.accepts(metric, q.unit):
            metric = None
        own_gran = _granularity_of_figure(q, after) or _granularity_before(before)
        if own_gran is None and context == "prose" and THIS_QUARTER.match(after[:60]):
            own_gran = "quarterly"
        metric_def = self.vocab.metrics.get(metric or "")
        specific = metric_def is not None and metric_def.scope not in ("total", "any")
        stated_entity = self._stated_entity(text, q, entity) if imposed and specific else None
        if stated_entity and metric_def is not None and \
                getattr(self.vocab.entities.get(stated_entity), "scope", None) == metric_def.scope:
            stated_entity = None  # "$35.6B (AWS)" in a cloud-revenue column names the cloud business it measures
        superseded = bool(SUPERSEDED_BEFORE.search(before[-30:])) and not secondary
        if context != "prose" and secondary and SUPERSEDED_BEFORE.search(before[-30:]):
            superseded = True
        if DIFFERENCE_AFTER.match(after):
            relation = "difference"  # "$15 billion more than forecast" is a gap, not a level
        annualised = (bool(re.search(r"(?i)\bannuali[sz]ed\b", after[:30])) and q.per is None) or \
            bool(re.search(r"(?i)annuali[sz]ed", q.text)) or \
            (bool(ANNUALISED_BEFORE.search(before)) and not ANNUALISED_FROM.search(before) and q.per is None)
        self.out.mentions.append(Mention(
            source_id=self.source_id, location=where, line=self.line, quote=quote, context=context,
            entity=entity, metric=metric, quantity=q, period=period, granularity=own_gran,
            expected_granularity=expected, metric_imposed=imposed, stated_metric=stated_metric,
            stated_entity=stated_entity, scope=scope, counterparty=counterparty,
            relation=relation or ("annualised" if annualised else None), base_period=base, members=tuple(members),
            superseded=superseded))

    def _word_multiples(self, text, quote, where, context, entity, metric, period, ctx, levels=(),
                        periods_of=None) -> None:
        if entity is None or metric is None:
            return
        for m in WORD_MULTIPLES.finditer(text):
            if periods_of:
                word = Quantity(m.group(0), m.start(), m.end(), None, 0.0, 0.0, "multiple", "exact")
                level = _level_before(word, list(levels), periods_of)
                period = periods_of[level.start] if level is not None else period
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
        found = metrics_beside_entities(self.vocab, text)
        if not found:
            return None
        return max(found, key=lambda m: m.end - m.start).name

    def _metric_near(self, cell: str, q: Quantity) -> str | None:
        """The metric the figure's own words name: an alias right beside it, not one nearer another figure."""
        found = metrics_beside_entities(self.vocab, cell)
        m = _nearest(found, q, 0, len(cell), window=20)
        if m is None:
            return None
        others = [o for o in find_quantities(cell) if isinstance(o, Quantity) and o.start != q.start]
        mine = abs(m.start - q.end) if m.start >= q.end else abs(q.start - m.end)
        for o in others:
            theirs = abs(m.start - o.end) if m.start >= o.end else abs(o.start - m.end)
            if theirs < mine:
                return None  # "~$730B (in talks for $100B round)": 'round' names the $100B
        return m.name

    def _stated_entity(self, text: str, q: Quantity, entity: str | None) -> str | None:
        """An entity the figure's own words attribute it to, other than the one the table gives."""
        window_start, window_end = max(0, q.start - 25), min(len(text), q.end + 30)
        window = text[window_start:window_end]
        for m in self.vocab.entity_matcher.find(window):
            if _prepositional(window, m):
                continue
            if entity and m.name != entity and self.vocab.related(m.name, entity):
                return m.name
        return None

    def _refine(self, cell: str, q: Quantity, entity: str | None, metric: str | None, own_metric: str | None):
        """The header's metric against the cell's own words.

        A generic header ('Reach', 'Users') yields to more specific words of its own family ('daily users'):
        no conflict. Words of another scope or another family ('$523B RPO' in a cloud-revenue column) keep
        the header's metric and are recorded as stated, for the category check.
        """
        header_def = self.vocab.metrics.get(metric or "")
        own_def = self.vocab.metrics.get(own_metric or "")
        stated_entity = self._stated_entity(cell, q, entity)
        if header_def is None:
            return entity, (own_metric if own_def and self.vocab.accepts(own_metric, q.unit) else metric), None
        if own_def is not None and own_def.family != header_def.family:
            return entity, metric, own_metric
        if header_def.scope not in ("total", "any"):
            return entity, metric, own_metric
        if own_def is not None and self.vocab.accepts(own_metric, q.unit):
            metric = own_metric
        if stated_entity and entity and entity in self.vocab.ancestors(stated_entity):
            entity = stated_entity
        return entity, metric, None

    def _cell_period(self, cell: str, q: Quantity, entity: str | None) -> Period | None:
        """'5 GW+ by 2027', '$22.4B through 2029', '26.6M MAU (Dec 2025)': a period right after the figure."""
        for p in find_periods(cell, self.published, self.vocab.fiscal_year_end(entity)):
            if 0 <= p.start_offset - q.end <= 18 and not _is_relation_base(cell, p):
                return p
        return None

    def _period_in(self, text: str, ctx: Context, entity: str | None) -> Period | None:
        text = _estimate_marks(text)
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

    def _row_period(self, row: list[str], period_cols: list[int], ctx: Context, entity: str | None = None) -> Period | None:
        for j in period_cols:
            if j < len(row):
                periods = find_periods(row[j], self.published, self.vocab.fiscal_year_end(entity))
                if periods:
                    return periods[0]
        return None

    def _residual(self, label: str, entity_m: Match | None, metric: str | None) -> str | None:
        """Words of a row label beyond its entity, metric and period: they narrow the scope (e.g. 'v1', 'peak')."""
        text = label
        for m in self.vocab.entity_matcher.find(text) + metrics_beside_entities(self.vocab, text):
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
    m = re.match(r"\s*(?:in\s+)?(quarterly|per\s+quarter|a\s+quarter|monthly|per\s+month|annual(?:ly)?|per\s+year|a\s+year)\b"
                 r"(?!\s+(?:active|users|visits|visitors|subscribers|members|unique))", after, re.IGNORECASE)
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
        if m.text.lower() in WEAK_METRIC_WORDS:
            d += 12  # "plans to invest $200B in capital expenditures": the noun names the figure
        if d < best_d:
            best, best_d = m, d
    return best


def _is_relation_base(text: str, p: Period) -> bool:
    """'~2× 2025', 'up 38% from 2025', 'tripled from 2024', 'vs 2024': the year is a comparison base."""
    before = text[max(0, p.start_offset - 14):p.start_offset]
    return bool(re.search(r"(?i)(?:×\s*|\d\s*x\s*|\bfrom\s+|\bvs\.?\s+|\bversus\s+|\bover\s+|\bthan\s+|\bsince\s+)$", before))


def _base_period(after: str, published: dt.date, fye: int) -> Period | None:
    m = re.match(r"(?i)\s*(?:from|over|vs\.?|versus|than)?\s*(?:its|the|their|his|her)?\s*((?:FY\s?)?\d{4}|Q[1-4]\s+\d{4})", after)
    if not m:
        return None
    periods = find_periods(m.group(1), published, fye)
    return periods[0] if periods else None


PREPOSITIONS = re.compile(r"(?i)\b(?:in|among|across|of|than|vs\.?|versus|like|including|such\s+as|via|through|"
                          r"from|at|over|beyond|outside|inside)\s+(?:the\s+)?$")
TARGET_WORDS = re.compile(r"(?i)\b(?:target(?:ing|s|ed)?|goal|aim(?:ing|s)?|ambition)\b[^.;,]{0,12}$")


def _prepositional(sentence: str, m: Match) -> bool:
    """'in Big Tech', 'among hyperscalers', 'via Stargate': a name in a prepositional phrase is not the subject."""
    return bool(PREPOSITIONS.search(sentence[max(0, m.start - 16):m.start]))


def _assign_aliases(quantities: list[Quantity], metrics: list[Match], clauses, accepts=None) -> dict[int, Match]:
    """Each metric word names at most one figure: the closest one in its clause (or sentence) it can measure."""
    best: dict[int, tuple[float, Quantity]] = {}
    for q in quantities:
        usable = [m for m in metrics if accepts is None or accepts(m.name, q.unit)]
        c_start, c_end = _clause_of(clauses, q.start)
        m = _nearest(usable, q, c_start, c_end, window=70) or _nearest(usable, q, 0, 10 ** 9, window=50)
        if m is None:
            continue
        d = abs((m.start - q.end) if m.start >= q.end else (q.start - m.end))
        if m.start not in best or d < best[m.start][0]:
            best[m.start] = (d, q)
    chosen: dict[int, Match] = {}
    by_start = {m.start: m for m in metrics}
    for start, (_, q) in best.items():
        chosen[q.start] = by_start[start]
    return chosen


def _target_scope(text: str, q: Quantity) -> str | None:
    """'targeting 10 GW', 'goal of 1B': a figure stated as a target is not the current value."""
    return "target" if TARGET_WORDS.search(text[max(0, q.start - 30):q.start]) else None


def _adjacent_date(dates: list[Period], ev: Match, gap: int = 15) -> Period | None:
    best, best_d = None, gap + 1
    for p in dates:
        if p.relation in ("through", "since") and ev.name in DURATION_EVENTS and not p.text.lower().startswith("until"):
            continue  # "$22.4B contract through 2029" dates how long it runs, not when it was signed
        d = p.start_offset - ev.end if p.start_offset >= ev.end else ev.start - p.end_offset
        if 0 <= d < best_d:
            best, best_d = p, d
    return best


UNKNOWN_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9]{2,}\b")
FUNCTION_WORDS = {"The", "This", "That", "These", "Its", "Their", "With", "And", "But", "For", "From", "After",
                  "Before", "While", "When", "Our", "Per", "All", "Both", "Each", "Also", "New", "First", "Full",
                  "Public", "Official", "Expected", "Plans", "Target", "Company", "Details", "Daily", "Report"}


def _unknown_name(text: str, vocab: Vocabulary) -> bool:
    """A capitalised word the vocabulary does not know ('Avocado release'): the event may be about it."""
    known = {m.text for m in vocab.entity_matcher.find(text)}
    for m in UNKNOWN_NAME.finditer(text):
        word = m.group(0)
        if word not in known and not any(word in k for k in known) and word not in FUNCTION_WORDS:
            return True
    return False


def _trailing_qualifier(text: str, q: Quantity, vocab: Vocabulary) -> str | None:
    """'(38% constant currency)': words after a secondary figure that restate it on another basis."""
    m = re.match(r"\s*([A-Za-z][A-Za-z -]{2,30})\)", text[q.end:])
    if not m:
        return None
    words = m.group(1).strip()
    if GROWTH_WORDS.search(words) or vocab.metric_matcher.find(words) or vocab.entity_matcher.find(words):
        return None
    return words.lower()


def _outside_periods(items: list, text: str, published: dt.date) -> list:
    """Drop figure-like spans that are part of a date ('Oct. 26, 2025': the 26 is no count);
    report arithmetic written out ('+1+1', '2*3') as unreadable rather than as a number."""
    items = [Unparsed(q.text, q.start, q.end, "arithmetic expression, not a stated figure")
             if isinstance(q, Quantity) and _in_expression(text, q) else q for q in items]
    spans = [(p.start_offset, p.end_offset) for p in find_periods(text, published, 12)]
    if not spans:
        return items
    return [q for q in items if not any(s <= q.start and q.end <= e for s, e in spans)]


SCALE_NOTE = re.compile(r"(?i)\(?\s*(\$|US\$|USD|€|EUR|£|GBP)?\s*(?:in\s+)?(thousands|millions|billions|trillions)\b")
SCALE_FACTORS = {"thousands": 1e3, "millions": 1e6, "billions": 1e9, "trillions": 1e12}
MAGNITUDE = re.compile(r"(?i)\d\s*(?:[kmbt]n?|thousand|million|billion|trillion|mm|bn)\b")


def _table_scale(header: list[str], headings: tuple[str, ...]) -> tuple[float, bool] | None:
    """'($ in billions, except per share)': the factor for figures written without a magnitude, and money or not."""
    for text in [header[0]] + list(headings[-1:]):
        m = SCALE_NOTE.search(text or "")
        if m and re.search(r"(?i)\bin\s+(?:thousands|millions|billions|trillions)|\(\s*[$€£]", text):
            return SCALE_FACTORS[m.group(2).lower()], bool(m.group(1))
    return None


def _scaled(q: Quantity, scale: tuple[float, bool] | None) -> Quantity:
    if scale is None or q.unit not in ("USD", "EUR", "GBP", "count") or MAGNITUDE.search(q.text) or q.per:
        return q
    factor, money = scale
    unit = "USD" if money and q.unit == "count" else q.unit

    def mul(x):
        return x * factor if x is not None and math.isfinite(x) and x != 0 else x

    return replace(q, value=mul(q.value), low=mul(q.low), high=mul(q.high), unit=unit, sig=q.sig * factor)


FISCAL_QUARTER_MARK = re.compile(r"\bFQ([1-4])\s*'?(\d{2,4})[EA]?\b")
ESTIMATE_MARK = re.compile(r"\b((?:FY\s?)?\d{2,4})[EA]\b")


def _estimate_marks(text: str) -> str:
    """'FY2027E', '2025A', 'FQ2 26A': analysts' estimate/actual marks around a period."""
    if "E" not in text and "A" not in text and "FQ" not in text:
        return text
    return ESTIMATE_MARK.sub(r"\1", FISCAL_QUARTER_MARK.sub(r"Q\1 FY\2", text))


ENUM_SEP = re.compile(r"^\s*(?:,\s*(?:and\s+|&\s+)?|\s+and\s+|\s*&\s*|\s*/\s*)$")


def _enumerations(sentence: str, entities: list[Match]) -> list[list[Match]]:
    """Runs of names separated only by commas, 'and', '&' or '/': 'Microsoft, Meta, Amazon, and Google'."""
    runs: list[list[Match]] = []
    for e in entities:
        if runs and ENUM_SEP.match(sentence[runs[-1][-1].end:e.start]):
            runs[-1].append(e)
        else:
            runs.append([e])
    return [r for r in runs if len(r) >= 2]


PARALLEL = re.compile(r"(?i)^[^$€£\d]{0,45}?(?:\band\b|\bor\b|,|\bversus\b|\bvs\.?)[^$€£\d]{0,25}$")


def _share_parallel_metrics(sentence: str, levels: list[Quantity], chosen: dict[int, Match],
                            entities: list[Match] = ()) -> None:
    """'$39.5 billion in the fourth quarter and $125 billion for the full year': one metric word, two figures."""
    ordered = sorted(levels, key=lambda q: q.start)
    for prev, q in zip(ordered, ordered[1:]):
        if q.start in chosen or prev.start not in chosen or prev.unit != q.unit:
            continue
        if any(prev.end <= e.start < q.start for e in entities):
            continue  # "OpenAI's $100B Round, Big Tech's $505B Bet": a new subject, a new figure
        if PARALLEL.match(sentence[prev.end:q.start]):
            chosen[q.start] = chosen[prev.start]


CONTRAST = re.compile(r"(?i)\b(?:versus|vs\.?|compared\s+(?:with|to)|than|while|whereas|but)\b|;")


def _governed_by(sentence: str, key: re.Match | None, q: Quantity) -> bool:
    """The 'combined' total is the figure after the word, before any 'versus' turns to another set."""
    if key is None:
        return False
    lo, hi = sorted((key.end(), q.start)) if q.start >= key.end() else (q.end, key.start())
    return not CONTRAST.search(sentence[lo:hi])


def _contrasted(sentence: str, quantities: list[Quantity], q: Quantity, entities: list[Match]) -> bool:
    """A figure set against the previous one ('versus', 'compared with') with no name of its own."""
    earlier = [p for p in quantities if p.end <= q.start]
    if not earlier:
        return False
    prev = earlier[-1]
    between = sentence[prev.end:q.start]
    if not re.search(r"(?i)\b(?:versus|vs\.?|compared\s+(?:with|to))\b", between):
        return False
    return not any(prev.end <= e.start < q.end + 40 for e in entities)



SCHEDULED = re.compile(r"(?i)\b(?:slated|scheduled|set|due|planned|targeted|expected|pencilled|penciled)\s+(?:for|in)\s+$")


def _scheduled_date(clause: str, dates: list[Period], ev: Match) -> Period | None:
    """'volume production of the chip is now slated for 2027': a date announced by a scheduling phrase."""
    for p in dates:
        if ev.end <= p.start_offset <= ev.end + 70 and SCHEDULED.search(clause[max(0, p.start_offset - 20):p.start_offset]):
            return p
    return None


def _outside_entities(metrics: list[Match], entities: list[Match]) -> list[Match]:
    return [m for m in metrics if not any(e.start < m.end and m.start < e.end for e in entities)]


def _owned_by_other(p: Period, q: Quantity, others: list[Quantity]) -> bool:
    def gap(a_start, a_end, b_start, b_end):
        return b_start - a_end if b_start >= a_end else a_start - b_end
    mine = gap(q.start, q.end, p.start_offset, p.end_offset)
    return any(gap(o.start, o.end, p.start_offset, p.end_offset) <= min(12, mine - 1) for o in others)


def _level_before(q: Quantity, levels: list[Quantity], periods_of: dict[int, Period]) -> Quantity | None:
    """The level figure a growth rate or multiple qualifies: the nearest one just before it."""
    before = [lv for lv in levels if lv.end <= q.start and q.start - lv.end <= 60 and lv.start in periods_of]
    return before[-1] if before else None


def _not_ranges(text: str, dates: list[Period]) -> list[Period]:
    """Dates that stand alone: the ends of a span written 'Feb 23-Mar 1' or 'Jan 26 to Feb 1' are left out."""
    kept = []
    for i, p in enumerate(dates):
        if ".." in p.label:
            continue
        joined_after = i + 1 < len(dates) and re.fullmatch(r"\s*(?:-|–|—|to|through)\s*",
                                                           text[p.end_offset:dates[i + 1].start_offset])
        joined_before = i > 0 and re.fullmatch(r"\s*(?:-|–|—|to|through)\s*",
                                               text[dates[i - 1].end_offset:p.start_offset])
        if not (joined_after or joined_before):
            kept.append(p)
    return kept


POSSESSIVE_YEAR = re.compile(r"\b((?:19|20)\d{2})['’]s\b")
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
RELATIVE = re.compile(r"(?i)\b(last|this|next|earlier this|later this)\s+(year|quarter|" + "|".join(MONTHS) + r")\b")


def find_quantities(text: str) -> list[Quantity | Unparsed]:
    """quantities.find_quantities, memoised: a sentence or cell is scanned once however many readers ask."""
    return list(_quantities_memo(text)) if isinstance(text, str) else _find_quantities(text)


@lru_cache(maxsize=8192)
def _quantities_memo(text: str) -> tuple:
    return tuple(_find_quantities(text))


def find_periods(text: str, as_of: dt.date, fy_end_month: int = 12) -> list[Period]:
    """Stated periods plus the relative ones a dated source implies ('last October', 'this year').
    Memoised on (text, as_of, fiscal-year end): results are frozen Periods, each call gets its own list."""
    try:
        return list(_periods_memo(text, as_of, fy_end_month))
    except TypeError:   # an unhashable argument: no memo
        return _periods(text, as_of, fy_end_month)


@lru_cache(maxsize=8192)
def _periods_memo(text: str, as_of: dt.date, fy_end_month: int) -> tuple:
    return tuple(_periods(text, as_of, fy_end_month))


def _periods(text: str, as_of: dt.date, fy_end_month: int = 12) -> list[Period]:
    periods = _stated_periods(text, as_of, fy_end_month)
    for m in POSSESSIVE_YEAR.finditer(text):
        if not any(p.start_offset <= m.start() < p.end_offset for p in periods):
            year = int(m.group(1))
            periods.append(Period(m.group(0), m.start(), m.end(), str(year), dt.date(year, 1, 1),
                                  dt.date(year, 12, 31), "year"))
            periods.sort(key=lambda p: p.start_offset)
    if "ast " not in text and "his " not in text and "ext " not in text:
        return periods
    for m in RELATIVE.finditer(text):
        if any(p.start_offset <= m.start() < p.end_offset for p in periods):
            continue
        p = _relative_period(m, as_of)
        if p is not None:
            periods.append(p)
    return sorted(periods, key=lambda p: p.start_offset)


@none_off_calendar
def _relative_period(m: re.Match, as_of: dt.date) -> Period | None:
    which, unit = m.group(1).lower(), m.group(2).lower()
    if unit == "year":
        year = as_of.year + {"last": -1, "next": 1}.get(which, 0)
        return Period(m.group(0), m.start(), m.end(), str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    if unit == "quarter":
        q = (as_of.month - 1) // 3 + 1 + {"last": -1, "next": 1}.get(which, 0)
        year = as_of.year + (q - 1) // 4
        q = (q - 1) % 4 + 1
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        return Period(m.group(0), m.start(), m.end(), f"{year}-Q{q}", start, end, "quarter")
    month = MONTHS.index(unit) + 1
    year = as_of.year
    if which == "last" and month >= as_of.month:
        year -= 1  # "last October", said in March 2026, is October 2025
    elif which == "next" and month <= as_of.month:
        year += 1
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return Period(m.group(0), m.start(), m.end(), f"{year}-{month:02d}", start, end, "month")


def _granularity_before(before: str) -> str | None:
    """'record quarterly revenue of $35.1 billion': the period word sits in the metric phrase."""
    m = re.search(r"(?i)\b(quarterly|monthly|annual|yearly|full-year)\s+(?:[a-z-]+\s+){0,2}?(?:of|was|were|at|to|reached|"
                  r"hit|totalled|totaled|came in at)\s*[~≈]?\s*$", before)
    if not m:
        return None
    word = m.group(1).lower()
    return "quarterly" if word == "quarterly" else "monthly" if word == "monthly" else "annual"


def _base_of_multiples(sentence: str, quantities: list[Quantity], chosen: dict[int, Match]) -> None:
    """'roughly double 2025's $91.4 billion', '3x the $20B': the figure after a multiple is its base, same metric."""
    ordered = sorted(quantities, key=lambda q: q.start)
    for i, q in enumerate(ordered):
        if q.unit in ("percent", "multiple") or q.start in chosen:
            continue
        lead = sentence[max(0, q.start - 40):q.start]
        m = re.search(r"(?i)(?:\b(?:double|triple|twice|half)|[×x])\s+(?:the|its|their|\d{4}['’]s)?\s*[~≈]?\s*$", lead)
        prev = ordered[i - 1] if i else None
        if m and prev is not None and prev.start in chosen and prev.end <= q.start:
            chosen[q.start] = chosen[prev.start]


def _in_expression(text: str, q: Quantity) -> bool:
    before, after = text[max(0, q.start - 2):q.start], text[q.end:q.end + 2]
    # '/' is left out: "$1.25/$10 per M tokens" is two prices, not a division.
    return bool(re.match(r"\s?[+*=]\s?\d", after) or re.search(r"\d\s?[+*=]\s?$", before)
                or (q.text.startswith(("+", "-")) and re.match(r"[+\-]\d", after)))


def _quarter_behind_annualised(sentence: str, levels: list[Quantity], chosen: dict[int, Match]) -> None:
    """'At $17.7B a quarter, ... an annualized run-rate of $60B': the quarter figure measures the same thing."""
    annual = [q for q in levels if q.start in chosen and (ANNUALISED_BEFORE.search(sentence[max(0, q.start - 45):q.start])
                                                          or re.search(r"(?i)annuali[sz]ed", q.text))]
    if not annual:
        return
    for q in levels:
        per_quarter = q.per == "quarter" or re.match(r"(?i)\s*(?:a|per|each)\s+quarter\b", sentence[q.end:q.end + 15])
        if q.start not in chosen and per_quarter:
            chosen[q.start] = chosen[annual[0].start]


def metrics_beside_entities(vocab: Vocabulary, text: str, entities: list[Match] | None = None) -> list[Match]:
    """Metric words outside entity names: 'Google Cloud revenue' is revenue of Google Cloud, not 'cloud revenue'."""
    entities = vocab.entity_matcher.find(text) if entities is None else entities
    found = vocab.metric_matcher.find(text)
    if not any(e.start < m.end and m.start < e.end for m in found for e in entities):
        return found
    chars = list(text)
    for e in entities:
        chars[e.start:e.end] = " " * (e.end - e.start)
    blanked = "".join(chars)  # same length: offsets still point into the original text
    return [Match(m.start, m.end, text[m.start:m.end], m.name) for m in vocab.metric_matcher.find(blanked)]


def _summable(q: Quantity) -> bool:
    """Money, counts and power add up across companies; rates and ratios do not."""
    return q.unit in ("USD", "count", "GW", "MW") and q.per is None
