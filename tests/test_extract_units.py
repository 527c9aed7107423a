"""Extraction on its own: small blocks through the extract package's functions, no normalise or detect.

Each part is tested where it decides: table shapes and cells (tables), sentences and clauses (prose), date
claims (events), a figure at its site (emit), and the cue words, looped over from vocab/cues.yaml.
"""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from reconcile.config import default_vocab_dir
from reconcile.errors import UserError
from reconcile.extract import FigureSite, extract_document
from reconcile.extract.emit import figure, scaled, word_multiples
from reconcile.extract.model import Context, Extraction, Reading
from reconcile.extract.periods import estimate_marks, find_periods, find_quantities, granularity, not_ranges
from reconcile.extract.tables import table_scale, table_shape
from reconcile.parse import Block
from reconcile.vocab import BUNDLED_CUES, load_vocabulary

AS_OF = dt.date(2026, 2, 1)
CUES = yaml.safe_load(BUNDLED_CUES.read_text(encoding="utf-8"))["cues"]


def mentions(vocab, *blocks: Block):
    return extract_document(list(blocks), "doc", AS_OF, vocab)


def table(heading: str, *rows: tuple[str, ...]) -> Block:
    return Block("table", "", 3, (heading,), rows=tuple(rows))


def para(text: str, heading: str = "News", kind: str = "paragraph") -> Block:
    return Block(kind, text, 1, (heading,))


def row(m) -> tuple:
    """A mention as (entity, metric, value, unit, period, relation)."""
    q = m.quantity
    return (m.entity, m.metric, q.value if q else None, q.unit if q else None,
            m.period.label if m.period else None, m.relation)


# --- cues: every cue finds its examples and misses its counter-examples ---------------------------

@pytest.mark.parametrize("name", sorted(CUES))
def test_every_cue_finds_its_examples(vocab, name):
    regex = getattr(vocab.cues, name)
    assert CUES[name]["match"], f"cue {name} has no example"
    for text in CUES[name]["match"]:
        assert regex.search(text), f"{name} misses {text!r}"
    for text in CUES[name].get("no_match", []):
        assert not regex.search(text), f"{name} finds {text!r}"


def test_a_cue_is_written_once_and_named_where_it_is_reused(vocab):
    spelled = {name for name, body in CUES.items() if "annuali[" in body["pattern"]}
    assert spelled == {"annualised"}  # the others say {annualised}
    assert "annuali[sz]ed" in vocab.cues.annualised_before.pattern and "annuali[sz]ed" in vocab.cues.run_rate.pattern


@pytest.mark.parametrize("edit, message", [
    (("annualised:\n    pattern: 'annuali[sz]ed'", "annualised:\n    pattern: 'annuali[sz'"),
     "not a valid regular expression"),
    (("match: ['$60B annualized',", "match: ['$60B per year',"), "does not find its example"),
    (("no_match: ['unannualized']", "no_match: ['$1B annualized']"), "listed under no_match"),
    (("pattern: '{annualised_word}", "pattern: '{annualized_word}"), "names unknown cue"),
    (("  growth:\n", "  growth:\n    prefilter: true\n"), "no short list of words is in its every match"),
    (("    prefilter: true\n", "    prefilter: often\n"), "'prefilter' must be true or false"),
])
def test_a_broken_cue_names_the_file_line_and_fix(tmp_path, edit, message):
    folder = tmp_path / "vocab"
    shutil.copytree(default_vocab_dir(), folder)
    path = folder / "cues.yaml"
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_vocabulary(folder)
    rendered = caught.value.render()
    assert message in rendered and f"{path}:" in rendered and "Fix:" in rendered and "\n" not in rendered


def test_cues_change_the_vocabulary_fingerprint_and_an_old_folder_reads_the_bundled_cues(tmp_path):
    folder = tmp_path / "vocab"
    shutil.copytree(default_vocab_dir(), folder)
    before = load_vocabulary(folder).fingerprint
    (folder / "cues.yaml").write_text((folder / "cues.yaml").read_text() + "\n# a steward's note\n")
    assert load_vocabulary(folder).fingerprint != before
    (folder / "cues.yaml").unlink()
    assert load_vocabulary(folder).fingerprint == before  # the bundled file, byte for byte


def test_a_folders_cues_must_name_every_bundled_cue(tmp_path):
    folder = tmp_path / "vocab"
    shutil.copytree(default_vocab_dir(), folder)
    text = (folder / "cues.yaml").read_text()
    start = text.index("  cumulative:")
    (folder / "cues.yaml").write_text(text[:start] + text[text.index("  this_quarter:"):])
    with pytest.raises(UserError, match="cue 'cumulative' is missing"):
        load_vocabulary(folder)


# --- tables ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, first_col, expected", [
    (("Company", "Capex"), ("Amazon", "Meta"), "table_rows"),
    (("Metric", "Microsoft", "Alphabet"), ("Revenue",), "table_columns"),
    (("Quarter", "Revenue"), ("Q3 2025", "Q4 2025"), "series"),
    (("Metric", "Value"), ("Valuation", "Weekly users"), "key_value"),
    (("Player", "Capex"), ("Acme Robotics", "Zeta Labs"), "table_rows"),  # unknown names under 'Player'
])
def test_table_shape_from_header_and_first_column(vocab, header, first_col, expected):
    from reconcile.extract.words import entity_in_label
    r = Reading("doc", AS_OF, vocab, Extraction(), 1)
    from reconcile.extract.tables import _whole_period
    shape = table_shape(list(header), [entity_in_label(vocab, c) for c in first_col],
                        [entity_in_label(vocab, h) for h in header[1:]], [_whole_period(r, c) for c in first_col])
    assert shape == expected


def test_entities_in_rows_take_the_metric_and_period_from_the_header(vocab):
    found = mentions(vocab, table("Capex", ("Company", "2026 CapEx", "YoY Growth"), ("Amazon", "$200B", "+50%"),
                                  ("Meta", "$115-135B", "~2× 2025")))
    rows = [row(m) for m in found.mentions]
    assert rows[0] == ("Amazon", "capex", 200e9, "USD", "2026", None)
    assert rows[1] == ("Amazon", None, 50.0, "percent", None, "growth")
    assert rows[3][1:4] == (None, 2.0, "multiple") and found.mentions[3].base_period.label == "2025"
    assert found.mentions[0].metric_imposed and found.mentions[0].context == "table_rows"
    assert found.mentions[0].location == 'Capex › table 1 › row "Amazon" › column "2026 CapEx"'


def test_entities_in_columns_and_a_time_series(vocab):
    columns = mentions(vocab, table("Revenue", ("Metric", "Microsoft", "Alphabet"), ("Revenue", "$81B", "$96B")))
    assert [row(m)[:3] for m in columns.mentions] == [("Microsoft", "revenue", 81e9), ("Google", "revenue", 96e9)]
    series = mentions(vocab, table("Nvidia revenue", ("Quarter", "Revenue"), ("Q3 2025", "$57B"), ("Q4 2025", "$68B")))
    assert [(m.context, row(m)[4]) for m in series.mentions] == [("series", "2025-Q3"), ("series", "2025-Q4")]


def test_key_value_rows_under_an_entity_heading(vocab):
    found = mentions(vocab, table("OpenAI", ("Metric", "Value"), ("Valuation", "$500B"), ("Weekly users", "800M")))
    assert [row(m)[:4] for m in found.mentions] == [("OpenAI", "valuation", 500e9, "USD"),
                                                   ("OpenAI", "wau", 800e6, "count")]
    assert found.mentions[0].location == 'OpenAI › table 1 › row "Valuation"'  # two columns: no column part


def test_a_scale_note_above_a_table_multiplies_its_bare_figures(vocab):
    found = mentions(vocab, para("($ in billions)", "Capex"), table("Capex", ("Company", "Capex"), ("Amazon", "125")))
    assert row(found.mentions[0])[:4] == ("Amazon", "capex", 125e9, "USD")
    assert table_scale(vocab.cues, ["Revenue (in millions)"], ()) == (1e6, False)
    assert table_scale(vocab.cues, ["billions of users"], ()) is None
    q = next(q for q in find_quantities("$35B"))
    assert scaled(vocab.cues, q, (1e9, True)) is q  # it writes its own magnitude


# --- prose -------------------------------------------------------------------------------------------

def test_a_sentence_gives_its_subject_metric_period_and_growth(vocab):
    found = mentions(vocab, para("Microsoft reported revenue of $81.3 billion, up 17% YoY. "
                                 "It expects capex to nearly double.", "Microsoft Q2"))
    assert [row(m) for m in found.mentions] == [
        ("Microsoft", "revenue", 81.3e9, "USD", "FY2026-Q2", None),
        ("Microsoft", "revenue", 17.0, "percent", "FY2026-Q2", "growth"),
        ("Microsoft", "capex", 2.0, "multiple", None, "multiple"),   # "It" is the previous sentence's subject
    ]


def test_a_combined_figure_is_the_sum_of_the_names_listed(vocab):
    found = mentions(vocab, para("Microsoft, Meta and Google combined will spend $400 billion on capex in 2026.",
                                 "Capex"))
    (m,) = found.mentions
    assert (m.entity, m.members, m.metric) == ("Google+Meta+Microsoft", ("Google", "Meta", "Microsoft"), "capex")


def test_annualised_and_superseded_figures(vocab):
    run_rate = mentions(vocab, para("Anthropic is running at an annualized revenue run-rate of $14 billion."))
    assert row(run_rate.mentions[0])[-1] == "annualised"
    raised = mentions(vocab, para("Meta raised guidance from $66B to $72B.", "Meta"))
    assert [m.superseded for m in raised.mentions] == [True, False]


def test_written_out_arithmetic_is_reported_unreadable(vocab):
    found = mentions(vocab, para("Meta raised guidance to $72B; revenue 2+2 was fine.", "Meta"))
    assert [(u.text, u.reason) for u in found.unparsed] == [("2", "arithmetic expression, not a stated figure")]


# --- events ------------------------------------------------------------------------------------------

def test_a_timeline_item_dates_its_event_by_the_lead_date(vocab):
    found = mentions(vocab, para("Jan 28: AWS signs a $38 billion deal with OpenAI.", "Timeline", "bullet"))
    deal = [m for m in found.mentions if m.event == "deal_signed"]
    assert deal and all((m.entity, m.period.label, m.counterparty) == ("AWS", "2026-01-28", "OpenAI") for m in deal)


def test_an_event_word_takes_the_date_beside_it(vocab):
    (ipo,) = mentions(vocab, para("OpenAI plans an IPO in 2027.")).mentions
    assert (ipo.entity, ipo.metric, ipo.period.label, ipo.quantity) == ("OpenAI", "ipo_date", "2027", None)
    (deal,) = mentions(vocab, para("Nvidia closed the acquisition (Dec 2025) of Groq.")).mentions
    assert (deal.event, deal.period.label) == ("acquisition", "2025-12")


def test_a_cell_dates_each_event_word_by_its_own_date(vocab):
    found = mentions(vocab, table("OpenAI", ("Item", "Detail"),
                                  ("IPO Target", "Up to $1T (H2 2026 filing, 2027 listing)")))
    assert {(m.event, m.period.label) for m in found.mentions if m.event} == {("ipo_filing", "2026-H2"),
                                                                              ("ipo", "2027")}


def test_the_ends_of_a_date_range_date_nothing(vocab):
    text = "Feb 23-Mar 1, 2026"
    assert not_ranges(text, find_periods(text, AS_OF)) == []


# --- emit: a figure at its site ----------------------------------------------------------------------

def _emit(vocab, text: str, **site):
    r = Reading("doc", AS_OF, vocab, Extraction(), 7)
    q = next(q for q in find_quantities(text))
    figure(r, q, text, FigureSite(location="here", quote=text, context=site.pop("context", "prose"), **site))
    (m,) = r.out.mentions
    return m


def test_emit_keeps_the_site_and_adds_what_the_figures_words_say(vocab):
    m = _emit(vocab, "$5B per quarter", entity="Meta", metric="capex")
    assert (m.source_id, m.line, m.location, m.entity, m.metric, m.granularity) == \
        ("doc", 7, "here", "Meta", "capex", "quarterly")
    assert _emit(vocab, "up 40% from 2024", entity="Meta", metric="revenue").base_period.label == "2024"
    assert _emit(vocab, "$15 billion more than forecast", entity="Meta").relation == "difference"


def test_emit_drops_a_metric_the_figure_cannot_measure(vocab):
    assert _emit(vocab, "$187/share", entity="Meta", metric="market_cap").metric is None
    assert _emit(vocab, "40 GW", entity="Meta", metric="revenue").metric is None


def test_word_multiples_need_an_entity_and_a_metric(vocab):
    r = Reading("doc", AS_OF, vocab, Extraction(), 1)
    word_multiples(r, "capex roughly tripled from 2024", FigureSite("here", "q", "prose", entity="Meta"))
    assert r.out.mentions == []
    word_multiples(r, "capex roughly tripled from 2024", FigureSite("here", "q", "prose", entity="Meta",
                                                                    metric="capex"))
    (m,) = r.out.mentions
    assert (m.quantity.value, m.quantity.qualifier, m.base_period.label) == (3.0, "approx", "2024")


# --- small readers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [("Quarterly revenue", "quarterly"), ("ARR", "run_rate"),
                                            ("Capex (annual)", "annual"), ("Cumulative investment", "cumulative"),
                                            ("Revenue", None)])
def test_granularity_words(vocab, text, expected):
    assert granularity(vocab.cues, text) == expected


def test_estimate_marks_are_read_as_periods(vocab):
    assert estimate_marks(vocab.cues, "FY2027E") == "FY2027"
    assert estimate_marks(vocab.cues, "FQ2 26A") == "Q2 FY26"


def test_heading_context_names_entity_metric_and_period(vocab):
    from reconcile.extract import heading_context
    from reconcile.parse import heading_label
    ctx = heading_context(("Earnings", "Microsoft capex FY2026"), AS_OF, vocab, heading_label)
    assert isinstance(ctx, Context) and (ctx.entity, ctx.metric, ctx.period.label) == ("Microsoft", "capex", "FY2026")


# --- tolerances ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, ranges", [
    ("Revenue is expected to be $45.0 billion, plus or minus 2%.", {"$45.0 billion": (44.1e9, 45.9e9)}),
    ("Gross margins are expected to be 71.8% and 72.0%, respectively, plus or minus 50 basis points.",
     {"71.8%": (71.3, 72.3), "72.0%": (71.5, 72.5)}),
    ("Tax rates are expected to be 16.5%, plus or minus 1%, excluding discrete items.", {"16.5%": (15.5, 17.5)}),
    ("Revenue was $45.0 billion, up 2% from the prior quarter.", {}),
])
def test_a_stated_tolerance_makes_a_range_and_is_no_figure(vocab, text, ranges):
    from reconcile.extract.tolerances import apply_tolerances
    found = [q for q in apply_tolerances(vocab.cues, text, find_quantities(text)) if hasattr(q, "low")]
    got = {q.text: (q.low, q.high) for q in found if q.qualifier == "range"}
    assert got.keys() == ranges.keys()
    for key, (low, high) in ranges.items():
        assert got[key] == pytest.approx((low, high))
    if ranges:
        assert len(found) == len(ranges)  # the tolerance itself is not a figure
