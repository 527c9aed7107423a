"""Issue 12's attacks on figure extraction (items 16 and 26), each with the attacker's own input.

- 16: invisible characters inside numbers (`$7‍30B` with a zero-width joiner) and full-width or other Unicode
  digits (`＄７３０Ｂ`) are read as the figure a reader sees, and the quote stays the document's exact text;
- 26: documents made to be slow to read (8,000 `$1B` tokens in one sentence, 1 MB of random `ab1$,.B`,
  `$1 billion ` 200,000 times, `$1–1–1…B`) are read in time linear in their length, and a document that
  still takes longer than the budget is quarantined as too complex, with its place named.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from reconcile import engine, registry
from reconcile.parse.hygiene import normalize_text
from reconcile.quantities import find_quantities, parse_quantity


def extracted(vocab, body: str):
    doc = registry.SourceDoc("a", Path("a.md"), "A", "", dt.date(2026, 2, 1), "markdown",
                             text=f"# Valuations\n\n{body}\n")
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


# -- item 26: documents made to be slow to read --------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.adversarial import ATTACKS, document  # noqa: E402


def cpu_seconds_to_extract(vocab, body: str):
    doc = registry.SourceDoc("a", Path("a.md"), "A", "", dt.date(2026, 2, 1), "markdown", text=document(body))
    start = time.thread_time()
    claims, unparsed = engine.extract_one(doc, vocab)
    return time.thread_time() - start, claims, unparsed


def test_a_sentence_of_8000_dollar_tokens_is_read_whole_in_linear_time(vocab, monkeypatch):
    """The attacker's 32 KB sentence took 11.6 s (~30 CPU s here): every piece of it is now read, in < 1 s."""
    monkeypatch.setenv("RECONCILE_DOC_BUDGET", "120")  # measure the reading, not the budget
    attack = ATTACKS["8,000 '$1B' tokens in one sentence (32 KB)"][1]()
    seconds, claims, unparsed = cpu_seconds_to_extract(vocab, attack)
    assert seconds < 6, f"{seconds:.1f} CPU s"
    assert unparsed.empty and len(claims) and set(claims["value"]) == {1e9}


def test_a_sentence_of_8000_full_width_figures_is_read_in_linear_time_too(vocab, monkeypatch):
    monkeypatch.setenv("RECONCILE_DOC_BUDGET", "20")
    seconds, claims, unparsed = cpu_seconds_to_extract(vocab, "＄１Ｂ " * 8_000)
    assert seconds < 6, f"{seconds:.1f} CPU s"
    assert unparsed.empty and len(claims) and set(claims["value"]) == {1e9}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_the_attackers_documents_take_no_longer_than_the_budget(vocab, monkeypatch, name):
    """Each is read, or quarantined as too complex once it has used its budget (1 s here), naming its place."""
    monkeypatch.setenv("RECONCILE_DOC_BUDGET", "1")
    seconds, claims, unparsed = cpu_seconds_to_extract(vocab, ATTACKS[name][1]())
    assert seconds < 5, f"{seconds:.1f} CPU s"
    stopped = unparsed[unparsed["reason"].str.startswith(engine.TOO_COMPLEX)]
    if len(stopped):
        assert claims.empty and len(stopped) == 1
        row = stopped.iloc[0]
        assert row["location"].startswith("Attack › paragraph 1") and row["line"] == 3
        assert f"stopped at line 3 ({row['location']})" in row["reason"] and "RECONCILE_DOC_BUDGET" in row["reason"]
    else:
        assert len(claims)


def test_a_too_complex_document_is_quarantined_by_the_cli_and_the_others_are_read(tmp_path):
    """The 400 KB sentence never finished (killed at 900 s); with a 1 s budget the run reports it and goes on."""
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "attack.md").write_text(document(ATTACKS["100,000 '$1B' tokens in one sentence (400 KB)"][1]()))
    (sources / "note.md").write_text("# Note\n\nOpenAI was valued at $300B.\n")
    env = dict(os.environ, RECONCILE_HOME=str(tmp_path / "home"), RECONCILE_DOC_BUDGET="1", COLUMNS="200")
    env.pop("DAGSTER_HOME", None)
    run = subprocess.run([str(Path(sys.executable).parent / "reconcile"), "run", "--sources", str(sources),
                          "--out", str(tmp_path / "out")], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "attack: 0 claims (document too complex, see unparsed_figures.csv)" in run.stdout + run.stderr
    unparsed = pd.read_csv(tmp_path / "out" / "unparsed_figures.csv")
    [row] = unparsed[unparsed["source_id"] == "attack"].to_dict("records")
    assert row["reason"].startswith("document too complex") and row["line"] == 3
    claims = pd.read_csv(tmp_path / "out" / "claims.csv")
    assert claims["source_id"].tolist() == ["note"] and claims["value"].tolist() == [300e9]
