"""Markdown inline markup → plain text: emphasis, links, images, code spans, escapes, inline HTML
and entities."""
from __future__ import annotations

import html as _html
import re
from html.parser import HTMLParser

from .hygiene import collapse

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PUA_BASE = 0xE000                      # escaped ASCII punctuation is parked in U+E000..E07F
_UNPARK = {_PUA_BASE + c: chr(c) for c in range(0x21, 0x7F)}
_PARKED = re.compile(f"[\\u{_PUA_BASE + 1:04x}-\\u{_PUA_BASE + 0x7F:04x}]")  # a character parked (or like one)
_CODE_SPAN = re.compile(r"(`+)(.{1,1000}?)(?<!`)\1(?!`)", re.S)
_CODE_TOKEN = re.compile("\ue100(\\d+)\ue101")
# [text](destination "title"): the bracketed text, then a destination and an optional title
_LINK_TARGET = r"\(\s*<?(?:[^()\s]|\([^()\s]*\))*>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
_IMAGE = re.compile(r"!\[((?:[^\[\]]|\[[^\[\]]*\])*)\]" + _LINK_TARGET)
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]" + _LINK_TARGET)
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


_COMMENT_CLOSE = re.compile(r"--\s*>")          # what ends a comment for html.parser (CPython 3.11)


class _TagStripper(HTMLParser):
    """Inline HTML inside markdown → text (stdlib parser, not regex)."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})
    _SPACE = frozenset({"br", "p", "div", "li", "tr", "td", "th", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skip = 0
        self._at_end = False
        self._scanned: str | None = None          # the buffer the two positions below belong to
        self._last_close = -1                     # start of the last comment end in it
        self._last_gt = -1                        # its last '>'

    def goahead(self, end: bool) -> None:
        self._at_end = end
        super().goahead(end)

    def parse_comment(self, i: int, report: bool = True) -> int:
        """As the stdlib, without its quadratic cost on many unclosed `<!--`.

        For each unclosed `<!--` the stdlib searches the rest of the text for a comment end and,
        at end of input, for a '>', so 100,000 of them took 47 s. One scan of the buffer tells
        whether either exists after i; when neither does, this emits what the stdlib would (the
        text up to the next '<' as data), in time proportional to that text.
        """
        rawdata = self.rawdata
        if rawdata is not self._scanned:
            self._scanned = rawdata
            last = None
            for match in _COMMENT_CLOSE.finditer(rawdata):
                last = match
            self._last_close = last.start() if last else -1
            self._last_gt = rawdata.rfind(">")
        if i + 4 <= self._last_close:
            return super().parse_comment(i, report)     # closed: the search stops at its end
        if not self._at_end or self._last_gt > i:
            return -1                                   # stdlib: wait for more / take up to that '>'
        k = rawdata.find("<", i + 1)
        if k < 0:
            k = i + 1
        self.handle_data(rawdata[i:k])
        return k

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: D401
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._SPACE:
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SPACE:
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip:
            self.skip -= 1
        elif tag in self._SPACE:
            self.out.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self.skip:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
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
        def _park(m: re.Match[str]) -> str:
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
    if "\\" in s or _PARKED.search(s):
        s = s.translate(_UNPARK)
    s = s.replace("\u00a0", " ")
    return collapse(s)
