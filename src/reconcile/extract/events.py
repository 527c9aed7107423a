"""Date claims: an event word ('IPO', 'signed', 'launched') with a date written right beside it."""
from __future__ import annotations

import re

from ..quantities import Period, find_periods, is_weekday
from ..vocab import THING_KINDS, Match
from .lexicon import DURATION_EVENTS, POSSESSIVE
from .model import Context, FigureSite, Reading, Sentence
from .periods import not_ranges
from .words import top_company, unknown_name


def clause_events(r: Reading, s: Sentence, clause_span: tuple[int, int]) -> None:
    """Date claims of one clause: an event word with a date beside it (or a timeline's lead date)."""
    c_start, c_end = clause_span
    clause = s.text[c_start:c_end]
    found = r.vocab.event_matcher.find(clause)
    if not found:
        return
    # a weekday dates the day's news, not an event worth a date claim of its own (it is inferred, and two
    # articles' "on Monday" are seldom the same event)
    dates = [d for d in find_periods(clause, r.published, 12) if not is_weekday(d)]
    specific = [e for e in found if not r.vocab.event_generic.get(e.name)]
    generic = [e for e in found if r.vocab.event_generic.get(e.name)]
    dated: list[tuple[Match, str, Period]] = []
    dates = not_ranges(clause, dates)  # "Feb 23-Mar 1, 2026" spans a week, it dates nothing
    for ev in specific:
        date = adjacent_date(dates, ev) or scheduled_date(r, clause, dates, ev) \
            or date_past_figure(r, clause, dates, ev)
        if date is None and s.lead_date is not None and not dates and r.vocab.event_timeline.get(ev.name):
            date = s.lead_date
        if date is not None:
            dated.append((ev, ev.name, date))
    for ev in generic:
        date = adjacent_date(dates, ev)
        if date is not None and specific and not dated:
            # "the AWS deal (announced 2025)": the deal is what the date belongs to.
            dated.append((specific[0], specific[0].name, date))
        elif not specific:
            date = date or (s.lead_date if not dates else None)
            if date is not None:
                dated.append((ev, ev.name, date))
    for ev, name, date in dated:
        _event_mention(r, s, clause_span, ev, name, date)


def _event_mention(r: Reading, s: Sentence, clause_span: tuple[int, int], ev: Match, name: str,
                   date: Period) -> None:
    c_start, c_end = clause_span
    sentence, clause = s.text, s.text[c_start:c_end]
    near = [e for e in s.entities if c_start <= e.start < c_end and
            min(abs(e.start - (c_start + ev.end)), abs((c_start + ev.start) - e.end)) <= 25]
    if near:
        # a release dates the thing released: "Microsoft's Maia 200 chip launched" is the Maia 200's launch
        things = [e for e in near if r.vocab.event_of_a_thing.get(name) and _is_thing(r, e.name)]
        chosen = (things or near)[0]
        subject, subject_from = chosen.name, "clause"
        named_thing = not (r.vocab.event_of_a_thing.get(name) and _longer_name(sentence, chosen))
    elif s.topic and not unknown_name(clause[max(0, ev.start - 25):ev.start], r.vocab):
        subject, subject_from = s.topic, s.topic_from
        mentions = [e for e in s.entities if e.name == subject]
        named_thing = not (r.vocab.event_of_a_thing.get(name) and mentions and _longer_name(sentence, mentions[0]))
    else:
        return
    parties = {top_company(r.vocab, e.name) for e in near}
    # A possessive names the owner of something else ("ended Microsoft's exclusivity"), not a party.
    in_clause = [e.name for e in s.entities if c_start <= e.start < c_end
                 and not POSSESSIVE.match(sentence[e.end:e.end + 2])]
    if len(parties) < 2 and r.vocab.event_relational.get(name):
        for fallback in in_clause + [s.ctx.entity, s.topic]:
            if fallback and top_company(r.vocab, fallback) not in parties | {top_company(r.vocab, subject)}:
                parties.add(top_company(r.vocab, fallback))
                break
    others = sorted(p for p in parties if p and p != top_company(r.vocab, subject))
    r.add(FigureSite(location=s.where, quote=sentence, context="prose"), entity=subject, metric=f"{name}_date",
          quantity=None, period=date, counterparty=";".join(others) or None, event=name,
          entity_from=subject_from, metric_from=_event_source(r, name, subject) if named_thing else "assumed",
          period_from="assumed" if date.year_inferred else "clause")  # 'announced in January': which January?


def _longer_name(sentence: str, e: Match) -> bool:
    """'Claude Code', 'Claude Opus 4.5', 'a new version of its Claude LLM': the name is part of a longer or
    narrower thing the vocabulary does not know, so the event is not the named thing's own."""
    after = sentence[e.end:e.end + 20]
    before = sentence[max(0, e.start - 30):e.start]
    return bool(_NAME_GOES_ON.match(after) or _VERSION_OF.search(before))


_NAME_GOES_ON = re.compile(r"[ -](?:[A-Z][\w.]*|\d[\w.]*)")
_VERSION_OF = re.compile(r"(?i)\b(?:new\s+)?(?:version|edition|model|update)\s+of\s+(?:its\s+|the\s+|their\s+)?$")


def _event_source(r: Reading, name: str, subject: str) -> str:
    """'clause', or 'assumed' when the event happens to a thing and the subject names no thing: 'Amazon launched
    RxPass in 2023' and 'Amazon launched its rockets in 2022' date different, unnamed releases."""
    if not r.vocab.event_of_a_thing.get(name):
        return "clause"
    return "clause" if _is_thing(r, subject) else "assumed"


def _is_thing(r: Reading, name: str) -> bool:
    entity = r.vocab.entities.get(name)
    return entity is not None and entity.kind in THING_KINDS


def cell_events(r: Reading, text: str, site: FigureSite, ctx: Context) -> None:
    """'IPO Target: Up to $1T (H2 2026 filing, 2027 listing)': each event word dated by the date beside it."""
    entity = site.entity
    if entity is None:
        return
    found = r.vocab.event_matcher.find(text)
    if not found:
        return  # no event word: the cell's dates date nothing (most cells)
    dates = [d for d in find_periods(text, r.published, r.vocab.fiscal_year_end(entity)) if not is_weekday(d)]
    specific = [e for e in found if not r.vocab.event_generic.get(e.name)]
    for ev in found:
        date = adjacent_date(dates, ev)
        if date is None:
            continue
        name = specific[0].name if r.vocab.event_generic.get(ev.name) and specific else ev.name
        others = [m.name for m in r.vocab.entity_matcher.find(text) if m.name != entity]
        if not others and r.vocab.event_relational.get(name) and ctx.entity and ctx.entity != entity:
            others = [ctx.entity]
        r.add(site, entity=entity, metric=f"{name}_date", quantity=None, period=date,
              counterparty=";".join(others) or None, event=name, entity_from=site.entity_from or "assumed",
              metric_from="row", period_from="row")


def adjacent_date(dates: list[Period], ev: Match, gap: int = 15) -> Period | None:
    best, best_d = None, gap + 1
    for p in dates:
        if p.relation in ("through", "since") and ev.name in DURATION_EVENTS and not p.text.lower().startswith("until"):
            continue  # "$22.4B contract through 2029" dates how long it runs, not when it was signed
        d = p.start_offset - ev.end if p.start_offset >= ev.end else ev.start - p.end_offset
        if 0 <= d < best_d:
            best, best_d = p, d
    return best


def date_past_figure(r: Reading, clause: str, dates: list[Period], ev: Match) -> Period | None:
    """'a cash dividend of $0.01 per share on July 3, 2025': a day written after the event's own figure."""
    for p in dates:
        if p.granularity == "day" and ev.end <= p.start_offset <= ev.end + 60 and \
                r.cues.figure_then_date.match(clause[ev.end:p.start_offset]):
            return p
    return None


def scheduled_date(r: Reading, clause: str, dates: list[Period], ev: Match) -> Period | None:
    """'volume production of the chip is now slated for 2027': a date announced by a scheduling phrase."""
    for p in dates:
        if ev.end <= p.start_offset <= ev.end + 70 and \
                r.cues.scheduled.search(clause[max(0, p.start_offset - 20):p.start_offset]):
            return p
    return None
