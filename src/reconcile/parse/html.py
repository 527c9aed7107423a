"""HTML → blocks, walking the tree BeautifulSoup would build (lxml, falling back to html.parser): see html_tree.

`walk_html` is also used by the markdown parser for raw HTML blocks. Data tables become table
blocks (spans expanded, multi-row headers merged); layout tables are walked as ordinary content.
"""
from __future__ import annotations

import re
from typing import Any

from .builder import Block, BlockKind, Builder
from .html_tree import Node, build_tree
from .hygiene import collapse, normalize_text

_DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "head", "iframe", "object", "embed",
    "canvas", "select", "datalist", "title", "meta", "link",
})
_HEAD_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "frameset", "header",
    "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption", "option",
    "frame", "noframes", "output", "search",
})
_LIST_CONTAINERS = frozenset({"ul", "ol", "menu", "dir", "table", "tbody", "thead", "tfoot", "tr", "dl"})
_BRACKETED = re.compile(r"^\[\s*[\w\s,.–-]{1,12}\]$")
_FOOTMARK = re.compile(r"^[\d\s,*†‡§–-]{1,8}$")
_PAREN_MARK = re.compile(r"^\(\s*(?:\d{1,2}|[a-z]|[ivx]{1,4}|\*{1,3})\s*\)$")   # a filing's '(1)', '(a)' footnote mark
_WORD_PROBE = re.compile(r"[A-Za-z0-9]{4,}|[A-Za-z0-9]{3}|\w{2,}")
_INT = re.compile(r"\d+")
# Content a browser never shows: an inline-XBRL filing's <ix:header> (hidden facts, contexts with their dates and
# the company's CIK) sits in a display:none block, and none of it is text of the document.
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*display\s*:\s*none\b", re.I)
_HIDDEN_TAGS = frozenset({"ix:header", "ix:hidden", "ix:references", "ix:resources"})


def _hidden(node: Node) -> bool:
    """An element the page does not show: `hidden`, style display:none, or an inline-XBRL header."""
    attrs = node.attrs
    if attrs and ("hidden" in attrs or _HIDDEN_STYLE.search(str(attrs.get("style", "")))):
        return True
    return node.name in _HIDDEN_TAGS


class _LineFinder:
    """Source lines for blocks. bs4+lxml gives no `sourceline`, so blocks (which come in document
    order) are located by searching a distinctive word of their text forward from a cursor."""

    def __init__(self, raw: str, offset: int) -> None:
        self.raw = raw
        self.offset = offset
        low = raw[:200_000].lower()
        p = low.find("<body")
        if p < 0:
            p = low.find("</head")
        self.pos = max(p, 0)
        self.line = 1 + raw.count("\n", 0, self.pos)

    def __call__(self, text: str, hint: int | None = None) -> int:
        if hint:
            return hint + self.offset
        # the longest of the first few words is the most distinctive probe
        words = _WORD_PROBE.findall(text[:200])[:5]
        if words:
            probe = max(words, key=len)
            p = self.raw.find(probe, self.pos, self.pos + 100_000)   # bounded: no quadratic misses
            if p >= 0:
                self.line += self.raw.count("\n", self.pos, p)
                self.pos = p + 1                 # the next block starts after this one's probe
        return self.line + self.offset


def _span(tag: Node, attr: str) -> int:
    v = tag.get(attr)
    if v is None:
        return 1
    m = _INT.search(str(v))
    if not m:
        return 1
    return max(1, min(int(m.group(0)), 100))


def _sup_text(t: str, prev: str) -> str:
    t = t.strip()
    if not t or _BRACKETED.match(t) or _PAREN_MARK.match(t):
        return ""
    if prev[-1:].isdigit() and t.replace("-", "").replace("−", "").isdigit():
        return "^" + t
    if t in ("2", "3") and (prev.endswith("m") or prev.endswith("ft") or prev.endswith("in")):
        return "²" if t == "2" else "³"
    if _FOOTMARK.match(t):
        return ""
    return t


def _inline_text(node: Node) -> str:
    """Text of an element (heading, table cell): br/blocks → spaces, dropped tags skipped."""
    out: list[str] = []
    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if type(cur) is str:
            out.append(cur)
            continue
        if type(cur) is not Node:
            if cur.shown:
                out.append(cur)
            continue
        name = cur.name
        if name in _DROP_TAGS or (cur is not node and _hidden(cur)):
            continue
        if name == "br" or name == "hr":
            out.append(" ")
            continue
        if name == "sup":
            out.append(_sup_text(cur.get_text(), out[-1] if out else ""))
            continue
        if name in _BLOCK_TAGS and cur is not node:
            out.append(" ")
            stack.append(" ")  # trailing separator (plain str: appended below)
        kids = cur.contents
        for c in reversed(kids):
            stack.append(c)
    return collapse("".join(out))


def _own_rows(tbl: Node) -> list[tuple[Node, bool]]:
    rows: list[tuple[Node, bool]] = []
    for child in tbl.children:
        if type(child) is not Node:
            continue
        if child.name == "tr":
            rows.append((child, False))
        elif child.name in ("thead", "tbody", "tfoot"):
            for tr in child.children:
                if type(tr) is Node and tr.name == "tr":
                    rows.append((tr, child.name == "thead"))
    if not rows:
        rows = [(tr, False) for tr in tbl.find_all("tr") if tr.find_parent("table") is tbl]
    return rows


def _layout_markers(tbl: Node) -> bool:
    """True when a table is used for page layout: role=presentation or headings inside."""
    if str(tbl.get("role", "")).lower() in ("presentation", "none"):
        return True
    for d in tbl.descendants:
        if getattr(d, "name", None) in _HEAD_TAGS:
            return True
    return False


def _is_data_grid(tbl: Node, grid: list[list[str]]) -> bool:
    if len(grid) < 2 or max(len(r) for r in grid) < 2:
        return False
    longest = max((len(c) for r in grid for c in r), default=0)
    if longest > 1500:
        return False
    if longest > 400:
        for d in tbl.descendants:
            if getattr(d, "name", None) == "table":
                return False
    return True


def _table_rows(rows: list[tuple[Node, bool]]) -> tuple[list[list[str]], list[tuple[Node, ...]]]:
    """The table's text grid (merged header first) and each grid row's elements (their markup is its quote)."""

    grid: list[list[str]] = []
    sources: list[tuple[Node, ...]] = []      # each grid row's elements; RowSources renders their markup if asked
    header_rows = 0
    all_th_prefix = True
    pending: dict[int, list[Any]] = {}          # column → [text, rows remaining]
    for tr, in_thead in rows:
        cells = [c for c in tr.children if type(c) is Node and c.name in ("td", "th")]
        row: list[str] = []
        col = 0

        def take_pending() -> None:
            nonlocal col
            while col in pending:
                t, left = pending[col]
                row.append(t)  # noqa: B023 (called only within the iteration that defines it)
                if left <= 1:
                    del pending[col]
                else:
                    pending[col][1] = left - 1
                col += 1

        for c in cells:
            take_pending()
            t = _inline_text(c)
            cs, rs = _span(c, "colspan"), _span(c, "rowspan")
            for _ in range(cs):
                row.append(t)
                if rs > 1:
                    pending[col] = [t, rs - 1]
                col += 1
        take_pending()
        while pending and max(pending) >= col:
            if col in pending:
                take_pending()
            else:
                row.append("")
                col += 1
        if not row:
            continue
        is_th = all(c.name == "th" for c in cells) and bool(cells)
        if in_thead or (all_th_prefix and is_th and len(grid) == header_rows):
            if len(grid) == header_rows:
                header_rows += 1
        else:
            all_th_prefix = False
        grid.append(row)
        sources.append((tr,))
    if header_rows > 1 and header_rows < len(grid):
        grid = [_merged_header(grid[:header_rows])] + grid[header_rows:]
        sources = [tuple(tr for row in sources[:header_rows] for tr in row)] + sources[header_rows:]
    return grid, sources


def _merged_header(header: list[list[str]]) -> list[str]:
    """Several header rows → one: each column's distinct texts, top to bottom."""
    merged = []
    for ci in range(max(len(r) for r in header)):
        parts: list[str] = []
        for r in header:
            v = r[ci] if ci < len(r) else ""
            if v and v not in parts:
                parts.append(v)
        merged.append(" ".join(parts))
    return merged




_EXIT = object()            # stack marker: a block element ends
_EXIT_TABLE = object()      # stack marker: a layout table ends


class _Walker:
    """Depth-first walk (an explicit stack, so deep nesting cannot overflow) that gathers inline
    text into paragraphs and bullets and emits headings and data tables as it meets them."""

    def __init__(self, markup: str, b: Builder, line_offset: int) -> None:
        self.b = b
        self.find_line = _LineFinder(markup, line_offset)
        self.buf: list[str] = []
        self.buf_hint: int | None = None        # parser's source line of the buffered text, if known
        self.ctx: list[BlockKind] = ["paragraph"]
        self.last_br = False
        self.tdepth = 0                         # layout tables we are inside
        self.stack: list[Any] = []

    def run(self, root: Node) -> None:
        self.stack = [root]
        while self.stack:
            node = self.stack.pop()
            if node is _EXIT:
                self.flush()
                self.ctx.pop()
            elif node is _EXIT_TABLE:
                self.tdepth -= 1
            elif type(node) is Node:
                self.element(node)
            else:
                self.text(node)
        self.flush()

    def flush(self) -> None:
        if self.buf:
            text = collapse("".join(self.buf))
            self.buf.clear()
            if text:
                self.b.add(self.ctx[-1], text, self.find_line(text, self.buf_hint))
        self.buf_hint = None

    def text(self, node: Any) -> None:
        if not node.shown:
            return
        if node.strip():
            if not any(x.strip() for x in self.buf):
                self.buf_hint = node.line
            self.last_br = False
        self.buf.append(node)

    def element(self, node: Any) -> None:
        name = node.name
        if name in _DROP_TAGS or _hidden(node):
            return
        if name == "br":
            if self.last_br:
                self.flush()                    # <br><br> separates paragraphs
            else:
                self.buf.append(" ")
            self.last_br = True
            return
        self.last_br = False
        if name in _HEAD_TAGS:
            self.flush()
            t = _inline_text(node)
            if t:
                self.b.heading(t, _HEAD_TAGS[name], self.find_line(t, node.sourceline), "html")
            return
        if name == "sup":
            prev = next((x for x in reversed(self.buf) if x.strip()), "")
            self.buf.append(_sup_text(node.get_text(), prev.rstrip()))
            return
        if name == "pre" and node.find("code") is not None:
            self.flush()
            return
        if name == "table":
            if self.data_table(node):
                return
            self.tdepth += 1
            self.stack.append(_EXIT_TABLE)
        if name in _BLOCK_TAGS:
            self.open_block(name)
        self.stack.extend(reversed(node.contents))

    def open_block(self, name: str) -> None:
        self.flush()
        kind: BlockKind
        if name == "li" or (self.ctx[-1] == "bullet" and name not in _LIST_CONTAINERS):
            kind = "bullet"
        else:
            kind = "paragraph"
        self.ctx.append(kind)
        self.stack.append(_EXIT)

    def data_table(self, node: Any) -> bool:
        """Emit `node` as a table block (and its caption) when it holds data; False for layout."""
        grid: list[list[str]] = []
        sources: list[tuple[Node, ...]] = []
        if self.tdepth < 4:                     # deeper nesting: treat as layout, keeps the walk linear
            rows = _own_rows(node)
            if len(rows) >= 2 and not _layout_markers(node):
                grid, sources = _table_rows(rows)
        if not grid or not _is_data_grid(node, grid):
            return False
        self.flush()
        cap = node.find("caption")
        if cap is not None and cap.find_parent("table") is node:
            ct = _inline_text(cap)
            if ct:
                self.b.add("paragraph", ct, self.find_line(ct, cap.sourceline))
        first = next((c for r in grid for c in r if c), "")
        self.b.table(grid, self.find_line(first, node.sourceline), widest=True, sources=sources)
        return True


def _without_ix_header(markup: str) -> str:
    """The markup without its inline-XBRL header: never shown, often a third of a filing's bytes (thousands of
    contexts), so it is not even parsed. Its lines stay as blank lines, so line numbers still point into the file."""
    low = markup.lower()
    start = low.find("<ix:header")
    while start >= 0:
        end = low.find("</ix:header>", start)
        if end < 0:
            break
        end += len("</ix:header>")
        markup = markup[:start] + "\n" * markup.count("\n", start, end) + markup[end:]
        low = markup.lower()
        start = low.find("<ix:header", start)
    return markup


def walk_html(markup: str, b: Builder, line_offset: int = 0) -> None:
    """Add the blocks of `markup` to `b`; line numbers are shifted by `line_offset`."""
    markup = _without_ix_header(markup)
    _Walker(markup, b, line_offset).run(build_tree(markup))


def parse_html(text: str) -> list[Block]:
    """HTML → blocks (lxml, falling back to html.parser)."""
    b = Builder()
    walk_html(normalize_text(text), b, 0)
    return b.blocks
