"""The conflict report: content, counts, determinism, and no live markup from any source."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from reconcile import report as _report
from reconcile.report import ReportTables, format_figure
from reconcile.schemas import CONFLICT_KINDS, SEVERITIES


# The report takes its tables as one ReportTables; these keep the tests' calls short.
def _tables(*frames, orphaned=None):
    return ReportTables(*frames, orphaned=orphaned)


def build_report(*frames, generated_at=None, orphaned=None):
    return _report.build_report(_tables(*frames, orphaned=orphaned), generated_at=generated_at)


def render_html(*frames, generated_at=None, orphaned=None):
    return _report.render_html(_tables(*frames, orphaned=orphaned), generated_at=generated_at)


def render_markdown(*frames, generated_at=None, orphaned=None):
    return _report.render_markdown(_tables(*frames, orphaned=orphaned), generated_at=generated_at)


SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[x](javascript:alert(1))"
PIPES = "a | b | c"
TICKS = "``code`` and `x`"


def documents() -> pd.DataFrame:
    return pd.DataFrame([
        dict(source_id="deck", path="sources/deck.md", title=f"Deck {SCRIPT}", publisher="Acme",
             published="2025-06-01", format="md", primary=True, registered=True, sha256="0" * 64,
             bytes=10, status="ok", reason=""),
        dict(source_id="weekly", path="sources/weekly.txt", title="AI Weekly", publisher=f"Press {IMG}",
             published="2026-01-30", format="txt", primary=False, registered=True, sha256="1" * 64,
             bytes=20, status="ok", reason=""),
        dict(source_id="blob", path="sources/blob.bin", title="blob", publisher="", published="",
             format=None, primary=False, registered=False, sha256="2" * 64, bytes=30,
             status="rejected", reason="binary file (NUL bytes)"),
    ])


def claim(claim_id, source_id, quote, value, unit="USD", location="line 1", **extra) -> dict:
    row = dict(claim_id=claim_id, source_id=source_id, location=location, quote=quote, entity="OpenAI",
               metric="valuation", period="2025", value=value, value_low=value, value_high=value,
               unit=unit, qualifier="exact", published="")
    row.update(extra)
    return row


def claims() -> pd.DataFrame:
    return pd.DataFrame([
        claim("c-000000000001", "deck", f"valued at $300B {SCRIPT}", 3e11, location=f"table 2 {IMG}"),
        claim("c-000000000002", "weekly", f"valued at $500B {JS_LINK}", 5e11, location="line 7"),
        claim("c-000000000003", "weekly", f"AWS run-rate {PIPES} {TICKS}", None, value_low=1e10,
              value_high=2e10, qualifier="range", location="line 9"),
        claim("c-000000000004", "deck", "AI revenue 38%", 38.0, unit="percent", location="line 3"),
    ])


def conflict(conflict_id, kind, severity, claim_ids, explanation, **extra) -> dict:
    row = dict(conflict_id=conflict_id, kind=kind, severity=severity, entity="OpenAI", metric="valuation",
               period="2025", claim_ids=";".join(claim_ids), explanation=explanation, status="open",
               rule="value-mismatch", source_ids="deck;weekly", fingerprint="f")
    row.update(extra)
    return row


def conflicts(with_decisions: bool = True) -> pd.DataFrame:
    rows = [
        conflict("k-00000000000a", "value", "error", ["c-000000000001", "c-000000000002"],
                 f"$300B vs $500B {SCRIPT}"),
        conflict("k-00000000000b", "category", "warning", ["c-000000000003", "c-000000000004"],
                 f"run-rate is not revenue {JS_LINK}", entity=f"AWS {IMG}", metric="ai_revenue"),
        conflict("k-00000000000c", "arithmetic", "info", ["c-000000000004", "c-0000000000ff"],
                 "sum does not add up", status="dismissed"),
    ]
    df = pd.DataFrame(rows)
    if with_decisions:
        df["decision_action"] = ["accept", None, "dismiss"]
        df["decided_by"] = ["alice", None, f"bob {SCRIPT}"]
        df["decided_at"] = ["2026-02-01T10:00:00Z", None, "2026-02-02T09:00:00Z"]
        df["reason"] = [f"primary source {IMG}", None, "rounding"]
        df["decided_value"] = [3e11, None, None]
        df["suggestion"] = ["prefer the primary source", f"move to run-rate {SCRIPT}", None]
        df["suggestion_rule"] = ["primary-source", "move-to-metric", None]
        df["suggestion_value"] = [3e11, None, None]
    return df


def resolved() -> pd.DataFrame:
    return pd.DataFrame([dict(entity="OpenAI", metric="valuation", period="2025", value=3e11, value_low=3e11,
                              value_high=3e11, unit="USD", status="approved",
                              claim_ids="c-000000000001;c-000000000002", rule="decision", decided_by="alice",
                              decided_at="2026-02-01T10:00:00Z", reason="primary")])


def rejected() -> pd.DataFrame:
    return pd.DataFrame([dict(source_id="empty", path="sources/empty.md", reason=f"empty file {SCRIPT}")])


def unparsed() -> pd.DataFrame:
    return pd.DataFrame([
        dict(source_id="weekly", location="line 12", text="$1.2.3B", reason="two decimal points"),
        dict(source_id="deck", location="table 1 row 3", text="~~5", reason=f"no number {SCRIPT}"),
    ])


def full_args() -> tuple:
    return documents(), claims(), conflicts(), resolved(), rejected(), unparsed()


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(*full_args(), generated_at="2026-02-03T12:00:00Z")


@pytest.fixture(scope="module")
def markdown() -> str:
    return render_markdown(*full_args(), generated_at="2026-02-03T12:00:00Z")


# ------------------------------------------------------------------ HTML security


def test_html_has_no_live_markup_from_sources(page):
    soup = BeautifulSoup(page, "lxml")
    assert soup.find_all("script") == []
    assert soup.find_all("img") == []
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
        for attr in ("href", "src", "action", "formaction"):
            assert not str(tag.get(attr, "")).strip().lower().startswith("javascript:"), tag
    assert "<script" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert 'href="javascript:' not in page


def test_html_shows_hostile_text_as_text(page):
    text = BeautifulSoup(page, "lxml").get_text()
    for hostile in (SCRIPT, IMG, JS_LINK, PIPES, TICKS):
        assert hostile in text


def test_html_is_self_contained(page):
    soup = BeautifulSoup(page, "lxml")
    assert not soup.find_all("link") and not soup.find_all("iframe")
    assert not [t for t in soup.find_all(src=True)]
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert hrefs and all(h.startswith("#") for h in hrefs)  # only in-page anchors
    assert not re.search(r"url\(|@import|https?://", soup.style.string)
    assert "default-src 'none'" in soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]


def test_every_contents_link_has_a_target(page):
    soup = BeautifulSoup(page, "lxml")
    ids = {t["id"] for t in soup.find_all(id=True)}
    assert {a["href"][1:] for a in soup.find_all("a", href=True)} <= ids
    assert {"k-00000000000a", "k-00000000000b", "k-00000000000c"} <= ids


# ------------------------------------------------------------------ HTML content


def conflict_article(page: str, conflict_id: str):
    return BeautifulSoup(page, "lxml").find("article", id=conflict_id)


def test_conflict_shows_both_quotes_side_by_side_with_provenance(page):
    article = conflict_article(page, "k-00000000000a")
    cards = article.select(".claims .card")
    assert len(cards) == 2
    first, second = (card.get_text(" ") for card in cards)
    assert f"valued at $300B {SCRIPT}" in first and "2025-06-01" in first and "table 2" in first
    assert f"Deck {SCRIPT}" in first and "$300B" in first
    assert f"valued at $500B {JS_LINK}" in second and "2026-01-30" in second and "line 7" in second
    assert "AI Weekly" in second and "$500B" in second


def test_conflict_shows_suggestion_decision_and_golden_value(page):
    text = conflict_article(page, "k-00000000000a").get_text(" ")
    assert "prefer the primary source" in text and "primary-source" in text
    assert "alice" in text and "2026-02-01 10:00:00 UTC" in text and f"primary source {IMG}" in text
    assert "Golden value" in text and "(approved)" in text


def test_optional_resolve_columns_may_be_absent():
    page = render_html(documents(), claims(), conflicts(with_decisions=False).drop(columns=["status"]))
    article = conflict_article(page, "k-00000000000a")
    assert "open" in article.select_one(".meta").get_text(" ")
    assert "Decision" not in article.get_text() and "Suggested" not in article.get_text()


def test_missing_claim_is_shown_not_dropped(page):
    text = conflict_article(page, "k-00000000000c").get_text(" ")
    assert "c-0000000000ff" in text and "not found" in text


def test_range_figure_is_shown_as_range(page):
    text = conflict_article(page, "k-00000000000b").get_text(" ")
    assert "$10B–$20B" in text and "38%" in text


def test_conflicts_sorted_by_severity_then_kind(page):
    order = [a["id"] for a in BeautifulSoup(page, "lxml").find_all("article")]
    assert order == ["k-00000000000a", "k-00000000000b", "k-00000000000c"]


def test_html_counts_sources_rejected_and_unparsed(page):
    soup = BeautifulSoup(page, "lxml")
    summary = soup.find(id="summary").get_text(" ")
    for kind in CONFLICT_KINDS:
        assert kind in summary
    for severity in SEVERITIES:
        assert severity in summary
    sources = soup.find(id="sources-read").get_text(" ")
    assert f"Deck {SCRIPT}" in sources and "AI Weekly" in sources and "blob" not in sources
    rejected_text = soup.find(id="rejected-sources").get_text(" ")
    assert "binary file (NUL bytes)" in rejected_text and f"empty file {SCRIPT}" in rejected_text
    unparsed_text = soup.find(id="unparsed-figures").get_text(" ")
    assert "2 figures could not be read" in unparsed_text and "$1.2.3B" in unparsed_text


# ------------------------------------------------------------------ counts


def test_counts_by_kind_severity_and_status():
    report = build_report(*full_args())
    by_kind = {kind: (counts, total) for kind, counts, total in report.kind_severity}
    assert list(by_kind) == list(CONFLICT_KINDS)
    assert by_kind["value"] == ((1, 0, 0), 1)
    assert by_kind["category"] == ((0, 1, 0), 1)
    assert by_kind["arithmetic"] == ((0, 0, 1), 1)
    assert by_kind["period"] == ((0, 0, 0), 0)
    assert report.severity_totals == (1, 1, 1)
    assert dict(report.by_status) == {"open": 2, "resolved": 0, "dismissed": 1, "stale": 0}
    sources = {s.source_id: s.claims for s in report.sources}
    assert sources == {"deck": 2, "weekly": 2}
    assert [r[0] for r in report.rejected] == ["blob", "empty"]
    assert len(report.unparsed) == 2


# ------------------------------------------------------------------ markdown


def md_table_rows(markdown: str, header_start: str) -> list[list[str]]:
    """Cells of the first table whose header starts with `header_start`, split on unescaped pipes."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown_tables_keep_their_shape_with_hostile_cells(markdown):
    rows = md_table_rows(markdown, "| # | source | date")
    assert all(len(row) == 7 for row in rows)  # ... value, read from
    assert len(rows) == 2 + 2  # header, rule, two claims


def test_markdown_escapes_markup_links_pipes_and_backticks(markdown):
    assert "<script" not in markdown and "<img" not in markdown
    # The only links are our own in-page ones: a source cannot form `](url`.
    assert not re.search(r"(?<!\\)\]\((?!#)", markdown)
    assert "\\[x\\](javascript:alert(1))" in markdown
    assert "a \\| b \\| c" in markdown
    assert "\\`\\`code\\`\\`" in markdown


def test_markdown_rendered_to_html_has_no_live_markup(markdown):
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    soup = BeautifulSoup(rendered, "lxml")
    assert soup.find_all("script") == [] and soup.find_all("img") == []
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")]
    assert not [a for a in soup.find_all("a", href=True) if a["href"].lower().startswith("javascript")]
    text = soup.get_text()
    for hostile in (SCRIPT, IMG, JS_LINK, PIPES):
        assert hostile in text
    cells = [td.get_text() for td in soup.find_all("td")]
    assert f"AWS run-rate {PIPES} {TICKS}" in cells


def test_markdown_has_counts_quotes_sources_rejected_unparsed(markdown):
    kinds = {row[0]: row[1:] for row in md_table_rows(markdown, "| kind |")[2:]}
    assert kinds["value"] == ["1", "0", "0", "1"] and kinds["total"] == ["1", "1", "1", "3"]
    assert "valued at $300B" in markdown and "valued at $500B" in markdown
    assert "2025-06-01" in markdown and "2026-01-30" in markdown
    assert "## Sources read" in markdown and "AI Weekly" in markdown
    assert "binary file (NUL bytes)" in markdown
    assert "2 figures could not be read" in markdown and "$1.2.3B" in markdown
    assert "(rule: primary\\-source)" in markdown or "(rule: primary-source)" in markdown
    assert "by alice on 2026-02-01 10:00:00 UTC" in markdown


def test_markdown_cell_newlines_do_not_break_rows():
    cl = claims()
    cl.loc[0, "quote"] = "line one\n| fake | row |\n# heading"
    md = render_markdown(documents(), cl, conflicts())
    rows = md_table_rows(md, "| # | source | date")
    assert all(len(row) == 7 for row in rows)  # ... value, read from and len(rows) == 4
    assert "\n# heading" not in md


# ------------------------------------------------------------------ determinism, edge cases


def test_output_is_deterministic_and_independent_of_row_order():
    args = full_args()
    shuffled = [df.sample(frac=1, random_state=7) for df in args]
    for render in (render_html, render_markdown):
        first = render(*args, generated_at="2026-02-03T12:00:00Z")
        assert render(*args, generated_at="2026-02-03T12:00:00Z") == first
        assert render(*shuffled, generated_at="2026-02-03T12:00:00Z") == first
        assert render(*args, generated_at="2030-01-01T00:00:00Z") != first


def test_empty_run_renders():
    for render in (render_html, render_markdown):
        text = render(None, None, None)
        assert "No conflicts found" in text and "0 figures could not be read" in text


def test_bidi_override_and_control_characters_are_neutralised():
    cl = claims()
    cl.loc[0, "quote"] = "price \u202e$003 \x00\x07end"
    md = render_markdown(documents(), cl, conflicts())
    page = render_html(documents(), cl, conflicts())
    for text in (md, page):
        assert "\u202e" not in text and "\x00" not in text and "\x07" not in text
    assert "&lt;U+202E&gt;" in page


@pytest.mark.parametrize("args, expected", [
    ((7.3e11, None, None, "USD"), "$730B"),
    ((-5e9, None, None, "USD"), "-$5B"),
    ((38.0, None, None, "percent"), "38%"),
    ((3.5, None, None, "multiple"), "3.5x"),
    ((2.0, None, None, "GW"), "2 GW"),
    ((None, 1e9, 2e9, "EUR"), "€1B–€2B"),
    ((None, 5e9, float("inf"), "USD"), "≥ $5B"),
    ((1e9, 1e9, 1e9, "count", "approx"), "~1B"),
    ((None, None, None, "USD"), ""),
])
def test_format_figure(args, expected):
    assert format_figure(*args) == expected


# ------------------------------------------------------------------ issue 12 item 9


def test_every_table_scrolls_in_its_own_box_so_the_page_fits_420px(page):
    # A 420 px viewport cannot hold a six-column table: it must scroll inside its box, not widen the page.
    soup = BeautifulSoup(page, "lxml")
    tables = soup.find_all("table")
    assert tables and all("scroll" in (t.parent.get("class") or []) for t in tables)
    css = soup.style.get_text()
    assert re.search(r"\.scroll\{[^}]*overflow-x:auto", css)
    assert re.search(r"body\{[^}]*overflow-wrap:break-word", css)   # long words break, not the page


def stale_page(**extra) -> str:
    frame = conflicts()
    frame.loc[0, "status"] = "stale"
    for column, value in extra.items():
        frame.loc[0, column] = value
    return render_html(documents(), claims(), frame, resolved())


def test_stale_card_says_the_earlier_decision_no_longer_applies_and_why():
    article = conflict_article(stale_page(decided_claim_ids="c-000000000001"), "k-00000000000a")
    note = article.select_one(".note.decision").get_text(" ")
    assert "no longer applies" in note and "The evidence changed" in note
    assert "c-000000000002" in note and "AI Weekly" in note      # the claim that arrived since
    assert "decide again" in note


def test_fresh_decision_is_not_called_stale(page):
    assert "no longer applies" not in conflict_article(page, "k-00000000000a").get_text(" ")


def test_timestamps_are_shown_without_microseconds():
    frame = conflicts()
    frame.loc[0, "decided_at"] = "2026-12-01T17:38:59.813413+00:00"
    html_page = render_html(documents(), claims(), frame, generated_at="2026-12-01T17:40:01.123456+00:00")
    text = BeautifulSoup(html_page, "lxml").get_text(" ")
    assert ".813413" not in text and ".123456" not in text
    assert "2026-12-01 17:38:59 UTC" in text and "2026-12-01 17:40:01 UTC" in text


def test_golden_line_shows_the_value_that_matters_and_links_the_rest():
    rows = [dict(entity="OpenAI", metric="valuation", period="2025", value=3e11, value_low=3e11, value_high=3e11,
                 unit="USD", status="approved", claim_ids="c-000000000001", rule="decision:1", decided_by="alice",
                 decided_at=None, reason=None, scope=None, conflict_ids="k-00000000000a")]
    rows += [dict(rows[0], period=str(2019 + n), value=n * 1e9, value_low=n * 1e9, value_high=n * 1e9,
                  status="single-source", claim_ids=f"c-00000000010{n}") for n in range(1, 7)]
    html_page = render_html(documents(), claims(), conflicts(), pd.DataFrame(rows))
    golden = conflict_article(html_page, "k-00000000000a").select_one(".note.golden")
    line = golden.find("span", class_="golden-value").get_text(" ")
    assert line == "$300B (approved)"
    more = golden.find("details")
    assert more is not None and "6 more" in more.summary.get_text()
    assert len(more.find_all("li")) == 6 and "OpenAI · valuation · 2020" in more.get_text(" ")
    md_text = render_markdown(documents(), claims(), conflicts(), pd.DataFrame(rows))
    assert "**Golden value:** $300B (approved)" in md_text and "6 more" in md_text


def test_report_order_is_the_queue_order_of_reconcile_conflicts():
    from reconcile.cli import _filtered
    rows = [conflict(f"k-00000000001{n}", kind, severity, ["c-000000000001"], "x", status=status)
            for n, (kind, severity, status) in enumerate([
                ("value", "error", "resolved"), ("date", "warning", "open"), ("value", "info", "stale"),
                ("arithmetic", "error", "open"), ("category", "error", "dismissed"), ("value", "warning", "open")])]
    frame = pd.DataFrame(rows)
    html_order = [a["id"] for a in BeautifulSoup(render_html(documents(), claims(), frame), "lxml").find_all("article")]
    assert html_order == list(_filtered(frame, None, None, None)["conflict_id"])
