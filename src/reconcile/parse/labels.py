"""Short human labels of headings, for locations ('Slide 19 — …' → 'slide 19')."""
from __future__ import annotations

import re

from .hygiene import collapse, normalize_text
from .text import strip_lead_symbol

_LABEL_RE = re.compile(
    r"^[^\w]*(slide|page|section|chapter|part|appendix|annex|exhibit|figure|fig\.|table|step|lesson|module|unit|episode|article|item)"
    r"\s*(?:no\.?\s*|#\s*)?(\d+(?:\.\d+)*[a-z]?|[IVXLCDM]+\b|[ivxlcdm]+\b|[A-Z]\b)",
    re.I,
)


def heading_label(heading: str) -> str:
    """Short human label of a heading, for locations: 'Slide 19 — …' → 'slide 19',
    'Section 2.1 Foo' → 'section 2.1'; otherwise the heading without its bilingual
    '| …' tail and leading symbols, trimmed to ~60 chars."""
    try:
        h = collapse(normalize_text(heading or ""))
        if not h:
            return ""
        m = _LABEL_RE.match(h)
        if m:
            return f"{m.group(1).lower()} {m.group(2)}"
        for sep in (" | ", " ｜ ", "｜"):
            if sep in h:
                h = h.split(sep, 1)[0].strip() or h
                break
        if h[:1] and not h[0].isalnum():
            stripped = strip_lead_symbol(h).strip()
            h = stripped or h
        if len(h) > 60:
            cut = h[:60]
            sp = cut.rfind(" ")
            h = (cut[:sp] if sp >= 30 else cut).rstrip(" ,;:—–-") + "…"
        return h
    except Exception:
        return str(heading)[:60] if heading else ""
