"""Business segments: a results release reports each segment in a section of its own, under a heading or a line
of its own ('Data Center', 'Gaming and AI PC'), and there a figure the words name only by the family's total
('First-quarter revenue was $509 million') is the segment's, not the company's. Which metric that is, is the
vocabulary's: the `segment` names of metrics.yaml.
"""
from __future__ import annotations

from ..parse import Block
from ..vocab import Vocabulary

LABEL_CHARS = 60   # a line that heads a part of a section is short: 'Automotive and Robotics', 'Highlights'
LABEL_WORDS = 6
_SENTENCE_END = ".!?:;,)\"”’"


def segment_named(vocab: Vocabulary, text: str) -> str | None:
    """The segment a heading or label line names: it opens with a segment name and says little more ('Gaming and
    AI PC', cue segment_heading_rest); a headline that opens with one ('Gaming Demand Lifts Acme') names none."""
    label = text.split(" | ")[0].strip()
    if not label or len(label) > LABEL_CHARS or len(label.split()) > LABEL_WORDS or any(c.isdigit() for c in label):
        return None
    found = vocab.segment_matcher.find(label)
    if not found or found[0].start != 0 or not vocab.cues.segment_heading_rest.match(label[found[0].end:]):
        return None
    return found[0].name


def is_label_line(block: Block) -> bool:
    """A paragraph that is a short line of its own, not a sentence ('Data Center', 'Highlights': a bold line in
    markdown, a <p><strong> in HTML, a title-case line in plain text): it starts a part of its section."""
    text = block.text.strip()
    return block.kind == "paragraph" and 0 < len(text) <= LABEL_CHARS and len(text.split()) <= LABEL_WORDS \
        and text[-1] not in _SENTENCE_END


def segment_metric(vocab: Vocabulary, segment: str | None, metric: str | None) -> str | None:
    """The segment's own metric for a figure named only by its family's total metric ('revenue')."""
    known = vocab.metrics.get(metric or "")
    if segment is None or known is None or known.scope != "total":
        return None
    return vocab.segment_metric(segment, known.family)


class Sections:
    """The segment each block of a document is under, read in document order (`of`). A heading that names one
    holds for the blocks under it, until the parser closes it with the next heading of its level; a label line
    that names one holds for the blocks after it in the same section, until the next label line, heading or table
    (a release's financial tables follow its last segment's lines).
    The document's title names no segment: it is what the whole document is about."""

    def __init__(self, vocab: Vocabulary, blocks: list[Block]):
        self.vocab = vocab
        self.title = next((b.text for b in blocks if b.kind == "heading"), None)
        self.label: tuple[tuple[str, ...], str | None] | None = None   # (its section, the segment it names)

    def of(self, block: Block) -> str | None:
        if block.kind in ("heading", "table") or (self.label is not None and self.label[0] != block.headings):
            self.label = None
        if is_label_line(block):
            self.label = (block.headings, segment_named(self.vocab, block.text))
        if self.label is not None and self.label[1] is not None:
            return self.label[1]
        for text in reversed(block.headings):
            segment = segment_named(self.vocab, text) if text != self.title else None
            if segment is not None:
                return segment
        return None
