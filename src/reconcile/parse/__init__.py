"""Parse stage: a document's text → a flat list of `Block`s that keep its structure.

Contract (extract relies on it):
- `parse_document(text, fmt) -> list[Block]` never raises on any str input.
- `fmt` is "markdown", "text" or "html".
- Blocks come in document order. `headings` is the path of enclosing headings
  (outermost first), cleaned of markup, *not* including the block itself for
  heading blocks.
- Table blocks: `rows[0]` is the header row; every row is padded/truncated to
  the header's width; cell text is cleaned of markup (bold, italics, links,
  backticks) but otherwise verbatim.

Other public helpers: `sniff_format(name, text)`, `heading_label(heading)`,
`normalize_text(text)` and the per-format parsers `parse_markdown`,
`parse_text`, `parse_html`.

Parts: `builder` (Block, heading stack, the paragraph collector markdown and text share),
`hygiene` (normalisation), `syntax` (ATX and pipe-table lines), `inline` (markdown inline
markup), `markdown`, `text`, `html` (the three formats), `sniff` (format detection),
`labels` (heading labels).
"""
from __future__ import annotations

from .builder import Block, BlockKind
from .html import parse_html
from .hygiene import normalize_text
from .labels import heading_label
from .markdown import parse_markdown
from .sniff import sniff_format
from .text import parse_text

__all__ = [
    "Block", "BlockKind", "parse_document", "parse_markdown", "parse_text", "parse_html",
    "sniff_format", "heading_label", "normalize_text",
]

_FMT_ALIASES = {
    "markdown": "markdown", "md": "markdown", "mdown": "markdown", "mkd": "markdown", "gfm": "markdown",
    "text": "text", "txt": "text", "plain": "text", "plaintext": "text", "text/plain": "text",
    "html": "html", "htm": "html", "xhtml": "html", "text/html": "html", "text/markdown": "markdown",
}
_PARSERS = {"markdown": parse_markdown, "text": parse_text, "html": parse_html}


def parse_document(text: str, fmt: str) -> list[Block]:
    """Parse `text` in format `fmt` ("markdown" | "text" | "html"; common aliases accepted;
    unknown → sniffed from content). Never raises: on an internal error it falls back to
    the plain-text parser, then to []."""
    try:
        if not isinstance(text, str):
            text = normalize_text(text)
        key = _FMT_ALIASES.get(str(fmt).strip().lower().lstrip(".")) if fmt is not None else None
        if key is None:
            key = sniff_format("", text) or "text"
        return _PARSERS[key](text)
    except Exception:
        try:
            return parse_text(text if isinstance(text, str) else "")
        except Exception:
            return []
