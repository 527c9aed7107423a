"""What extraction produces (mentions, unreadable figures) and what it carries while reading a block."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

from ..quantities import Period, Quantity, Unparsed
from ..vocab import Cues, Match, Vocabulary

_Record = TypeVar("_Record")


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
    relation: str | None = None        # growth | multiple | annualised | sum | consensus
    base_period: Period | None = None
    members: tuple[str, ...] = ()
    superseded: bool = False
    year_ago: bool = False            # 'from $1.58 billion a year ago': the same span a year before
    event: str | None = None
    entity_from: str = ""              # one of schemas.FIELD_SOURCES, '' when the field is empty
    metric_from: str = ""
    period_from: str = ""


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
    """What the headings above a block say: its section entity, metric and period. With no entity in the
    headings, the entity is the document's topic (see topic.py)."""
    entity: str | None
    metric: str | None
    period: Period | None
    label: str
    entity_from: str = "heading"       # where `entity` was read; 'assumed' for a headline's likely subject
    referred_from: str = ""            # where it was read when "the company" points at it (else entity_from)
    period_from: str = "heading"       # heading, title (the document's outermost heading), or a list's lead-in
    segment: str | None = None         # the business segment whose section the block is in (segments.py)


@dataclass(frozen=True)
class Topic:
    """What a document is about, by its own title or publisher."""
    entity: str
    read_from: str                     # title | front matter
    issuer: bool = False               # the company issued the document: "we", "our" and unnamed figures are its own
    reported: Period | None = None     # the past quarter its title reports on ('… after fiscal second-quarter results')


def filled_at_once(cls: type[_Record]) -> type[_Record]:
    """A frozen record whose __init__ fills its fields in one update of its __dict__, not one object.__setattr__
    each (a FigureSite, made for every figure: 3.6 µs → 2.2 µs). Same parameters, defaults, equality, hash and
    frozenness; for records with no __post_init__ and no default_factory."""
    own = fields(cls)  # type: ignore[arg-type]
    assert not hasattr(cls, "__post_init__") and all(f.default_factory is MISSING for f in own), cls
    params = ", ".join(f.name if f.default is MISSING else f"{f.name}=_default_{f.name}" for f in own)
    filled = ", ".join(f"{f.name}={f.name}" for f in own)
    scope = {f"_default_{f.name}": f.default for f in own if f.default is not MISSING}
    exec(f"def __init__(self, {params}):\n    self.__dict__.update({filled})", scope)  # as dataclasses writes one
    cls.__init__ = scope["__init__"]  # type: ignore[method-assign]
    return cls


@filled_at_once
@dataclass(frozen=True)
class FigureSite:
    """Where a figure sits and what its surroundings say about it: the block, the place within it, and the
    entity, metric and period the table or sentence around it gives."""
    location: str
    quote: str
    context: str                       # table_rows | table_columns | key_value | series | prose
    entity: str | None = None
    metric: str | None = None
    period: Period | None = None
    expected: str | None = None        # the granularity a header or label implies
    imposed: bool = False              # a header or row label names the metric
    scope: str | None = None
    counterparty: str | None = None
    members: tuple[str, ...] = ()
    growth_label: bool = False         # the label or header speaks of growth
    stated_metric: str | None = None
    secondary: bool = False            # not the first figure of its cell
    entity_from: str = ""              # where each field was read: one of schemas.FIELD_SOURCES
    metric_from: str = ""
    period_from: str = ""
    change: str | None = None          # a change column's cell: qoq | yoy | change (base unknown)
    granularity: str | None = None     # the granularity the cell's column states (a quarter, a year, as of)
    per_share: bool = False            # a per-share row: a table's scale note does not apply
    share_count: bool = False          # a row of share counts: scaled by the table's note, but never money
    deduction: bool = False            # an expense's row: '(310,555)' is the amount deducted, not a negative one

    def but(self, **changes: Any) -> FigureSite:
        """dataclasses.replace, without its walk over every field (it ran for every cell's figure): the site is a
        plain frozen record, with no __post_init__ and no field outside __init__."""
        site = object.__new__(FigureSite)
        site.__dict__.update(self.__dict__, **changes)
        return site


class TooComplex(Exception):
    """A document whose reading used up its time budget: it is quarantined, at the place reading had reached."""

    def __init__(self, location: str, line: int):
        super().__init__(f"line {line}, {location}")
        self.location = location
        self.line = line


@dataclass
class Reading:
    """One block being read: the document's facts, the extraction it adds to, and a table's scale note."""
    source_id: str
    published: dt.date
    vocab: Vocabulary
    out: Extraction
    line: int
    scale: tuple[float, bool] | None = None   # a table's "($ in billions)" note
    topic: Topic | None = None                 # the document's issuer or headline subject
    deadline: float | None = None              # time.thread_time() by which the document must be read
    cues: Cues = field(init=False, repr=False)  # the vocabulary's cues, read hundreds of thousands of times

    def __post_init__(self) -> None:
        self.cues = self.vocab.cues

    def on_time(self, where: str) -> None:
        """Raises TooComplex, naming `where`, once the document has used up its time budget."""
        if self.deadline is not None and time.thread_time() > self.deadline:
            raise TooComplex(where, self.line)

    def add(self, site: FigureSite, **found: Any) -> None:
        """A mention at the site: the site's source, place and quote, with what was found about the figure."""
        self.on_time(site.location)
        self.out.mentions.append(Mention(source_id=self.source_id, location=site.location, line=self.line,
                                         quote=site.quote, context=site.context, **found))

    def unparsed(self, bad: Unparsed, quote: str, where: str) -> None:
        self.out.unparsed.append(UnparsedFigure(self.source_id, where, self.line, bad.text, bad.reason, quote))


@dataclass
class Sentence:
    """A sentence of prose and what is known about it before its figures are read."""
    text: str
    where: str
    ctx: Context
    entities: list[Match]
    clauses: list[tuple[int, int]]
    topic: str | None                  # the subject when a clause names none
    lead_date: Period | None           # "Jan 28: ..." dates a timeline item
    topic_from: str = "clause"         # where the topic was read: clause, previous sentence, heading
    deal: bool = False                 # a retail deal (cue shopping_deal), read once with the sentence's head
