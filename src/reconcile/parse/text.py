"""Plain text (blog-like) → blocks, by line heuristics.

Each non-blank line is offered to an ordered list of small rules (tables, underlined, ATX, title,
numbered, emoji, symbol-led, label and Title-Case headings, bullets); lines no rule takes are
paragraph text, gathered by the shared `Paragraph` collector. Hard-wrapped prose (e-mail, RFC,
Gutenberg) is detected once per document and lets paragraphs run across line breaks.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from .builder import Block, Builder, Paragraph
from .cell_lines import cell_per_line_rows
from .hygiene import normalize_text
from .syntax import DELIM, atx_heading, split_row, tsv_cells, unescape_pipe

_TXT_BULLET = re.compile(r"^([ \t]*)(?:[-*•–·▪◦‣⁃○●■□➢➤►▸]|(\d{1,3})[.)]|[a-z]\))[ \t]+(\S.*)$")
_TXT_NUM_HEAD = re.compile(r"^(\d{1,2})[.)][ \t]+(\S.*)$"
                           r"|^(\d{1,2}(?:\.\d{1,2})+)\.?[ \t]+"
                           r"([A-Z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF\u4e00-\u9fff].*)$")
_SEP_CHARS = frozenset("=-_*~#+.·•—–─━═")


def _is_sep_line(s: str) -> bool:
    """A separator line: 3+ copies of one rule character, optionally spaced (`---`, `* * *`, `═══`)."""
    t = s.replace(" ", "").replace("\t", "")
    return len(t) >= 3 and t[0] in _SEP_CHARS and t.count(t[0]) == len(t)


_UNDERLINE = re.compile(r"^(?:={3,}|-{3,})[ \t]*$")
_SMALL_WORDS = frozenset(
    "a an the and or nor but of to in on at by for from with vs vs. via as is are into onto per over under up"
    " de la le du des et".split()
)
_TERMINAL = ".!?。！？…"
_BODY_END = _TERMINAL + "\"”’)»」』"
_NO_SYMBOL_HEAD = frozenset("©®™°℃℉№℗")


def _is_bulletish_cp(cp: int) -> bool:
    return (
        0x2190 <= cp <= 0x21FF or 0x25A0 <= cp <= 0x25FF or 0x2794 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF or 0x1F534 <= cp <= 0x1F53D or 0x1F780 <= cp <= 0x1F7FF
        or cp in (0x2705, 0x2714, 0x2611, 0x2713, 0x2717, 0x2718, 0x274C, 0x274E, 0x1F449, 0x27A1,
                  0x2605, 0x2606, 0x26AA, 0x26AB, 0x2023, 0x2043)
    )


def _lead_symbol(s: str) -> str | None:
    """'emoji' for a pictograph/symbol lead, 'bulletish' for ◆ 🔸 ✅ → style leads, else None."""
    c = s[0]
    if c.isdigit():
        return "emoji" if "\u20e3" in s[1:3] else None
    if c in _NO_SYMBOL_HEAD:
        return None
    cp = ord(c)
    if _is_bulletish_cp(cp):
        return "bulletish"
    if cp < 0x2000:
        return None
    cat = unicodedata.category(c)
    if cat == "So" or (0x1F000 <= cp <= 0x1FAFF):
        return "emoji"
    return None


def strip_lead_symbol(s: str) -> str:
    i = 0
    while i < len(s) and (not s[i].isalnum() and s[i] not in "\"'“‘(「[$€£¥#@"):
        i += 1
    return s[i:] if i < len(s) else s


def _ends_sentence(s: str) -> bool:
    s = s.rstrip("\"”’)»」』 ")
    if not s:
        return False
    if s.endswith("...") or s.endswith("…"):
        return True
    return s[-1] in _TERMINAL and not (s[-1] == "." and len(s) > 1 and s[-2].isdigit() and len(s) <= 4)


def _is_titlecase(s: str) -> bool:
    words = s.split()
    if not 1 <= len(words) <= 14:
        return False
    alpha = [w for w in words if any(ch.isalpha() for ch in w)]
    if not alpha:
        return False
    first_alpha = next((ch for ch in s if ch.isalpha()), "")
    if not first_alpha.isupper():
        return False
    sig = [w for w in alpha if w.lower().strip("\"“”'’(),:") not in _SMALL_WORDS]
    if not sig:
        return False
    caps = sum(1 for w in sig if next((ch for ch in w if ch.isalpha()), "a").isupper() or w[0].isdigit())
    return caps / len(sig) >= 0.7


def _is_allcaps(s: str) -> bool:
    letters = [ch for ch in s if ch.isalpha()]
    if len(letters) < 3 or len(s) > 60 or _ends_sentence(s):
        return False
    if sum(1 for ch in s if ch.isalpha() or ch.isspace()) < 0.6 * len(s):
        return False
    return all(ch.isupper() for ch in letters)


def _detect_wrapped(stripped: list[str]) -> bool:
    """Hard-wrapped prose (e-mail / RFC / Gutenberg style): most lines in a narrow width band."""
    ne = [len(s) for s in stripped if s]
    if len(ne) < 8:
        return False
    if max(ne) > 100:
        return False
    band = sum(1 for x in ne if 55 <= x <= 80)
    return band >= 0.5 * len(ne)


def _is_label(s: str) -> bool:
    """'Label:' — a short line ending in one colon that is not a sentence."""
    return (s[-1] in ":：" and len(s) <= 60 and len(s.split()) <= 8 and s.count(":") + s.count("：") == 1
            and not _ends_sentence(s[:-1]))


def _is_short(s: str) -> bool:
    return len(s) <= 90 and not _ends_sentence(s)


def _is_framed(s: str) -> bool:
    return s.startswith("|") and s.endswith("|") and len(s) > 2


def _pipe_rows(st: list[str], i: int) -> tuple[list[list[str]], int]:
    """Rows of a pipe table at line i (with a delimiter row, or a run of |-framed lines) and the
    index after it; no rows when there is none."""
    n = len(st)
    rows: list[list[str]] = []
    j = i
    if i + 1 < n and "|" in st[i + 1] and "-" in st[i + 1] and DELIM.match(st[i + 1]):
        rows = [[unescape_pipe(c) for c in split_row(st[i])]]
        j = i + 2
        while j < n and st[j] and "|" in st[j]:
            rows.append([unescape_pipe(c) for c in split_row(st[j])])
            j += 1
    elif _is_framed(st[i]) and i + 1 < n and _is_framed(st[i + 1]):
        while j < n and _is_framed(st[j]):
            if not DELIM.match(st[j]):
                rows.append([unescape_pipe(c) for c in split_row(st[j])])
            j += 1
    return rows, j


# ---------------------------------------------------------------------------
# Parser state: the lines (raw and stripped), the cursor, the open paragraph
# ---------------------------------------------------------------------------

class _State:
    __slots__ = ("lines", "st", "n", "nxt", "wrapped", "b", "para", "title_pending", "i", "s", "line", "k")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.st = st = [line.strip() for line in lines]
        self.n = n = len(lines)
        self.nxt = [n] * (n + 1)                # index of the next non-blank line after i
        j = n
        for k in range(n - 1, -1, -1):
            self.nxt[k] = j
            if st[k]:
                j = k
        self.wrapped = _detect_wrapped(st)
        self.b = Builder()
        self.para = Paragraph(self.b)
        self.title_pending = True               # the first line may be the document's title
        self.i = 0
        self.s = self.line = ""                 # the current line, stripped and raw
        self.k = n                              # the next non-blank line after it

    def is_plain_line(self, k: int) -> bool:
        s = self.st[k]
        if not s or _TXT_BULLET.match(self.lines[k]) or _TXT_NUM_HEAD.match(s) or _lead_symbol(s):
            return False
        if s.startswith("|") or _is_sep_line(s):
            return False
        return True

    def is_body(self, k: int) -> bool:
        """Line k reads as body text (long, or sentence-like), so a short line before it is a heading."""
        if k >= self.n or not self.is_plain_line(k):
            return False
        s = self.st[k]
        if len(s) >= 100:
            return True
        if self.wrapped and len(s) >= 50:
            return True
        return len(s) >= 40 and s[-1] in _BODY_END

    def heading(self, level: int, style: str, lines: int = 1) -> bool:
        """The current line becomes a heading; the rule took `lines` lines."""
        self.para.flush()
        self.b.heading(self.s, level, self.i + 1, style)
        self.i += lines
        return True

    def table(self, rows: list[list[str]], end: int) -> bool:
        self.para.flush()
        self.b.table(rows, self.i + 1)
        self.title_pending = False
        self.i = end
        return True

    def bullet(self, text: str) -> bool:
        self.para.flush()
        self.para.start("bullet", text, self.i + 1)
        self.i += 1
        return True


# ---------------------------------------------------------------------------
# Line rules, in the order they are tried. Each returns True when it took the line.
# ---------------------------------------------------------------------------

def _underlined_heading(t: _State) -> bool:
    """A line underlined with === or --- (the underline is taken too)."""
    i, st = t.i, t.st
    if not (i + 1 < t.n and st[i + 1] and _UNDERLINE.match(st[i + 1]) and len(t.s) <= 90
            and not _is_sep_line(t.s)):
        return False
    t.title_pending = False
    return t.heading(1 if st[i + 1][0] == "=" else 2, "underline", lines=2)


def _separator(t: _State) -> bool:
    if not _is_sep_line(t.s):
        return False
    t.para.flush()
    t.i += 1
    return True


def _pipe_table(t: _State) -> bool:
    if "|" not in t.s:
        return False
    rows, end = _pipe_rows(t.st, t.i)
    return bool(rows) and t.table(rows, end)


def _tab_table(t: _State) -> bool:
    """Two or more tab-separated lines with the same number of cells."""
    lines, i = t.lines, t.i
    if not ("\t" in t.line.strip() and i + 1 < t.n and "\t" in lines[i + 1].strip()):
        return False
    c0, c1 = tsv_cells(t.line.strip()), tsv_cells(lines[i + 1].strip())
    if len(c0) < 2 or len(c0) != len(c1):
        return False
    j = i
    while j < t.n and "\t" in lines[j].strip():
        j += 1
    return t.table([tsv_cells(line.strip()) for line in lines[i:j]], j)


def _cell_per_line_table(t: _State) -> bool:
    """A table printed one cell per line (see cell_lines.py)."""
    found = cell_per_line_rows(t.st, t.nxt, t.i)
    if found is None:
        return False
    t.para.flush()
    t.b.table(found[0], t.i + 1, widest=True)
    t.title_pending = False
    t.i = found[1]
    return True


def _atx(t: _State) -> bool:
    """A markdown-style '# Heading' in a text file."""
    h = atx_heading(t.line.lstrip()) if t.s[0] == "#" else None
    if not h or not h[1]:
        return False
    t.para.flush()
    t.b.heading(h[1], h[0], t.i + 1, "atx")
    t.title_pending = False
    t.i += 1
    return True


def _title(t: _State) -> bool:
    """The first line of the document is its title unless it reads as a sentence, bullet or label."""
    if not t.title_pending:
        return False
    t.title_pending = False
    s = t.s
    if len(s) <= 150 and not _ends_sentence(s) and not _TXT_BULLET.match(t.line) and not _is_label(s):
        return t.heading(1, "title")
    return False


def _numbered_heading(t: _State) -> bool:
    """'2. Results' or '2.1 Method' followed by body text or a label."""
    m = _TXT_NUM_HEAD.match(t.s)
    if not m or not _is_short(t.s) or t.s.endswith(":"):
        return False
    if not (t.is_body(t.k) or (t.k < t.n and _is_label(t.st[t.k]))):
        return False
    depth = 1 if m.group(1) else m.group(3).count(".") + 1
    return t.heading(1 + depth, "numbered")


def _marked_bullet(t: _State) -> bool:
    m = _TXT_BULLET.match(t.line)
    return m is not None and t.bullet(m.group(3))


def _emoji_heading(t: _State) -> bool:
    if not (_is_short(t.s) and _lead_symbol(t.s) == "emoji"):
        return False
    return t.heading(1, "emoji")


def _symbol_led(t: _State) -> bool:
    """◆ 🔸 ✅ → style leads: a heading when short and followed by body text, else a bullet."""
    if _lead_symbol(t.s) != "bulletish":
        return False
    rest = strip_lead_symbol(t.s)
    if _is_short(t.s) and ": " not in rest and t.is_body(t.k):
        return t.heading(t.b.level_below(("label", "bulletish", "numbered")), "bulletish")
    return t.bullet(rest)


def _label_heading(t: _State) -> bool:
    """'Label:' line → heading one level below the current section."""
    if not _is_label(t.s):
        return False
    return t.heading(t.b.level_below(("label",)), "label")


def _section_heading(t: _State) -> bool:
    """An ALL CAPS line, or a Title Case line followed by longer body text, between paragraphs."""
    s, k, p = t.s, t.k, t.para
    if not (_is_short(s) and k < t.n and not p and not (p.kind == "bullet" and t.line[:1].isspace())):
        return False
    if (_is_allcaps(s) and len(s.split()) <= 10) or (_is_titlecase(s) and t.is_body(k) and len(t.st[k]) > len(s)):
        return t.heading(1, "plain")
    return False


def _continues(t: _State, p: Paragraph) -> bool:
    """Whether the current line continues the open paragraph or bullet rather than starting one."""
    prev, s = p.lines[-1], t.s
    if p.kind == "bullet":
        return t.line[:1] in " \t" or (not _ends_sentence(prev) and (s[0].islower() or t.wrapped))
    return (t.wrapped and not _ends_sentence(prev) or t.wrapped and s[0].islower()) or (
        not _ends_sentence(prev) and prev[-1:] not in ":：" and s[0].islower())


def _paragraph_text(t: _State) -> bool:
    p = t.para
    if p and _continues(t, p):
        p.append(t.s)
    else:
        p.flush()
        p.start("paragraph", t.s, t.i + 1)
    t.i += 1
    return True


_LINE_RULES: tuple[Callable[[_State], bool], ...] = (
    _underlined_heading, _separator, _pipe_table, _tab_table, _cell_per_line_table, _atx, _title, _numbered_heading,
    _marked_bullet, _emoji_heading, _symbol_led, _label_heading, _section_heading, _paragraph_text,
)


def parse_text(text: str) -> list[Block]:
    """Plain text (blog-like) → blocks, by the line rules above."""
    t = _State(normalize_text(text).split("\n"))
    while t.i < t.n:
        t.s = t.st[t.i]
        if not t.s:
            t.para.flush()
            t.i += 1
            continue
        t.line, t.k = t.lines[t.i], t.nxt[t.i]
        for rule in _LINE_RULES:
            if rule(t):
                break
    t.para.flush()
    return t.b.blocks
