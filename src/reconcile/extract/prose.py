"""Prose, read clause by clause: the nearest metric words name the metric, the subject of the clause (or of
the heading, for "the company") names the entity, the period in the figure's own clause dates it."""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..calendars import FiscalCalendar
from ..quantities import Period, Quantity, Unparsed, find_periods
from ..vocab import VARIANT_PREFIXES, AliasMatcher, Cues, Match
from .emit import figure, is_consensus, word_multiples
from .events import clause_events
from .lexicon import ANAPHORA_KINDS, LEAD_DATE, NEUTRAL_WORDS, PARENTHESES, SCOPE_STOP, SENTENCE_SPLIT
from .model import Context, FigureSite, Mention, Reading, Sentence
from .orgs import organisation_names
from .periods import (
    find_quantities,
    is_bare_small,
    is_relation_base,
    level_before,
    levels_in,
    outside_periods,
    owned_by_other,
)
from .segments import segment_metric
from .tolerances import apply_tolerances
from .words import (
    TEXT_MEMO,
    clause_of,
    clause_spans,
    enumerations,
    figure_runs,
    makers_as_parents,
    metrics_beside_entities,
    nearest,
    not_a_subject,
    prepositional,
    target_scope,
    top_company,
    unknown_name,
)


@dataclass
class _Figures:
    """The figures of a sentence and the metric words each was given."""
    metrics: list[Match]
    quantities: list[Quantity]
    levels: list[Quantity]                 # figures that are not percentages or multiples
    chosen: dict[int, Match]               # figure start → the metric word naming it
    members: tuple[str, ...] = ()          # the names a 'combined' total sums
    sum_word: re.Match[str] | None = None
    periods_of: dict[int, Period] = field(default_factory=dict)
    respective: dict[int, str] = field(default_factory=dict)  # figure start → its owner in a '… respectively' pairing
    gaap_pairs: dict[int, tuple[bool, int]] = field(default_factory=dict)  # start → (non-GAAP?, the pair's first)


def read_prose(r: Reading, text: str, ctx: Context, where: str, previous: str | None = None) -> str | None:
    """The passage's figures; returns its last subject, for a next paragraph that opens with 'The company'."""
    if not text.strip():
        return previous
    lead_date = None
    m = LEAD_DATE.match(text)
    if m:
        dates = find_periods(m.group(1), r.published)
        lead_date = dates[0] if dates else None
    topic, topic_from = _topic(r, text, ctx)
    for n, sentence in enumerate(_sentences(text)):
        if not sentence.strip():
            continue
        r.on_time(where)
        starts_with_pronoun = bool(r.cues.leading_pronoun.match(sentence))
        if previous and (starts_with_pronoun or (topic is None and not unknown_name(sentence, r.vocab)
                                                 and not organisation_names(r.vocab, sentence))):
            given: tuple[str | None, str] = (previous, "previous sentence")
        else:
            given = (topic, "previous sentence" if n and topic_from == "clause" else topic_from)
        subject = read_sentence(r, sentence.strip(), ctx, where, given, lead_date)
        if subject is None and unknown_name(sentence, r.vocab):
            previous = None  # "… such as Fuji Electric": a next "the company" may be that name
        else:
            previous = subject or previous
    return previous


# Reading a sentence costs about its length times its figures. A 'sentence' longer than MAX_SENTENCE characters or
# with more than MAX_FIGURES numbers (the corpora's longest: ~420 characters, 10 figures) is read in pieces, so
# that an endless one ('$1B $1B …', '$1–1–1…B') costs time linear in its length.
MAX_SENTENCE = 2000
MAX_FIGURES = 60
_NUMBER = re.compile(r"[$€£＄]?\d+")  # \d: full-width and other digits count too


def _sentences(text: str) -> Iterator[str]:
    """The sentences of a passage; one too long or with too many numbers is cut, at a space where it can be,
    before the number that would make a piece too long or too full."""
    for sentence in SENTENCE_SPLIT.split(text):
        if _surely_short(sentence):
            yield sentence  # most sentences: no number needs counting
            continue
        start, count = 0, 0
        for m in _NUMBER.finditer(sentence):
            count += 1
            if count > MAX_FIGURES or m.end() - start > MAX_SENTENCE:
                cut = sentence.rfind(" ", start + 1, m.start())
                cut = cut if cut > start else m.start()
                if cut > start:
                    yield sentence[start:cut]
                    start, count = cut, len(_NUMBER.findall(sentence, cut, m.end()))
        yield sentence[start:] if start else sentence


def _surely_short(sentence: str) -> bool:
    """Too short to be cut: within MAX_SENTENCE, and with no more digits (each number has one) than MAX_FIGURES."""
    return len(sentence) <= MAX_SENTENCE and (len(sentence) <= MAX_FIGURES or sentence.isascii() and sum(
        map(sentence.count, "0123456789")) <= MAX_FIGURES)


def _topic(r: Reading, text: str, ctx: Context) -> tuple[str | None, str]:
    """The entity a passage is about, and where it was read: its lead-in before a colon, else its first words,
    else the heading."""
    subject = _lead_subject(text, r.vocab.entity_matcher, r.cues)
    if subject is not None:
        return subject, "clause"
    return ctx.entity, ctx.entity_from if ctx.entity else ""


@lru_cache(maxsize=TEXT_MEMO)
def _lead_subject(text: str, entity_matcher: AliasMatcher, cues: Cues) -> str | None:
    """The first subject named in a passage's lead-in (remembered per text: boilerplate passages recur)."""
    lead = text.split(":", 1)[0] if ":" in text[:120] else text[:60]
    ents = entity_matcher.find(lead)
    subjects = [e for e in ents if not not_a_subject(cues, lead, e, ents)]
    return subjects[0].name if subjects and not cues.shopping_deal.search(text[:200]) else None


def read_sentence(r: Reading, text: str, ctx: Context, where: str, topic: tuple[str | None, str],
                  lead_date: Period | None) -> str | None:
    """The events and figures of one sentence; returns its subject, for a next sentence that says 'it'.

    `topic` is the subject a clause that names none falls back on, with where it was read."""
    if lead_date is not None:
        text = LEAD_DATE.sub("", text, count=1)
    deal, multiple, nothing, quiet_subject = _sentence_head(text, r.vocab.entity_matcher, r.vocab.event_matcher,
                                                            r.cues)
    if nothing:
        return quiet_subject
    entities, subjects = (makers_as_parents(r.vocab, text, found)
                          for found in _names(text, r.vocab.entity_matcher, r.cues, deal))
    if deal:
        topic = (None, "")
    if subjects and subjects[0].start < 25:
        topic = (subjects[0].name, "clause")
    metrics = metrics_beside_entities(r.vocab, text, entities)
    whole = entities + metrics
    s = Sentence(text, where, ctx, entities, clause_spans(text, whole), topic[0], lead_date, topic[1], deal)
    if r.vocab.event_matcher.find(text):  # a clause's event words are the sentence's: most sentences have none
        for span in s.clauses:
            clause_events(r, s, span)
    f = _sentence_figures(r, s, metrics)
    first_subject = None
    for q in f.quantities:
        entity = _prose_figure(r, s, f, q)
        first_subject = first_subject or entity
    if multiple:  # most sentences have none: no site to build
        word_multiples(r, text, FigureSite(where, text, "prose", entity=s.topic,
                                           metric=f.metrics[0].name if f.metrics else ctx.metric,
                                           entity_from=s.topic_from, metric_from="clause" if f.metrics else "heading",
                                           period_from="heading"),
                       levels=f.levels, periods_of=f.periods_of)
    return _sentence_subject(first_subject, subjects)


@lru_cache(maxsize=TEXT_MEMO)
def _sentence_head(text: str, entity_matcher: AliasMatcher, event_matcher: AliasMatcher,
                   cues: Cues) -> tuple[bool, bool, bool, str | None]:
    """What a sentence's text alone tells, remembered per text (boilerplate sentences recur across documents):
    whether it is a retail deal, whether it holds a word multiple ('doubled'), whether it reads nothing (no
    figure, readable or not, event word or word multiple: most sentences give only their subject), and that
    subject when it reads nothing."""
    deal = cues.shopping_deal.search(text) is not None
    multiple = cues.word_multiple.search(text) is not None
    nothing = not multiple and not find_quantities(text) and not event_matcher.find(text)
    return deal, multiple, nothing, \
        _sentence_subject(None, _names(text, entity_matcher, cues, deal)[1]) if nothing else None


def _names(text: str, entity_matcher: AliasMatcher, cues: Cues, deal: bool) -> tuple[list[Match], list[Match]]:
    """The sentence's names, and those that can be its subject (a deal's prices are a gadget's, not the store's
    or the brand's: it has none)."""
    entities = [] if deal else entity_matcher.find(text)
    return entities, [e for e in entities if not not_a_subject(cues, text, e, entities)]


def _sentence_subject(first_subject: str | None, subjects: list[Match]) -> str | None:
    if first_subject is None and len({e.name for e in subjects}) > 1:
        return None  # "Microsoft, NVIDIA and Anthropic sign …": no one name for a next "the company"
    return first_subject or (subjects[0].name if subjects else None)


def _sentence_figures(r: Reading, s: Sentence, metrics: list[Match]) -> _Figures:
    """The sentence's figures (unreadable ones recorded), each given the metric word that names it (`metrics`:
    the sentence's metric words outside its names: 'Google Cloud revenue' is no 'cloud revenue')."""
    found = apply_tolerances(r.cues, s.text, outside_periods(find_quantities(s.text), s.text, r.published))
    quantities = [q for q in found if isinstance(q, Quantity) and not is_bare_small(q)
                  and not r.cues.age_bound.search(s.text[max(0, q.start - 30):q.end])
                  and not _model_number(r, s.text, q) and not _maturity(r, s.text, q)]
    for bad in found:
        if isinstance(bad, Unparsed):
            r.unparsed(bad, s.text, s.where)
    if not quantities:
        return _Figures(metrics, quantities, [], {})  # most sentences state no figure: nothing to name or pair
    if s.deal:
        metrics = [m for m in metrics if r.vocab.metrics[m.name].family == "price"]  # "Speaker deals": no contract
    # a figure's own words name no metric: "points" in "25 basis points" is no index move
    metrics = [m for m in metrics if not any(q.start <= m.start < q.end for q in quantities)]
    members, sum_word = _members(r, s.text, s.entities)
    chosen = _assign_aliases([q for q in quantities if q.unit in ("percent", "multiple")], metrics, s.clauses)
    levels = [q for q in quantities if q.unit not in ("percent", "multiple")]
    measurable = [m for m in metrics if any(r.vocab.accepts(m.name, q.unit) for q in levels)]
    chosen.update(_assign_aliases(levels, measurable, s.clauses, accepts=r.vocab.accepts,
                                  bound=lambda q, m: _between(r.cues.metric_after_figure, s.text, q, m),
                                  owned=lambda q, m: _between(r.cues.metric_after_name, s.text, q, m)))
    # "rose to $9.4 billion, or $8.21 per share, from $1.58 billion": the per-share aside is read last
    alternates = _per_share_asides(r.cues, s.text, levels)
    plain = [q for q in levels if q not in alternates]
    text = _masked(s.text, alternates)
    _share_parallel_metrics(r.cues, text, plain, chosen, s.entities)
    _share_parallel_changes(r.cues, s.text, quantities, chosen, metrics, s.entities)
    _quarter_behind_annualised(r.cues, s.text, levels, chosen)
    _base_of_multiples(r.cues, s.text, quantities, chosen)
    _share_with_previous_level(r, text, plain, chosen, s.entities)
    _per_share_alternates(r, alternates, levels, chosen)
    respective = _respective_owners(r.cues, s.text, s.entities, quantities)
    return _Figures(metrics, quantities, levels, chosen, members, sum_word, respective=respective,
                    gaap_pairs=_gaap_pairs(r.cues, s.text, quantities))


def _between(cue: re.Pattern[str], sentence: str, q: Quantity, metric_m: Match) -> bool:
    """The metric word follows the figure with only what `cue` allows between them ('in first-quarter', 'Instagram')."""
    return metric_m.start >= q.end and cue.match(sentence[q.end:metric_m.start]) is not None


_BARE_INTEGER = re.compile(r"[-‑]?\d+")


def _model_number(r: Reading, sentence: str, q: Quantity) -> bool:
    """'GeForce RTX 5070', 'BlueField®-4': a bare integer right after a product's name is its model number."""
    return q.unit == "count" and _BARE_INTEGER.fullmatch(q.text) is not None and \
        r.cues.model_before.search(sentence[max(0, q.start - 25):q.start]) is not None


def _maturity(r: Reading, sentence: str, q: Quantity) -> bool:
    """'the 10-year Treasury yield': a bond's maturity is part of its name."""
    return q.unit in ("years", "months") and r.cues.maturity_after.match(sentence, q.end) is not None


def _gaap_pairs(cues: Cues, text: str, quantities: list[Quantity]) -> dict[int, tuple[bool, int]]:
    """'GAAP and non-GAAP gross margins were 60.5% and 61.0%': each pair of figures after the words is one GAAP
    and one non-GAAP measure, different metrics."""
    cue = cues.gaap_pair.search(text)
    if cue is None:
        return {}
    pairs: dict[int, tuple[bool, int]] = {}
    for run in figure_runs(cues, text, [q for q in quantities if q.start >= cue.end()]):
        if len(run) == 2:
            pairs[run[0].start] = (False, run[0].start)
            pairs[run[1].start] = (True, run[0].start)
    return pairs


def _respective_owners(cues: Cues, text: str, entities: list[Match], quantities: list[Quantity]) -> dict[int, str]:
    """'NVIDIA and Microsoft … up to $10 billion and up to $5 billion respectively': the n listed names own the
    n listed figures after them, in order."""
    if not cues.respectively.search(text):
        return {}
    owners: dict[int, str] = {}
    names = enumerations(text, entities)
    for run in figure_runs(cues, text, quantities):  # name lists hold two or more: a lone figure pairs with none
        before = [n for n in names if n[-1].end <= run[0].start and len(n) == len(run)]
        if before:
            owners.update({q.start: e.name for q, e in zip(run, before[-1], strict=True)})
    return owners


def _prose_figure(r: Reading, s: Sentence, f: _Figures, q: Quantity) -> str | None:
    """One figure of a sentence as a mention; returns its entity."""
    clause = clause_of(s.clauses, q.start)
    metric_m = f.chosen.get(q.start)
    metric, metric_from = (metric_m.name, "clause") if metric_m else (None, "")
    if metric is None and not f.metrics and s.ctx.metric and r.vocab.accepts(s.ctx.metric, q.unit):
        metric, metric_from = s.ctx.metric, "heading"  # a bullet under a metric heading ("Infrastructure Investment")
    entity, counterparty, entity_from = _prose_entity(r, s, q, clause, metric)
    named = _name_before_noun(r, s, q, metric_m)
    if named is not None:
        entity, counterparty, entity_from = named or None, None, "clause" if named else ""
    q = _in_index_points(r, q, entity) if entity_from == "clause" else q  # the sentence names the index
    move = _market_move(r, s, q, clause) if metric is None and q.unit in ("percent", "points") else None
    if move is not None:
        (entity, metric), entity_from, metric_from = move, "clause", "clause"
    if named is None and metric is not None and (entity is None or _unknown_topic(s, entity)):
        # no known name owns the figure: an unknown organisation where an owner stands does; a figure of no known
        # kind has no owner to read
        unknown = _unknown_owner(r, s, q, clause, metric)
        if unknown is not None:
            entity, entity_from = unknown, "clause"
    if q.start in f.respective:
        entity, entity_from = f.respective[q.start], "clause"
        counterparty = counterparty if counterparty != entity else None
        if metric is None and q.unit == "percent" and r.cues.price_move.search(s.text):
            # "Advantest and Renesas were 2.35% and 1.75% lower, respectively": each name's move that day
            kind = r.vocab.entities[entity].kind if entity in r.vocab.entities else ""
            metric, metric_from = MOVE_METRICS.get((kind, "percent"), MOVE_METRIC), "clause"
    elif _contrasted(r.cues, s.text, f.quantities, q, s.entities):
        entity = None  # "~$650B, versus roughly $760B for the seven largest spenders": another subject
    grp = f.members if f.members and _summable(q) and _governed_by(r.cues, s.text, f.sum_word, q) else ()
    if not grp and q.start not in f.respective and _summable(q) and metric is not None and \
            not r.vocab.metrics[metric].relational:  # a named measure the listed companies each have
        grp = _listed_subject(r, s, q, clause, f.levels)
    if grp:
        entity, entity_from = "+".join(grp), "clause"
    elif entity and r.vocab.entities.get(entity) and r.vocab.entities[entity].kind == "group":
        grp = r.vocab.entities[entity].members
    period, period_from = _prose_period(r, s, q, clause, entity)
    rate = q.unit in ("percent", "multiple")
    estimate = not rate and period_from != "clause" and is_consensus(r.cues, s.text, q)
    if rate:
        level = level_before(q, f.levels, f.periods_of) or \
            (level_before(q, f.levels, f.periods_of, SPAN_SAID_REACH) if _span_said(r.cues, s.text, q) else None)
        if level is not None:
            period, period_from = f.periods_of[level.start], "clause"  # "$125B in 2026, up 50% YoY": the $125B's
    elif estimate and (actual := level_before(q, f.levels, f.periods_of, SPAN_SAID_REACH)) is not None:
        # "revenue for its fiscal fourth quarter climbed to $68.13B, beating estimates for $66.21B": the actual's
        period, period_from = f.periods_of[actual.start], "clause"
        if metric is None and actual.start in f.chosen:
            metric, metric_from = f.chosen[actual.start].name, "clause"
    elif estimate and (said := _previous_actual(r, s, q, entity, metric)) is not None:
        # "CoreWeave sees $12 billion to $13 billion in revenue for 2026. Analysts polled by LSEG had anticipated
        # $12.09 billion.": the analysts' figure for what the sentence before stated
        metric, metric_from = r.vocab.measured(said.metric), metric_from or "previous sentence"  # eps of non_gaap_eps
        if said.period is not None:
            period, period_from = said.period, "previous sentence"
        if entity is None and said.entity is not None:  # "Wall Street was expecting that figure to be 613 million"
            entity, entity_from = said.entity, "previous sentence"
    elif period is not None:
        f.periods_of[q.start] = period
    if period is None and s.lead_date is not None and metric and \
            r.vocab.metrics[metric].granularity in ("point", "cumulative"):
        period, period_from = s.lead_date, "clause"
    if period is None and metric and r.vocab.metrics[metric].as_of == "published":
        days = [p for p in find_periods(s.text, r.published) if p.granularity == "day"]
        if len(days) == 1:  # "concluded a $30B round, the company announced on Thursday": the deal's day
            period, period_from = days[0], "clause"
    pair = f.gaap_pairs.get(q.start)
    first = f.chosen.get(pair[1]) if pair is not None else None
    if pair is not None and first is not None:  # named last: the vocabulary knows no non-GAAP variant by name
        metric, metric_from = (f"non_gaap_{first.name}" if pair[0] else first.name), "clause"
    elif metric_m and metric == metric_m.name and not metric.startswith(VARIANT_PREFIXES) and \
            (r.cues.adjusted_before.search(s.text[max(0, metric_m.start - 12):metric_m.start])
             or r.cues.adjusted_after.match(s.text[q.end:q.end + 25])) and \
            not r.cues.gaap_pair.search(s.text[:metric_m.start]):
        # "adjusted earnings per share", "Earnings per share: $1.90 adjusted": GAAP and non-GAAP never compare
        metric = f"non_gaap_{metric}"
    scope = target_scope(r.cues, s.text, q) or (_prose_scope(r, s.text, metric_m) if metric_m and not pair else None)
    in_segment = segment_metric(r.vocab, s.ctx.segment, metric) if s.ctx.segment else None
    if in_segment and not (metric_m and _prose_scope(r, s.text, metric_m)):
        metric, metric_from = in_segment, "heading"  # 'revenue' in the Gaming section, unless its words say whose
    site = FigureSite(s.where, s.text, "prose", entity=entity, metric=metric, period=period, scope=scope,
                      counterparty=counterparty, members=grp, entity_from=entity_from, metric_from=metric_from,
                      period_from=period_from)
    figure(r, q, s.text, site)
    if metric and pair is None and not metric.startswith("non_gaap_") and r.cues.gaap_both.search(s.text[:q.start]):
        figure(r, q, s.text, replace(site, metric=f"non_gaap_{metric}"))  # "GAAP and non-GAAP … were both $1.30"
    return entity


# "$3.7 billion, up 47% from a year ago, driven by …, and down 13% from the previous quarter": a change that says
# its span (or an estimate the actual beats) is of the sentence's level, however far
SPAN_SAID_REACH = 160


def _span_said(cues: Cues, text: str, q: Quantity) -> bool:
    after = text[q.end:q.end + 40].lstrip()
    return bool(cues.quarter_on_quarter.match(after) or cues.year_on_year.match(after))


def _in_index_points(r: Reading, q: Quantity, entity: str | None) -> Quantity:
    """'the Dow rose 307.65 points … to settle at 49,482.15': a stock index's bare numbers are in points."""
    named = r.vocab.entities.get(entity or "")
    return replace(q, unit="points") if q.unit == "count" and named is not None and named.kind == "index" else q


# What a listed name's move measures, by the kind of name and the figure's unit; any other name's move is its
# share price.
MOVE_METRICS = {("index", "percent"): "index_change", ("index", "points"): "index_change_points"}
MOVE_METRIC = "share_price_change"
_MOVE_SUFFIX = re.compile(r"\s+(?:index|Index|shares|stock)$")  # the words after a name that the cue allows


def _market_move(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int]) -> tuple[str, str] | None:
    """'LG Innotek surging almost 14%', 'the Topix added 1.45%': a listed name's move that day, and what it
    measures. A name the vocabulary lacks is kept as written, never given to a known name nearby."""
    m = r.cues.market_move.search(s.text, max(clause[0], q.start - 120), q.start) or \
        r.cues.market_move.search(s.text, max(0, q.start - 240), q.start)  # 'SK Hynix, which …, rose 2%'
    if m is None:
        return None
    start, end = m.span("name")
    name = re.sub(r"^(?:The|A|An)\s+|\s+(?:shares|stock)$", "", m.group("name"))
    known = [e for e in s.entities if start <= e.start and e.end <= end]
    if known and unknown_name(_MOVE_SUFFIX.sub("", s.text[known[-1].end:end]), r.vocab):
        known = []  # "TOPIX Information & Communication index": a part of the index, named by all its words
    if known:
        entity = known[-1].name
        kind = r.vocab.entities[entity].kind if entity in r.vocab.entities else ""
    elif unknown_name(name, r.vocab):
        entity, kind = name, "index" if name.lower().endswith(" index") else ""
    else:
        return None  # "Revenue rose 5%": a metric word, not a listed name
    metric = MOVE_METRICS.get((kind, q.unit), MOVE_METRIC if q.unit == "percent" else "")
    return (entity, metric) if metric in r.vocab.metrics else None


def _noun_referent(r: Reading, s: Sentence, c_start: int, q: Quantity) -> str | None:
    """'Colossus 2 reached 1 GW; the cluster runs 550,000 GPUs': 'the cluster' is the last cluster named."""
    found = list(r.cues.noun_anaphora.finditer(s.text[c_start:q.start]))
    if not found:
        return None
    m = found[-1]
    if any(c_start + m.end() <= e.start < q.start for e in s.entities):
        return None  # a name closer to the figure than 'the cluster' is its subject
    for e in reversed([e for e in s.entities if e.end <= c_start + m.start()]):
        entity = r.vocab.entities.get(e.name)
        if entity is not None and entity.kind in m.group(1).lower() + "|" + ANAPHORA_KINDS.get(m.group(1).lower(), ""):
            return e.name
    return None


_PHRASE_BREAK = re.compile(r"[:;,.!?\[\]]")
_FIGURE_CHAR = re.compile(r"[\d$€£%]")
_MAGNITUDE_LEAD = re.compile(r"(?i)^\s*(?:[A-Za-z]{1,2}|thousand|million|billion|trillion|bn|mn)\b")
_WORD = re.compile(r"[A-Za-z][\w-]*")


def _prose_scope(r: Reading, sentence: str, metric_m: Match) -> str | None:
    """Up to three words qualifying a metric word: 'Cloud infrastructure (IaaS) revenue' is not total revenue;
    nor is 'revenue in its cloud memory business'."""
    if not r.cues.scopable_noun.search(metric_m.text):
        return None  # "valuing the company at": a verb phrase takes no qualifier
    part = r.cues.part_after.match(sentence, metric_m.end)
    if part is not None:
        return " ".join(part.group(1).lower().split())
    lead = PARENTHESES.sub(" ", sentence[max(0, metric_m.start - 40):metric_m.start])
    lead = _PHRASE_BREAK.split(lead)[-1]  # the metric's own phrase only
    pieces = _FIGURE_CHAR.split(lead)
    lead = _MAGNITUDE_LEAD.sub(" ", pieces[-1]) \
        if len(pieces) > 1 else lead  # "$35B", "$183 billion": no qualifier word
    words = _WORD.findall(lead)[-3:]
    kept: list[str] = []
    for word in reversed(words):
        low = word.lower()
        if low in NEUTRAL_WORDS or low in SCOPE_STOP or "quarter" in low or "year" in low or \
                r.vocab.entity_matcher.find(word) or find_periods(word, r.published, 12):
            break
        kept.insert(0, low)
    return " ".join(kept) if kept else None


def _members(r: Reading, sentence: str, entities: list[Match]) -> tuple[tuple[str, ...], re.Match[str] | None]:
    """The listed names nearest 'combined' / 'total' / 'together': the parts of a stated sum."""
    key = r.cues.sum_word.search(sentence)
    if not key:
        return (), None
    runs = [[e for e in run if r.vocab.entities.get(e.name) and r.vocab.entities[e.name].kind != "group"]
            for run in enumerations(sentence, entities)]
    runs = [run for run in runs if len(run) >= 2]
    if not runs:
        return (), None
    run = min(runs, key=lambda run: min(abs(run[0].start - key.end()), abs(key.start() - run[-1].end)))
    names = sorted({top_company(r.vocab, e.name) for e in run})
    return (tuple(names), key) if len(names) >= 2 else ((), None)


def _listed_subject(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int],
                    levels: list[Quantity]) -> tuple[str, ...]:
    """'Alphabet, Microsoft, Meta and Amazon have committed nearly $700 billion', '… and Amazon's capex could hit
    $700 billion': a list of names as the subject of one figure states their total, not the last name's."""
    if r.cues.each.search(s.text):
        return ()  # "each", "respectively", "apiece": every name has a figure of its own
    for run in enumerations(s.text, s.entities):
        known = [e for e in run if r.vocab.entities.get(e.name) and r.vocab.entities[e.name].kind != "group"]
        if len(known) < 2 or run[0].start < clause[0] or run[-1].end > q.start or \
                prepositional(r.cues, s.text, run[0]) or \
                any(run[-1].end <= e.start < q.start for e in s.entities) or \
                any(run[-1].end <= o.start and o.start != q.start and o.unit == q.unit for o in levels):
            continue  # not the clause's subject, or another name or figure of its kind follows the list
        names = tuple(sorted({top_company(r.vocab, e.name) for e in known}))
        return names if len(names) >= 2 else ()
    return ()


def _previous_actual(r: Reading, s: Sentence, q: Quantity, entity: str | None,
                     metric: str | None) -> Mention | None:
    """The last named figure of the sentence before, in the same passage, that an analysts' figure can be the
    estimate of: same subject (any, when the estimate's sentence names none), unit and (when the estimate names one)
    metric, itself no estimate or earlier value."""
    before = None
    for m in reversed(r.out.mentions):
        if m.location != s.where or m.quote == s.text:
            continue
        before = before or m.quote
        if m.quote != before:
            return None  # only the sentence right before
        if m.quantity is not None and m.metric is not None and metric in (None, m.metric) and \
                m.relation is None and not m.superseded and not m.year_ago and entity in (None, m.entity) and \
                m.quantity.unit == q.unit:
            return m
    return None


def _name_before_noun(r: Reading, s: Sentence, q: Quantity, metric_m: Match | None) -> str | None:
    """'481 million Instagram users, 403 million Facebook users': the name between a figure and the audience it
    counts owns it; '' when that name is one the vocabulary lacks ('213 million Snapchat users'), None when no name
    stands there."""
    if metric_m is None or not r.cues.audience_noun.search(metric_m.text) or \
            not _between(r.cues.metric_after_name, s.text, q, metric_m):
        return None
    names = [e for e in s.entities if q.end <= e.start and e.end <= metric_m.start]
    if names:
        return names[-1].name
    if not unknown_name(s.text[q.end:metric_m.start], r.vocab):
        return None
    unknown = [o for o in _unknown_names(r, s) if q.end <= o.start and o.end <= metric_m.start]
    return unknown[-1].name if unknown else ""


def _unknown_topic(s: Sentence, entity: str) -> bool:
    """The figure's entity is only the topic carried in, which the sentence does not name (a headline's 'Etsy'
    for 'eBay said it expects …', the sentence before's Walmart for 'Shares of Target … tumbled 40%')."""
    return entity == s.topic and entity not in s.text and all(e.name != entity for e in s.entities)


def _unknown_names(r: Reading, s: Sentence) -> list[Match]:
    """The organisations the sentence names that the vocabulary lacks; none in a shopping deal, whose prices are a
    gadget's."""
    return [] if s.deal else organisation_names(r.vocab, s.text)


def _unknown_owner(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int], metric: str | None) -> str | None:
    """A figure no known entity owns: the unknown organisation standing where the engine reads an owner (the
    clause's subject, 'Rivian's net loss'), read by the same rules as a known name; never the topic or a known name."""
    unknown = _unknown_names(r, s)
    if not unknown:
        return None
    merged = sorted(s.entities + unknown, key=lambda m: m.start)
    opener = next((o for o in unknown if not not_a_subject(r.cues, s.text, o, merged)), None)
    topic = opener.name if opener is not None and opener.start < 25 else None  # "BP set its … budget at $13B"
    subject, _ = _subject_and_party(r, replace(s, entities=merged, topic=topic), q, clause, metric)
    # only a name before the figure (one after it, 'the $59,485 R2 Performance', is more often a product's), and none
    # past another name nearer the figure ('Coinbase surged, while shares of JPMorgan Chase fell 1%')
    chosen = [o for o in unknown if o.name == subject and o.end <= q.start]
    if not chosen or any(chosen[-1].end <= e.start < q.start for e in merged):
        return None
    return subject


def _prose_entity(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int],
                  metric: str | None) -> tuple[str | None, str | None, str]:
    """The figure's subject, for a relational metric (an investment in someone) the other party, and where the
    subject was read."""
    subject, counterparty = _subject_and_party(r, s, q, clause, metric)
    if subject is None:
        return None, counterparty, ""
    if subject != s.topic:
        issuer = r.topic
        return subject, counterparty, issuer.read_from if issuer and subject == issuer.entity else "clause"
    if s.topic_from == "assumed":
        if any(e.name == subject and clause[0] <= e.start and e.end <= q.start for e in s.entities):
            return subject, counterparty, "clause"  # the clause names the headline's subject itself
        subject, pointed = _headline_subject(r, s, q, clause)
        return subject, counterparty, s.ctx.referred_from if pointed else "assumed"
    return subject, counterparty, s.topic_from


def _headline_subject(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int]) -> tuple[str | None, bool]:
    """A news headline's subject, for a figure whose clause points at it ('the company called for $1.9B') or
    whose sentence names no one before it ('Revenue: $1.57 billion'); a sentence with a name the vocabulary
    lacks ('LG Innotek surging 14%', 'Kavak … said it raised') may be about that name, so it is not guessed."""
    lead = s.text[clause[0]:q.start]
    cue = r.cues.pronoun.search(lead)
    before = s.text[:clause[0] + cue.start()] if cue is not None else s.text[:q.start]
    if unknown_name(before, r.vocab):
        return None, False
    return s.topic, cue is not None


def _subject_and_party(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int],
                       metric: str | None) -> tuple[str | None, str | None]:
    cues, sentence, entities, (c_start, c_end) = r.cues, s.text, s.entities, clause
    relational = bool(metric and r.vocab.metrics[metric].relational)
    before = [e for e in entities if c_start <= e.start and e.end <= q.start]
    if not relational:
        before = [e for e in before if not not_a_subject(cues, sentence, e, entities)]
    after = [e for e in entities if q.end <= e.start and e.end <= c_end]
    counterparty = None
    subject = None
    referent = _noun_referent(r, s, c_start, q)
    if referent is not None:
        return referent, None
    if cues.unnamed_part.search(sentence[c_start:q.start]) or cues.subset_of.search(sentence, 0, q.start):
        return None, None  # a part of the company we cannot name: not the company's own figure
    if relational:
        for e in after:
            if e.start - q.end <= 40 and cues.counterparty_before.search(sentence[max(q.end, e.start - 12):e.start]):
                counterparty = e.name  # "$8B it has put into Anthropic"
                break
        if counterparty is not None:
            before = [e for e in before if not prepositional(cues, sentence, e)]
    issuer = r.topic.entity if r.topic is not None and r.topic.issuer else None
    if issuer and cues.first_person.search(sentence[before[-1].end if before else c_start:q.start]):
        return issuer, None  # "our revenue backlog" in the company's own release
    relative = _relative_clause_subject(r, s, c_start)
    if relative is not None and not before:
        return relative, None
    if before:
        cand = before[-1]
        between = sentence[cand.end:q.start]
        if cues.pronoun.search(between):
            subject = s.topic
        elif relational and counterparty is None and \
                cues.counterparty_before.search(sentence[max(c_start, cand.start - 12):cand.start]):
            counterparty = cand.name
            earlier = before[:-1]
            subject = earlier[-1].name if earlier else s.topic
        else:
            subject = cand.name
    if subject is None:
        # "valuing the company at $830B", "$2 billion investment in xAI": the clause names no subject.
        subject = s.topic
        if after and not relational and not cues.pronoun.search(sentence[c_start:q.start]):
            near = after[0]
            if near.start - q.end <= 20 and not cues.counterparty_before.search(sentence[q.end:near.start]) \
                    and not prepositional(cues, sentence, near):
                subject = near.name
    if relational and counterparty is None:
        for e in after + before:
            if e.name != subject:
                counterparty = e.name
                break
    return subject, counterparty


def _relative_clause_subject(r: Reading, s: Sentence, c_start: int) -> str | None:
    """'..., Anthropic, which raised a $30 billion Series G': the name right before ', which' is its subject."""
    names = [e for e in s.entities if e.end <= c_start]
    if names and r.cues.relative_pronoun.match(s.text[names[-1].end:c_start]):
        return names[-1].name
    return None


def _prose_period(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int],
                  entity: str | None) -> tuple[Period | None, str]:
    """A period in the figure's own clause and close to it ('in the same period': the last one said before it);
    else the heading's period. With where it was read."""
    if r.cues.same_period.match(s.text[q.end:q.end + 40]):
        periods = find_periods(s.text, r.published, r.vocab.fiscal_year_end(entity))
        said = [p for p in periods if p.end_offset <= q.start]
        spans = [p for p in said if p.granularity != "day"] or said  # "so far in 2026 as of Thursday's close"
        if spans:
            return spans[-1], "clause"
    best = _clause_period(r, s, q, clause, entity)
    if best is not None:
        return best, "assumed" if best.year_inferred else "clause"  # "in January": the year is a guess
    if s.ctx.period is None:
        return None, ""
    if s.ctx.period.granularity in ("quarter", "half") and r.cues.full_year.search(s.text[clause[0]:q.start]):
        # "Record full-year revenue"
        return fiscal_year_of(s.ctx.period, r.vocab.fiscal_year_end(entity)), s.ctx.period_from
    return s.ctx.period, s.ctx.period_from


def fiscal_year_of(part: Period, cal: FiscalCalendar) -> Period:
    """The (fiscal) year a heading's quarter or half belongs to."""
    fy = cal.year_of(part.end)
    start, end = cal.year_span(fy)
    if cal.is_calendar_year:
        return Period("", 0, 0, str(fy), start, end, "year")
    return Period("", 0, 0, f"FY{fy}", start, end, "fiscal_year")


def _clause_period(r: Reading, s: Sentence, q: Quantity, clause: tuple[int, int], entity: str | None) -> Period | None:
    sentence, (c_start, c_end) = s.text, clause
    events = r.vocab.event_matcher.find(sentence)
    best, best_d = None, 45.0
    others = levels_in(sentence, q)  # a growth rate's base year still dates its level
    for p in find_periods(sentence, r.published, r.vocab.fiscal_year_end(entity)):
        if owned_by_other(p, q, others, sentence):
            continue  # "$500 billion in October 2025, now ... $830 billion": October is the $500B's date
        in_clause = c_start <= p.start_offset < c_end
        lead_in = p.end_offset <= q.start and ";" not in sentence[p.end_offset:q.start] \
            and q.start - p.end_offset <= 90
        if not (in_clause or lead_in) or is_relation_base(r.cues, sentence, p):
            continue
        if not in_clause and r.cues.present_before.search(sentence[max(0, q.start - 40):q.start]):
            continue  # "… in February, and its run-rate is now about $14 billion": now, not February
        if any(0 <= e.start - p.end_offset <= 2 for e in events):
            continue  # "a Q4 2026 IPO": the period dates the event, not the figure
        d: float = p.start_offset - q.end if p.start_offset >= q.end else q.start - p.end_offset
        if lead_in:
            d = min(d, 44)  # "Full-year 2025 capital expenditures ... were $72.2 billion"
        # at the same distance the period after the figure is its own: "51% this year and 27% for next year"
        d += 0.5 * (p.start_offset < q.start)
        if d < best_d:
            best, best_d = p, d
    return best


# --- which metric word names which figure --------------------------------------------------------

# "its 162,000-strong workforce that thousands of people …": a stated figure wins a metric word over a magnitude
VAGUE_PENALTY = 20


def _assign_aliases(quantities: list[Quantity], metrics: list[Match], clauses: list[tuple[int, int]],
                    accepts: Callable[[str, str], bool] | None = None,
                    bound: Callable[[Quantity, Match], bool] | None = None,
                    owned: Callable[[Quantity, Match], bool] | None = None) -> dict[int, Match]:
    """Each metric word names at most one figure: the closest one in its clause (or sentence) it can measure,
    or the one it is `bound` to ('$1.9 billion to $2 billion in first-quarter revenue')."""
    best: dict[int, tuple[float, Quantity]] = {}
    for q in quantities:
        usable = [m for m in metrics if accepts is None or accepts(m.name, q.unit)]
        c_start, c_end = clause_of(clauses, q.start)
        named = [m for m in usable if owned is not None and owned(q, m)]  # "481 million Instagram users"
        m = named[0] if named else \
            nearest(usable, q, c_start, c_end, window=70) or nearest(usable, q, 0, 10 ** 9, window=50)
        if m is None:
            continue
        d = 0 if named or (bound is not None and bound(q, m)) else \
            abs((m.start - q.end) if m.start >= q.end else (q.start - m.end)) + VAGUE_PENALTY * (q.qualifier == "vague")
        if m.start not in best or d < best[m.start][0]:
            best[m.start] = (d, q)
    chosen: dict[int, Match] = {}
    by_start = {m.start: m for m in metrics}
    for start, (_, q) in best.items():
        chosen[q.start] = by_start[start]
    return chosen


def _share_parallel_metrics(cues: Cues, sentence: str, levels: list[Quantity], chosen: dict[int, Match],
                            entities: Sequence[Match] = ()) -> None:
    """'$39.5 billion in the fourth quarter and $125 billion for the full year': one metric word, two figures."""
    ordered = sorted(levels, key=lambda q: q.start)
    for prev, q in zip(ordered, ordered[1:], strict=False):
        if q.start in chosen or prev.start not in chosen or not _alike(prev, q):
            continue
        if any(prev.end <= e.start < q.start for e in entities):
            continue  # "OpenAI's $100B Round, Big Tech's $505B Bet": a new subject, a new figure
        if cues.parallel.match(sentence[prev.end:q.start]):
            chosen[q.start] = chosen[prev.start]


def _alike(prev: Quantity, q: Quantity) -> bool:
    """Two levels one metric word can name: the same unit, and both or neither an amount per share."""
    return prev.unit == q.unit and (prev.per == "share") == (q.per == "share")


def _per_share_asides(cues: Cues, sentence: str, levels: list[Quantity]) -> dict[Quantity, Quantity]:
    """'$9.4 billion, or $8.21 per share': each amount per share written as an aside to the figure before it."""
    ordered = sorted(levels, key=lambda q: q.start)
    return {q: prev for prev, q in zip(ordered, ordered[1:], strict=False)
            if q.per == "share" and prev.per is None and cues.per_share_alternate.match(sentence[prev.end:q.start])}


def _masked(sentence: str, asides: dict[Quantity, Quantity]) -> str:
    """The sentence with each aside (', or $8.21 per share') blanked, offsets kept."""
    for q, prev in asides.items():
        sentence = sentence[:prev.end] + " " * (q.end - prev.end) + sentence[q.end:]
    return sentence


def _per_share_alternates(r: Reading, asides: dict[Quantity, Quantity], levels: list[Quantity],
                          chosen: dict[int, Match]) -> None:
    """'net income of $9.4 billion, or $8.21 per share': the aside is that metric's per-share measure (EPS), when
    the vocabulary names one."""
    for q, prev in asides.items():
        named = r.vocab.metrics.get(chosen[prev.start].name) if prev.start in chosen else None
        if q.start not in chosen and named is not None and named.per_share:
            chosen[q.start] = Match(q.start, q.end, q.text, named.per_share)


def _share_parallel_changes(cues: Cues, sentence: str, quantities: list[Quantity], chosen: dict[int, Match],
                            metrics: list[Match], entities: list[Match]) -> None:
    """'revenue of $44B, up 12% from Q4 and up 69% from a year ago': the second change is of the same metric."""
    rates = sorted((q for q in quantities if q.unit in ("percent", "pp")), key=lambda q: q.start)
    for prev, q in zip(rates, rates[1:], strict=False):
        if q.start in chosen or prev.start not in chosen or prev.unit != q.unit:
            continue
        if any(prev.end <= w.start < q.start for w in list(metrics) + list(entities)):
            continue  # the second figure has its own metric word or subject
        m = cues.parallel_change.match(sentence[prev.end:q.start])
        if m and (cues.growth.search(m.group(1)) or cues.decline_before.search(m.group(1))):
            chosen[q.start] = chosen[prev.start]


def _quarter_behind_annualised(cues: Cues, sentence: str, levels: list[Quantity], chosen: dict[int, Match]) -> None:
    """'At $17.7B a quarter, ... an annualized run-rate of $60B': the quarter figure measures the same thing."""
    annual = [q for q in levels if q.start in chosen
              and (cues.annualised_before.search(sentence[max(0, q.start - 45):q.start])
                   or cues.annualised.search(q.text))]
    if not annual:
        return
    for q in levels:
        per_quarter = q.per == "quarter" or cues.per_quarter_after.match(sentence[q.end:q.end + 15])
        if q.start not in chosen and per_quarter:
            chosen[q.start] = chosen[annual[0].start]


def _share_with_previous_level(r: Reading, sentence: str, levels: list[Quantity], chosen: dict[int, Match],
                               entities: Sequence[Match]) -> None:
    """A level with no metric word of its own measures what the level before it does when it is that level's
    analysts' figure ('EBITDA, at $898 million, came in below StreetAccount's $929 million consensus', named
    `<metric>_consensus`) or its earlier value with a date of its own ('swelled to $66.8 billion from $55.6 billion
    at the end of the third quarter'; without one it would take the later value's period, and clash with it;
    "a year ago" is such a date)."""
    cues = r.cues
    ordered = sorted(levels, key=lambda q: q.start)
    for prev, q in zip(ordered, ordered[1:], strict=False):
        if q.start in chosen or prev.start not in chosen or not _alike(prev, q):
            continue
        if is_consensus(cues, sentence, q) or \
                (cues.from_level.match(sentence[prev.end:q.start])
                 and not any(prev.end <= e.start < q.start for e in entities)
                 and (find_periods(sentence[q.end:q.end + 45], r.published)
                      or cues.year_ago_after.match(sentence[q.end:q.end + 45]))):
            chosen[q.start] = chosen[prev.start]


def _base_of_multiples(cues: Cues, sentence: str, quantities: list[Quantity], chosen: dict[int, Match]) -> None:
    """'roughly double 2025's $91.4 billion', '3x the $20B': the figure after a multiple is its base, same metric."""
    ordered = sorted(quantities, key=lambda q: q.start)
    for i, q in enumerate(ordered):
        if q.unit in ("percent", "multiple") or q.start in chosen:
            continue
        m = cues.multiple_before.search(sentence[max(0, q.start - 40):q.start])
        prev = ordered[i - 1] if i else None
        if m and prev is not None and prev.start in chosen and prev.end <= q.start:
            chosen[q.start] = chosen[prev.start]


# --- sums and contrasts --------------------------------------------------------------------------

def _governed_by(cues: Cues, sentence: str, key: re.Match[str] | None, q: Quantity) -> bool:
    """The 'combined' total is the figure after the word, before any 'versus' turns to another set."""
    if key is None:
        return False
    lo, hi = sorted((key.end(), q.start)) if q.start >= key.end() else (q.end, key.start())
    return not cues.contrast.search(sentence[lo:hi])


def _contrasted(cues: Cues, sentence: str, quantities: list[Quantity], q: Quantity, entities: list[Match]) -> bool:
    """A figure set against the previous one ('versus', 'compared with') with no name of its own."""
    before = bisect_right(quantities, q.start, key=lambda p: p.end)  # the figures are in order, none overlapping
    if not before:
        return False
    prev = quantities[before - 1]
    if not cues.versus.search(sentence[prev.end:q.start]):
        return False
    if cues.consensus_before.search(sentence[prev.end:q.start]) or cues.consensus_after.match(sentence[q.end:]):
        return False  # "$1.57 billion vs. $1.55 billion expected": the same subject's forecast
    return not any(prev.end <= e.start < q.end + 40 for e in entities)


def _summable(q: Quantity) -> bool:
    """Money, counts and power add up across companies; rates and ratios do not."""
    return q.unit in ("USD", "count", "GW", "MW") and q.per is None
