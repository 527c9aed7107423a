"""The words figures and periods are written with: currencies, magnitudes, units, rate words, qualifiers, months.

Unit spellings are data: the `spellings` section of the bundled vocab/units.yaml, read through the vocabulary
loader (so a bad entry fails with its file and line, and the vocabulary fingerprint covers it). They are read from
the bundled folder, not from RECONCILE_VOCAB: the lexer's regexes are built once, at import.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..config import default_vocab_dir
from ..vocab import load_unit_spellings, trie_pattern

CURRENCY = {"$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
            "dollars": "USD", "US dollars": "USD", "euros": "EUR"}
CUR_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}

MAG_EXP = {"k": 3, "thousand": 3, "m": 6, "mn": 6, "million": 6, "b": 9, "bn": 9, "billion": 9,
           "t": 12, "trillion": 12}
MAG_LETTER = ((12, "T"), (9, "B"), (6, "M"), (3, "K"))

_SPELLINGS = load_unit_spellings(default_vocab_dir() / "units.yaml")
# physical units: text form -> canonical unit (case-sensitive)
PHYS_UNITS = _SPELLINGS["physical"]
# FLOPS family and durations are matched in any case: text form lowercased -> canonical unit
FLOPS_UNITS = {k.lower(): v for k, v in _SPELLINGS["flops"].items()}
TIME_UNITS = {k.lower(): v for k, v in _SPELLINGS["durations"].items()}
# unit names written out ("gigawatts"), any case: text form lowercased -> canonical unit
WORD_UNITS = {k.lower(): v for k, v in _SPELLINGS["words"].items()}
KNOWN_UNITS = set(PHYS_UNITS.values()) | set(FLOPS_UNITS.values()) | set(TIME_UNITS.values()) \
    | set(WORD_UNITS.values()) | {"percent", "pp", "bps", "multiple"}
# units that may be negative: an "at most" bound is open below for them (others start at 0)
SIGNED_UNITS = {"percent", "pp", "bps"}

# rate denominators
PER_NORM = {
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
PER_ADVERB = {"quarterly": "quarter", "annually": "year", "monthly": "month", "yearly": "year",
              "weekly": "week", "daily": "day", "hourly": "hour", "per annum": "year",
              "annualized": "year", "annualised": "year"}

APPROX_WORDS = {"about", "approximately", "approx", "approx.", "around", "nearly", "roughly", "almost",
                "circa", "some", "an estimated", "estimated"}
# "prices starting from $299": a starting price is the least one pays
AT_LEAST_WORDS = {"over", "more than", "greater than", "at least", "exceeds", "exceed", "exceeding",
                  "in excess of", "above", "upwards of", "north of", "as low as", "starting at", "starting from",
                  "starts at", "starts from", "priced from", "surpassing", "surpassed", "surpasses", "crosses",
                  "crossed", "crossing", "topping", "tops", "topped"}
# "gained as much as 2%", "as many as 10,000 jobs": the figure is the most it reached, an upper bound
AT_MOST_WORDS = {"up to", "at most", "under", "below", "less than", "fewer than", "no more than",
                 "as much as", "as many as", "as high as"}

# capitalised words that may precede a plain count (the rest mark a name: "Llama 4")
CAP_OK = {
    "The", "A", "An", "And", "But", "Or", "Nor", "Of", "In", "On", "At", "By", "For", "With", "From", "To",
    "Than", "Only", "Just", "All", "Some", "These", "Those", "Its", "Their", "Our", "Another", "Each",
    "Every", "Is", "Are", "Was", "Were", "Has", "Have", "Had", "Over", "Under", "About", "Around",
    "Nearly", "Roughly", "Almost", "Approximately", "Up", "Plus", "Total", "Then", "Now", "So", "Also",
    "Including", "Across", "Among", "Between", "After", "Before", "Since", "Until", "Into", "Per", "Via",
    "Both", "If", "When", "While", "As", "We", "They", "It", "He", "She", "I", "You",
}

# the one month table: full names; the three-letter key and the regex below derive from it
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
MONTHS = {name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)}

SP = "[ \\u00a0]"


def _month_word(name: str) -> str:
    """'Jan(?:uary)?': the abbreviation, then the optional rest ('Sept' is a common extra form)."""
    rests = [name[3:]] + (["t"] if name == "september" else [])
    rests = [r for r in rests if r]
    if len(rests) == 1 and len(rests[0]) == 1:
        return name[:3].title() + rests[0] + "?"          # 'June?'
    return name[:3].title() + (f"(?:{'|'.join(rests)})?" if rests else "")


MONTH_RE = r"(?<![A-Za-z])(?:" + "|".join(_month_word(n) for n in MONTH_NAMES) + r")(?![A-Za-z])\.?"
MONTH_AFTER = re.compile(r"(?:st|nd|rd|th)?[ \u00a0]+(?:of[ ]+)?" + MONTH_RE)


def alt(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first, written as a trie: a word that begins another is still tried
    after it, so the matches are the same, but a position tries one branch per letter instead of every word (the
    lexer tries these lists at every number). Words that only case-folding makes one the start of another keep
    the plain alternation, whose order a case-insensitive trie could not keep."""
    ordered = sorted(words, key=len, reverse=True)
    folded_prefix = any(a != b and b.lower().startswith(a.lower()) and not b.startswith(a)
                        for a in ordered for b in ordered)
    return "|".join(re.escape(w) for w in ordered) if folded_prefix else trie_pattern(ordered)


def month_of(word: str) -> int:
    """'Jan', 'January', 'Sept.' -> 1, 1, 9."""
    return MONTHS[word.strip(".")[:3].lower()]


# "the quarter ended Dec. 31, 2025", "three months ended October 26, 2025": the span words before 'ended <date>',
# with the months each covers and the period granularity it has (nine months is a year-to-date total)
SPAN_ENDED = {"quarter": (3, "quarter"), "three months": (3, "quarter"), "13 weeks": (3, "quarter"),
              "thirteen weeks": (3, "quarter"), "six months": (6, "half"), "26 weeks": (6, "half"),
              "nine months": (9, "year_to_date"), "39 weeks": (9, "year_to_date"),
              "twelve months": (12, "year"), "12 months": (12, "year"), "52 weeks": (12, "year"),
              "year": (12, "year"), "fiscal year": (12, "fiscal_year")}
SPAN_ENDED_BEFORE = re.compile(r"(?i)\b(" + "|".join(sorted(SPAN_ENDED, key=len, reverse=True)) +
                               r")[ \u00a0]+(?:ended|ending)[ \u00a0]+(?:on[ \u00a0]+)?\Z")

# "five months ago", "in the past year", "in just three months": the span words of a relative period, in months
# "announced in January", "disclosed in November": a past-tense verb before a month named without its year makes it
# the last such month (else it is the one nearest the as-of date: "terms expire in June"); "expected" is no past
_NOT_PAST = r"\b(?!(?:expected|scheduled|slated|planned|targeted|set|due|anticipated)\b)"
_PAST_FORMS = r"said|began|won|rose|fell|grew|made|sold|paid|took|was|were|had"
PAST_TENSE_BEFORE = re.compile(r"(?i)" + _NOT_PAST + r"(?:[a-z]+ed|" + _PAST_FORMS + r")"
                               r"[ \u00a0]+(?:[a-z]+[ \u00a0]+)?\Z")
# "signed a $200 million contract with the Pentagon in July": the clause's verb, further back, is past tense too
# unless a present or coming verb stands between ("shared issues it's working to fix before the release in April")
# or the sentence speaks of expectations ("market anticipation had been for a cut in June")
PAST_CLAUSE_BEFORE = re.compile(r"(?i)" + _NOT_PAST + r"(?:[a-z]{3,}ed|" + _PAST_FORMS + r")"
                                r"[ \u00a0](?:(?!\b(?:is|are|will|before|ahead|until|upcoming|coming|next|[a-z]+ing)\b)"
                                r"[^;:,.!?])*\Z")
EXPECTATION_WORD = re.compile(r"(?i)\b(?:anticipat|expect|forecast|predict|project|plan|hope|aim)")
# "expected in November", "will close in March": the next such month
FUTURE_BEFORE = re.compile(r"(?i)\b(?:expected|scheduled|slated|planned|targeted|due|anticipated"
                           r"|will(?:[ \u00a0]+[a-z]+)?|set[ \u00a0]+to[ \u00a0]+[a-z]+)"
                           r"[ \u00a0]+(?:[a-z]+[ \u00a0]+){0,2}\Z")
# a future word anywhere before a weekday in its sentence ("will close its round on Monday")
FUTURE_WORD = re.compile(r"(?i)\b(?:will|shall|expected|scheduled|slated|set[ \u00a0]+to|plans?[ \u00a0]+to)\b")
SPAN_MONTHS = {"month": 1, "months": 1, "quarter": 3, "quarters": 3, "year": 12, "years": 12}


# Numbers written in words. A figure only where a scale or unit word follows ('one million TPUs', 'five
# gigawatts', 'a one-gigawatt campus') or as a multiple ('tenfold'): 'one of the largest' is no figure.
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
SPELLED_SCALES = ("hundred", "thousand", "million", "billion", "trillion", "gigawatts?", "megawatts?", "percent")
# Vague magnitudes ('tens of billions of dollars', 'millions of GPUs', 'hundreds of thousands of chips'): the span of
# counts each word stands for, read as a range of the scale after it ('millions' alone: 1-10 million).
VAGUE_COUNTS = {"tens": (10, 100), "hundreds": (100, 1000), "": (1, 10)}
VAGUE_SCALES = {"thousands": "thousand", "millions": "million", "billions": "billion", "trillions": "trillion"}
# A fraction of a scale ('a quarter-million', 'half a billion') is that many of the next scale down.
FRACTION_WORDS = {"quarter": 0.25, "half": 0.5}
# 'in the mid-70% range': low is x0-x3, mid x4-x6, high x7-x9
DECADE_PARTS = {"low": (0, 3), "mid": (4, 6), "high": (7, 9)}
# A rate left where it was ('left its base rate unchanged at 2.5%', 'held steady at 4%'): a change of zero points.
HELD_WORDS = ("unchanged", "steady")
# Amounts written in a currency's hundredth ("89 cents", "99¢", "45 pence"): the currency sign they are read with.
SUBUNITS = {"cents": "$", "cent": "$", "¢": "$", "pence": "£"}
