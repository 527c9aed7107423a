"""Property tests for reconcile.quantities (hypothesis; modest example budgets)."""
from __future__ import annotations

import datetime as dt
import math
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.quantities import (
    Quantity,
    Unparsed,
    find_periods,
    find_quantities,
    parse_quantity,
    render_quantity,
)

# QUANTITIES_PROPS_EXAMPLES=5000 for a deeper local run
FAST = settings(max_examples=int(os.environ.get("QUANTITIES_PROPS_EXAMPLES", "300")), deadline=None)

# text biased toward the characters figures and periods are made of
FIGURE_ALPHABET = "0123456789$€~≈+-–−.,%×xXKkMmBbTQHFYy /:'’()|*#\nabilontrGWsper→±<>e"
figure_text = st.text(alphabet=FIGURE_ALPHABET, max_size=80)
any_text = st.text(max_size=200)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def check_items(text, items):
    last = 0
    for it in items:
        assert isinstance(it, (Quantity, Unparsed))
        assert 0 <= it.start < it.end <= len(text)
        assert text[it.start:it.end] == it.text
        assert it.start >= last, "overlapping or out of order"
        last = it.end
        if isinstance(it, Quantity):
            assert not math.isnan(it.low) and not math.isnan(it.high)
            assert it.low <= it.high
            if it.value is not None:
                assert math.isfinite(it.value)
                assert it.low <= it.value <= it.high
            else:
                assert it.qualifier in ("range", "approx_range")
        else:
            assert it.reason


def check_periods(text, ps):
    last = 0
    for p in ps:
        assert text[p.start_offset:p.end_offset] == p.text
        assert p.start_offset >= last
        last = p.end_offset
        assert p.start <= p.end
        assert p.relation in ("in", "by", "through", "end", "since")
        assert p.granularity in ("year", "fiscal_year", "half", "quarter", "month", "day", "year_to_date", "to_date",
                                 "ahead")  # Period's documented granularities


# ---------------------------------------------------------------------------
# never raises, invariants hold
# ---------------------------------------------------------------------------

@FAST
@given(any_text)
def test_find_quantities_any_text(text):
    check_items(text, find_quantities(text))


@FAST
@given(figure_text)
def test_find_quantities_figure_like_text(text):
    check_items(text, find_quantities(text))


@FAST
@given(st.one_of(any_text, figure_text))
def test_parse_quantity_never_raises(text):
    q = parse_quantity(text)
    if q is not None:
        assert q.text == text.strip()
        check_items(text.strip(), [q])


@FAST
@given(st.one_of(any_text, figure_text), dates, st.integers(min_value=1, max_value=12))
def test_find_periods_never_raise(text, as_of, fy):
    check_periods(text, find_periods(text, as_of, fy))


# ---------------------------------------------------------------------------
# well-formed figures: parse gives the stated numbers; render round-trips
# ---------------------------------------------------------------------------

SUFFIX_EXP = {"": 0, "K": 3, "M": 6, "B": 9, "T": 12, " thousand": 3, " million": 6, " billion": 9,
              " trillion": 12}
PERS = {"": None, "/quarter": "quarter", "/user/month": "user/month", " per year": "year",
        "/GPU/hr": "GPU/hour", " a month": "month"}


@st.composite
def numbers(draw):
    """(text, digits without commas) for a plain decimal number."""
    whole = draw(st.integers(min_value=0, max_value=10 ** 7))
    decimals = draw(st.one_of(st.just(""), st.text(alphabet="0123456789", min_size=1, max_size=3)))
    commas = draw(st.booleans()) and whole >= 1000
    body = f"{whole:,}" if commas else str(whole)
    plain = str(whole)
    if decimals:
        body += "." + decimals
        plain += "." + decimals
    return body, plain


@st.composite
def figures(draw):
    """A well-formed figure string and the (value, low, high, unit, qualifier, per) it states."""
    approx = draw(st.booleans())
    money = draw(st.booleans())
    unit_kind = "USD" if money else draw(st.sampled_from(["count", "count", "percent", "multiple"]))
    suffix = draw(st.sampled_from(sorted(SUFFIX_EXP))) if unit_kind in ("USD", "count") else ""
    n1, p1 = draw(numbers())
    ranged = draw(st.booleans())
    plus = (not ranged) and draw(st.booleans())
    per_txt = draw(st.sampled_from(sorted(PERS)))
    exp = SUFFIX_EXP[suffix]
    unit_txt = {"percent": "%", "multiple": "×"}.get(unit_kind, "")
    cur = "$" if money else ""
    lo = float(f"{p1}e{exp}")
    if ranged:
        n2, p2 = draw(numbers())
        hi = float(f"{p2}e{exp}")
        if hi < lo:
            n1, p1, n2, p2, lo, hi = n2, p2, n1, p1, hi, lo
        text = f"{'~' if approx else ''}{cur}{n1}-{n2}{suffix}{unit_txt}{per_txt}"
        expect = (None, lo, hi, unit_kind, "approx_range" if approx else "range", PERS[per_txt])
    elif plus:
        text = f"{'~' if approx else ''}{cur}{n1}{suffix}{unit_txt}+{per_txt}"
        expect = (lo, lo, math.inf, unit_kind, "at_least", PERS[per_txt])
    else:
        text = f"{'~' if approx else ''}{cur}{n1}{suffix}{unit_txt}{per_txt}"
        expect = (lo, lo, lo, unit_kind, "approx" if approx else "exact", PERS[per_txt])
    return text, expect


@st.composite
def bounded_figures(draw):
    """Figures with an 'up to' bound or a leading sign (change)."""
    kind = draw(st.sampled_from(["up to", "sign"]))
    unit_kind = draw(st.sampled_from(["USD", "count", "percent", "multiple"]))
    n1, p1 = draw(numbers())
    suffix = draw(st.sampled_from(["", "K", "M", "B"])) if unit_kind in ("USD", "count") else ""
    v = float(f"{p1}e{SUFFIX_EXP[suffix]}")
    body = f"{'$' if unit_kind == 'USD' else ''}{n1}{suffix}{ {'percent': '%', 'multiple': '×'}.get(unit_kind, '')}"
    if kind == "up to":
        low = -math.inf if unit_kind == "percent" else 0.0
        return f"up to {body}", (v, low, v, unit_kind, "at_most", None)
    sign = draw(st.sampled_from(["+", "-"]))
    sv = -v if sign == "-" else v
    return f"{sign}{body}", (sv, sv, sv, unit_kind, "change", None)


def assert_same(q, expect):
    value, low, high, unit, qual, per = expect
    assert close(q.value, value), (q, expect)
    assert close(q.low, low) and close(q.high, high), (q, expect)
    assert (q.unit, q.qualifier, q.per) == (unit, qual, per), (q, expect)


@FAST
@given(st.one_of(figures(), bounded_figures()))
def test_parse_well_formed(fig):
    text, expect = fig
    q = parse_quantity(text)
    assert q is not None, text
    assert_same(q, expect)
    check_items(text, [q])


@FAST
@given(st.one_of(figures(), bounded_figures()))
def test_render_round_trip(fig):
    text, _ = fig
    q = parse_quantity(text)
    assert q is not None, text
    rendered = render_quantity(q)
    back = parse_quantity(rendered)
    assert back is not None, (text, rendered)
    assert_same(back, (q.value, q.low, q.high, q.unit, q.qualifier, q.per))


@FAST
@given(figures(), st.sampled_from(["Revenue was ", "(", "| ", "", "Capex: "]),
       st.sampled_from([" in total.", ")", " |", "", "; next"]))
def test_figure_found_in_context(fig, before, after):
    text, expect = fig
    head = text.lstrip("~")
    if head.isdigit() and 1900 <= int(head) <= 2100:
        return               # a bare 4-digit year-like number is read as a year in running text (by design)
    whole = before + text + after
    items = find_quantities(whole)
    check_items(whole, items)
    hits = [i for i in items if i.start == len(before)]
    assert hits, (whole, items)
    q = hits[0]
    assert isinstance(q, Quantity), q
    # a bare count can be shortened by context only in ways that keep offsets consistent
    if q.end == len(before) + len(text):
        assert_same(q, expect)


# the words and symbols a figure's prefix is made of, glued and spaced in every way
PREFIX_PIECES = ["about ", "between ", "up to ", "at least ", "more than ", "North of ", "xUSD ", "USD ", "EUR ",
                 "GBP ", "US$", "$", "€", "£", "~", "≈", "≥", "≤", "±", "<=", ">", "+", "-", "−", " ", "\u00a0",
                 "\t", "a", "B", "ſ", "K", "'", "."]


@FAST
@given(st.lists(st.sampled_from(PREFIX_PIECES), max_size=12), st.integers(min_value=0, max_value=40))
def test_prefix_match_is_the_prefix_search(pieces, lo_cut):
    """_prefix_match tries _PRE only where a prefix can start; it must find what _PRE.search finds."""
    from reconcile.quantities.figures import _PRE, _prefix_match

    text = "".join(pieces) + "5"
    s = len(text) - 1
    lo = min(lo_cut, s)
    expected = _PRE.search(text, lo, s)
    found = _prefix_match(text, lo, s)
    assert expected is not None and (found.span(), found.groupdict()) == (expected.span(), expected.groupdict())


# the words periods are made of (stated, relative, counted from the as-of date), glued and spaced in every way
PERIOD_PIECES = ["2025", "1999", "25", "3", "Q3", "H2", "FY", "fiscal ", "year", "quarter", "third", "first-", "month",
                 "ago", "so far", "YTD", "to-date", "past ", "trailing ", "next ", "coming ", "last ", "this ",
                 "in ", "by ", "since ", "until ", "through ", "the ", "end of ", "January", "Sept.", "Oct",
                 "Thursday", "monday's close", "'s", "’", "/", "-", " ", ", ", ".", "a", "x", "$", "%", "B"]


@FAST
@given(st.lists(st.sampled_from(PERIOD_PIECES), max_size=10), dates, st.integers(min_value=1, max_value=12))
def test_periodless_text_has_no_period_on_any_date(pieces, as_of, fye):
    """find_periods answers [] without reading a text _periodless clears (known per text, whatever the date):
    no pass of _periods may find a period in such a text, on any as-of date or calendar."""
    from reconcile.calendars import as_calendar
    from reconcile.quantities.periods import _periodless, _periods

    text = "".join(pieces)
    if _periodless(text):
        assert _periods(text, as_of, as_calendar(fye)) == []
    assert (find_periods(text, as_of, fye) == []) or not _periodless(text)
