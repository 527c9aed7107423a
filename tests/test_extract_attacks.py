"""Issue 12's attacks on figure extraction (items 16 and 26), each with the attacker's own input.

- 16: invisible characters inside numbers (`$7‍30B` with a zero-width joiner) and full-width or other Unicode
  digits (`＄７３０Ｂ`) are read as the figure a reader sees, and the quote stays the document's exact text;
- 26: documents made to be slow to read (8,000 `$1B` tokens in one sentence, 1 MB of random `ab1$,.B`,
  `$1 billion ` 200,000 times, `$1–1–1…B`) are read in time linear in their length, and a document that
  still takes longer than the budget is quarantined as too complex, with its place named.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from reconcile import engine, registry
from reconcile.parse.hygiene import normalize_text
from reconcile.quantities import find_quantities, parse_quantity


def extracted(vocab, body: str):
    doc = registry.SourceDoc("a", Path("a.md"), "A", "", dt.date(2026, 2, 1), "markdown", text=f"# Valuations\n\n{body}\n")
    claims, unparsed = engine.extract_one(doc, vocab)
    return doc, claims, unparsed


# -- item 16: invisible characters and other digits inside numbers ------------------------------------------

SEEN_AS_730B = {
    "zero-width joiner": "$7\u200d30B",           # the attacker's input
    "zero-width space": "$73\u200b0B",
    "soft hyphen": "$7\u00ad30B",
    "word joiner after the sign": "$\u20607\u206030B",
    "full-width": "＄７３０Ｂ",                  # the attacker's input
    "arabic-indic digits": "$٧٣٠B",
}


@pytest.mark.parametrize("figure", SEEN_AS_730B.values(), ids=SEEN_AS_730B.keys())
def test_a_figure_written_with_invisible_or_unicode_characters_is_read_as_a_reader_sees_it(vocab, figure):
    doc, claims, unparsed = extracted(vocab, f"OpenAI was valued at {figure} in its latest round.")
    assert claims["value"].tolist() == [730e9], claims[["quote", "value", "metric"]]
    claim = claims.iloc[0]
    assert (claim["entity"], claim["metric"], claim["unit"]) == ("OpenAI", "valuation", "USD")
    # the exact text of the document as read (the parser already drops the invisible characters it may)
    assert claim["quote"] in normalize_text(doc.text) and normalize_text(figure) in claim["quote"]
    assert unparsed.empty


@pytest.mark.parametrize("figure", SEEN_AS_730B.values(), ids=SEEN_AS_730B.keys())
def test_the_lexer_reads_the_figure_and_keeps_its_span_in_the_original_text(figure):
    text = f"valued at {figure}, up"
    [q] = find_quantities(text)
    assert (q.value, q.unit, q.text) == (730e9, "USD", figure)
    assert text[q.start:q.end] == figure
    assert parse_quantity(figure) == q.__class__(figure, 0, len(figure), *[getattr(q, f) for f in
                                                  ("value", "low", "high", "unit", "qualifier", "per", "sig")])


def test_a_superscript_is_not_read_as_a_digit():
    assert [q.value for q in find_quantities("an area of 10² km and $5B")] == [5e9]
