"""Markdown (CommonMark/GFM-ish, hand-written line parser) → blocks.

Each line is offered to an ordered list of small block rules, as markdown-it-py does; the first
rule that takes the line (and moves the cursor past what it consumed) wins. Lines no other rule
takes are paragraph text, gathered by the shared `Paragraph` collector.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from ..metadata import front_matter_fields
from .builder import Block, Builder, Paragraph
from .html import walk_html
from .hygiene import normalize_text
from .inline import clean_inline
from .syntax import DELIM, PIPE_SPLIT, atx_heading, split_row

_SETEXT_EQ = re.compile(r"^ {0,3}=+[ \t]*$")
_SETEXT_DASH = re.compile(r"^ {0,3}-+[ \t]*$")
_HR = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_BULLET = re.compile(r"^([ \t]*)(?:[-*+•]|(\d{1,9})[.)])[ \t]+(\S.*)$")
_TASK = re.compile(r"^\[[ xX]\][ \t]+")
_REFDEF = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:[ \t]*\S+")
_QUOTE = re.compile(r"^ {0,3}>[ ]?")
_HEADING_ATTRS = re.compile(r"\s*\{[#.][^{}]*\}\s*$")
_HTML_BLOCK = re.compile(
    r"^ {0,3}</?(address|article|aside|blockquote|body|center|details|dialog|div|dl|fieldset|"
    r"figcaption|figure|footer|form|h[1-6]|header|hr|html|li|main|nav|ol|p|pre|section|summary|"
    r"table|tbody|td|tfoot|th|thead|tr|ul|script|style|noscript|template|svg|iframe)(?=[\s/>]|$)",
    re.I,
)
# raw HTML blocks that run to their balanced closing tag rather than to the next blank line
_BALANCED_HTML = ("table", "pre", "script", "style", "svg", "template", "noscript", "iframe", "details")
_FRONT_MATTER_END = {"---": ("---", "..."), "+++": ("+++",)}


# ---------------------------------------------------------------------------
# Line helpers
# ---------------------------------------------------------------------------

def _strip_html_comments(text: str) -> str:
    """Drop `<!-- ... -->` (keeping newlines so line numbers survive). Linear scan."""
    if "<!--" not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        a = text.find("<!--", pos)
        if a < 0:
            break
        b = text.find("-->", a + 4)
        if b < 0:
            break
        out.append(text[pos:a])
        out.append("\n" * text.count("\n", a, b))
        pos = b + 3
    out.append(text[pos:])
    return "".join(out)


def _indent(line: str) -> int:
    n = 0
    for ch in line:
        if ch == " ":
            n += 1
        elif ch == "\t":
            n += 4 - n % 4
        else:
            break
    return n


def _unquote(line: str) -> tuple[str, bool]:
    if ">" not in line[:8] or not line.lstrip().startswith(">"):
        return line, False
    while True:
        m = _QUOTE.match(line)
        if not m:
            return line, True
        line = line[m.end():]


def _is_emphasis_only(s: str) -> bool:
    if len(s) > 4 and s.startswith("**") and s.endswith("**") and s.count("**") == 2:
        return True
    if len(s) > 4 and s.startswith("__") and s.endswith("__") and s.count("__") == 2:
        return True
    if len(s) > 2 and s[0] == "*" and s[-1] == "*" and s[1] != "*" and s.count("*") == 2:
        return True
    return False


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after YAML/TOML front matter at the very top (metadata, not prose)."""
    ends = _FRONT_MATTER_END.get(lines[0].strip()) if lines else None
    if ends:
        for j in range(1, min(len(lines), 200)):
            if lines[j].strip() in ends:
                return j + 1
    return 0


def _html_block_end(lines: list[str], i: int, tag: str) -> int:
    """Index after the raw HTML block that opens at line i with `tag`."""
    n = len(lines)
    j = i
    if tag in _BALANCED_HTML:
        depth = 0
        opener, closer = f"<{tag}", f"</{tag}"
        while j < n:
            low = lines[j].lower()
            depth += low.count(opener) - low.count(closer)
            j += 1
            if depth <= 0:
                break
        return j
    while j < n and lines[j].strip():
        j += 1
    return max(j, i + 1)


# ---------------------------------------------------------------------------
# Parser state: the cursor, the current line, the open paragraph, list and quote flags
# ---------------------------------------------------------------------------

class _State:
    __slots__ = ("lines", "n", "i", "b", "para", "in_list", "prev_quoted",
                 "line", "quoted", "stripped", "first", "ind")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.n = len(lines)
        self.i = _front_matter_end(lines)
        self.b = Builder()
        self.para = Paragraph(self.b, clean_inline)
        self.in_list = False
        self.prev_quoted = False
        self.line = self.stripped = self.first = ""
        self.quoted = False
        self.ind = 0

    def enter(self, raw: str) -> None:
        """Make `raw` the current line; a change of block-quote depth ends the paragraph."""
        self.line, self.quoted = _unquote(raw)
        if self.quoted != self.prev_quoted:
            self.para.flush()
            self.prev_quoted = self.quoted
        self.stripped = self.line.strip()
        if self.stripped:
            self.first = self.stripped[0]
            self.ind = _indent(self.line)

    def content(self, j: int) -> str:
        """Line j, without quote markers when the current line is quoted."""
        return _unquote(self.lines[j])[0] if self.quoted else self.lines[j]


# ---------------------------------------------------------------------------
# Block rules, in the order they are tried. Each returns True when it took the line.
# ---------------------------------------------------------------------------

def _fenced_code(s: _State) -> bool:
    """``` or ~~~ fence: the code is skipped entirely."""
    if s.first not in "`~":
        return False
    m = _FENCE.match(s.line)
    if not m or (m.group(1)[0] != "~" and "`" in m.group(2)):
        return False
    s.para.flush()
    fence = m.group(1)[0] * len(m.group(1))
    j = s.i + 1
    while j < s.n:
        t = s.content(j).strip()
        if t.startswith(fence) and not t.strip(fence[0]).strip():
            break
        j += 1
    s.i = j + 1
    return True


def _indented_code(s: _State) -> bool:
    """Indented code block (not inside a list, not continuing a paragraph): skipped."""
    if s.ind < 4 or s.para or s.in_list:
        return False
    j = s.i
    while j < s.n and (not s.lines[j].strip() or _indent(s.lines[j]) >= 4):
        j += 1
    # in a quote ('>     code') the raw line is not indented, so the scan above stops at once: take
    # the line anyway, else the parser never moves on
    s.i = max(j, s.i + 1)
    return True


def _atx(s: _State) -> bool:
    if s.first != "#" or s.quoted or s.ind > 3:
        return False
    h = atx_heading(s.line)
    if not h:
        return False
    s.para.flush()
    s.in_list = False
    level, text = h
    if text.endswith("}"):
        text = _HEADING_ATTRS.sub("", text)
    s.b.heading(clean_inline(text), level, s.i + 1, "atx")
    s.i += 1
    return True


def _setext(s: _State) -> bool:
    """A one-line paragraph underlined with === or --- is a heading."""
    p = s.para
    if not (p and p.kind == "paragraph" and s.first in "=-" and s.ind <= 3):
        return False
    if not (_SETEXT_EQ.match(s.line) or _SETEXT_DASH.match(s.line)):
        return False
    if len(p.lines) == 1 and not s.quoted:
        start = p.line
        text = clean_inline(p.take()[0])
        s.b.heading(text, 1 if s.first == "=" else 2, start, "setext")
        s.in_list = False
    elif s.first == "-":                        # multi-line paragraph + '---' → paragraph then rule
        p.flush()
    else:
        return False
    s.i += 1
    return True


def _thematic_break(s: _State) -> bool:
    if s.first not in "-*_" or not _HR.match(s.line):
        return False
    s.para.flush()
    s.i += 1
    return True


def _pipe_table(s: _State) -> bool:
    """Header row + delimiter row, then rows until a blank, pipe-less or heading line."""
    if "|" not in s.stripped or s.i + 1 >= s.n:
        return False
    nxt = s.content(s.i + 1)
    if not ("|" in nxt and "-" in nxt and DELIM.match(nxt) and PIPE_SPLIT.search(s.stripped)):
        return False
    s.para.flush()
    s.in_list = False
    rows = [[clean_inline(c) for c in split_row(s.stripped)]]
    j = s.i + 2
    while j < s.n:
        t = s.content(j)
        ts = t.strip()
        if not ts or "|" not in ts or (ts[0] == "#" and atx_heading(t)):
            break
        rows.append([clean_inline(c) for c in split_row(ts)])
        j += 1
    s.b.table(rows, s.i + 1)
    s.i = j
    return True


def _html_block(s: _State) -> bool:
    """Raw HTML block embedded in markdown: walked by the HTML parser."""
    m = _HTML_BLOCK.match(s.line) if s.first == "<" else None
    if not m:
        return False
    s.para.flush()
    j = _html_block_end(s.lines, s.i, m.group(1).lower())
    chunk = "\n".join(s.lines[s.i:j])
    try:
        walk_html(chunk, s.b, s.i)
    except Exception:
        s.b.add("paragraph", clean_inline(chunk), s.i + 1)
    s.in_list = False
    s.i = j
    return True


def _reference_definition(s: _State) -> bool:
    """Link reference definitions carry no prose."""
    if s.first != "[" or s.para or not _REFDEF.match(s.line):
        return False
    s.i += 1
    return True


def _list_item(s: _State) -> bool:
    if s.first not in "-*+•0123456789":
        return False
    m = _BULLET.match(s.line)
    if not m:
        return False
    p = s.para
    # only "1." may interrupt an open paragraph outside a list (CommonMark)
    if p and p.kind == "paragraph" and not p.closed and m.group(2) not in (None, "1") and not s.in_list:
        return False
    p.flush()
    p.start("bullet", _TASK.sub("", m.group(3)), s.i + 1)
    s.in_list = True
    s.i += 1
    return True


def _paragraph_text(s: _State) -> bool:
    """Anything else continues the open paragraph or starts one."""
    p, i, prev = s.para, s.i, s.lines[s.i - 1]
    hard_break = bool(p) and i > 0 and (prev.endswith("  ") or prev.rstrip().endswith("\\"))
    emph_only = _is_emphasis_only(s.stripped)
    if p and (p.closed or hard_break or emph_only):
        p.flush()
    text = s.stripped
    if text.endswith("\\") and not text.endswith("\\\\"):
        text = text[:-1]
    if p:
        p.append(text)
    else:
        if s.ind < 2:                           # an unindented paragraph ends the list
            s.in_list = False
        p.start("paragraph", text, i + 1)
    if emph_only:
        p.closed = True                         # an emphasis-only line stands alone
    s.i += 1
    return True


_BLOCK_RULES: tuple[Callable[[_State], bool], ...] = (
    _fenced_code, _indented_code, _atx, _setext, _thematic_break, _pipe_table, _html_block,
    _reference_definition, _list_item, _paragraph_text,
)


# Front-matter fields that are text the reader sees (a news aggregator's headline and standfirst): their
# figures are the document's own, read as paragraphs ahead of the body.
READ_FRONT_MATTER = ("title", "summary", "description")


def _front_matter_text(s: _State) -> None:
    fields = front_matter_fields(s.lines[1:max(1, s.i - 1)])
    for key in READ_FRONT_MATTER:
        if key in fields and fields[key][0].strip():
            value, n = fields[key]
            s.b.add("paragraph", clean_inline(value), n + 2)


def parse_markdown(text: str) -> list[Block]:
    """Markdown (CommonMark/GFM-ish, hand-written line parser) → blocks."""
    s = _State(_strip_html_comments(normalize_text(text)).split("\n"))
    _front_matter_text(s)
    while s.i < s.n:
        s.enter(s.lines[s.i])
        if not s.stripped:
            s.para.flush()
            s.i += 1
            continue
        for rule in _BLOCK_RULES:
            if rule(s):
                break
    s.para.flush()
    return s.b.blocks
