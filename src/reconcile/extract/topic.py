"""The document's own topic: the company a press release is issued by, or the subject of a headline.

A sentence that says "the company", "the chipmaker" or "we", or names no one at all, is about the document's
topic. An issuer (a publisher the vocabulary knows as a company, or a title that opens "NVIDIA Announces …")
is read as stated; a news headline's subject is only the likely topic, so a sentence that names no one and
points at nothing is *assumed* to be about it, while "the company" in it refers to it as read.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..quantities import Period, find_periods
from ..vocab import Vocabulary
from .model import Topic
from .orgs import headline_organisation
from .periods import unplaced
from .words import not_a_subject, top_company

TITLE_SUBJECT_CHARS = 25   # a headline's subject opens it: "CoreWeave shares slip …", not "… as Nvidia earnings …"


def document_topic(vocab: Vocabulary, title: str, publisher: str, title_from: str = "title",
                   published: dt.date | None = None) -> Topic | None:
    """The issuer (from the publisher or a title that opens with a company), else the headline's subject; with
    the past quarter the title reports on, when it names one."""
    topic = _topic(vocab, title, publisher, title_from)
    if topic is None or published is None or not title_from:
        return topic
    return replace(topic, reported=_reported_quarter(vocab, title, published, topic.entity))


def _topic(vocab: Vocabulary, title: str, publisher: str, title_from: str) -> Topic | None:
    publisher_company = _company_in(vocab, publisher)
    if publisher_company is not None:
        return Topic(publisher_company, title_from or "title", issuer=True)
    if not title_from:
        return None  # the "title" is only the file's name
    subject = _title_subject(vocab, title)
    if subject is None:
        unknown = headline_organisation(vocab, title)  # "Pinterest shares fall after third-quarter results"
        return Topic(unknown, title_from) if unknown is not None else None
    entity = vocab.entities.get(subject)
    announces = bool(vocab.cues.issuer_verb.match(title[_end_of(vocab, title, subject):]))
    issuer = announces and entity is not None and entity.kind == "company"
    return Topic(subject, title_from, issuer=issuer)


def _reported_quarter(vocab: Vocabulary, title: str, published: dt.date, entity: str) -> Period | None:
    """'Micron stock rises after fiscal second-quarter results': the one past quarter a headline names, in the
    company's own calendar."""
    quarters = {unplaced(p) for p in find_periods(title, published, vocab.fiscal_year_end(entity))
                if p.granularity == "quarter" and p.relation == "in" and p.end < published}
    return quarters.pop() if len(quarters) == 1 else None


def _company_in(vocab: Vocabulary, publisher: str) -> str | None:
    """'NVIDIA Newsroom', 'CoreWeave (Business Wire)': a publisher that is a company the vocabulary knows."""
    found = vocab.entity_matcher.find(publisher or "")
    if len(found) != 1:
        return None
    name = top_company(vocab, found[0].name)
    entity = vocab.entities.get(name)
    return name if entity is not None and entity.kind == "company" else None


def _title_subject(vocab: Vocabulary, title: str) -> str | None:
    """The one name a headline opens with; a list of names ('Microsoft, NVIDIA, and Anthropic announce') has no
    single subject."""
    found = vocab.entity_matcher.find(title)
    if not found or found[0].start >= TITLE_SUBJECT_CHARS or not_a_subject(vocab.cues, title, found[0]):
        return None  # "in …", "Alphabet-owned Waymo …", "Former GitHub CEO …": the name describes another subject
    if len(found) > 1 and vocab.cues.name_list_join.match(title[found[0].end:found[1].start]):
        return None
    entity = vocab.entities.get(found[0].name)
    if entity is not None and entity.kind == "index":
        return None  # "Japan's Nikkei 225 crosses 59,000": a market report, about no one company
    return found[0].name


def _end_of(vocab: Vocabulary, title: str, name: str) -> int:
    return next(m.end for m in vocab.entity_matcher.find(title) if m.name == name)
