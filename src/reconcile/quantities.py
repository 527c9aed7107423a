"""Normalise stage, numbers and periods: the text forms of figures → intervals.

Contract (extract.py and cli.py rely on it):
- `find_quantities(text)` returns every figure-like span in `text`, in order,
  as `Quantity` (readable) or `Unparsed` (looks like a figure, cannot be read
  safely: `$1.2.3B`, `$-5B`, `1e400`, `$B`, `~~5`). It never raises.
- `parse_quantity(text)` reads one whole figure string (e.g. a steward's
  `--value 730B`) or returns None.
- `find_periods(text, as_of, fy_end_month=12)` returns every period/date span.
- Intervals: `low <= value <= high` whenever value is set; ranges keep
  value=None; open bounds are ±inf. Nothing is collapsed to a midpoint.

Other public helpers: `render_quantity(q)` (canonical text, round-trips
through `parse_quantity`) and `format_value(value, unit)` (for reports).

Conventions
-----------
- Money is plain currency units: `$730B` → 730e9 "USD"; `€`/`£` → "EUR"/"GBP".
- Percent points are stored as shown: `39%` → 39.0 "percent".
- Multiples `2×`/`2x` → 2.0 "multiple". Physical units (GW, MW, kW, W, GB,
  TB, TB/s, TFLOPS, PFLOPS, EXAFLOPS, TOPS, nm ...) and durations (days,
  weeks, months, years, hours ...) become the unit; everything else "count".
- Qualifiers: exact | approx (`~`, `≈`, about, roughly ...) | at_least
  (trailing `+`, over, more than, at least ...; high=inf) | at_most (up to,
  under, below ...; low=0.0 for amounts/counts/physical units, -inf for
  percent/pp) | range | approx_range | change (leading sign: `+50%`, `-10%`).
- `sig` is half a unit in the last stated digit, in value scale.
- Numbers inside names are not figures: a digit glued to letters on its left
  (`H100`, `v7`, `GPT-5.1`), a bare number right after a capitalised word
  (`Llama 4`, `Claude 4.5`, `Microsoft 365`, `Jan 28`), bare years 1900-2100,
  dates, times, version strings, footnote and list markers.

Performance: candidates are found with one cheap anchor regex (digit runs and
currency signs); context is read with anchored matches on small windows, so
the cost is linear in the text length.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass

__all__ = [
    "Quantity", "Unparsed", "Period",
    "find_quantities", "parse_quantity", "find_periods", "render_quantity", "format_value",
]


@dataclass(frozen=True)
class Quantity:
    text: str              # the exact span matched
    start: int             # offsets into the searched text
    end: int
    value: float | None    # None for a range
    low: float             # -inf/inf for open bounds
    high: float
    unit: str              # USD | count | percent | multiple | GW | MW | W | GB | TB/s | TFLOPS | PFLOPS | EXAFLOPS | nm | days | months | years | ...
    qualifier: str         # exact | approx | at_least | at_most | range | approx_range | change
    per: str | None = None # rate denominator: "quarter", "month", "year", "user/month", "GPU/year", "hour" ...
    sig: float = 0.0       # half a unit in the last stated digit, in the same scale as value (rounding tolerance)


@dataclass(frozen=True)
class Unparsed:
    text: str
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Period:
    text: str
    start_offset: int
    end_offset: int
    label: str             # canonical label: "2026", "FY2025", "2025-Q4", "2026-H2", "2026-01", "2026-01-28", "2029" ...
    start: dt.date         # first day covered
    end: dt.date           # last day covered
    granularity: str       # year | fiscal_year | half | quarter | month | day
    relation: str = "in"   # in | by | through | end | since


def none_off_calendar(make_period):
    """A period built by date arithmetic is None when it falls off the calendar (before 0001 or after 9999):
    the figure is then read without that period, never lost with its document."""
    @functools.wraps(make_period)
    def guarded(*args, **kwargs):
        try:
            return make_period(*args, **kwargs)
        except (ValueError, OverflowError):
            return None
    return guarded


INF = math.inf

# ---------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------

_CURRENCY = {"$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
             "dollars": "USD", "US dollars": "USD", "euros": "EUR"}
_CUR_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}

_MAG_EXP = {"k": 3, "thousand": 3, "m": 6, "mn": 6, "million": 6, "b": 9, "bn": 9, "billion": 9,
            "t": 12, "trillion": 12}
_MAG_LETTER = ((12, "T"), (9, "B"), (6, "M"), (3, "K"))

# physical units: text form -> canonical unit (case-sensitive)
_PHYS_UNITS = {
    "TWh": "TWh", "GWh": "GWh", "MWh": "MWh", "kWh": "kWh",
    "GW": "GW", "MW": "MW", "kW": "kW", "KW": "kW", "W": "W",
    "PB/s": "PB/s", "TB/s": "TB/s", "GB/s": "GB/s", "MB/s": "MB/s",
    "Tbps": "Tbps", "Gbps": "Gbps", "Mbps": "Mbps",
    "PB": "PB", "TB": "TB", "GB": "GB", "MB": "MB",
    "TOPS": "TOPS", "nm": "nm",
}
# FLOPS family (case-insensitive): text form lowercased -> canonical unit
_FLOPS_UNITS = {"exaflops": "EXAFLOPS", "eflops": "EXAFLOPS", "petaflops": "PFLOPS", "pflops": "PFLOPS",
                "teraflops": "TFLOPS", "tflops": "TFLOPS", "flops": "FLOPS"}
# durations (case-insensitive, singular/plural/abbreviated) -> canonical unit
_TIME_UNITS = {
    "day": "days", "days": "days", "week": "weeks", "weeks": "weeks",
    "month": "months", "months": "months", "year": "years", "years": "years", "yr": "years", "yrs": "years",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours",
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "second": "seconds", "seconds": "seconds", "sec": "seconds", "secs": "seconds",
    "quarter": "quarters", "quarters": "quarters",
}
_KNOWN_UNITS = set(_PHYS_UNITS.values()) | set(_FLOPS_UNITS.values()) | set(_TIME_UNITS.values()) | {"percent", "pp", "bps", "multiple"}
# units that cannot be negative: an "at most" bound starts at 0 for them
_SIGNED_UNITS = {"percent", "pp", "bps"}

# rate denominators
_PER_NORM = {
    "hr": "hour", "hrs": "hour", "h": "hour", "hour": "hour", "hours": "hour",
    "mo": "month", "mos": "month", "mth": "month", "month": "month", "months": "month",
    "yr": "year", "yrs": "year", "y": "year", "year": "year", "years": "year", "annum": "year",
    "qtr": "quarter", "q": "quarter", "quarter": "quarter", "quarters": "quarter",
    "wk": "week", "week": "week", "weeks": "week", "day": "day", "days": "day", "d": "day",
    "s": "second", "sec": "second", "second": "second", "min": "minute", "minute": "minute",
    "user": "user", "users": "user", "seat": "seat", "seats": "seat", "instance": "instance",
    "token": "token", "tokens": "token", "share": "share", "employee": "employee",
    "customer": "customer", "subscriber": "subscriber", "chip": "chip", "node": "node",
    "gpu": "GPU", "gpus": "GPU", "unit": "unit", "device": "device",
}
_PER_ADVERB = {"quarterly": "quarter", "annually": "year", "monthly": "month", "yearly": "year",
               "weekly": "week", "daily": "day", "hourly": "hour", "per annum": "year",
               "annualized": "year", "annualised": "year"}

_APPROX_WORDS = {"about", "approximately", "approx", "approx.", "around", "nearly", "roughly", "almost",
                 "circa", "some", "an estimated", "estimated"}
_AT_LEAST_WORDS = {"over", "more than", "greater than", "at least", "exceeds", "exceed", "exceeding",
                   "in excess of", "above", "upwards of", "north of", "as much as", "as many as",
                   "as high as"}
_AT_MOST_WORDS = {"up to", "at most", "under", "below", "less than", "fewer than", "no more than",
                  "as low as"}

# capitalised words that may precede a plain count (the rest mark a name: "Llama 4")
_CAP_OK = {
    "The", "A", "An", "And", "But", "Or", "Nor", "Of", "In", "On", "At", "By", "For", "With", "From", "To",
    "Than", "Only", "Just", "All", "Some", "These", "Those", "Its", "Their", "Our", "Another", "Each",
    "Every", "Is", "Are", "Was", "Were", "Has", "Have", "Had", "Were", "Over", "Under", "About", "Around",
    "Nearly", "Roughly", "Almost", "Approximately", "Up", "Plus", "Total", "Then", "Now", "So", "Also",
    "Including", "Across", "Among", "Between", "After", "Before", "Since", "Until", "Into", "Per", "Via",
    "Both", "Nearly", "If", "When", "While", "As", "We", "They", "It", "He", "She", "I", "You",
}

_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}

# ---------------------------------------------------------------------------
# Regexes (all precompiled; all used anchored or on bounded windows)
# ---------------------------------------------------------------------------

_SP = "[ \\u00a0]"
_MONTH_RE = (r"(?<![A-Za-z])(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"
             r"Aug(?:ust)?|Sep(?:tember|t)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![A-Za-z])\.?")


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ANCHOR = re.compile(r"[0-9]+|[$€£]")

_PRE = re.compile(
    r"(?:(?P<between>(?<![A-Za-z])(?i:between)[ \t\u00a0]+)"
    r"|(?P<qword>(?<![A-Za-z])(?i:" + _alt(_APPROX_WORDS | _AT_LEAST_WORDS | _AT_MOST_WORDS) + r")[ \t\u00a0]+))?"
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
    r"(?:(?P<pct>" + _SP + r"?%|" + _SP + r"(?i:percent|per[ ]?cent|pct)(?![A-Za-z0-9]))"
    r"|(?P<pp>" + _SP + r"?(?:pp|(?i:percentage[ ]points?))(?![A-Za-z0-9]))"
    r"|(?P<bps>" + _SP + r"?(?:bps|(?i:basis[ ]points?))(?![A-Za-z0-9]))"
    r"|(?P<mult>(?:" + _SP + r"?×|[xX])(?![A-Za-z0-9]))"
    r"|" + _SP + r"?(?P<funit>(?i:" + _alt(_FLOPS_UNITS) + r"))(?![A-Za-z0-9])"
    r"|" + _SP + r"?(?P<unit>" + _alt(_PHYS_UNITS) + r")(?![A-Za-z0-9])"
    r"|[ \u00a0-]?(?P<tunit>(?i:" + _alt(_TIME_UNITS) + r"))(?![A-Za-z0-9])"
    r"|" + _SP + r"(?P<curw>USD|US[ ]dollars|dollars|EUR|euros|GBP)(?![A-Za-z0-9]))?")
_ATOM = re.compile(r"(?P<num>" + _NUM + r")(?P<exp>[eE][+-]?[0-9]+)?" + _TAIL)
# a magnitude or unit after a trailing plus: "4+ million", "2+ GW", "3.5+ TB/s"
_PLUS_TAIL = re.compile(r"(?P<num>)(?P<exp>)" + _TAIL)

_SEP = re.compile(r"(?P<dash>" + _SP + r"?[-–]" + _SP + r"?)|" + _SP + r"+(?P<word>to|and)" + _SP + r"+")
_SEP_TAIL = re.compile(r"(?P<sign>[+\-−])?(?P<cur>(?:US\$|[$€£])[ \u00a0]?)?(?=[0-9])")

_PLUS = re.compile(r"\+(?![0-9+])")
_PER = re.compile(
    r"/(?P<tok>(?:1[ ]?M|M|million)[ ]tokens?)(?![A-Za-z0-9])"
    r"|/(?P<p1>[A-Za-z][A-Za-z0-9]*)(?:/(?P<p2>[A-Za-z][A-Za-z0-9]*))?(?![A-Za-z0-9/])"
    r"|" + _SP + r"+per" + _SP + r"+(?P<pw>(?:1[ ]?M|M|million)[ ]tokens?|(?i:" + _alt(_PER_NORM) + r"))"
    r"(?:[-/](?P<pw2>(?i:hour|hr|month|year|day)))?"
    r"(?:" + _SP + r"+per" + _SP + r"+(?P<pw3>(?i:" + _alt(_PER_NORM) + r")))?(?![A-Za-z0-9])"
    r"|" + _SP + r"+(?:a|an|each|every)" + _SP + r"+(?P<pa>year|month|quarter|week|day|hour)(?![A-Za-z0-9])"
    r"(?!" + _SP + r"+(?:ago|earlier|later|before|after|prior|from|or|and)(?![A-Za-z]))"
    r"|" + _SP + r"*(?P<padv>annually|per[ ]annum|annuali[sz]ed|(?:quarterly|monthly|yearly|weekly|daily|hourly)"
    r"(?!" + _SP + r"+[A-Za-z]))(?![A-Za-z0-9])")

_CUR_ALONE = re.compile(
    r"(?:US\$|[$€£])(?!" + _SP + r"?[+\-−~]?[0-9])"
    r"(?:" + _SP + r"?(?P<mag>[KMBT]|bn|(?i:thousand|million|billion|trillion))(?![A-Za-z0-9])"
    r"|(?=[ \t\r\n.,;:!?)\]|*]|\Z))")

_PREV_WORD = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)\.?[ \u00a0]\Z")
_FROM_BEFORE = re.compile(r"(?<![A-Za-z])(?i:from)[ \t\u00a0]+\Z")
_MONTH_AFTER = re.compile(r"(?:st|nd|rd|th)?[ \u00a0]+(?:of[ ]+)?" + _MONTH_RE)
_AMPM = re.compile(r"[ \u00a0]?[AaPp]\.?[Mm]\.?(?![A-Za-z])")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9_]*")
_LINE_START = re.compile(r"(?:^|\n)[ \t>*-]*\Z")

_BAD_LEFT = set("_.#@=\\^/:'’&%")
# characters a figure prefix (qualifier word, ~, sign, currency) can end with
_PRE_END = set(" \t\u00a0~≈≥≤±<>=+-−$€£")


# ---------------------------------------------------------------------------
# Quantity scanning
# ---------------------------------------------------------------------------

class _Skip(Exception):
    """Internal: the candidate is not a figure (a name, a date, a year ...)."""

    def __init__(self, end: int):
        super().__init__(end)
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


class _End:
    """One end of a figure: a number with its own exponent / magnitude / unit."""

    __slots__ = ("m", "raw", "ok", "exp", "mag", "kind", "unit", "magl")

    def __init__(self, m: re.Match):
        self.m = m
        self.raw = m["num"]
        self.ok = bool(_NUM_OK.match(self.raw))
        exp = 0
        if m["exp"]:
            exp = int(m["exp"][1:]) if len(m["exp"]) < 12 else (10 ** 6 if "-" not in m["exp"] else -10 ** 6)
        self.exp = exp
        magtxt = m["magw"] or m["mag"] or m["magl"]
        self.magl = bool(m["magl"])
        self.mag = _MAG_EXP[magtxt.strip(" \u00a0-").lower()] if magtxt else None
        self.kind, self.unit = None, None
        if m["pct"]:
            self.kind, self.unit = "pct", "percent"
        elif m["pp"]:
            self.kind, self.unit = "pct", "pp"
        elif m["bps"]:
            self.kind, self.unit = "pct", "bps"
        elif m["mult"]:
            self.kind, self.unit = "mult", "multiple"
        elif m["unit"]:
            self.kind, self.unit = "unit", _PHYS_UNITS[m["unit"]]
        elif m["funit"]:
            self.kind, self.unit = "unit", _FLOPS_UNITS[m["funit"].lower()]
        elif m["tunit"]:
            self.kind, self.unit = "unit", _TIME_UNITS[m["tunit"].lower()]
        elif m["curw"]:
            self.kind, self.unit = "cur", _CURRENCY[m["curw"]]

    @property
    def bare(self) -> bool:
        return self.mag is None and self.kind is None and not self.m["exp"]


def _norm_per(seg: str) -> str:
    key = seg.lower()
    if key in _PER_NORM:
        return _PER_NORM[key]
    return seg if seg.isupper() else key


def _per_from(m: re.Match) -> str:
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
    return _PER_ADVERB[re.sub(r"\s+", " ", m["padv"])]


def _figure_at(text: str, s: int, last: int, whole: bool) -> tuple[Quantity | Unparsed | None, int]:
    """Read the figure whose first digit is at `s`. Returns (item or None, end of consumed span)."""
    n = len(text)
    m1 = _ATOM.match(text, s)
    raw_end = s + len(m1["num"])
    pm = _PRE.search(text, max(last, s - 40), s) if s > last and text[s - 1] in _PRE_END else None
    if pm is None:
        p0, qword, between, qsym, sign, cur, bad = s, "", False, "", None, None, None
    else:
        p0 = pm.start()
        qword = (pm["qword"] or "").strip().lower()
        between = bool(pm["between"])
        qsym = (pm["qsym"] or "").strip()
        sign = pm["sign"]
        cur = _CURRENCY[pm["cur"].strip()] if pm["cur"] else None
        bad = pm["bad"]
    left = text[p0 - 1] if p0 > 0 else ""

    # --- left context: names and identifiers -------------------------------------------
    first_piece = "between" if between else "qword" if qword else "qsym" if qsym else \
        "sign" if sign else "cur" if cur else "bad" if bad else "num"
    if first_piece in ("sign", "num", "bad") and left:
        if left.isalnum() or left in _BAD_LEFT:
            if not (left in "'’" and not (len(m1["num"]) == 2)):
                raise _Skip(raw_end)
        if left == "-" and p0 >= 2 and text[p0 - 2].isalnum():
            raise _Skip(raw_end)
        if left in "[" and raw_end < n and text[raw_end] == "]" and not whole:
            raise _Skip(raw_end)
    elif first_piece == "cur" and left and (left.isalnum() or left in "$_"):
        raise _Skip(raw_end)

    e1 = _End(m1)
    pos = m1.end()

    # --- optional range ---------------------------------------------------------------------
    e2 = None
    sep_word = None
    sign2 = None
    sm = _SEP.match(text, pos)
    if sm is not None:
        word = sm["word"]
        allowed = (word is None) or (word == "to" and not _FROM_BEFORE.search(text, max(0, p0 - 12), p0)) \
            or (word == "and" and between)
        if allowed:
            tm = _SEP_TAIL.match(text, sm.end())
            if tm is not None and not (tm["sign"] and word is None):
                cur2 = _CURRENCY[tm["cur"].strip()] if tm["cur"] else None
                m2 = _ATOM.match(text, tm.end())
                if m2 is not None and (cur2 is None or cur2 == cur):
                    cand = _End(m2)
                    end2 = m2.end()
                    glued = end2 < n and (text[end2].isalnum() or text[end2] == "_")
                    k1 = e1.kind if e1.kind != "cur" else None
                    k2 = cand.kind if cand.kind != "cur" else None
                    u1 = e1.unit if e1.kind else None
                    u2 = cand.unit if cand.kind else None
                    if not glued and (u1 is None or u2 is None or u1 == u2) and \
                            not (k1 and k2 and k1 != k2):
                        e2, sep_word, sign2 = cand, word, tm["sign"]
                        pos = end2
    if between and e2 is None and pm is not None:
        p0 = pm.start("qsym") if pm["qsym"] else (pm.start("sign") if sign else
                                                   (pm.start("cur") if cur else s))
        between = False

    # --- trailing glued letters: part of a name ("5G", "1st", "4x4", "0x1F"); "600×600" -----
    if pos + 1 < n and text[pos] in "×xX*" and text[pos + 1].isdigit() and e1.kind is None:
        raise _Skip(_ALNUM_RUN.match(text, pos + 1).end())
    if pos < n and (text[pos].isalnum() or text[pos] == "_"):
        gl = _ALNUM_RUN.match(text, pos).end()
        if cur and not whole:
            return Unparsed(text[p0:gl], p0, gl, "figure glued to a name"), gl
        raise _Skip(gl)

    # --- plus and per -------------------------------------------------------------------------
    plus = False
    pl = _PLUS.match(text, pos)
    if pl is not None:
        plus = True
        pos = pl.end()
        if e2 is None and e1.mag is None and e1.kind is None:
            pt = _PLUS_TAIL.match(text, pos)
            if pt is not None and pt.end() > pos and (pt.end() >= n or not text[pt.end()].isalnum()):
                tail = _End(pt)
                if tail.mag is not None and not tail.magl or tail.kind in ("unit", "cur"):
                    e1.mag, e1.kind, e1.unit = tail.mag, tail.kind, tail.unit
                    pos = pt.end()
    per = None
    pr = _PER.match(text, pos)
    if pr is not None:
        per = _per_from(pr)
        pos = pr.end()

    # --- bare-number heuristics (names, years, dates, times, markers) --------------------
    ends = (e1,) if e2 is None else (e1, e2)
    bare = all(e.bare for e in ends) and cur is None and per is None
    if bare and not whole:
        r1 = e1.raw
        is_year = len(r1) == 4 and r1.isdigit() and 1900 <= int(r1) <= 2100
        if is_year and not plus:
            if e2 is None or (e2.raw.isdigit() and len(e2.raw) in (2, 4)):
                raise _Skip(pos)
        if e2 is not None and is_year:
            raise _Skip(pos)
        if p0 == s and not plus:
            nxt = text[raw_end:raw_end + 2]
            if nxt[:1] == ":" and nxt[1:2].isdigit():
                raise _Skip(raw_end)
            if nxt[:1] == "/" and nxt[1:2].isdigit():
                raise _Skip(raw_end)
            if e2 is None and (_MONTH_AFTER.match(text, pos) or _AMPM.match(text, pos)):
                raise _Skip(pos)
            if e2 is None and pos < n - 1 and text[pos] == "-" and text[pos + 1].isalpha() and \
                    (text[pos + 1].isupper() or not (pos + 2 < n and text[pos + 2].isalpha())):
                raise _Skip(pos)
            pw = _PREV_WORD.search(text, max(0, s - 40), s)
            if pw is not None:
                w = pw.group(1)
                if (w[0].isupper() or any(c.isupper() for c in w[1:])) and w not in _CAP_OK:
                    raise _Skip(pos)
            if e2 is None and r1.isdigit() and pos < n and text[pos] in ".)" and \
                    (pos + 1 >= n or text[pos + 1] in " \t\n") and _LINE_START.search(text, max(0, s - 20), s):
                raise _Skip(pos + 1)

    span = text[p0:pos]

    def bad_item(reason: str):
        return Unparsed(span, p0, pos, reason), pos

    # --- malformed forms ----------------------------------------------------------------
    if bad:
        return bad_item("sign or qualifier after the currency sign")
    if qsym and (len(qsym) > 1 and qsym not in ("<=", ">=")):
        return bad_item("repeated qualifier")
    for e in ends:
        if not e.ok:
            if e.bare and cur is None and not whole and not qsym and not sign and not qword:
                raise _Skip(pos)
            return bad_item("malformed number")
        if e.m["exp"] and "," in e.raw:
            return bad_item("malformed number")
        if e.magl and cur is None:
            raise _Skip(pos)
        if e.mag is not None and e.kind in ("pct", "mult"):
            return bad_item("magnitude with percent or multiple")
    kinds = {e.unit for e in ends if e.kind == "cur"}
    if kinds:
        if cur is not None and cur not in kinds or len(kinds) > 1:
            return bad_item("conflicting currencies")
        cur = next(iter(kinds))
    unit_ends = [e for e in ends if e.kind in ("pct", "mult", "unit")]
    if cur is not None and unit_ends:
        return bad_item("currency with a non-currency unit")
    unit = cur or (unit_ends[0].unit if unit_ends else "count")

    # --- magnitudes: a suffix on one end applies to both ("$175-185B") ----------------------
    mags = [e.mag for e in ends]
    if e2 is not None:
        if mags[0] is None and mags[1] is not None:
            mags[0] = mags[1]
        elif mags[1] is None and mags[0] is not None:
            mags[1] = mags[0]
    vals = []
    for e, mg in zip(ends, mags):
        vs = _num_value(e.raw, e.exp + (mg or 0))
        if vs is None:
            return bad_item("number not finite")
        vals.append(vs)

    neg = sign in ("-", "−")
    approx = bool(qword in _APPROX_WORDS or qsym in ("~", "≈"))
    at_least = bool(qword in _AT_LEAST_WORDS or qsym in (">", ">=", "≥"))
    at_most = bool(qword in _AT_MOST_WORDS or qsym in ("<", "<=", "≤"))
    pm_sym = qsym == "±"

    if e2 is not None:
        lo, s1 = vals[0]
        hi, s2 = vals[1]
        if neg:
            if sep_word is None:
                return bad_item("ambiguous signed range")
            lo = -lo
        if sign2 in ("-", "−"):
            hi = -hi
        if lo > hi:
            if bare and not whole:
                raise _Skip(pos)
            return bad_item("inverted range")
        qual = "approx_range" if approx else "range"
        return _mk(span, p0, pos, None, lo, hi, unit, qual, per, max(s1, s2))

    v, sg = vals[0]
    if pm_sym:
        return _mk(span, p0, pos, None, -v, v, unit, "range", per, sg)
    if neg:
        v = -v
    if plus or at_least:
        return _mk(span, p0, pos, v, v, INF, unit, "at_least", per, sg)
    if at_most:
        low = -INF if (unit in _SIGNED_UNITS or v < 0) else 0.0
        return _mk(span, p0, pos, v, low, v, unit, "at_most", per, sg)
    if approx:
        return _mk(span, p0, pos, v, v, v, unit, "approx", per, sg)
    if sign:
        return _mk(span, p0, pos, v, v, v, unit, "change", per, sg)
    return _mk(span, p0, pos, v, v, v, unit, "exact", per, sg)


def _mk(span, p0, p1, value, low, high, unit, qual, per, sig):
    ok = not (math.isnan(low) or math.isnan(high)) and low <= high and \
        (value is None or (math.isfinite(value) and low <= value <= high))
    if not ok:
        return Unparsed(span, p0, p1, "inconsistent bounds"), p1
    return Quantity(span, p0, p1, value, low, high, unit, qual, per, sig), p1


def _scan(text: str, whole: bool) -> list[Quantity | Unparsed]:
    out: list[Quantity | Unparsed] = []
    n = len(text)
    last = 0
    for a in _ANCHOR.finditer(text):
        s = a.start()
        if s < last:
            continue
        if s and text[s].isdigit() and text[s - 1].isalpha():
            last = a.end()       # glued to a name on its left: "H100", "Q4", "v7", "FY2026"
            continue
        if text[s] in "$€£":
            cm = _CUR_ALONE.match(text, s - 2 if text.startswith("US$", s - 2) else s)
            if cm is None or cm.start() < last:
                continue
            p = cm.start()
            left = text[p - 1] if p > 0 else ""
            nxt = text[cm.end()] if cm.end() < n else ""
            if left and (left.isalnum() or left in "$_\\") or nxt == "$":
                continue
            if cm["mag"] is None and left not in ("", " ", "\t", "\n", "(", "|", "*", ":") and not whole:
                continue
            out.append(Unparsed(text[p:cm.end()], p, cm.end(), "currency without a number"))
            last = cm.end()
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


def find_quantities(text: str) -> list[Quantity | Unparsed]:
    """Every figure-like span of `text`, in order, non-overlapping. Never raises."""
    if not isinstance(text, str) or not text:
        return []
    try:
        return _scan(text, whole=False)
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
        items = _scan(s, whole=True)
    except Exception:          # pragma: no cover
        return None
    if len(items) != 1:
        return None
    q = items[0]
    if not isinstance(q, Quantity) or q.start != 0 or q.end != len(s):
        return None
    return q


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

def _plain(x: float, commas: bool = False) -> str:
    """A finite float as a plain decimal string (no exponent), ~12 significant digits."""
    if x == 0:
        return "0"
    if x == int(x) and abs(x) < 1e15:
        iv = int(x)
        return f"{iv:,}" if commas else str(iv)
    s = f"{x:.12g}"
    if "e" in s or "E" in s:
        from decimal import Decimal
        s = format(Decimal(s), "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    if commas and "." in s:
        ip, fp = s.split(".")
        s = f"{int(ip):,}.{fp}"
    return s


def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def _compact(values: list[float]) -> tuple[list[str], str]:
    """Mantissas with one shared magnitude letter for amounts and counts."""
    top = max(abs(v) for v in values)
    for e, letter in _MAG_LETTER:
        if top >= 10.0 ** e:
            ms = [_plain(v / 10.0 ** e) for v in values]
            if all(v == int(v) for v in values) and any(_decimals(m) > 2 for m in ms) and top < 1e15:
                return [_plain(v, commas=True) for v in values], ""
            return ms, letter
    return [_plain(v, commas=True) for v in values], ""


def _fmt_parts(values: list[float], unit: str) -> list[str]:
    """Render one or two numbers of the same unit; the unit/magnitude goes on the last one."""
    absvals = [abs(v) for v in values]
    signs = ["-" if v < 0 else "" for v in values]
    if unit in _CUR_SYMBOL or unit == "count":
        ms, letter = _compact(absvals)
        sym = _CUR_SYMBOL.get(unit, "")
        if len(ms) == 1:
            return [f"{signs[0]}{sym}{ms[0]}{letter}"]
        return [f"{signs[0]}{sym}{ms[0]}", f"{signs[1]}{sym if signs[1] else ''}{ms[1]}{letter}"]
    ms = [_plain(v, commas=True) for v in absvals]
    suffix = {"percent": "%", "pp": "pp", "bps": " bps", "multiple": "×"}.get(unit, " " + unit)
    if unit not in _KNOWN_UNITS and unit != "count":
        suffix = ""            # unknown unit: number only (it cannot be read back anyway)
    if len(ms) == 1:
        return [f"{signs[0]}{ms[0]}{suffix}"]
    return [f"{signs[0]}{ms[0]}", f"{signs[1]}{ms[1]}{suffix}"]


def format_value(value: float, unit: str) -> str:
    """A number with its unit for reports: (730e9, "USD") → "$730B", (555000, "count") → "555K",
    (50.0, "percent") → "50%", (2.0, "multiple") → "2×", (2.0, "GW") → "2 GW"."""
    try:
        if value is None:
            return "?"
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return _fmt_parts([float(value)], unit)[0]
    except Exception:          # pragma: no cover
        return str(value)


def _per_suffix(per: str | None) -> str:
    if not per:
        return ""
    return f" per {per}" if " " in per else f"/{per}"


def render_quantity(q: Quantity) -> str:
    """Canonical text for `q`: `~$730B`, `$175-185B`, `$115B+`, `up to $1T`, `555K+`, `30-40%`,
    `~2×`, `+50%`, `$37.5B/quarter`. `parse_quantity(render_quantity(q))` reads it back."""
    per = _per_suffix(q.per)
    qual = q.qualifier
    if q.value is None or qual in ("range", "approx_range"):
        lo, hi = q.low, q.high
        pre = "~" if qual == "approx_range" else ""
        if lo == -hi and hi > 0 and not pre:
            return f"±{_fmt_parts([hi], q.unit)[0]}{per}"
        if lo < 0 or hi < 0:
            # signed bounds: "-10% to -5%" (a dash between signed numbers would be ambiguous)
            a = _fmt_parts([lo], q.unit)[0]
            b = _fmt_parts([hi], q.unit)[0]
            return f"{pre}{a} to {b}{per}"
        a, b = _fmt_parts([lo, hi], q.unit)
        return f"{pre}{a}-{b}{per}"
    v = q.value
    body = _fmt_parts([v], q.unit)[0]
    if qual == "approx":
        return f"~{body}{per}"
    if qual == "at_least":
        return f"{body}+{per}"
    if qual == "at_most":
        return f"up to {body}{per}"
    if qual == "change":
        return f"{'' if v < 0 else '+'}{body}{per}"
    return f"{body}{per}"


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------

_FY_KW = r"(?:FY|(?i:fiscal)(?:[ ](?i:year))?)"
_PERIOD = re.compile(
    r"(?:(?P<rel_end>(?<![A-Za-z])(?i:(?:by[ ]+)?(?:the[ ]+)?(?:(?:fiscal[ ]+)?year[- ]end(?:[ ]+of)?"
    r"|end[- ]of(?:[- ]the)?(?:[- ]year)?|end))[ -]+)"
    r"|(?P<rel_through>(?<![A-Za-z])(?i:through|thru|until|till|up[ ]to|out[ ]to)[ ]+)"
    r"|(?P<rel_by>(?<![A-Za-z])(?i:by)[ ]+(?:(?i:the)[ ]+)?)"
    r"|(?P<rel_since>(?<![A-Za-z])(?i:since)[ ]+)"
    r"|(?P<rel_between>(?<![A-Za-z])(?i:between)[ ]+))?"
    r"(?:"
    # ISO date 2026-01-28
    r"(?<![A-Za-z0-9_$€£.,/:-])(?P<iso_y>[12][0-9]{3})-(?P<iso_m>[01][0-9])-(?P<iso_d>[0-3][0-9])(?![0-9])"
    # US numeric date 1/28/2026
    r"|(?<![A-Za-z0-9_$€£.,/:-])(?P<us_m>[01]?[0-9])/(?P<us_d>[0-3]?[0-9])/(?P<us_y>[12][0-9]{3})(?![0-9])"
    # November 18, 2025 / Jan 28 / Feb 01
    r"|(?P<mdy_m>" + _MONTH_RE + r")[ ]+(?P<mdy_d>[0-3]?[0-9])(?:st|nd|rd|th)?(?![0-9A-Za-z])"
    r"(?:,?[ ]+(?P<mdy_y>[12][0-9]{3})(?![0-9]))?"
    # February 2026 / Dec 2025 / Feb '26
    r"|(?P<my_m>" + _MONTH_RE + r")[ ,]+(?:of[ ]+)?(?:(?P<my_y>[12][0-9]{3})|['’](?P<my_yy>[0-9]{2}))(?![0-9])"
    # 28 January 2026
    r"|(?<![A-Za-z0-9_$€£.,/:-])(?P<dmy_d>[0-3]?[0-9])(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?(?P<dmy_m>" + _MONTH_RE + r")"
    r"(?:,?[ ]+(?P<dmy_y>[12][0-9]{3})(?![0-9]))?"
    # early / mid / late 2026
    r"|(?<![A-Za-z])(?P<part>(?i:early|mid|late))[- ](?P<part_y>[12][0-9]{3})(?![0-9])"
    # Q2 FY2026 / Q4 2025 / Q4'25 / Q2→Q3 2025 / Q4
    r"|(?<![A-Za-z0-9])Q(?P<q_a>[1-4])(?:[ ]*(?:[-–→/]|to|through)[ ]*Q(?P<q_b>[1-4]))?"
    r"(?:[ ]*(?:of[ ]+)?(?:" + _FY_KW + r"[ ]?['’]?(?P<q_fyy>[0-9]{4}|[0-9]{2})|CY[ ]?['’]?(?P<q_cyy>[0-9]{4}|[0-9]{2})"
    r"|[ ]?['’](?P<q_yy>[0-9]{2})|[ -]?(?P<q_y>[12][0-9]{3})))?(?![0-9A-Za-z])"
    # 4Q25 / 4Q 2025
    r"|(?<![A-Za-z0-9])(?P<qn_a>[1-4])Q[ ]?(?:['’]?(?P<qn_yy>[0-9]{2})|(?P<qn_y>[12][0-9]{3}))(?![0-9A-Za-z])"
    # H2 2026 / H1 FY2025 / H2'26
    r"|(?<![A-Za-z0-9])H(?P<h_a>[12])[ ]*(?:of[ ]+)?(?:" + _FY_KW + r"[ ]?['’]?(?P<h_fyy>[0-9]{4}|[0-9]{2})"
    r"|CY[ ]?['’]?(?P<h_cyy>[0-9]{4}|[0-9]{2})|['’](?P<h_yy>[0-9]{2})|-?(?P<h_y>[12][0-9]{3}))(?![0-9A-Za-z])"
    # 2H25 / 1H 2026
    r"|(?<![A-Za-z0-9])(?P<hn_a>[12])H[ ]?(?:['’]?(?P<hn_yy>[0-9]{2})|(?P<hn_y>[12][0-9]{3}))(?![0-9A-Za-z])"
    # second half of 2026 / fourth quarter of fiscal 2025
    r"|(?<![A-Za-z])(?P<ord>(?i:first|second|third|fourth|1st|2nd|3rd|4th))[ ]+(?P<ord_k>(?i:quarter|half))[ ]+"
    r"(?:(?i:of)[ ]+)?(?:(?P<ord_fy>" + _FY_KW + r")[ ]?['’]?(?P<ord_fyy>[0-9]{4}|[0-9]{2})|(?P<ord_y>[12][0-9]{3}))(?![0-9])"
    # FY2025 / FY25 / fiscal 2025 / FY2024-FY2026 / FY2026 Q2
    r"|(?<![A-Za-z0-9])" + _FY_KW + r"[ ]?['’-]?(?P<fy_y>[0-9]{4}|[0-9]{2})(?![0-9])"
    r"(?:[ ]*(?:[-–→]|to|through)[ ]*(?:FY[ ]?)?['’]?(?P<fy_y2>[0-9]{4}|[0-9]{2})(?![0-9]))?"
    r"(?:[ -]*(?:Q(?P<fy_q>[1-4])|H(?P<fy_h>[12])))?(?![0-9A-Za-z])"
    # 2026 / 2024-2029 / 2025-26 / 2026-01 / 2024 to 2029
    r"|(?<![A-Za-z0-9_$€£.,'’/:#@])(?P<yr>[12][0-9]{3})(?![0-9]|[.,][0-9]|['’]?s(?![A-Za-z]))"
    r"(?:(?:[ ]?[-–→][ ]?|[ ]+(?:to|through|thru)[ ]+|(?(rel_between)[ ]+and[ ]+|(?!)))"
    r"(?P<yr2>[12][0-9]{3}|[0-9]{2})(?![0-9]|[.,][0-9]))?"
    r")")


@functools.lru_cache(maxsize=4096)
def _last_day(y: int, m: int) -> dt.date:
    if m == 12:
        return dt.date(y, 12, 31)
    return dt.date(y, m + 1, 1) - dt.timedelta(days=1)


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


def _yy(s: str) -> int:
    v = int(s)
    if len(s) == 2:
        return 2000 + v if v < 70 else 1900 + v
    return v


@functools.lru_cache(maxsize=4096)
def _fy_span(fy: int, fy_end_month: int) -> tuple[dt.date, dt.date]:
    sy, sm = _add_months(fy, fy_end_month, -11)
    return dt.date(sy, sm, 1), _last_day(fy, fy_end_month)


@functools.lru_cache(maxsize=4096)
def _months_span(y: int, m: int, count: int) -> tuple[dt.date, dt.date]:
    ey, em = _add_months(y, m, count - 1)
    return dt.date(y, m, 1), _last_day(ey, em)


@functools.lru_cache(maxsize=4096)
def _fy_part(fy: int, fy_end_month: int, idx: int, size: int) -> tuple[dt.date, dt.date]:
    """idx-th (1-based) block of `size` months in fiscal year `fy`."""
    sy, sm = _add_months(fy, fy_end_month, -11 + (idx - 1) * size)
    return _months_span(sy, sm, size)


def _fy_of(d: dt.date, fy_end_month: int) -> int:
    return d.year + (1 if d.month > fy_end_month else 0)


def _nearest(cands, as_of: dt.date):
    """Pick the candidate (label, start, end) whose middle is nearest to as_of."""
    def dist(c):
        mid = c[1] + (c[2] - c[1]) / 2
        return abs((mid - as_of).days)
    return min(cands, key=dist)


@functools.lru_cache(maxsize=4096)
def _nearest_day(mo: int, day: int, as_of: dt.date) -> dt.date | None:
    """A yearless date: the year that puts it nearest to as_of."""
    cands = []
    for y in (as_of.year - 1, as_of.year, as_of.year + 1):
        try:
            c = dt.date(y, mo, day)
        except ValueError:
            continue
        cands.append((c.isoformat(), c, c))
    return _nearest(cands, as_of)[1] if cands else None


@functools.lru_cache(maxsize=1024)
def _nearest_quarter_year(qa: int, fiscal: bool, fy: int, as_of: dt.date) -> int:
    """A bare "Q4": the (fiscal) year whose quarter lies nearest to as_of."""
    cands = []
    base = _fy_of(as_of, fy) if fiscal else as_of.year
    for yy in (base - 1, base, base + 1):
        a, b = _fy_part(yy, fy, qa, 3) if fiscal else _months_span(yy, 3 * qa - 2, 3)
        cands.append((str(yy), a, b))
    return int(_nearest(cands, as_of)[0])


def _month_of(s: str) -> int:
    return _MONTHS[s.strip(".")[:3].lower()]


def _resolve(m: re.Match, as_of: dt.date, fy: int) -> tuple[str, dt.date, dt.date, str] | None:
    """(label, start, end, granularity) for a period match, or None if it is not a valid period."""
    g = m.groupdict()
    if g["iso_y"]:
        d = dt.date(int(g["iso_y"]), int(g["iso_m"]), int(g["iso_d"]))
        return d.isoformat(), d, d, "day"
    if g["us_y"]:
        a, b = int(g["us_m"]), int(g["us_d"])
        if a > 12:
            a, b = b, a
        d = dt.date(int(g["us_y"]), a, b)
        return d.isoformat(), d, d, "day"
    if g["mdy_m"] or g["dmy_m"]:
        mo = _month_of(g["mdy_m"] or g["dmy_m"])
        day = int(g["mdy_d"] or g["dmy_d"])
        ys = g["mdy_y"] or g["dmy_y"]
        d = dt.date(int(ys), mo, day) if ys else _nearest_day(mo, day, as_of)
        if d is None:
            return None
        return d.isoformat(), d, d, "day"
    if g["my_m"]:
        mo = _month_of(g["my_m"])
        y = int(g["my_y"]) if g["my_y"] else _yy(g["my_yy"])
        a, b = _months_span(y, mo, 1)
        return f"{y:04d}-{mo:02d}", a, b, "month"
    if g["part"]:
        # early = Jan-Apr, mid = May-Aug, late = Sep-Dec (four-month windows, granularity "month")
        y = int(g["part_y"])
        p = g["part"].lower()
        first = {"early": 1, "mid": 5, "late": 9}[p]
        a, b = _months_span(y, first, 4)
        return f"{y}-{p}", a, b, "month"
    if g["q_a"] or g["qn_a"] or (g["ord"] and g["ord_k"].lower() == "quarter") or g["fy_q"]:
        return _quarter(g, as_of, fy)
    if g["h_a"] or g["hn_a"] or (g["ord"] and g["ord_k"].lower() == "half") or g["fy_h"]:
        return _half(g, as_of, fy)
    if g["fy_y"]:
        y1 = _yy(g["fy_y"])
        a, b = _fy_span(y1, fy)
        if g["fy_y2"]:
            y2 = _yy(g["fy_y2"]) if len(g["fy_y2"]) == 4 else (y1 // 100) * 100 + int(g["fy_y2"])
            if y2 <= y1:
                return None
            _, b = _fy_span(y2, fy)
            return f"FY{y1}..FY{y2}", a, b, "fiscal_year"
        return f"FY{y1}", a, b, "fiscal_year"
    if g["yr"]:
        y1 = int(g["yr"])
        if not 1900 <= y1 <= 2100:
            return None
        if g["yr2"]:
            y2 = int(g["yr2"]) if len(g["yr2"]) == 4 else (y1 // 100) * 100 + int(g["yr2"])
            if y1 < y2 <= 2100 and (len(g["yr2"]) == 4 or y2 - y1 <= 20):
                return f"{y1}..{y2}", dt.date(y1, 1, 1), dt.date(y2, 12, 31), "year"
            if len(g["yr2"]) == 2 and 1 <= int(g["yr2"]) <= 12 and "-" in m.group(0)[m.end("yr") - m.start():]:
                mo = int(g["yr2"])
                a, b = _months_span(y1, mo, 1)
                return f"{y1}-{mo:02d}", a, b, "month"
            return "trim"  # type: ignore[return-value]
        return str(y1), dt.date(y1, 1, 1), dt.date(y1, 12, 31), "year"
    return None


_ORD = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def _quarter(g: dict, as_of: dt.date, fy: int):
    if g["fy_q"]:
        qa, qb, fyy, cyy = int(g["fy_q"]), None, g["fy_y"], None
        if g["fy_y2"]:
            return None
        ys = None
    elif g["ord"]:
        qa, qb = _ORD[g["ord"].lower()], None
        fyy, cyy, ys = g["ord_fyy"], None, g["ord_y"]
    elif g["qn_a"]:
        qa, qb, fyy, cyy = int(g["qn_a"]), None, None, None
        ys = g["qn_y"] or g["qn_yy"]
    else:
        qa = int(g["q_a"])
        qb = int(g["q_b"]) if g["q_b"] else None
        fyy, cyy = g["q_fyy"], g["q_cyy"]
        ys = g["q_y"] or g["q_yy"]
    if qb is not None and qb <= qa:
        return None
    qb = qb or qa
    fiscal = bool(fyy) or (not ys and not cyy and fy != 12)
    if fyy or ys or cyy:
        y = _yy(fyy or cyy or ys)
    else:
        y = _nearest_quarter_year(qa, fiscal, fy, as_of)
    if fiscal:
        a, _ = _fy_part(y, fy, qa, 3)
        _, b = _fy_part(y, fy, qb, 3)
        pre = f"FY{y}"
    else:
        a, _ = _months_span(y, 3 * qa - 2, 3)
        _, b = _months_span(y, 3 * qb - 2, 3)
        pre = f"{y}"
    label = f"{pre}-Q{qa}" if qa == qb else f"{pre}-Q{qa}..{pre}-Q{qb}"
    return label, a, b, "quarter"


def _half(g: dict, as_of: dt.date, fy: int):
    if g["fy_h"]:
        if g["fy_y2"]:
            return None
        ha, fyy, ys = int(g["fy_h"]), g["fy_y"], None
    elif g["ord"]:
        ha = _ORD[g["ord"].lower()]
        fyy, ys = g["ord_fyy"], g["ord_y"]
    elif g["hn_a"]:
        ha, fyy, ys = int(g["hn_a"]), None, g["hn_y"] or g["hn_yy"]
    else:
        ha, fyy = int(g["h_a"]), g["h_fyy"]
        ys = g["h_y"] or g["h_yy"] or g["h_cyy"]
    if ha not in (1, 2):
        return None
    if fyy:
        y = _yy(fyy)
        a, b = _fy_part(y, fy, ha, 6)
        return f"FY{y}-H{ha}", a, b, "half"
    y = _yy(ys)
    a, b = _months_span(y, 6 * ha - 5, 6)
    return f"{y}-H{ha}", a, b, "half"


_FIG_AFTER_YEAR = re.compile(
    r"[0-9]{4}(?:" + _SP + r"?(?:%|×|[xX](?![A-Za-z0-9])|[KMBT](?![A-Za-z0-9])|(?:" + _alt(_PHYS_UNITS) +
    r"|(?i:" + _alt(_FLOPS_UNITS) + r"))(?![A-Za-z0-9]))|" + _SP + r"(?i:thousand|million|billion|trillion|percent)(?![A-Za-z]))")


def find_periods(text: str, as_of: dt.date, fy_end_month: int = 12) -> list[Period]:
    """Every period/date expression in `text`, resolved against `as_of` (publication date) and the
    entity's fiscal-year end month. Never raises.

    Labels: "2026", "FY2025", "FY2026-Q2", "2025-Q4", "2026-H2", "2026-02", "2026-mid",
    "2025-11-18", ranges "2024..2029". Relations: in | by | through | end | since. For "end"
    (`end of 2025`, `year-end 2025`, `by end of 2026`) the dates are narrowed to the last month
    of the period (2025-12-01..2025-12-31); the label and granularity stay those of the period.
    """
    out: list[Period] = []
    if not isinstance(text, str) or not text:
        return out
    try:
        fy = int(fy_end_month)
        if not 1 <= fy <= 12:
            fy = 12
        if not isinstance(as_of, dt.date):
            as_of = dt.date.today()
    except Exception:
        fy = 12
        as_of = dt.date.today()
    n = len(text)
    last = 0
    for a in _DIGITS.finditer(text):
        s, e = a.start(), a.end()
        if s < last:
            continue
        if not _period_candidate(text, s, e, n):
            continue
        try:
            p = _period_at(text, s, e, n, last, as_of, fy)
        except Exception:      # defensive: never raise on odd input
            p = None
        if p is not None:
            out.append(p)
            last = p.end_offset
    return out


_DIGITS = re.compile(r"[0-9]+")
_TOKEN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]")
_MONTH_BEFORE = re.compile(_MONTH_RE + r"[ ]+\Z")


def _period_candidate(text: str, s: int, e: int, n: int) -> bool:
    """Cheap filter: can the digit run text[s:e] be part of a period expression?"""
    ln = e - s
    if ln == 4:
        return "1000" <= text[s:e] <= "2999"
    if ln > 2:
        return False
    prev = text[s - 1] if s else ""
    nxt = text[e] if e < n else ""
    if prev and prev in "QHY'’":
        return True
    if nxt and nxt in "QH/":
        return True
    if prev == " " and s >= 3:
        if text[s - 3:s - 1] == "FY":
            return True
        if (text[s - 2].isalpha() or text[s - 2] == ".") and _MONTH_BEFORE.search(text, max(0, s - 12), s):
            return True
    if nxt and nxt in " \u00a0snrt" and _MONTH_AFTER.match(text, e):
        return True
    return False


def _period_at(text: str, s: int, e: int, n: int, last: int, as_of: dt.date, fy: int) -> Period | None:
    ws = max(last, s - 48)
    we = min(n, e + 48)
    k = 0
    while we < n and k < 64 and (text[we].isalnum() or text[we] in "'’"):
        we += 1
        k += 1
    # every alternative of _PERIOD starts at the start of a token, so try only those (leftmost first)
    m = None
    for t in _TOKEN_START.finditer(text, ws, s + 1):
        cand = _PERIOD.match(text, t.start(), we)
        if cand is not None and cand.end() > s:
            m = cand
            break
    if m is not None:
        res = _resolve(m, as_of, fy)
        span_end = m.end()
        if res == "trim":
            # "2025-99": keep the first year only
            y1 = int(m["yr"])
            res = (str(y1), dt.date(y1, 1, 1), dt.date(y1, 12, 31), "year")
            span_end = m.end("yr")
        if res is None:
            return None
        label, a, b, gran = res
        if m["yr"] and not m["yr2"]:
            ys = m.start("yr")
            if _FIG_AFTER_YEAR.match(text, ys):
                return None
            if ys >= 2 and text[ys - 1] == "-" and text[ys - 2].isalnum() and not m.group(0)[:ys - m.start()].strip():
                return None
        rel = "in"
        if m["rel_end"]:
            rel = "end"
            a = dt.date(b.year, b.month, 1) if gran != "day" else a
        elif m["rel_through"]:
            rel = "through"
        elif m["rel_by"]:
            rel = "by"
        elif m["rel_since"]:
            rel = "since"
        p0 = m.start()
        if m["rel_between"] and ".." not in label:
            p0 = m.end("rel_between")
        return Period(text[p0:span_end], p0, span_end, label, a, b, gran, rel)
    return None
