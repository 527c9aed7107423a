"""Parse stage: a document's text → a flat list of `Block`s that keep its structure.

Contract (extract.py relies on it):
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
"""
from __future__ import annotations

import html as _html
import re
import unicodedata
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

BlockKind = Literal["heading", "paragraph", "bullet", "table"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str                                   # cleaned text; "" for tables
    line: int                                   # 1-based source line where the block starts
    headings: tuple[str, ...] = ()              # enclosing heading path, outermost first
    level: int = 0                              # heading level (1 = top) for heading blocks
    rows: tuple[tuple[str, ...], ...] = ()      # tables only: header row first


__all__ = [
    "Block", "BlockKind", "parse_document", "parse_markdown", "parse_text", "parse_html",
    "sniff_format", "heading_label", "normalize_text",
]

# ---------------------------------------------------------------------------
# Text hygiene
# ---------------------------------------------------------------------------

_TRANSLATE: dict[int, str | None] = {}
for _c in "\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
    _TRANSLATE[ord(_c)] = None                  # zero-width / invisible formatting (ZWJ, ZWNJ kept: emoji, scripts)
for _c in "\u00a0\u202f\u2007\u205f\u3000\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)):
    _TRANSLATE[ord(_c)] = " "                   # exotic spaces
for _c in "\r\u2028\u2029\x85\x0b\x0c":
    _TRANSLATE[ord(_c)] = "\n"
for _c in list(range(0x00, 0x09)) + list(range(0x0E, 0x20)) + [0x7F]:
    _TRANSLATE[_c] = None                       # C0 controls except \t \n
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str) -> str:
    """Document-level hygiene: newlines, NBSP/odd spaces, zero-width chars, controls, NFC.

    Keeps line count (so line numbers stay meaningful) and keeps curly quotes, ×, ~, →,
    dashes, CJK and emoji intact.
    """
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", "replace") if isinstance(text, (bytes, bytearray)) else str(text)
    text = text.replace("\r\n", "\n").translate(_TRANSLATE)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _collapse(s: str) -> str:
    return " ".join(s.split())


def _tidy(s: str) -> str:
    """Final block-text hygiene (entities may have re-introduced NBSP / zero-width chars)."""
    if not s.isascii():
        s = s.translate(_TRANSLATE)
        if not unicodedata.is_normalized("NFC", s):
            s = unicodedata.normalize("NFC", s)
    return " ".join(s.split())


# ---------------------------------------------------------------------------
# Block builder (shared by all formats): heading stack + block list
# ---------------------------------------------------------------------------


class _Builder:
    __slots__ = ("blocks", "stack", "path")

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str, str]] = []   # (level, text, style)
        self.path: tuple[str, ...] = ()

    def heading(self, text: str, level: int, line: int, style: str = "") -> None:
        text = _tidy(text)
        if not text:
            return
        level = max(1, min(int(level), 9))
        st = self.stack
        if st and st[-1][0] >= level:
            while st and st[-1][0] >= level:
                st.pop()
            self.path = tuple(t for _, t, _ in st)
        self.blocks.append(Block("heading", text, max(1, line), self.path, level))
        st.append((level, text, style))
        self.path = tuple(t for _, t, _ in st)

    def add(self, kind: BlockKind, text: str, line: int) -> None:
        text = _tidy(text)
        if text:
            self.blocks.append(Block(kind, text, max(1, line), self.path))

    def table(self, rows: list[list[str]], line: int, widest: bool = False) -> None:
        rows = [r for r in rows if r is not None]
        if not rows:
            return
        width = max(len(r) for r in rows) if widest else len(rows[0])
        if width <= 0:
            return
        out: list[tuple[str, ...]] = []
        for i, r in enumerate(rows):
            r = [_tidy(c) for c in r[:width]]
            if len(r) < width:
                r += [""] * (width - len(r))
            if i and not any(r):
                continue
            out.append(tuple(r))
        if not any(any(r) for r in out):
            return
        self.blocks.append(Block("table", "", max(1, line), self.path, 0, tuple(out)))

    def level_below(self, skip_styles: tuple[str, ...]) -> int:
        """Level one below the innermost open heading whose style is not in skip_styles."""
        for lvl, _, style in reversed(self.stack):
            if style not in skip_styles:
                return lvl + 1
        return 1


# ---------------------------------------------------------------------------
# Markdown inline cleanup
# ---------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PUA_BASE = 0xE000                      # escaped ASCII punctuation is parked in U+E000..E07F
_UNPARK = {_PUA_BASE + c: chr(c) for c in range(0x21, 0x7F)}
_CODE_SPAN = re.compile(r"(`+)(.{1,1000}?)(?<!`)\1(?!`)", re.S)
_CODE_TOKEN = re.compile("\ue100(\\d+)\ue101")
_IMAGE = re.compile(r"!\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?(?:[^()\s]|\([^()\s]*\))*>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?(?:[^()\s]|\([^()\s]*\))*>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\[[^\[\]]*\]")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]{1,40}\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+|[^<>\s@]+@[^<>\s@]+\.[A-Za-z]{2,})>")
_TAG_LIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# spans are bounded ({1,300}) so unclosed markers cannot make a line quadratic
_STRIKE = re.compile(r"~~(?=\S)(.{1,300}?)(?<=\S)~~")
_STRONG_STAR = re.compile(r"\*\*(?=[^\s*])(.{1,300}?)(?<=[^\s])\*\*")
_STRONG_UND = re.compile(r"(?<![\w])__(?=[^\s_])(.{1,300}?)(?<=[^\s])__(?![\w])")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.{1,300}?)(?<=[^\s*])\*(?![\w*])")
_EM_UND = re.compile(r"(?<![\w])_(?=[^\s_])(.{1,300}?)(?<=[^\s_])_(?![\w])")
_LEFTOVER_STARS = re.compile(r"\*{2,}|(?<!\w)_{2,}|_{2,}(?!\w)")
_HEADING_ATTRS = re.compile(r"\s*\{[#.][^{}]*\}\s*$")


class _TagStripper(HTMLParser):
    """Inline HTML inside markdown → text (stdlib parser, not regex)."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})
    _SPACE = frozenset({"br", "p", "div", "li", "tr", "td", "th", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: D401
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._SPACE:
            self.out.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in self._SPACE:
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self.skip:
            self.skip -= 1
        elif tag in self._SPACE:
            self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)

    def handle_entityref(self, name):
        if not self.skip:
            self.out.append(f"&{name};")

    def handle_charref(self, name):
        if not self.skip:
            self.out.append(f"&#{name};")


def _strip_tags(s: str) -> str:
    try:
        p = _TagStripper()
        p.feed(s)
        p.close()
        return "".join(p.out)
    except Exception:
        return s


def _unescape_entities(s: str) -> str:
    if "&" not in s:
        return s
    return _ENTITY.sub(lambda m: _html.unescape(m.group(0)), s)


def clean_inline(s: str) -> str:
    """Markdown inline markup → plain text: emphasis, links, images, code spans, escapes,
    inline HTML and entities; whitespace collapsed."""
    if not s:
        return ""
    if "\\" in s:
        s = _ESCAPE.sub(lambda m: chr(_PUA_BASE + ord(m.group(1))), s)
    codes: list[str] = []
    if "`" in s:
        def _park(m: re.Match) -> str:
            codes.append(m.group(2).strip() or m.group(2))
            return f"\ue100{len(codes) - 1}\ue101"
        s = _CODE_SPAN.sub(_park, s)
    if "[" in s:
        if "![" in s:
            s = _IMAGE.sub(r"\1", s)
        s = _LINK.sub(r"\1", s)
        s = _REF_LINK.sub(r"\1", s)
        s = _FOOTNOTE_REF.sub("", s)
    if "<" in s:
        s = _AUTOLINK.sub(r"\1", s)
        if _TAG_LIKE.search(s):
            s = _strip_tags(s)
    s = _unescape_entities(s)
    if "~~" in s:
        s = _STRIKE.sub("", s)              # struck-through (retracted) text is dropped
    if "*" in s:
        s = _STRONG_STAR.sub(r"\1", s)
        s = _EM_STAR.sub(r"\1", s)
    if "_" in s:
        s = _STRONG_UND.sub(r"\1", s)
        s = _EM_UND.sub(r"\1", s)
    if "**" in s or "__" in s:
        s = _LEFTOVER_STARS.sub("", s)
    if codes:
        s = _CODE_TOKEN.sub(lambda m: codes[int(m.group(1))] if int(m.group(1)) < len(codes) else "", s)
    if "\\" in s or any(_PUA_BASE < ord(c) < _PUA_BASE + 0x80 for c in s):
        s = s.translate(_UNPARK)
    s = s.replace("\u00a0", " ")
    return _collapse(s)


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

_ATX_OPEN = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)")


class _AtxMatch:
    __slots__ = ("_g",)

    def __init__(self, hashes: str, text: str) -> None:
        self._g = (hashes, text)

    def group(self, k: int) -> str:
        return self._g[k - 1]


class _Atx:
    """ATX heading matcher (`## Title ##`) without a backtracking tail regex."""

    @staticmethod
    def match(line: str) -> _AtxMatch | None:
        m = _ATX_OPEN.match(line)
        if not m:
            return None
        rest = line[m.end():].strip(" \t")
        if rest.endswith("#"):
            core = rest.rstrip("#")
            if not core or core[-1] in " \t":
                rest = core.rstrip(" \t")
        return _AtxMatch(m.group(1), rest)


_ATX = _Atx()
_SETEXT_EQ = re.compile(r"^ {0,3}=+[ \t]*$")
_SETEXT_DASH = re.compile(r"^ {0,3}-+[ \t]*$")
_HR = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_BULLET = re.compile(r"^([ \t]*)(?:[-*+•]|(\d{1,9})[.)])[ \t]+(\S.*)$")
_TASK = re.compile(r"^\[[ xX]\][ \t]+")
_DELIM = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REFDEF = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:[ \t]*\S+")
_QUOTE = re.compile(r"^ {0,3}>[ ]?")
_PIPE_SPLIT = re.compile(r"(?<!\\)\|")
_HTML_BLOCK = re.compile(
    r"^ {0,3}</?(address|article|aside|blockquote|body|center|details|dialog|div|dl|fieldset|"
    r"figcaption|figure|footer|form|h[1-6]|header|hr|html|li|main|nav|ol|p|pre|section|summary|"
    r"table|tbody|td|tfoot|th|thead|tr|ul|script|style|noscript|template|svg|iframe)(?=[\s/>]|$)",
    re.I,
)
_FRONT_MATTER_END = {"---": ("---", "..."), "+++": ("+++",)}


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


def _split_row(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return _PIPE_SPLIT.split(s)


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


def parse_markdown(text: str) -> list[Block]:
    """Markdown (CommonMark/GFM-ish, hand-written line parser) → blocks."""
    text = _strip_html_comments(normalize_text(text))
    lines = text.split("\n")
    n = len(lines)
    b = _Builder()
    para: list[str] = []
    para_kind: BlockKind = "paragraph"
    para_line = 0
    para_closed = False
    in_list = False
    prev_quoted = False

    def flush() -> None:
        nonlocal para, para_closed
        if para:
            b.add(para_kind, clean_inline(" ".join(para)), para_line)
            para = []
        para_closed = False

    i = 0
    # front matter (YAML/TOML) at the very top is metadata, not prose
    if n and lines[0].strip() in _FRONT_MATTER_END:
        ends = _FRONT_MATTER_END[lines[0].strip()]
        for j in range(1, min(n, 200)):
            if lines[j].strip() in ends:
                i = j + 1
                break

    while i < n:
        raw = lines[i]
        line, quoted = _unquote(raw)
        if quoted != prev_quoted:
            flush()
            prev_quoted = quoted
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
            continue
        first = stripped[0]
        ind = _indent(line)

        # fenced code: skipped entirely
        if first in "`~":
            m = _FENCE.match(line)
            if m and (m.group(1)[0] == "~" or "`" not in m.group(2)):
                flush()
                fch, flen = m.group(1)[0], len(m.group(1))
                j = i + 1
                while j < n:
                    t = _unquote(lines[j])[0].strip() if quoted else lines[j].strip()
                    if t.startswith(fch * flen) and not t.strip(fch).strip():
                        break
                    j += 1
                i = j + 1
                continue

        # indented code block (not inside a list, not continuing a paragraph)
        if ind >= 4 and not para and not in_list:
            j = i
            while j < n and (not lines[j].strip() or _indent(lines[j]) >= 4):
                j += 1
            i = j
            continue

        # ATX heading
        if first == "#" and not quoted and ind <= 3:
            m = _ATX.match(line)
            if m:
                flush()
                in_list = False
                htext = m.group(2) or ""
                if htext.endswith("}"):
                    htext = _HEADING_ATTRS.sub("", htext)
                b.heading(clean_inline(htext), len(m.group(1)), i + 1, "atx")
                i += 1
                continue

        # setext heading (single-line paragraph underlined with === or ---)
        if para and para_kind == "paragraph" and first in "=-" and ind <= 3:
            if _SETEXT_EQ.match(line) or _SETEXT_DASH.match(line):
                if len(para) == 1 and not quoted:
                    level = 1 if first == "=" else 2
                    htext = clean_inline(para[0])
                    start = para_line
                    para = []
                    b.heading(htext, level, start, "setext")
                    in_list = False
                    i += 1
                    continue
                if first == "-":           # multi-line paragraph + '---' → paragraph then rule
                    flush()
                    i += 1
                    continue

        # horizontal rule
        if first in "-*_" and _HR.match(line):
            flush()
            i += 1
            continue

        # pipe table: header row + delimiter row
        if "|" in stripped and i + 1 < n:
            nxt = _unquote(lines[i + 1])[0] if quoted else lines[i + 1]
            if "|" in nxt and "-" in nxt and _DELIM.match(nxt) and _PIPE_SPLIT.search(stripped):
                flush()
                in_list = False
                header = [clean_inline(c) for c in _split_row(stripped)]
                rows = [header]
                j = i + 2
                while j < n:
                    t = _unquote(lines[j])[0] if quoted else lines[j]
                    ts = t.strip()
                    if not ts or "|" not in ts or (ts[0] == "#" and _ATX.match(t)):
                        break
                    rows.append([clean_inline(c) for c in _split_row(ts)])
                    j += 1
                b.table(rows, i + 1)
                i = j
                continue

        # raw HTML block embedded in markdown
        if first == "<" and _HTML_BLOCK.match(line):
            flush()
            tag = _HTML_BLOCK.match(line).group(1).lower()
            j = i
            if tag in ("table", "pre", "script", "style", "svg", "template", "noscript", "iframe", "details"):
                depth = 0
                opener, closer = f"<{tag}", f"</{tag}"
                while j < n:
                    low = lines[j].lower()
                    depth += low.count(opener) - low.count(closer)
                    j += 1
                    if depth <= 0:
                        break
            else:
                while j < n and lines[j].strip():
                    j += 1
                j = max(j, i + 1)
            chunk = "\n".join(lines[i:j])
            try:
                _walk_html(chunk, b, i)
            except Exception:
                b.add("paragraph", clean_inline(chunk), i + 1)
            in_list = False
            i = j
            continue

        # link reference definitions carry no prose
        if first == "[" and not para and _REFDEF.match(line):
            i += 1
            continue

        # list item
        if first in "-*+•0123456789":
            m = _BULLET.match(line)
            if m and not (para and para_kind == "paragraph" and not para_closed
                          and m.group(2) not in (None, "1") and not in_list):
                flush()
                para = [_TASK.sub("", m.group(3))]
                para_kind = "bullet"
                para_line = i + 1
                in_list = True
                i += 1
                continue

        # paragraph text
        hard_break = bool(para) and i > 0 and (lines[i - 1].endswith("  ") or lines[i - 1].rstrip().endswith("\\"))
        emph_only = _is_emphasis_only(stripped)
        if para and (para_closed or hard_break or emph_only):
            flush()
        if para:
            para.append(stripped[:-1] if stripped.endswith("\\") and not stripped.endswith("\\\\") else stripped)
        else:
            if ind < 2 or not in_list:
                in_list = in_list and ind >= 2
            para = [stripped[:-1] if stripped.endswith("\\") and not stripped.endswith("\\\\") else stripped]
            para_kind = "paragraph"
            para_line = i + 1
        if emph_only:
            para_closed = True
        i += 1
    flush()
    return b.blocks


# ---------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------

_TXT_BULLET = re.compile(r"^([ \t]*)(?:[-*•–·▪◦‣⁃○●■□➢➤►▸]|(\d{1,3})[.)]|[a-z]\))[ \t]+(\S.*)$")
_TXT_NUM_HEAD = re.compile(r"^(\d{1,2})[.)][ \t]+(\S.*)$|^(\d{1,2}(?:\.\d{1,2})+)\.?[ \t]+([A-Z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF\u4e00-\u9fff].*)$")
_SEP_CHARS = frozenset("=-_*~#+.·•—–─━═")


class _SepLine:
    """A separator line: 3+ copies of one rule character, optionally spaced (`---`, `* * *`, `═══`)."""

    @staticmethod
    def match(s: str) -> bool:
        t = s.replace(" ", "").replace("\t", "")
        return len(t) >= 3 and t[0] in _SEP_CHARS and t.count(t[0]) == len(t)


_SEP_LINE = _SepLine()
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


def _strip_lead_symbol(s: str) -> str:
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


def _tsv_cells(s: str) -> list[str]:
    return [c.strip() for c in s.strip("\n").split("\t")]


def parse_text(text: str) -> list[Block]:
    """Plain text (blog-like) → blocks, by line heuristics. See module docs of the heuristics in
    `_text_kind`."""
    text = normalize_text(text)
    lines = text.split("\n")
    n = len(lines)
    st = [l.strip() for l in lines]
    nxt = [n] * (n + 1)                     # index of next non-blank line after i
    j = n
    for k in range(n - 1, -1, -1):
        nxt[k] = j
        if st[k]:
            j = k
    wrapped = _detect_wrapped(st)
    b = _Builder()
    para: list[str] = []
    para_kind: BlockKind = "paragraph"
    para_line = 0
    title_pending = True

    def flush() -> None:
        nonlocal para
        if para:
            b.add(para_kind, " ".join(para), para_line)
            para = []

    def is_plain_line(k: int) -> bool:
        s = st[k]
        if not s or _TXT_BULLET.match(lines[k]) or _TXT_NUM_HEAD.match(s) or _lead_symbol(s):
            return False
        if s.startswith("|") or _SEP_LINE.match(s):
            return False
        return True

    def is_body(k: int) -> bool:
        if k >= n or not is_plain_line(k):
            return False
        s = st[k]
        if len(s) >= 100:
            return True
        if wrapped and len(s) >= 50:
            return True
        return len(s) >= 40 and s[-1] in _BODY_END

    def is_label(s: str) -> bool:
        return (s[-1] in ":：" and len(s) <= 60 and len(s.split()) <= 8 and s.count(":") + s.count("：") == 1
                and not _ends_sentence(s[:-1]))

    i = 0
    while i < n:
        s = st[i]
        if not s:
            flush()
            i += 1
            continue
        line = lines[i]
        k = nxt[i]

        # underlined heading (=== / ---) or a bare separator line
        if i + 1 < n and st[i + 1] and _UNDERLINE.match(st[i + 1]) and len(s) <= 90 and not _SEP_LINE.match(s):
            flush()
            b.heading(s, 1 if st[i + 1][0] == "=" else 2, i + 1, "underline")
            title_pending = False
            i += 2
            continue
        if _SEP_LINE.match(s):
            flush()
            i += 1
            continue

        # tables: pipe table with delimiter row, a run of |-framed lines, or tab-separated rows
        if "|" in s:
            rows: list[list[str]] | None = None
            j = i
            if i + 1 < n and "|" in st[i + 1] and "-" in st[i + 1] and _DELIM.match(st[i + 1]):
                rows = [[_unescape_pipe(c) for c in _split_row(s)]]
                j = i + 2
                while j < n and st[j] and "|" in st[j]:
                    rows.append([_unescape_pipe(c) for c in _split_row(st[j])])
                    j += 1
            elif s.startswith("|") and s.endswith("|") and len(s) > 2 and i + 1 < n \
                    and st[i + 1].startswith("|") and st[i + 1].endswith("|") and len(st[i + 1]) > 2:
                rows = []
                j = i
                while j < n and st[j].startswith("|") and st[j].endswith("|") and len(st[j]) > 2:
                    if not _DELIM.match(st[j]):
                        rows.append([_unescape_pipe(c) for c in _split_row(st[j])])
                    j += 1
            if rows:
                flush()
                b.table(rows, i + 1)
                title_pending = False
                i = j
                continue
        if "\t" in line.strip() and i + 1 < n and "\t" in lines[i + 1].strip():
            c0 = _tsv_cells(line.strip())
            c1 = _tsv_cells(lines[i + 1].strip())
            if len(c0) >= 2 and len(c0) == len(c1):
                flush()
                rows = []
                j = i
                while j < n and "\t" in lines[j].strip():
                    rows.append(_tsv_cells(lines[j].strip()))
                    j += 1
                b.table(rows, i + 1)
                title_pending = False
                i = j
                continue

        # markdown-style '# Heading' in a text file
        if s[0] == "#":
            m = _ATX.match(line.lstrip())
            if m and m.group(2):
                flush()
                b.heading(m.group(2), len(m.group(1)), i + 1, "atx")
                title_pending = False
                i += 1
                continue

        # first line of the document: its title
        if title_pending:
            title_pending = False
            if len(s) <= 150 and not _ends_sentence(s) and not _TXT_BULLET.match(line) and not is_label(s):
                flush()
                b.heading(s, 1, i + 1, "title")
                i += 1
                continue

        short = len(s) <= 90 and not _ends_sentence(s)
        lead = _lead_symbol(s)

        # bullets with the usual markers
        m = _TXT_BULLET.match(line)
        numbered = _TXT_NUM_HEAD.match(s)
        if numbered and short and (is_body(k) or (k < n and is_label(st[k]))) and not s.endswith(":"):
            depth = 1 if numbered.group(1) else numbered.group(3).count(".") + 1
            flush()
            b.heading(s, 1 + depth, i + 1, "numbered")
            i += 1
            continue
        if m:
            flush()
            para = [m.group(3)]
            para_kind = "bullet"
            para_line = i + 1
            i += 1
            continue

        # emoji / symbol lead
        if lead == "emoji" and short:
            flush()
            b.heading(s, 1, i + 1, "emoji")
            i += 1
            continue
        if lead == "bulletish":
            rest = _strip_lead_symbol(s)
            if short and ": " not in rest and is_body(k):
                flush()
                b.heading(s, b.level_below(("label", "bulletish", "numbered")), i + 1, "bulletish")
                i += 1
                continue
            flush()
            para = [rest]
            para_kind = "bullet"
            para_line = i + 1
            i += 1
            continue
        # 'Label:' line → heading one level below the current section
        if is_label(s):
            flush()
            b.heading(s, b.level_below(("label",)), i + 1, "label")
            i += 1
            continue

        # ALL CAPS or Title Case line followed by body text → section heading
        if short and k < n and not para and not (para_kind == "bullet" and line[:1].isspace()):
            if (_is_allcaps(s) and len(s.split()) <= 10) or (_is_titlecase(s) and is_body(k) and len(st[k]) > len(s)):
                flush()
                b.heading(s, 1, i + 1, "plain")
                i += 1
                continue

        # paragraph / continuation
        if para:
            prev = para[-1]
            cont = False
            if para_kind == "bullet":
                cont = line[:1] in " \t" or (not _ends_sentence(prev) and (s[0].islower() or wrapped))
            else:
                cont = (wrapped and not _ends_sentence(prev) or wrapped and s[0].islower()) or (
                    not _ends_sentence(prev) and prev[-1:] not in ":：" and s[0].islower())
            if cont:
                para.append(s)
                i += 1
                continue
            flush()
        para = [s]
        para_kind = "paragraph"
        para_line = i + 1
        i += 1
    flush()
    return b.blocks


def _unescape_pipe(c: str) -> str:
    return _collapse(c.replace("\\|", "|"))


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

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
_WORD_PROBE = re.compile(r"[A-Za-z0-9]{4,}|[A-Za-z0-9]{3}|\w{2,}")
_INT = re.compile(r"\d+")


def _soup(markup: str):
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return BeautifulSoup(markup, "lxml")
        except Exception:
            return BeautifulSoup(markup, "html.parser")


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


def _span(tag, attr: str) -> int:
    v = tag.get(attr)
    if v is None:
        return 1
    m = _INT.search(str(v))
    if not m:
        return 1
    return max(1, min(int(m.group(0)), 100))


def _sup_text(t: str, prev: str) -> str:
    t = t.strip()
    if not t or _BRACKETED.match(t):
        return ""
    if prev[-1:].isdigit() and t.replace("-", "").replace("−", "").isdigit():
        return "^" + t
    if t in ("2", "3") and (prev.endswith("m") or prev.endswith("ft") or prev.endswith("in")):
        return "²" if t == "2" else "³"
    if _FOOTMARK.match(t):
        return ""
    return t


def _inline_text(node) -> str:
    """Text of an element (heading, table cell): br/blocks → spaces, dropped tags skipped."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    out: list[str] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if type(cur) is str:
            out.append(cur)
            continue
        if isinstance(cur, NavigableString):
            if not isinstance(cur, PreformattedString):
                out.append(str(cur))
            continue
        if not isinstance(cur, Tag):
            continue
        name = cur.name
        if name in _DROP_TAGS:
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
    return _collapse("".join(out))


def _own_rows(tbl) -> list[tuple[object, bool]]:
    rows: list[tuple[object, bool]] = []
    for child in tbl.children:
        name = getattr(child, "name", None)
        if name == "tr":
            rows.append((child, False))
        elif name in ("thead", "tbody", "tfoot"):
            for tr in child.children:
                if getattr(tr, "name", None) == "tr":
                    rows.append((tr, name == "thead"))
    if not rows:
        rows = [(tr, False) for tr in tbl.find_all("tr") if tr.find_parent("table") is tbl]
    return rows


def _layout_markers(tbl) -> bool:
    """True when a table is used for page layout: role=presentation or headings inside."""
    if str(tbl.get("role", "")).lower() in ("presentation", "none"):
        return True
    for d in tbl.descendants:
        if getattr(d, "name", None) in _HEAD_TAGS:
            return True
    return False


def _is_data_grid(tbl, grid: list[list[str]]) -> bool:
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


def _table_rows(rows) -> list[list[str]]:
    grid: list[list[str]] = []
    header_rows = 0
    all_th_prefix = True
    pending: dict[int, list] = {}          # column → [text, rows remaining]
    for tr, in_thead in rows:
        cells = [c for c in tr.children if getattr(c, "name", None) in ("td", "th")]
        row: list[str] = []
        col = 0

        def take_pending() -> None:
            nonlocal col
            while col in pending:
                t, left = pending[col]
                row.append(t)
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
    if not grid:
        return []
    if header_rows > 1 and header_rows < len(grid):
        width = max(len(r) for r in grid[:header_rows])
        merged = []
        for ci in range(width):
            parts: list[str] = []
            for r in grid[:header_rows]:
                v = r[ci] if ci < len(r) else ""
                if v and v not in parts:
                    parts.append(v)
            merged.append(" ".join(parts))
        grid = [merged] + grid[header_rows:]
    return grid


def _walk_html(markup: str, b: _Builder, line_offset: int = 0) -> None:
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    soup = _soup(markup)
    find_line = _LineFinder(markup, line_offset)
    buf: list[str] = []
    buf_hint: list[int | None] = [None]
    ctx: list[BlockKind] = ["paragraph"]
    last_br = [False]

    def flush() -> None:
        if buf:
            text = _collapse("".join(buf))
            buf.clear()
            if text:
                b.add(ctx[-1], text, find_line(text, buf_hint[0]))
        buf_hint[0] = None

    EXIT = object()
    EXIT_TABLE = object()
    tdepth = 0                                # layout tables we are inside
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if node is EXIT:
            flush()
            ctx.pop()
            continue
        if node is EXIT_TABLE:
            tdepth -= 1
            continue
        if isinstance(node, NavigableString):
            if isinstance(node, PreformattedString):
                continue
            s = str(node)
            if s.strip():
                if not any(x.strip() for x in buf):
                    buf_hint[0] = getattr(node.parent, "sourceline", None)
                last_br[0] = False
            buf.append(s)
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if name in _DROP_TAGS or (node.attrs and "hidden" in node.attrs):
            continue
        if name == "br":
            if last_br[0]:
                flush()                      # <br><br> separates paragraphs
            else:
                buf.append(" ")
            last_br[0] = True
            continue
        last_br[0] = False
        if name in _HEAD_TAGS:
            flush()
            t = _inline_text(node)
            if t:
                b.heading(t, _HEAD_TAGS[name], find_line(t, getattr(node, "sourceline", None)), "html")
            continue
        if name == "sup":
            prev = next((x for x in reversed(buf) if x.strip()), "")
            buf.append(_sup_text(node.get_text(), prev.rstrip()))
            continue
        if name == "pre" and node.find("code") is not None:
            flush()
            continue
        if name == "table":
            grid: list[list[str]] = []
            if tdepth < 4:                    # deeper nesting: treat as layout, keeps the walk linear
                rows = _own_rows(node)
                if len(rows) >= 2 and not _layout_markers(node):
                    grid = _table_rows(rows)
            if grid and _is_data_grid(node, grid):
                flush()
                cap = node.find("caption")
                if cap is not None and cap.find_parent("table") is node:
                    ct = _inline_text(cap)
                    if ct:
                        b.add("paragraph", ct, find_line(ct, getattr(cap, "sourceline", None)))
                if grid:
                    first = next((c for r in grid for c in r if c), "")
                    b.table(grid, find_line(first, getattr(node, "sourceline", None)), widest=True)
                continue
            tdepth += 1
            stack.append(EXIT_TABLE)
        if name in _BLOCK_TAGS:
            flush()
            if name == "li":
                kind: BlockKind = "bullet"
            elif ctx[-1] == "bullet" and name not in _LIST_CONTAINERS:
                kind = "bullet"
            else:
                kind = "paragraph"
            ctx.append(kind)
            stack.append(EXIT)
        kids = node.contents
        for c in reversed(kids):
            stack.append(c)
    flush()


def parse_html(text: str) -> list[Block]:
    """HTML → blocks via BeautifulSoup (lxml, falling back to html.parser)."""
    text = normalize_text(text)
    b = _Builder()
    _walk_html(text, b, 0)
    return b.blocks


# ---------------------------------------------------------------------------
# Dispatch, sniffing, labels
# ---------------------------------------------------------------------------

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


_EXT = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown", ".mkdn": "markdown",
    ".txt": "text", ".text": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
}
_HTML_SNIFF = re.compile(r"<(?:!doctype\s+html|html|body|head|p|div|h[1-6]|article|table|section|span|ul|li)[\s>/]", re.I)
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
        h = _collapse(normalize_text(heading or ""))
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
            stripped = _strip_lead_symbol(h).strip()
            h = stripped or h
        if len(h) > 60:
            cut = h[:60]
            sp = cut.rfind(" ")
            h = (cut[:sp] if sp >= 30 else cut).rstrip(" ,;:—–-") + "…"
        return h
    except Exception:
        return str(heading)[:60] if heading else ""
