"""Words around a figure: names and metric words the vocabulary knows, clauses, and who a phrase is about."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ..quantities import Quantity
from ..quantities.lexicon import MONTH_NAMES
from ..vocab import AliasMatcher, Cues, Match, Vocabulary
from .lexicon import (
    CLAUSE_SPLIT,
    ENUM_SEP,
    PARENTHESES,
    POSSESSIVE,
    UNKNOWN_NAME,
    WEAK_METRIC_WORDS,
)


def metrics_beside_entities(vocab: Vocabulary, text: str, entities: list[Match] | None = None) -> list[Match]:
    """Metric words outside entity names: 'Google Cloud revenue' is revenue of Google Cloud, not 'cloud revenue'."""
    return metrics_outside(vocab.entity_matcher, vocab.metric_matcher, text, entities)


def metrics_outside(entity_matcher: AliasMatcher, metric_matcher: AliasMatcher, text: str,
                    entities: list[Match] | None = None) -> list[Match]:
    """metrics_beside_entities, given the vocabulary's two matchers (for memos keyed by them)."""
    entities = entity_matcher.find(text) if entities is None else entities
    found = metric_matcher.find(text)
    if not any(e.start < m.end and m.start < e.end for m in found for e in entities):
        return found
    chars = list(text)
    for e in entities:
        chars[e.start:e.end] = " " * (e.end - e.start)
    blanked = "".join(chars)  # same length: offsets still point into the original text
    return [Match(m.start, m.end, text[m.start:m.end], m.name) for m in metric_matcher.find(blanked)]


def entity_in_label(vocab: Vocabulary, label: str) -> Match | None:
    found = vocab.entity_matcher.find(label)
    return found[0] if found else None


def metric_in(vocab: Vocabulary, text: str) -> str | None:
    """The longest metric word of a label or header."""
    return longest_metric(text, vocab.entity_matcher, vocab.metric_matcher)


@lru_cache(maxsize=8192)
def longest_metric(text: str, entity_matcher: AliasMatcher, metric_matcher: AliasMatcher) -> str | None:
    """Remembered per text: every cell of a table asks about its row's label and its column's header."""
    found = metrics_outside(entity_matcher, metric_matcher, text)
    if not found:
        return None
    return max(found, key=lambda m: m.end - m.start).name


def top_company(vocab: Vocabulary, name: str) -> str:
    chain = [name] + vocab.ancestors(name)
    companies = [n for n in chain if vocab.entities.get(n) and vocab.entities[n].kind == "company"]
    return companies[-1] if companies else chain[-1]


def group_members(vocab: Vocabulary, entity: str | None) -> tuple[str, ...]:
    ent = vocab.entities.get(entity or "")
    return ent.members if ent and ent.kind == "group" else ()


def unknown_name(text: str, vocab: Vocabulary) -> bool:
    """A capitalised word the vocabulary does not know ('Avocado release'): the event may be about it.
    A metric word ('Revenue:') or a month opening a sentence is capitalised without being a name.
    Memoised: a paragraph's sentences are asked about twice, and boilerplate sentences recur across documents."""
    return _unknown_name(text, vocab.entity_matcher, vocab.metric_matcher, vocab.cues)


@lru_cache(maxsize=8192)
def _unknown_name(text: str, entity_matcher: AliasMatcher, metric_matcher: AliasMatcher, cues: Cues) -> bool:
    known = {m.text for m in entity_matcher.find(text)}
    metric_words = [(m.start, m.end) for m in metric_matcher.find(text)]
    for m in UNKNOWN_NAME.finditer(text):
        word = m.group(0)
        if word in known or any(word in k for k in known) or cues.not_a_name.fullmatch(word) or \
                word.lower() in MONTH_NAMES or any(s <= m.start() and m.end() <= e for s, e in metric_words):
            continue
        return True
    return False


def trailing_qualifier(text: str, q: Quantity, vocab: Vocabulary) -> str | None:
    """'(38% constant currency)': words after a secondary figure that restate it on another basis."""
    m = re.match(r"\s*([A-Za-z][A-Za-z -]{2,30})\)", text[q.end:])
    if not m:
        return None
    words = m.group(1).strip()
    if vocab.cues.growth.search(words) or vocab.metric_matcher.find(words) or vocab.entity_matcher.find(words):
        return None
    return words.lower()


def prepositional(cues: Cues, sentence: str, m: Match, entities: list[Match] | None = None) -> bool:
    """'in Big Tech', 'among hyperscalers', 'via Stargate': a name in a prepositional phrase is not the subject.
    Given the sentence's names, a name later in a list shares the list's preposition ('at Amazon and Apple')."""
    if cues.preposition.search(sentence[max(0, m.start - 16):m.start]):
        # searched in place: '^' is the sentence's start, never the window's
        return not cues.owner_of.search(sentence, max(0, m.start - 40), m.start)
    earlier = [e for e in entities or () if e.end <= m.start]
    if POSSESSIVE.match(sentence[m.end:m.end + 2]):
        return False  # "an investment in CoreWeave and ASML's record orders": an owner opens a new phrase
    if earlier and cues.name_list_join.match(sentence[earlier[-1].end:m.start]):
        return prepositional(cues, sentence, earlier[-1], earlier)
    return False


def makers_as_parents(vocab: Vocabulary, sentence: str, entities: list[Match]) -> list[Match]:
    """'The Claude maker received $5 billion': a product followed by 'maker' names its parent company."""
    out = []
    for e in entities:
        known = vocab.entities.get(e.name)
        if known is not None and known.parent and vocab.cues.maker_after.match(sentence, e.end):
            e = Match(e.start, e.end, e.text, known.parent)
        out.append(e)
    return out


def not_a_subject(cues: Cues, sentence: str, m: Match, entities: list[Match] | None = None) -> bool:
    """A name that cannot be what a clause is about: in a prepositional phrase, or a modifier of another
    subject ('the Alphabet-owned autonomous vehicle company')."""
    return prepositional(cues, sentence, m, entities) or bool(cues.name_modifier.match(sentence[m.end:])) or \
        bool(cues.former_before.search(sentence[max(0, m.start - 12):m.start]))


def target_scope(cues: Cues, text: str, q: Quantity) -> str | None:
    """'targeting 10 GW', 'goal of 1B': a figure stated as a target is not the current value; 'is expected to
    be $65B' is guidance, for the period it is for, not the actual of that period; 'would have been' is a
    counterfactual."""
    if cues.target.search(text[max(0, q.start - 30):q.start]):
        return "target"
    if cues.counterfactual.search(text[max(0, q.start - 40):q.start]):
        return "counterfactual"  # "would have been 71.3%" excluding a charge: never compared with the actual
    return "guidance" if cues.guidance.search(text[max(0, q.start - 80):q.start]) else None


def enumerations(sentence: str, entities: list[Match]) -> list[list[Match]]:
    """Runs of names separated only by commas, 'and', '&' or '/': 'Microsoft, Meta, Amazon, and Google'."""
    runs: list[list[Match]] = []
    for e in entities:
        if runs and ENUM_SEP.match(sentence[runs[-1][-1].end:e.start]):
            runs[-1].append(e)
        else:
            runs.append([e])
    return [r for r in runs if len(r) >= 2]


def figure_runs(cues: Cues, text: str, quantities: list[Quantity]) -> list[list[Quantity]]:
    """The figures in runs listed together in one unit ('$10 billion and up to $5 billion'); a lone figure is a
    run of one."""
    runs: list[list[Quantity]] = []
    for q in quantities:
        if runs and runs[-1][-1].unit == q.unit and cues.list_join.match(text[runs[-1][-1].end:q.start]):
            runs[-1].append(q)
        else:
            runs.append([q])
    return runs


# Memo size for what is read per text (its figures, whether a sentence reads nothing): boilerplate sentences and
# cells recur across a corpus, and a worker reads ~500 bench documents (~30,000 distinct texts); 8,192 evicted most.
TEXT_MEMO = 65536


# --- clauses and distances -----------------------------------------------------------------------

def clause_spans(sentence: str, whole: Sequence[Match] = ()) -> list[tuple[int, int]]:
    """The sentence's clauses; a name or metric word in `whole` ('Other income and expense') is never split."""
    spans, start = [], 0
    for m in CLAUSE_SPLIT.finditer(sentence):
        if any(w.start < m.start() and m.end() < w.end for w in whole):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


def clause_of(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for s, e in spans:
        if s <= pos < e:
            return s, e
    return spans[-1]


def nearest(matches: list[Match], q: Quantity, lo: int, hi: int, window: int) -> Match | None:
    best: Match | None = None
    best_d: float = window + 1
    for m in matches:
        if not (lo <= m.start < hi):
            continue
        d: float = m.start - q.end if m.start >= q.end else q.start - m.end
        if m.start >= q.end:
            d = max(0, d) * 0.8  # "$830B valuation": words right after a figure usually name it
        if m.text.lower() in WEAK_METRIC_WORDS:
            d += 12  # "plans to invest $200B in capital expenditures": the noun names the figure
        if d < best_d:
            best, best_d = m, d
    return best


def gap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    """Characters between two spans (negative when they overlap)."""
    return b_start - a_end if b_start >= a_end else a_start - b_end


# --- small text helpers --------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_MARKUP = re.compile(r"[*_`:]")


def norm(text: str) -> str:
    return _SPACES.sub(" ", _MARKUP.sub("", text)).strip().casefold()


def short(text: str, limit: int = 48) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_label(text: str) -> str | None:
    text = PARENTHESES.sub("", text).strip(" *_")
    return text or None


def share(items: list[Any]) -> float:
    return sum(x is not None for x in items) / len(items) if items else 0.0
