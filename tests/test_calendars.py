"""Fiscal calendars against the periods companies state (tests/fixtures/fiscal_calendars.yaml)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from reconcile.calendars import CALENDAR_YEAR, FiscalCalendar, as_calendar, parse_calendar

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "fiscal_calendars.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["who"] for c in CASES])
def test_fiscal_period_spans(case):
    cal = parse_calendar(case["spec"])
    if "quarter" in case:
        span = cal.quarter(case["fy"], case["quarter"])
    elif "half" in case:
        span = cal.part(case["fy"], case["half"], 6)
    else:
        span = cal.year_span(case["fy"])
    assert span == tuple(case["span"])
    assert cal.year_of(span[0]) == case["fy"] and cal.year_of(span[1]) == case["fy"]


def test_quarters_tile_the_year_without_gaps():
    for spec in ("last Sunday of January", "last Saturday of September", 6, 12):
        cal = parse_calendar(spec)
        for fy in range(2015, 2031):
            spans = [cal.quarter(fy, q) for q in (1, 2, 3, 4)]
            assert spans[0][0] == cal.year_span(fy)[0] and spans[-1][1] == cal.year_span(fy)[1]
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert start - end == dt.timedelta(days=1)


@pytest.mark.parametrize("spec", [0, 13, "last Funday of January", "January-ish", True, None])
def test_unreadable_specs_are_refused_with_the_forms(spec):
    with pytest.raises(ValueError, match="month number"):
        parse_calendar(spec)
    assert as_calendar(spec) == CALENDAR_YEAR


def test_calendar_is_hashable_and_described():
    cal = parse_calendar("last Sunday of January")
    assert cal == FiscalCalendar(1, 6) and hash(cal) == hash(FiscalCalendar(1, 6))
    assert "last Sunday of January" in cal.describe()


# --- the calendar of a vocabulary entity ----------------------------------------------------------

def _vocab_with(tmp_path, line: str):
    import shutil

    from reconcile.config import default_vocab_dir
    from reconcile.vocab import load_vocabulary
    folder = tmp_path / "vocab"
    shutil.copytree(default_vocab_dir(), folder)
    path = folder / "entities.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("entities:\n", "entities:\n" + line + "\n", 1),
                    encoding="utf-8")
    return load_vocabulary(folder), path


def test_an_entity_reads_a_weekly_calendar_and_its_products_inherit_it(tmp_path):
    vocab, _ = _vocab_with(tmp_path, "  Gizmo Corp: {kind: company, fiscal_year_end: last Saturday of March}\n"
                                     "  Gizmo Phone: {kind: product, parent: Gizmo Corp}")
    assert vocab.fiscal_year_end("Gizmo Corp") == FiscalCalendar(3, 5)
    assert vocab.fiscal_year_end("Gizmo Phone") == FiscalCalendar(3, 5)
    assert vocab.fiscal_year_end("nobody") == CALENDAR_YEAR


@pytest.mark.parametrize("spec", ["13", "last Funday of March", "end of March"])
def test_a_bad_fiscal_year_end_names_the_file_and_line(tmp_path, spec):
    from reconcile.errors import UserError
    with pytest.raises(UserError) as err:
        _vocab_with(tmp_path, f"  Gizmo Corp: {{kind: company, fiscal_year_end: {spec}}}")
    text = str(err.value)
    assert "entities.yaml" in text and ":" in text and "last Sunday of January" in text, text
