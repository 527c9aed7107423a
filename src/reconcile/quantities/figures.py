"""The figure lexer: the text forms of figures → `Quantity` intervals, or `Unparsed` when a form cannot be read.

Candidates are found with one cheap anchor regex (digit runs and currency signs); each is read by `_figure_at` in
named steps — left context, range, glued letters, plus and per, the bare-number skips, malformed forms, interval —
with anchored matches on small windows, so the cost is linear in the text length. A step that finds the candidate
is not a figure raises `_Skip`; one that finds a figure it cannot read safely raises `_Malformed`.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace

from ..prefilter import prefiltered
from .lexicon import (
    APPROX_WORDS,
    AT_LEAST_WORDS,
    AT_MOST_WORDS,
    CAP_OK,
    CURRENCY,
    DECADE_PARTS,
    FLOPS_UNITS,
    FRACTION_WORDS,
    HELD_WORDS,
    MAG_EXP,
    MONTH_AFTER,
    NUMBER_WORDS,
    PER_ADVERB,
    PER_NORM,
    PHYS_UNITS,
    SIGNED_UNITS,
    SP,
    SPELLED_SCALES,
    SUBUNITS,
    TIME_UNITS,
    VAGUE_COUNTS,
    VAGUE_SCALES,
    WORD_UNITS,
    alt,
)

INF = math.inf


@dataclass(frozen=True)
class Quantity:
    text: str              # the exact span matched
    start: int             # offsets into the searched text
    end: int
    value: float | None    # None for a range
    low: float             # -inf/inf for open bounds
    high: float
    # unit: USD | count | percent | multiple | GW | MW | W | GB | TB/s | TFLOPS | PFLOPS | EXAFLOPS | nm | days |
    # months | years | ...
    unit: str
    qualifier: str         # exact | approx | at_least | at_most | range | approx_range | change
    per: str | None = None # rate denominator: "quarter", "month", "year", "user/month", "GPU/year", "hour" ...
    sig: float = 0.0       # half a unit in the last stated digit, in the same scale as value (rounding tolerance)


@dataclass(frozen=True)
class Unparsed:
    text: str
    start: int
    end: int
    reason: str


# ---------------------------------------------------------------------------
# Regexes (all precompiled; all used anchored or on bounded windows)
# ---------------------------------------------------------------------------

_ANCHOR = re.compile(r"[0-9]+|[$€£]")

_PRE = re.compile(
    r"(?:(?P<between>(?<![A-Za-z])(?i:between)[ \t\u00a0]+)"
    r"|(?P<qword>(?<![A-Za-z])(?i:" + alt(APPROX_WORDS | AT_LEAST_WORDS | AT_MOST_WORDS) + r")[ \t\u00a0]+))?"
    r"(?P<qsym>[~≈≥≤±]+[ \u00a0]?|[<>]=?)?"
    r"(?P<sign>[+\-−])?"
    r"(?P<cur>(?:US\$|[$€£])[ \u00a0]?|(?:USD|EUR|GBP)[ \u00a0])?"
    r"(?P<bad>[+\-−~≈]+)?"
    r"\Z")

_NUM = r"[0-9](?:[0-9,.]*[0-9])?"
_NUM_OK = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?\Z")

_TAIL = (
    r"(?:(?P<magw>[ \u00a0-]?(?i:thousand|million|billion|trillion|bn|mn))(?![A-Za-z0-9])"
    r"|(?P<mag>[KkMBT])(?![A-Za-z0-9])"
    r"|(?P<magl>[mb])(?![A-Za-z0-9]))?"
    r"(?:(?P<pct>" + SP + r"?%|" + SP + r"(?i:percent|per[ ]?cent|pct)(?![A-Za-z0-9]))"
    r"|(?P<pp>" + SP + r"?(?:pp|(?i:percentage[ ]points?))(?![A-Za-z0-9]))"
    r"|(?P<bps>" + SP + r"?(?:bps|(?i:basis[ ]points?))(?![A-Za-z0-9]))"
    r"|(?P<mult>(?:" + SP + r"?×|[xX])(?![A-Za-z0-9]))"
    r"|" + SP + r"?(?P<funit>(?i:" + alt(FLOPS_UNITS) + r"))(?![A-Za-z0-9])"
    r"|" + SP + r"?(?P<unit>" + alt(PHYS_UNITS) + r")(?![A-Za-z0-9])"
    r"|[ \u00a0-]?(?P<wunit>(?i:" + alt(WORD_UNITS) + r"))(?![A-Za-z0-9])"
    r"|[ \u00a0-]?(?P<tunit>(?i:" + alt(TIME_UNITS) + r"))(?![A-Za-z0-9])"
    r"(?![ \u00a0-]+(?i:quarter|half|largest|biggest|straight|consecutive)\b)"  # "2026 Second Quarter": ordinal
    r"|" + SP + r"(?P<curw>USD|US[ ]dollars|dollars|EUR|euros|GBP)(?![A-Za-z0-9]))?")
_ATOM = re.compile(r"(?P<num>" + _NUM + r")(?P<exp>[eE][+-]?[0-9]+)?" + _TAIL)
# a magnitude or unit after a trailing plus: "4+ million", "2+ GW", "3.5+ TB/s"
_PLUS_TAIL = re.compile(r"(?P<num>)(?P<exp>)" + _TAIL)

_SEP = re.compile(r"(?P<dash>" + SP + r"?[-–]" + SP + r"?)|" + SP + r"+(?P<word>to|and)" + SP + r"+")
_SEP_TAIL = re.compile(r"(?P<sign>[+\-−])?(?P<cur>(?:US\$|[$€£])[ \u00a0]?)?(?=[0-9])")

_PLUS = re.compile(r"\+(?![0-9+])")
_PER = re.compile(
    r"/(?P<tok>(?:1[ ]?M|M|million)[ ]tokens?)(?![A-Za-z0-9])"
    r"|/(?P<p1>[A-Za-z][A-Za-z0-9]*)(?:/(?P<p2>[A-Za-z][A-Za-z0-9]*))?(?![A-Za-z0-9/])"
    r"|" + SP + r"+per" + SP + r"+(?P<pw>(?:1[ ]?M|M|million)[ ]tokens?|(?i:" + alt(PER_NORM) + r"))"
    r"(?:[-/](?P<pw2>(?i:hour|hr|month|year|day)))?"
    r"(?:" + SP + r"+per" + SP + r"+(?P<pw3>(?i:" + alt(PER_NORM) + r")))?(?![A-Za-z0-9])"
    r"|" + SP + r"+(?:a|an|each|every)" + SP + r"+(?P<pa>year|month|quarter|week|day|hour)(?![A-Za-z0-9])"
    r"(?!" + SP + r"+(?:ago|earlier|later|before|after|prior|from|or|and)(?![A-Za-z]))"
    r"|" + SP + r"*(?P<padv>annually|per[ ]annum|annuali[sz]ed|(?:quarterly|monthly|yearly|weekly|daily|hourly)"
    r"(?!" + SP + r"+[A-Za-z]))(?![A-Za-z0-9])")

_CUR_ALONE = re.compile(
    r"(?:US\$|[$€£])(?!" + SP + r"?[+\-−~]?[0-9])"
    r"(?:" + SP + r"?(?P<mag>[KMBT]|bn|(?i:thousand|million|billion|trillion))(?![A-Za-z0-9])"
    r"|(?=[ \t\r\n.,;:!?)\]|*]|\Z))")

# where a non-empty _PRE match can start: a letter no ASCII letter precedes (a qualifier word, 'between'), a
# currency code's first letter (read even when glued: 'xUSD 5'), or a qualifier, sign or currency symbol
_PRE_START = re.compile(r"(?<![A-Za-z])[^\W\d_]|[UEG~≈≥≤±<>+\-−$€£]")
_PREV_WORD = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)\.?[ \u00a0]\Z")
_FROM_BEFORE = re.compile(r"(?<![A-Za-z])(?i:from)[ \t\u00a0]+\Z")
_AMPM = re.compile(r"[ \u00a0]?[AaPp]\.?[Mm]\.?(?![A-Za-z])")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9_]*")
_LINE_START = re.compile(r"(?:^|\n)[ \t>*-]*\Z")

# the last word of each qualifier word _PRE reads, and 'between'
_PREFIX_LAST_WORDS = frozenset(w.split()[-1] for w in APPROX_WORDS | AT_LEAST_WORDS | AT_MOST_WORDS) | \
    {"between"}
_CURRENCY_CODES = ("USD", "EUR", "GBP")  # _PRE reads them with no word boundary before
_BAD_LEFT = set("_.#@=\\^/:'’&%")
# characters a figure prefix (qualifier word, ~, sign, currency) can end with
_PRE_END = set(" \t\u00a0~≈≥≤±<>=+-−$€£")


# ---------------------------------------------------------------------------
# The pieces of one candidate
# ---------------------------------------------------------------------------

class _Skip(Exception):
    """Internal: the candidate is not a figure (a name, a date, a year ...); scanning resumes at `end`."""

    def __init__(self, end: int):
        super().__init__(end)
        self.end = end


class _Malformed(Exception):
    """Internal: the candidate looks like a figure but cannot be read safely; reported as `Unparsed`."""

    def __init__(self, reason: str, end: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.end = end


def _num_value(raw: str, exp: int) -> tuple[float, float] | None:
    """(value, sig) for a validated plain number string times 10**exp; None if not finite."""
    digits = raw.replace(",", "")
    decimals = len(digits) - digits.index(".") - 1 if "." in digits else 0
    try:
        value = float(f"{digits}e{exp}")
        sig = float(f"5e{exp - decimals - 1}")
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(value) or not math.isfinite(sig):
        return None
    return value, sig


_TAIL_KINDS = (("pct", "pct", "percent"), ("pp", "pct", "pp"), ("bps", "pct", "bps"), ("mult", "mult", "multiple"))


class _End:
    """One end of a figure: a number with its own exponent / magnitude / unit."""

    __slots__ = ("m", "raw", "ok", "exp", "mag", "kind", "unit", "magl")

    def __init__(self, m: re.Match[str]):
        self.m = m
        self.raw = m["num"]
        self.ok = bool(_NUM_OK.match(self.raw))
        exp = 0
        if m["exp"]:
            exp = int(m["exp"][1:]) if len(m["exp"]) < 12 else (10 ** 6 if "-" not in m["exp"] else -10 ** 6)
        self.exp = exp
        magtxt = m["magw"] or m["mag"] or m["magl"]
        self.magl = bool(m["magl"])
        self.mag = MAG_EXP[magtxt.strip(" \u00a0-").lower()] if magtxt else None
        self.kind, self.unit = _kind_and_unit(m)

    @property
    def bare(self) -> bool:
        return self.mag is None and self.kind is None and not self.m["exp"]


def _kind_and_unit(m: re.Match[str]) -> tuple[str | None, str | None]:
    for group, kind, unit in _TAIL_KINDS:
        if m[group]:
            return kind, unit
    if m["unit"]:
        return "unit", PHYS_UNITS[m["unit"]]
    if m["funit"]:
        return "unit", FLOPS_UNITS[m["funit"].lower()]
    if m["tunit"]:
        return "unit", TIME_UNITS[m["tunit"].lower()]
    if m["wunit"]:
        return "unit", WORD_UNITS[m["wunit"].lower()]
    if m["curw"]:
        return "cur", CURRENCY[m["curw"]]
    return None, None


def _norm_per(seg: str) -> str:
    key = seg.lower()
    if key in PER_NORM:
        return PER_NORM[key]
    return seg if seg.isupper() else key


def _per_from(m: re.Match[str]) -> str:
    if m["tok"]:
        return "M tokens"
    if m["p1"]:
        parts = [m["p1"]] + ([m["p2"]] if m["p2"] else [])
        return "/".join(_norm_per(p) for p in parts)
    if m["pw"]:
        if "token" in m["pw"].lower() and " " in m["pw"]:
            first = "M tokens"
        else:
            first = _norm_per(m["pw"])
        parts = [first] + [_norm_per(p) for p in (m["pw2"], m["pw3"]) if p]
        return "/".join(parts)
    if m["pa"]:
        return m["pa"]
    return PER_ADVERB[re.sub(r"\s+", " ", m["padv"])]


@dataclass
class _Candidate:
    """A figure being read: where it sits, and what the steps so far have found."""

    text: str
    s: int                      # its first digit
    whole: bool                 # reading one whole string (parse_quantity), not scanning prose
    e1: _End
    pos: int                    # end of what has been read so far
    p0: int = 0                 # start of the figure, prefix included
    pm: re.Match[str] | None = None  # the prefix match (qualifier word, symbol, sign, currency)
    qword: str = ""
    between: bool = False
    qsym: str = ""
    sign: str | None = None
    cur: str | None = None
    bad: str | None = None
    e2: _End | None = None      # the other end of a range
    sep_word: str | None = None  # "to" / "and" between the ends; None for a dash
    sign2: str | None = None
    plus: bool = False
    per: str | None = None
    bare: bool = False          # a plain number: no magnitude, unit, currency or rate

    @property
    def n(self) -> int:
        return len(self.text)

    @property
    def raw_end(self) -> int:
        return self.s + len(self.e1.raw)

    @property
    def ends(self) -> tuple[_End, ...]:
        return (self.e1,) if self.e2 is None else (self.e1, self.e2)


# ---------------------------------------------------------------------------
# Reading one candidate, step by step
# ---------------------------------------------------------------------------

def _figure_at(text: str, s: int, last: int, whole: bool) -> tuple[Quantity | Unparsed | None, int]:
    """Read the figure whose first digit is at `s`. Returns (item or None, end of consumed span)."""
    m1 = _ATOM.match(text, s)
    assert m1 is not None, "an atom reads every figure's first digit"
    c = _Candidate(text, s, whole, _End(m1), m1.end())
    _read_prefix(c, last)
    try:
        _check_left_context(c)
        _read_range(c)
        _check_glued(c)
        _read_plus_and_per(c)
        _check_bare_number(c)
        unit = _unit_of(c)
        return _interval(c, _values(c), unit)
    except _Malformed as bad:
        end = c.pos if bad.end is None else bad.end
        return Unparsed(text[c.p0:end], c.p0, end, bad.reason), end


def _read_prefix(c: _Candidate, last: int) -> None:
    """Qualifier word, symbol, sign and currency just before the first digit."""
    text, s = c.text, c.s
    c.p0 = s
    if not (s > last and text[s - 1] in _PRE_END):
        return
    lo = max(last, s - 40)
    if _plain_word_before(text, lo, s):
        return
    pm = _prefix_match(text, lo, s)
    c.pm, c.p0 = pm, pm.start()
    c.qword = (pm["qword"] or "").strip().lower()
    c.between = bool(pm["between"])
    c.qsym = (pm["qsym"] or "").strip()
    c.sign = pm["sign"]
    c.cur = CURRENCY[pm["cur"].strip()] if pm["cur"] else None
    c.bad = pm["bad"]


def _prefix_match(text: str, lo: int, s: int) -> re.Match[str]:
    """_PRE.search(text, lo, s), tried only where a prefix can start (a word's first letter, a currency code's
    first letter, a symbol) and then, empty, at `s`: the same match, without trying each of ~40 positions."""
    for start in _PRE_START.finditer(text, lo, s):
        pm = _PRE.match(text, start.start(), s)
        if pm is not None:
            return pm
    pm = _PRE.match(text, s, s)
    assert pm is not None, "every part of _PRE is optional"
    return pm


def _plain_word_before(text: str, lo: int, s: int) -> bool:
    """Spaces before `s` after a whole ASCII word that no qualifier word or 'between' ends with, nor a currency code
    ('revenue was 5'): _PRE can only match the empty prefix there, and searching the window for it costs ~40
    tries. Anything else (a symbol, a '.', a word running out of the window or glued to another letter) is
    left to _PRE."""
    k = s - 1
    while k >= lo and text[k] in " \t\u00a0":
        k -= 1
    j = k
    while j >= lo and text[j].isascii() and text[j].isalpha():
        j -= 1
    if j == k or j < lo or text[j].isalpha():
        return False
    word = text[j + 1:k + 1]
    return word.lower() not in _PREFIX_LAST_WORDS and not word.endswith(_CURRENCY_CODES)  # 'xUSD 5' reads USD


def _check_left_context(c: _Candidate) -> None:
    """Names and identifiers: a number glued to letters or symbols on its left is not a figure."""
    left = c.text[c.p0 - 1] if c.p0 > 0 else ""
    if not left or c.between or c.qword or c.qsym:
        return
    if c.sign or not c.cur:
        _check_left_of_number(c, left)
    elif left.isalnum() or left in "$_":
        raise _Skip(c.raw_end)   # 'A$5', 'x$5', '$$5': a currency sign glued to a name


def _check_left_of_number(c: _Candidate, left: str) -> None:
    text, p0, raw_end = c.text, c.p0, c.raw_end
    if left.isalnum() or left in _BAD_LEFT:
        # "'25" is a year; before a longer number a quote opens a quotation
        if not (left in "'’" and len(c.e1.raw) != 2):
            raise _Skip(raw_end)
    if left == "-" and p0 >= 2 and text[p0 - 2].isalnum():
        raise _Skip(raw_end)                             # 'GPT-5', 'COVID-19'
    if left in "[" and raw_end < c.n and text[raw_end] == "]" and not c.whole:
        raise _Skip(raw_end)                             # '[3]': a footnote marker


def _read_range(c: _Candidate) -> None:
    """A second number after a dash, 'to' or 'between ... and': '$175-185B', '30 to 40%'."""
    text = c.text
    sm = _SEP.match(text, c.pos)
    if sm is not None and _separator_allowed(c, sm["word"]):
        tm = _SEP_TAIL.match(text, sm.end())
        if tm is not None and not (tm["sign"] and sm["word"] is None):
            cur2 = CURRENCY[tm["cur"].strip()] if tm["cur"] else None
            m2 = _ATOM.match(text, tm.end())
            if m2 is not None and (cur2 is None or cur2 == c.cur):
                cand = _End(m2)
                if _ends_agree(c.e1, cand, text, m2.end()):
                    c.e2, c.sep_word, c.sign2 = cand, sm["word"], tm["sign"]
                    c.pos = m2.end()
    if c.between and c.e2 is None and c.pm is not None:
        # 'between 5' with no 'and': the figure starts after the word
        pm = c.pm
        c.p0 = pm.start("qsym") if pm["qsym"] else (pm.start("sign") if c.sign else
                                                     (pm.start("cur") if c.cur else c.s))
        c.between = False


def _separator_allowed(c: _Candidate, word: str | None) -> bool:
    if word is None:
        return True
    if word == "to":
        return not _FROM_BEFORE.search(c.text, max(0, c.p0 - 12), c.p0)  # 'from 5 to 7' is two figures
    return word == "and" and c.between


def _ends_agree(e1: _End, e2: _End, text: str, end2: int) -> bool:
    """The two ends of a range: not glued to a name, and of one unit where both state one."""
    if end2 < len(text) and (text[end2].isalnum() or text[end2] == "_"):
        return False
    k1 = e1.kind if e1.kind != "cur" else None
    k2 = e2.kind if e2.kind != "cur" else None
    u1 = e1.unit if e1.kind else None
    u2 = e2.unit if e2.kind else None
    if k1 == "pct" and e2.bare:
        return False  # 'advanced 1.26% to 23,152.08': a change and the level it reached, not a range
    return (u1 is None or u2 is None or u1 == u2) and not (k1 and k2 and k1 != k2)


def _run_end(text: str, pos: int) -> int:
    """End of the run of letters, digits and '_' at `pos` (`pos` itself when there is none)."""
    run = _ALNUM_RUN.match(text, pos)
    return run.end() if run is not None else pos


def _check_glued(c: _Candidate) -> None:
    """Trailing glued letters are part of a name ('5G', '1st', '4x4', '0x1F'); so is '600×600'."""
    text, pos, n = c.text, c.pos, c.n
    if pos + 1 < n and text[pos] in "×xX*" and text[pos + 1].isdigit() and c.e1.kind is None:
        raise _Skip(_run_end(text, pos + 1))
    if pos < n and (text[pos].isalnum() or text[pos] == "_"):
        glued = _run_end(text, pos)
        if c.cur and not c.whole:
            raise _Malformed("figure glued to a name", glued)
        raise _Skip(glued)


def _read_plus_and_per(c: _Candidate) -> None:
    """A trailing '+' (at least; '4+ million' carries its magnitude after it) and a rate: '/month', 'a year'."""
    text = c.text
    pl = _PLUS.match(text, c.pos)
    if pl is not None:
        c.plus = True
        c.pos = pl.end()
        e1 = c.e1
        if c.e2 is None and e1.mag is None and e1.kind is None:
            pt = _PLUS_TAIL.match(text, c.pos)
            if pt is not None and pt.end() > c.pos and (pt.end() >= c.n or not text[pt.end()].isalnum()):
                tail = _End(pt)
                if tail.mag is not None and not tail.magl or tail.kind in ("unit", "cur"):
                    e1.mag, e1.kind, e1.unit = tail.mag, tail.kind, tail.unit
                    c.pos = pt.end()
    pr = _PER.match(text, c.pos)
    if pr is not None:
        c.per = _per_from(pr)
        c.pos = pr.end()
    c.bare = all(e.bare for e in c.ends) and c.cur is None and c.per is None


# --- bare-number skips: a plain number that is a year, a date, a time, a name or a list marker ---------------

def _is_year(c: _Candidate) -> bool:
    r1 = c.e1.raw
    return len(r1) == 4 and r1.isdigit() and 1900 <= int(r1) <= 2100


def _a_year(c: _Candidate) -> int | None:
    """'2026', '2024-26', '2024-2029' (a year range read as numbers is a period, not a figure)."""
    if _is_year(c) and not c.plus and (c.e2 is None or (c.e2.raw.isdigit() and len(c.e2.raw) in (2, 4))):
        return c.pos
    return None


def _a_range_from_a_year(c: _Candidate) -> int | None:
    """'2026-27.5': a range starting at a year is not a figure either."""
    return c.pos if c.e2 is not None and _is_year(c) else None


def _unprefixed(c: _Candidate) -> bool:
    """No qualifier, sign or currency before the number, and no trailing '+'."""
    return c.p0 == c.s and not c.plus


def _a_time_or_ratio(c: _Candidate) -> int | None:
    """'10:30', '16:9'."""
    nxt = c.text[c.raw_end:c.raw_end + 2]
    return c.raw_end if _unprefixed(c) and nxt[:1] == ":" and nxt[1:2].isdigit() else None


def _a_numeric_date(c: _Candidate) -> int | None:
    """'1/28/2026', '3/4'."""
    nxt = c.text[c.raw_end:c.raw_end + 2]
    return c.raw_end if _unprefixed(c) and nxt[:1] == "/" and nxt[1:2].isdigit() else None


def _a_day_or_clock_time(c: _Candidate) -> int | None:
    """'28 January', '5th of May', '9 am'."""
    if _unprefixed(c) and c.e2 is None and (MONTH_AFTER.match(c.text, c.pos) or _AMPM.match(c.text, c.pos)):
        return c.pos
    return None


def _a_hyphenated_name(c: _Candidate) -> int | None:
    """'3-D', '4-Series', '2-a': the number is part of a compound word, not a count."""
    text, pos, n = c.text, c.pos, c.n
    if _unprefixed(c) and c.e2 is None and pos < n - 1 and text[pos] == "-" and text[pos + 1].isalpha() and \
            (text[pos + 1].isupper() or not (pos + 2 < n and text[pos + 2].isalpha())):
        return pos
    return None


def _after_a_name(c: _Candidate) -> int | None:
    """'Llama 4', 'Claude 4.5', 'Microsoft 365', 'Jan 28': a number right after a capitalised name."""
    if not _unprefixed(c):
        return None
    pw = _PREV_WORD.search(c.text, max(0, c.s - 40), c.s)
    if pw is not None:
        w = pw.group(1)
        if (w[0].isupper() or any(ch.isupper() for ch in w[1:])) and w not in CAP_OK:
            return c.pos
    return None


def _a_list_marker(c: _Candidate) -> int | None:
    """'1.' or '2)' at the start of a line."""
    text, pos, n, s = c.text, c.pos, c.n, c.s
    if _unprefixed(c) and c.e2 is None and c.e1.raw.isdigit() and pos < n and text[pos] in ".)" and \
            (pos + 1 >= n or text[pos + 1] in " \t\n") and _LINE_START.search(text, max(0, s - 20), s):
        return pos + 1
    return None


_BARE_SKIPS = (_a_year, _a_range_from_a_year, _a_time_or_ratio, _a_numeric_date, _a_day_or_clock_time,
               _a_hyphenated_name, _after_a_name, _a_list_marker)


def _check_bare_number(c: _Candidate) -> None:
    """In prose, a plain number is skipped when any named predicate recognises what else it is."""
    if not c.bare or c.whole:
        return
    for skip in _BARE_SKIPS:
        end = skip(c)
        if end is not None:
            raise _Skip(end)


# --- malformed forms ------------------------------------------------------------------------------------------

def _unit_of(c: _Candidate) -> str:
    """The figure's unit, once the forms that cannot be read safely are refused."""
    if c.bad:
        raise _Malformed("sign or qualifier after the currency sign")
    if c.qsym and (len(c.qsym) > 1 and c.qsym not in ("<=", ">=")):
        raise _Malformed("repeated qualifier")
    for e in c.ends:
        _check_end(c, e)
    kinds = {e.unit for e in c.ends if e.kind == "cur"}
    if kinds:
        if c.cur is not None and c.cur not in kinds or len(kinds) > 1:
            raise _Malformed("conflicting currencies")
        c.cur = next(iter(kinds))
    unit_ends = [e for e in c.ends if e.kind in ("pct", "mult", "unit")]
    if c.cur is not None and unit_ends:
        raise _Malformed("currency with a non-currency unit")
    unit = c.cur or (unit_ends[0].unit if unit_ends else "count")
    assert unit is not None, "a percent, multiple or unit end names its unit"
    return unit


def _check_end(c: _Candidate, e: _End) -> None:
    if not e.ok:
        if e.bare and c.cur is None and not c.whole and not c.qsym and not c.sign and not c.qword:
            raise _Skip(c.pos)   # '1.2.3' in prose: a version or section number
        raise _Malformed("malformed number")
    if e.m["exp"] and "," in e.raw:
        raise _Malformed("malformed number")
    if e.magl and c.cur is None:
        raise _Skip(c.pos)       # '5m', '3b' without a currency: metres, a name, a footnote
    if e.mag is not None and e.kind in ("pct", "mult"):
        raise _Malformed("magnitude with percent or multiple")


def _values(c: _Candidate) -> list[tuple[float, float]]:
    """(value, sig) of each end; a magnitude on one end applies to both ('$175-185B')."""
    mags = [e.mag for e in c.ends]
    if c.e2 is not None:
        if mags[0] is None and mags[1] is not None:
            mags[0] = mags[1]
        elif mags[1] is None and mags[0] is not None:
            mags[1] = mags[0]
    vals = []
    for e, mg in zip(c.ends, mags, strict=False):
        vs = _num_value(e.raw, e.exp + (mg or 0))
        if vs is None:
            raise _Malformed("number not finite")
        vals.append(vs)
    return vals


# --- interval -------------------------------------------------------------------------------------------------

def _interval(c: _Candidate, vals: list[tuple[float, float]], unit: str) -> tuple[Quantity | Unparsed, int]:
    """Bounds and qualifier from the numbers, the sign and the qualifier words or symbols."""
    neg = c.sign in ("-", "−")
    approx = bool(c.qword in APPROX_WORDS or c.qsym in ("~", "≈"))
    if c.e2 is not None:
        return _range_interval(c, vals, unit, neg, approx)
    v, sg = vals[0]
    if c.qsym == "±":
        return _mk(c, None, (-v, v), unit, "range", sg)
    if neg:
        v = -v
    if c.plus or c.qword in AT_LEAST_WORDS or c.qsym in (">", ">=", "≥"):
        return _mk(c, v, (v, INF), unit, "at_least", sg)
    if c.qword in AT_MOST_WORDS or c.qsym in ("<", "<=", "≤"):
        low = -INF if (unit in SIGNED_UNITS or v < 0) else 0.0
        return _mk(c, v, (low, v), unit, "at_most", sg)
    if approx:
        return _mk(c, v, (v, v), unit, "approx", sg)
    return _mk(c, v, (v, v), unit, "change" if c.sign else "exact", sg)


def _range_interval(c: _Candidate, vals: list[tuple[float, float]], unit: str, neg: bool,
                    approx: bool) -> tuple[Quantity | Unparsed, int]:
    (lo, s1), (hi, s2) = vals
    if neg:
        if c.sep_word is None:
            raise _Malformed("ambiguous signed range")
        lo = -lo
    if c.sign2 in ("-", "−"):
        hi = -hi
    if lo > hi:
        if c.bare and not c.whole:
            raise _Skip(c.pos)
        raise _Malformed("inverted range")
    return _mk(c, None, (lo, hi), unit, "approx_range" if approx else "range", max(s1, s2))


def _hundredths(value: float | None, low: float, high: float, sig: float) -> tuple[float | None, float, float, float]:
    return (None if value is None else value / 100), low / 100, high / 100, sig / 100


def _mk(c: _Candidate, value: float | None, bounds: tuple[float, float], unit: str, qual: str,
        sig: float) -> tuple[Quantity | Unparsed, int]:
    low, high = bounds
    if unit == "bps":  # basis points are hundredths of a point: a rate's move is kept in points, as written in pp
        value, low, high, sig, unit = *_hundredths(value, low, high, sig), "pp"
    ok = not (math.isnan(low) or math.isnan(high)) and low <= high and \
        (value is None or (math.isfinite(value) and low <= value <= high))
    if not ok:
        raise _Malformed("inconsistent bounds")
    return Quantity(c.text[c.p0:c.pos], c.p0, c.pos, value, low, high, unit, qual, c.per, sig), c.pos


# ---------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------

def _currency_alone(text: str, s: int, last: int, whole: bool) -> Unparsed | None:
    """A currency sign with no number: '$B', '$ million', or a lone '$' where a figure was due."""
    n = len(text)
    cm = _CUR_ALONE.match(text, s - 2 if text.startswith("US$", s - 2) else s)
    if cm is None or cm.start() < last:
        return None
    p = cm.start()
    left = text[p - 1] if p > 0 else ""
    nxt = text[cm.end()] if cm.end() < n else ""
    if left and (left.isalnum() or left in "$_\\") or nxt == "$":
        return None
    if cm["mag"] is None and left not in ("", " ", "\t", "\n", "(", "|", "*", ":") and not whole:
        return None
    return Unparsed(text[p:cm.end()], p, cm.end(), "currency without a number")


def _scan(text: str, whole: bool) -> list[Quantity | Unparsed]:
    out: list[Quantity | Unparsed] = []
    last = 0
    for a in _ANCHOR.finditer(text):
        s = a.start()
        if s < last:
            continue
        if s and text[s].isdigit() and text[s - 1].isalpha():
            last = a.end()       # glued to a name on its left: "H100", "Q4", "v7", "FY2026"
            continue
        if text[s] in "$€£":
            alone = _currency_alone(text, s, last, whole)
            if alone is not None:
                out.append(alone)
                last = alone.end
            continue
        try:
            item, end = _figure_at(text, s, last, whole)
        except _Skip as sk:
            item, end = None, sk.end
        except Exception:      # defensive: never raise on odd input
            item, end = None, a.end()
        if item is not None:
            out.append(item)
        last = max(last, end, a.end())
    return out


# Characters a reader does not see (zero-width space, non-joiner and joiner, direction marks, word joiner and
# invisible operators, byte-order mark, soft hyphen): '$7\u200d30B' reads as '$730B'.
_INVISIBLE = frozenset("\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff")
# What the lexer would misread: invisible characters, full-width forms ('＄７３０Ｂ') and non-ASCII decimal digits
# ([^\D0-9]: a digit that is not 0-9, one class test per character instead of a look-ahead and a test).
_TO_NORMALISE = re.compile("[" + "".join(sorted(_INVISIBLE)) + "\uff01-\uff5e]|[^\\D0-9]")


_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# 'five gigawatts', 'twenty-five million', 'one-gigawatt': group 1 (and 2) the number; a scale or unit word follows
_SPELLED = re.compile(r"(?i)(?<![\w-])(" + _NUMBER_WORD + r")(?:-(" + _NUMBER_WORD + r"))?(?=[\s-]+(?:"
                      + "|".join(SPELLED_SCALES) + r")\b)")
_SPELLED_FOLD = re.compile(r"(?i)(?<![\w-])(" + _NUMBER_WORD + r")fold\b")  # 'tenfold' is 10x
# What each of the two needs somewhere in the text: most texts have neither, and finding that is far cheaper
# than trying every number word at every position.
_SPELLED_HINT = re.compile(r"(?i)[\s-](?:" + "|".join(SPELLED_SCALES) + r")\b")
_SPELLED_FOLD_HINT = re.compile(r"(?i)fold\b")


_VAGUE = re.compile(r"(?i)(?<![\w-])(?:(tens|hundreds)\s+of\s+)?(" + "|".join(VAGUE_SCALES)
                    + r")(?=\s+of\b)(\s+of\s+dollars\b)?")
_FRACTION = re.compile(r"(?i)(?<![\w-])(?:an?\s+)?(?:(" + "|".join(FRACTION_WORDS)
                       + r")[- ](?:an?\s+)?|(half)\s+an?\s+)(million|billion|trillion)\b")
# "a quarter-percentage point", "half a percentage point": a fraction of a point of percent
_POINT_FRACTION = re.compile(r"(?i)(?<![\w-])(?:an?\s+)?(?:(" + "|".join(FRACTION_WORDS)
                             + r")[- ](?:of\s+an?\s+)?|(half)\s+an?\s+)percentage[- ]points?\b")
_DECADE_PART = re.compile(r"(?i)(?<![\w-])(" + "|".join(DECADE_PARTS) + r")[- ]?(\d)0s?(?=\s*(?:%|percent\b))")
_SCALE_DOWN = {"million": "thousand", "billion": "million", "trillion": "billion"}
# "flat with the previous quarter", "roughly flat year over year": a change of zero against a stated base
_FLAT = re.compile(r"(?i)(?<![\w-])flat(?=\s+(?:with|from|compared|versus|vs\.?|year[- ]over[- ]year|"
                   r"quarter[- ]over[- ]quarter|sequentially|on\s+the\s+(?:year|quarter))\b)")
# "left its base rate unchanged at 2.5%": the level is the figure after it, the word a change of zero points
_HELD = re.compile(r"(?i)(?<![\w-])(?:" + "|".join(HELD_WORDS) + r")(?=\s+at\s+[-+]?\d[\d.,]*\s*(?:%|percent\b))")
# what a text needs to hold one of them (most hold none)
_VAGUE_HINT = prefiltered(re.compile(r"(?i)(?:thousands|millions|billions|trillions)\s+of\b|quarter[- ]|\bhalf\b"
                                     r"|(?:low|mid|high)[- ]?\d0|\bflat\s|(?:" + "|".join(HELD_WORDS) + r")\s+at\s"))


_VAGUE_WORD = re.compile(r"(?i)\b(?:" + "|".join(VAGUE_SCALES) + r")\b")
_DIGIT = re.compile(r"\d")


def is_vague(text: str) -> bool:
    """'tens of billions of dollars', 'millions of GPUs': a magnitude, not a figure to compare."""
    return _VAGUE_WORD.search(text) is not None and _DIGIT.search(text) is None


def _fraction(m: re.Match[str]) -> float:
    """The fraction a 'quarter' / 'half' match (group 1, or 'half a' in group 2) says."""
    return FRACTION_WORDS[(m.group(1) or m.group(2)).lower()]


def _vague(text: str) -> list[tuple[int, int, str]]:
    """Vague magnitudes and fractions of a scale, written as the figures they stand for."""
    found = []
    for m in _VAGUE.finditer(text):
        lo, hi = VAGUE_COUNTS[(m.group(1) or "").lower()]
        found.append((m.start(), m.end(), f"{'$' if m.group(3) else ''}{lo}-{hi} {VAGUE_SCALES[m.group(2).lower()]}"))
    for m in _FRACTION.finditer(text):
        found.append((m.start(), m.end(), f"{_fraction(m) * 1000:g} {_SCALE_DOWN[m.group(3).lower()]}"))
    for m in _POINT_FRACTION.finditer(text):
        found.append((m.start(), m.end(), f"{_fraction(m):g} percentage point"))
    for m in _FLAT.finditer(text):
        found.append((m.start(), m.end(), "+0%"))
    for m in _HELD.finditer(text):
        found.append((m.start(), m.end(), "+0 percentage point"))
    for m in _DECADE_PART.finditer(text):
        lo, hi = DECADE_PARTS[m.group(1).lower()]
        tens = int(m.group(2)) * 10
        found.append((m.start(), m.end(), f"{tens + lo}-{tens + hi}"))
    return found


# '89 cents', '99¢': a hundredth of a currency, read as '$0.89'
_SUBUNIT = re.compile(r"(?<![\w.,$€£])(\d{1,3}(?:\.\d+)?)\s?(" + "|".join(sorted(SUBUNITS, key=len, reverse=True))
                      + r")(?![\w])")


def _spelled(text: str) -> list[tuple[int, int, str]]:
    """Numbers written in words and amounts in cents, as (start, end, the figure in digits)."""
    found = []
    if "cent" in text or "¢" in text or "pence" in text:
        for m in _SUBUNIT.finditer(text):
            amount = f"{float(m.group(1)) / 100:.6f}".rstrip("0").rstrip(".")
            found.append((m.start(), m.end(), SUBUNITS[m.group(2)] + amount))
    if _SPELLED_HINT.search(text):
        for m in _SPELLED.finditer(text):
            value = NUMBER_WORDS[m.group(1).lower()] + (NUMBER_WORDS[m.group(2).lower()] if m.group(2) else 0)
            found.append((m.start(), m.end(), str(value)))
    if _SPELLED_FOLD_HINT.search(text):
        for m in _SPELLED_FOLD.finditer(text):
            found.append((m.start(), m.end(), f"{NUMBER_WORDS[m.group(1).lower()]}x"))
    if _VAGUE_HINT.search(text):
        found.extend(_vague(text))
    return _apart(sorted(found))


def _apart(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The first of overlapping rewrites ('one hundred' inside 'hundreds of …' cannot both stand)."""
    kept: list[tuple[int, int, str]] = []
    for item in found:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def _reading_form(text: str) -> tuple[str, tuple[list[int], list[int]] | None]:
    """`text` as the lexer reads it, and for each of its positions the position in `text` (None: unchanged).

    Only the compatibility forms of NFKC that write figures are applied (full-width ASCII, other decimal
    digits): all of NFKC would also read the superscript in '10²' as a digit. Numbers in words are written
    in digits where a scale or unit word follows them."""
    spelled = _spelled(text)
    if not spelled and (text.isascii() or not _TO_NORMALISE.search(text)):
        return text, None
    chars: list[str] = []
    starts: list[int] = []   # for each character read, where it starts in `text`
    ends: list[int] = []     # and where it ends: the digits of a word stand for the whole word
    words = iter(spelled)
    word = next(words, None)
    i = 0
    while i < len(text):
        if word is not None and i == word[0]:
            start, end, digits = word
            chars.extend(digits)
            starts.extend([start] * len(digits))
            ends.extend([end] * len(digits))
            i, word = end, next(words, None)
            continue
        ch = text[i]
        i += 1
        if ch in _INVISIBLE:
            continue
        if "\uff01" <= ch <= "\uff5e":
            ch = unicodedata.normalize("NFKC", ch)
        elif ch.isdecimal() and not ch.isascii():
            ch = str(unicodedata.decimal(ch))
        chars.append(ch)
        starts.append(i - 1)
        ends.append(i)
    starts.append(len(text))
    return "".join(chars), (starts, ends)


def _in_original(item: Quantity | Unparsed, text: str, where: tuple[list[int], list[int]]) -> Quantity | Unparsed:
    """An item read from the reading form, with its span and quote in the original text."""
    starts, ends = where
    start = starts[item.start]
    end = ends[item.end - 1] if item.end > item.start else start
    return replace(item, text=text[start:end], start=start, end=end)


def _scan_original(text: str, whole: bool) -> list[Quantity | Unparsed]:
    """_scan on the reading form of `text`; spans and quotes stay those of `text` (quotes are exact substrings)."""
    reading, where = _reading_form(text)
    items = _scan(reading, whole)
    if where is None:
        return items
    items = [_in_original(item, text, where) for item in items]
    return [replace(q, qualifier="vague") if isinstance(q, Quantity) and q.qualifier == "range" and is_vague(q.text)
            else q for q in items]


def find_quantities(text: str) -> list[Quantity | Unparsed]:
    """Every figure-like span of `text`, in order, non-overlapping. Never raises."""
    if not isinstance(text, str) or not text:
        return []
    try:
        return _scan_original(text, whole=False)
    except Exception:          # pragma: no cover - belt and braces
        return []


def parse_quantity(text: str) -> Quantity | None:
    """Read `text` (stripped) as exactly one figure; None if it is not one readable figure.

    Bare numbers get unit "count" (even 4-digit years: a steward typing `2026`
    means the number); callers may re-interpret the unit.
    """
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s:
        return None
    try:
        items = _scan_original(s, whole=True)
    except Exception:          # pragma: no cover
        return None
    if len(items) != 1:
        return None
    q = items[0]
    if not isinstance(q, Quantity) or q.start != 0 or q.end != len(s):
        return None
    return q
