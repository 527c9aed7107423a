"""The words a regex needs, looked for before it runs: the prefiltered regex finds exactly what the regex does.

Looped over every bundled cue (its examples, and texts mixed from its words and the letters that fold oddly),
over the lexer's hint, and over every character a case-insensitive regex reads as an ASCII letter.
"""
from __future__ import annotations

import random
import re
import string
import sys

import pytest
import yaml

from reconcile.prefilter import _ODD_FOLDS, Prefiltered, needed_words, prefiltered
from reconcile.quantities.figures import _VAGUE_HINT
from reconcile.quantities.periods import _PASS_STARTS
from reconcile.vocab import BUNDLED_CUES

CUES = yaml.safe_load(BUNDLED_CUES.read_text(encoding="utf-8"))["cues"]
ODD = "\u0130\u0131\u017f"  # İ ı ſ


def spans(found):
    return [m.span() for m in found] if not isinstance(found, re.Match | None) else (found and found.span())


def texts_for(regex: re.Pattern[str], examples: list[str], seed: int) -> list[str]:
    """The examples, the examples with letters swapped for odd folds or case, and words of the pattern mixed."""
    rng = random.Random(seed)
    words = re.findall(r"[A-Za-z]{2,}", regex.pattern) or ["word"]
    out = list(examples)
    for text in examples:
        out += [text.upper(), text.replace("s", "\u017f").replace("i", "\u0131"), text.replace("I", "\u0130")]
    for _ in range(60):
        picks = [rng.choice(words + [" ", "$5 ", "(", ")", ODD[rng.randrange(3)]]) for _ in range(rng.randrange(1, 8))]
        out.append(" ".join(p.upper() if rng.random() < 0.3 else p for p in picks))
    return out


def agrees(fast, regex: re.Pattern[str], text: str) -> None:
    assert spans(fast.search(text)) == spans(regex.search(text)), text
    assert spans(fast.search(text, 1, len(text) - 1)) == spans(regex.search(text, 1, len(text) - 1)), text
    assert spans(fast.finditer(text)) == spans(regex.finditer(text)), text
    assert spans(fast.match(text)) == spans(regex.match(text)), text


@pytest.mark.parametrize("name", sorted(CUES))
def test_a_prefiltered_cue_finds_what_its_regex_finds(vocab, name):
    regex = vocab.cues.by_name[name].regex
    words = needed_words(regex.pattern, regex.flags)
    if words is None:
        assert prefiltered(regex) is regex
        return
    fast = Prefiltered(regex, words)
    examples = CUES[name]["match"] + CUES[name].get("no_match", [])
    for text in examples[:len(CUES[name]["match"])]:
        assert any(w in text.lower() for w in words), (name, words, text)  # each example holds a needed word
    for text in texts_for(regex, examples, seed=len(name)):
        agrees(fast, regex, text)


def test_only_cues_marked_prefilter_are_prefiltered(vocab):
    marked = {name for name, body in CUES.items() if body.get("prefilter")}
    assert marked and all(isinstance(getattr(vocab.cues, n), Prefiltered) for n in marked)
    assert isinstance(vocab.cues.growth, re.Pattern)


@pytest.mark.parametrize("regex", _PASS_STARTS, ids=lambda rx: rx.pattern[:30])
def test_the_period_passes_start_where_their_words_are(regex):
    """_periodless looks for each pass's words before searching (the passes' own phrases as examples)."""
    words = needed_words(regex.pattern, regex.flags)
    assert words is not None
    examples = ["the 1990's", "in the third quarter", "five months ago", "over the next two years", "so far this year",
                "by March", "the end of this year", "on Thursday", "last year", "revenue rose 5%", "a \u017fo far"]
    for text in texts_for(regex, examples, seed=len(regex.pattern)):
        agrees(Prefiltered(regex, words), regex, text)


@pytest.mark.parametrize("text", ["thousands of GPUs", "a QUARTER-point cut", "flat with", "mid-30s", "high 20s",
                                  "Revenue rose 5%", "thou\u017fands of", "\u0130n half", "ha\u0131f"])
def test_the_lexers_hint_finds_what_its_regex_finds(text):
    assert isinstance(_VAGUE_HINT, Prefiltered)
    agrees(_VAGUE_HINT, _VAGUE_HINT.regex, text)


@pytest.mark.parametrize("pattern, flags, words", [
    (r"\bon\s+sale\b|\bcoupon\b", re.I, ("coupon", "sale")),   # each branch's longest run
    (r"ab?c", 0, ("a",)),                                        # an optional letter cuts the run
    (r"(?:Prime|Black)\s+Day", 0, ("black", "prime")),           # case-sensitive words are looked for lower-cased
    (r"x*", 0, None),                                            # a match that can be empty needs nothing
    (r"(?<=sale)\d+", 0, None),                                  # a look-behind's words are outside the match
    (r"[$€£]\d", 0, None),                                       # a non-ASCII letter is never a needed word
    ("|".join(chr(97 + i) * 2 for i in range(20)), 0, None),     # too many words to be worth testing
])
def test_needed_words_are_read_off_the_pattern(pattern, flags, words):
    assert needed_words(pattern, flags) == words


def test_every_letter_that_folds_to_ascii_but_lowers_elsewhere_is_an_odd_fold():
    folds = re.compile(r"(?i)[a-z]")
    odd = {chr(cp) for cp in range(0x80, sys.maxunicode + 1)
           if folds.fullmatch(chr(cp)) and chr(cp).lower() not in string.ascii_lowercase}
    assert odd == set(ODD) and all(_ODD_FOLDS.search(ch) for ch in odd)
