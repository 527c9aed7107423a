"""Organisations the vocabulary does not know, kept as their own names.

Most companies in news articles and releases are not in vocab/entities.yaml. A run of capitalised words that stands
where the engine reads an owner (a clause's subject, "Rivian's net loss", "213 million Snapchat users", a headline's
opening name) is read as an organisation, named as written, when no known entity owns the figure. Whether a
capitalised run is something else (a person, a place, a month, a publication, a job title, a sentence's first word)
is said by cues in vocab/cues.yaml: org_suffix, legal_form, not_an_org, name_lead, given_name, person_before,
person_after, person_pronoun_after, owned_before, determiner_before, object_before, subordinate_before, name_tail,
org_opener and headline_org_opener. Precision first: a run any of them doubts is not read as an organisation.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..vocab import AliasMatcher, Cues, Match, Vocabulary

# A capitalised word ('Pinterest', 'Rivian’s', 'U.S.', 'Co-op') or a lower-case brand ('eBay', 'xAI'); '&' joins words
# Latin letters only: a name runs into no word of another script ('Franceschi-Bicchierai安全信号')
_WORD = r"(?:[A-Z][A-Za-z0-9À-ÿ&'’.-]*|[a-z]{1,2}[A-Z][A-Za-z0-9À-ÿ-]*)(?![¥$€£\dA-Za-z0-9À-ÿ])"
_RUN = re.compile(rf"(?<![\w&'’.-]){_WORD}(?:\s+(?:&\s+)?{_WORD})*")
_TOKEN = re.compile(r"\S+")  # '&' alone joins a name ('Johnson & Johnson'); 'R&D' is one word
_POSSESSIVE_END = re.compile(r"['’]s?$")
# What may stand before a sentence's first word; after a colon or a separator a new phrase opens ('Sponsored: Save')
_SENTENCE_LEAD = re.compile(r"(?:^|[:·|•—–]\s)[\s\"“‘'*•(\[#>-]*$")
_ABBREVIATION = re.compile(r"[A-Z]{2,6}s?")  # 'CBA', 'IDs': capitals only, perhaps a plural
_TITLE_WORDS = 3   # a headline's organisation is named by its first one to three words: "Rocket Mortgage shares fall"


def organisation_names(vocab: Vocabulary, text: str) -> list[Match]:
    """The unknown organisations a sentence names, each a Match whose name is as written (possessive and legal form
    dropped); never a known entity, a metric word, or a run a cue says is something else."""
    return _organisation_names(text, vocab.entity_matcher, vocab.metric_matcher, vocab.cues)


@lru_cache(maxsize=8192)
def _organisation_names(text: str, entity_matcher: AliasMatcher, metric_matcher: AliasMatcher,
                        cues: Cues) -> list[Match]:
    if _title_case(text):
        return []  # "Pinterest Revenue Rose 12%": in a title-case heading every word is capitalised
    named = [(m.start, m.end) for m in entity_matcher.find(text)]
    measures = [(m.start, m.end) for m in metric_matcher.find(text)]
    found = []
    for run in _RUN.finditer(text):
        for piece in _pieces(cues, text, run, named, measures):
            name = _organisation(cues, text, piece, at_start=bool(_SENTENCE_LEAD.search(text[:piece[0][0]])))
            if name is not None:
                found.append(name)
    return found


def headline_organisation(vocab: Vocabulary, title: str) -> str | None:
    """'Pinterest shares fall after third-quarter results', 'Wayfair Q4 Earnings Beat': the unknown organisation a
    headline opens with, when the words after it are an organisation's (headline_org_opener)."""
    cues = vocab.cues
    run = _RUN.match(title, len(title) - len(title.lstrip(" \"“‘'")))
    if run is None or vocab.entity_matcher.find(title[:run.end()]):
        return None
    tokens = [(run.start() + t.start(), run.start() + t.end()) for t in _TOKEN.finditer(run.group())]
    for k in range(1, min(_TITLE_WORDS, len(tokens)) + 1):
        piece = tokens[:k]
        if cues.headline_org_opener.match(title, _tail(title, piece)):
            if any(cues.not_an_org.match(_clean(title[s:e])) for s, e in piece):
                return None
            named = _organisation(cues, title, piece, at_start=True)
            return named.name if named is not None else None
    return None


def _pieces(cues: Cues, text: str, run: re.Match[str], named: list[tuple[int, int]],
            measures: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The run's words split at every word that is never part of an organisation's name, or part of a known name or
    a metric word (after which the rest is a piece of a longer name: 'Rad Power Bikes', 'Elliott Investment
    Management')."""
    pieces: list[list[tuple[int, int]]] = [[]]
    fragment = False  # after a word of a longer name ("West Texas Intermediate"), the rest is no name of its own
    measured: int | None = None  # the first piece after a metric word ('Pinterest Revenue', 'Rad Power Bikes')
    for t in _TOKEN.finditer(run.group()):
        start, end = run.start() + t.start(), run.start() + t.end()
        word = _clean(text[start:end])
        hyphen = word.find("-")
        if hyphen > 0 and cues.name_modifier.match(word[hyphen:]):
            pieces.append([])  # "Abu Dhabi-based Acme", "Paris-listed": a new name may follow the modifier
            fragment = False
        elif _overlaps(start, end, measures):
            if measured is None:
                measured = len(pieces)
            pieces.append([])
        elif pieces[-1] and cues.org_suffix.match(word) and not _overlaps(start, end, named):
            pieces[-1].append((start, end))  # "Shield AI", "Mistral AI": a suffix is part of the name before it
        elif cues.not_an_org.match(word) or _overlaps(start, end, named):
            if cues.name_tail.match(word):
                pieces[-1] = []  # "Mac Mini", "Commerce Department": the name before is a product's or a body's
            pieces.append([])
            fragment = fragment or (cues.not_an_org.match(word) is not None and not cues.name_lead.match(word))
        elif fragment:
            continue
        else:
            pieces[-1].append((start, end))
            if _POSSESSIVE_END.search(text[start:end]):
                pieces.append([])  # "Block's Jack Dorsey": the owner's name ends at its possessive
    if measured is not None and any(pieces[measured:]):
        return []  # a name goes on after the metric word: the metric word is part of it
    return [p for p in pieces if p]


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _organisation(cues: Cues, text: str, piece: list[tuple[int, int]], at_start: bool) -> Match | None:
    """The piece as an organisation's name, or None when it may be a person's, a lone suffix, or a sentence's first
    word that is not followed by what an organisation does."""
    start, end = piece[0][0], piece[-1][1]
    raw = text[start:end]
    name = cues.legal_form.sub("", _clean(raw)).strip(" ,")
    words = name.split()
    if len(name) < 2 or not words or (len(words) == 1 and cues.org_suffix.match(words[0]) and len(piece) == 1):
        return None
    written = _clean(raw).split()
    is_org = len(written) > 1 and cues.org_suffix.match(written[-1]) is not None
    if not is_org and (cues.given_name.match(words[0]) or cues.person_before.search(text[max(0, start - 40):start])
                       or (len(words) > 1 and cues.person_after.match(text[end:end + 60]))
                       or cues.person_pronoun_after.match(text[end:end + 40])):
        return None  # "Jefferies analyst Lloyd Byrne", "Phoenix Peng told TechCrunch": a person
    if cues.owned_before.search(text[max(0, start - 40):start]):
        return None  # "Apple’s Mac Mini", "its original Switch": a product or part of an owner
    if _ABBREVIATION.fullmatch(name) and cues.determiner_before.search(text[max(0, start - 30):start]):
        return None  # "the existing CBA", "The MEHKO program": a thing's abbreviation
    if cues.object_before.search(text[max(0, start - 50):start]):
        return None  # "Allegiant to buy rival airline Sun Country in a $1.5 billion deal": the deal's object
    if cues.subordinate_before.search(text[max(0, start - 12):start]):
        return None  # "the stores that Macy's plans to keep open": a subordinate clause's subject
    if text[start - 1:start] == "(" and text[end:end + 1] == ")":
        return None  # "gross transaction value (GTV)", "(NASDAQ: PINS)": an abbreviation or a ticker
    if at_start and not is_org and not cues.org_opener.match(text, _tail(text, piece)):
        return None  # "Likewise, …", "Following a meeting …": a sentence's first word
    return Match(start, start + len(name), raw[:len(name)], name)


_LONG_WORD = re.compile(r"\b[A-Za-z][a-z]{3,}\b")


def _title_case(text: str) -> bool:
    """Every longer word but one capitalised: a headline written in title case."""
    words = _LONG_WORD.findall(text)
    return len(words) >= 3 and sum(w[0].islower() for w in words) <= 1


def _tail(text: str, piece: list[tuple[int, int]]) -> int:
    """Where the piece's name ends and what follows it begins: before a possessive ('Rivian|’s net loss')."""
    end = piece[-1][1]
    mark = _POSSESSIVE_END.search(text, piece[-1][0], end)
    return mark.start() if mark is not None else end


def _clean(word: str) -> str:
    """A word without its possessive or the full stop after it ('Rivian’s' → 'Rivian', 'Wayfair.' → 'Wayfair',
    'Inc.' → 'Inc'), keeping an abbreviation's stops ('U.S.', 'E.l.f.')."""
    stripped = _POSSESSIVE_END.sub("", word).rstrip(",")
    return stripped[:-1] if stripped.endswith(".") and stripped.count(".") == 1 else stripped
