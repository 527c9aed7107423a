"""Which format a document is in, from its file name or, failing that, its content."""
from __future__ import annotations

import re

_EXT = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown", ".mkdn": "markdown",
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
}
_HTML_SNIFF = re.compile(r"<(?:!doctype\s+html|html|body|head|p|div|h[1-6]|article|table|section|span|ul|li)[\s>/]",
                         re.I)
_MD_SNIFF = re.compile(r"^ {0,3}#{1,6}[ \t]+\S|^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*\|", re.M)


def sniff_format(name: str, text: str) -> str | None:
    """Format from the file name's extension, else from content. Returns "markdown", "text"
    or "html"; None only for content that looks binary (NUL bytes / mostly control chars)."""
    try:
        nm = (name or "").lower().strip()
        dot = nm.rfind(".")
        if dot >= 0 and nm[dot:] in _EXT:
            return _EXT[nm[dot:]]
        if not isinstance(text, str):
            return None
        head = text[:20000]
        if "\x00" in head[:4096]:
            return None
        sample = head[:4096]
        if sample:
            ctrl = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
            if ctrl > 0.1 * len(sample):
                return None
        if _HTML_SNIFF.search(head[:8192]):
            return "html"
        if _MD_SNIFF.search(head) or "```" in head or re.search(r"\]\((?:https?://|/|\.)", head):
            return "markdown"
        return "text"
    except Exception:
        return "text"
