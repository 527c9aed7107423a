"""An SEC filing's form wording: the cover page's fields (address, telephone, file number) and the form's fixed
sentences ("Indicate by check mark whether the registrant … during the preceding 12 months") state no figure of the
company. Which lines those are is language, read from the cues `filing_boilerplate` and `form_caption`."""
from __future__ import annotations

from ..parse import Block
from ..vocab import Cues, Vocabulary
from .model import Topic

REGISTRANT_CHARS = 80   # a company's name, not a sentence


def form_lines(cues: Cues, blocks: list[Block]) -> set[int]:
    """The indices of the blocks that are form wording: a boilerplate sentence, a form field's caption, and the
    field above its caption ('2788 San Tomas Expressway …' above '(Address of principal executive offices)')."""
    skip: set[int] = set()
    for i, block in enumerate(blocks):
        if block.kind not in ("paragraph", "bullet"):
            continue
        if cues.filing_boilerplate.match(block.text):
            skip.add(i)
        elif cues.form_caption.match(block.text):
            skip.add(i)
            if i > 0 and blocks[i - 1].kind == "paragraph":
                skip.add(i - 1)
    return skip


def registrant_topic(vocab: Vocabulary, blocks: list[Block]) -> Topic | None:
    """The issuer a filing's cover page names above '(Exact name of registrant …)': the topic of a filing registered
    under a title or publisher that names no company ('Form 10-Q', 'SEC EDGAR'). A company the vocabulary does not
    know is kept under its own name ('ACME WIDGETS, INC.' as 'Acme Widgets, Inc.')."""
    for i, block in enumerate(blocks[:400]):   # the cover page opens the document
        if i and block.kind == "paragraph" and vocab.cues.registrant_caption.match(block.text):
            name = blocks[i - 1].text.strip()
            found = vocab.entity_matcher.find(name)
            entity = vocab.entities.get(found[0].name) if found else None
            if entity is not None and entity.kind == "company":
                return Topic(found[0].name, "title", issuer=True)
            if found or not name or len(name) > REGISTRANT_CHARS or any(c.isdigit() for c in name):
                return None
            return Topic(name.title() if name.isupper() else name, "title", issuer=True)
    return None
