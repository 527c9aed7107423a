"""Tests for reconcile.parse: markdown, plain-text and HTML documents → Blocks."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.parse import (
    Block,
    heading_label,
    normalize_text,
    parse_document,
    parse_html,
    parse_markdown,
    parse_text,
    sniff_format,
)

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).resolve().parent / "fixtures" / "parse"
SOURCES = ROOT / "sources"


def _kinds(blocks, kind):
    return [b for b in blocks if b.kind == kind]


def _find(blocks, kind, text_start):
    for b in blocks:
        if b.kind == kind and b.text.startswith(text_start):
            return b
    raise AssertionError(f"no {kind} starting with {text_start!r} in {[b.text for b in blocks]}")


def _check_invariants(blocks):
    for b in blocks:
        assert isinstance(b, Block)
        assert b.kind in ("heading", "paragraph", "bullet", "table")
        assert b.line >= 1
        assert all(isinstance(h, str) and h for h in b.headings)
        if b.kind == "table":
            assert b.text == "" and b.rows
            width = len(b.rows[0])
            assert width >= 1
            assert all(len(r) == width for r in b.rows)
        else:
            assert b.text and b.text == b.text.strip() and "  " not in b.text
            assert not b.rows
        if b.kind == "heading":
            assert b.level >= 1


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def md_blocks():
    return parse_markdown((FIX / "report.md").read_text(encoding="utf-8"))


def test_md_front_matter_and_comments_dropped(md_blocks):
    _check_invariants(md_blocks)
    text = " ".join(b.text for b in md_blocks) + " ".join(c for b in md_blocks for r in b.rows for c in r)
    assert md_blocks[0].kind == "paragraph" and "777" in md_blocks[0].text  # the headline is text a reader sees
    assert "999" not in text          # code is not prose
    assert "12,345" not in text       # HTML comment
    assert "888" not in text          # indented code


def test_md_headings_and_paths(md_blocks):
    h = _kinds(md_blocks, "heading")
    assert [(x.level, x.text) for x in h] == [
        (1, "Slide 7 — Cloud: Capacity | 云：容量"),
        (2, "Key Metrics"),            # {#metrics} attribute removed
        (2, "Setext Heading"),
        (3, "Deep Heading code link"),  # inline markup stripped from headings
    ]
    assert h[0].line == 5 and h[0].headings == ()
    # a heading pops everything at its level or deeper
    assert h[2].headings == ("Slide 7 — Cloud: Capacity | 云：容量",)
    final = _find(md_blocks, "paragraph", "Final paragraph")
    assert final.headings == ("Slide 7 — Cloud: Capacity | 云：容量", "Setext Heading", "Deep Heading code link")


def test_md_paragraph_join_and_inline_stripping(md_blocks):
    p = _find(md_blocks, "paragraph", "Intro paragraph")
    assert p.text == "Intro paragraph that wraps onto a second line with bold $5B and italic and a link."
    assert p.line == 7
    lead = _find(md_blocks, "paragraph", "Project Rainier")
    assert lead.text == "Project Rainier: Joint initiative — 30-40% lower cost."
    img = _find(md_blocks, "paragraph", "Text under setext")
    assert img.text == "Text under setext, with an image chart of 2× and inline html & entity."
    assert _find(md_blocks, "paragraph", "Final").text == "Final paragraph new 12%."  # struck text dropped
    # hard line break splits
    assert _find(md_blocks, "paragraph", "Hard break").text == "Hard break line one"
    assert _find(md_blocks, "paragraph", "line two").line == 50


def test_md_tables(md_blocks):
    tables = _kinds(md_blocks, "table")
    assert len(tables) == 2
    t = tables[0]
    assert t.line == 14
    assert t.headings == ("Slide 7 — Cloud: Capacity | 云：容量", "Key Metrics")
    assert t.rows == (
        ("Metric", "Value", "Note"),
        ("Revenue", "$81.3B", "+17% YoY"),           # bold + backticks stripped
        ("Escaped | pipe", "4×", "ragged row with extra"),  # \| kept, extra cell truncated
        ("Short row", "1", ""),                       # short row padded
    )
    assert tables[1].rows == (("Metric A", "Metric B"), ("no", "outer pipes"))


def test_md_bullets(md_blocks):
    bullets = [b.text for b in _kinds(md_blocks, "bullet")]
    assert bullets == [
        "First bullet with ~$700B+",
        "Second bullet continued on an indented line",
        "Third bullet",
        "Numbered item one",
        "Numbered item two",
    ]
    assert _find(md_blocks, "paragraph", "Quoted claim").text == "Quoted claim of 45% growth across two lines."


def test_md_code_fences_skipped_and_hr_ignored():
    doc = "# T\n\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n# not heading\n```\n\n~~~~\n$9B\n~~~~\n\n---\n\nafter $1B\n"
    blocks = parse_markdown(doc)
    assert [(b.kind, b.text) for b in blocks] == [("heading", "T"), ("paragraph", "after $1B")]
    # unclosed fence swallows the rest instead of leaking code
    assert [b.kind for b in parse_markdown("x\n\n```\n$5B\n")] == ["paragraph"]


def test_md_bold_only_lines_are_paragraphs():
    blocks = parse_markdown("**The Agentic AI Race**\n**智能体AI基础设施竞赛**\n\n*How they compete.*\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "The Agentic AI Race"),
        ("paragraph", "智能体AI基础设施竞赛"),
        ("paragraph", "How they compete."),
    ]


def test_md_emphasis_edge_cases():
    blocks = parse_markdown("2 * 3 * 4 = 24 and snake_case_name and 5*x and **unclosed bold\n")
    assert blocks[0].text == "2 * 3 * 4 = 24 and snake_case_name and 5*x and unclosed bold"
    blocks = parse_markdown("Escapes: \\*not em\\* and \\_x\\_ and `**code**` and [ref][1] and note[^2].\n\n[1]: http://x\n")
    assert [b.text for b in blocks] == ["Escapes: *not em* and _x_ and **code** and ref and note."]


def test_md_embedded_html_table_and_headings():
    doc = ("# Top\n\nIntro.\n\n<table>\n<tr><th>Year</th><th>ARR</th></tr>\n\n"
           "<tr><td>2025</td><td>$20B</td></tr>\n</table>\n\nAfter.\n")
    blocks = parse_markdown(doc)
    t = _kinds(blocks, "table")[0]
    assert t.rows == (("Year", "ARR"), ("2025", "$20B"))
    assert t.headings == ("Top",)
    assert t.line == 6
    assert blocks[-1].text == "After." and blocks[-1].line == 11


def test_md_table_needs_delimiter_row():
    blocks = parse_markdown("Revenue | Growth\nnot a delimiter\n")
    assert [b.kind for b in blocks] == ["paragraph"]


# ---------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def txt_blocks():
    return parse_text((FIX / "blog.txt").read_text(encoding="utf-8"))


def test_text_heading_hierarchy(txt_blocks):
    _check_invariants(txt_blocks)
    h = [(b.level, b.text) for b in _kinds(txt_blocks, "heading")]
    assert h == [
        (1, "Quarterly Cloud Roundup: Q4 2025"),   # first line = title
        (1, "Key Takeaways In Brief"),             # Title Case followed by body text
        (2, "1. Amazon Web Services Keeps Its Lead"),
        (3, "Why it matters:"),
        (2, "2. Azure Narrows the Gap"),
        (1, "🧮 Numbers At A Glance"),
        (1, "💡 Trends"),
        (2, "🔸 Capacity Is The New Moat"),         # bullet-ish symbol + paragraph
        (1, "Outlook"),                            # === underline
    ]
    b = _find(txt_blocks, "bullet", "Backlog")
    assert b.headings == ("Key Takeaways In Brief", "1. Amazon Web Services Keeps Its Lead", "Why it matters:")
    assert b.line == 11
    assert _find(txt_blocks, "paragraph", "Sources:").kind == "paragraph"
    assert _find(txt_blocks, "paragraph", "Published March 3").kind == "paragraph"


def test_text_bullets(txt_blocks):
    bullets = [b.text for b in _kinds(txt_blocks, "bullet")]
    assert bullets == [
        "Operating margin expanded to 37%",
        "Backlog reached $189B",
        "Capacity additions of 3.9 GW planned",
        "Short bullet-ish line",
        "Another bullet-ish line",
    ]


def test_text_tables(txt_blocks):
    t1, t2 = _kinds(txt_blocks, "table")
    assert t1.line == 19 and t1.headings == ("🧮 Numbers At A Glance",)
    assert t1.rows == (
        ("Provider", "Revenue", "Growth"),
        ("AWS", "$35.6B", "19%"),
        ("Azure", "~$32.9B", ""),
        ("GCP", "$15.2B", "48%"),
    )
    assert t2.rows == (("Provider", "Capex 2026"), ("Amazon", "$200B"), ("Google", "$175–185B"))  # tab-separated


def test_text_pipe_table_without_delimiter():
    blocks = parse_text("Title\n\n| a | b |\n| 1 | 2 |\n")
    assert _kinds(blocks, "table")[0].rows == (("a", "b"), ("1", "2"))


def test_text_wrapped_prose_joined():
    para = (
        "The company said on Tuesday that its revenue for the fourth quarter\n"
        "rose to $4.2 billion, beating the consensus estimate of analysts by\n"
        "a wide margin, while operating costs fell for the second quarter in\n"
        "a row and free cash flow reached a record for the fiscal year too.\n"
    )
    doc = "REPORT ON EARNINGS\n\n" + para + "\n" + para.replace("company", "firm")
    blocks = parse_text(doc)
    paras = _kinds(blocks, "paragraph")
    assert len(paras) == 2
    assert paras[0].text.startswith("The company said") and paras[0].text.endswith("fiscal year too.")
    assert "quarter rose to $4.2 billion" in paras[0].text
    assert paras[1].line == 8


def test_text_one_line_per_paragraph_unless_wrapping():
    blocks = parse_text("Title Line\nFirst sentence here.\nSecond sentence here.\nA line that runs\non in lowercase.\n")
    assert [b.text for b in _kinds(blocks, "paragraph")] == [
        "First sentence here.", "Second sentence here.", "A line that runs on in lowercase.",
    ]


def test_text_numbered_list_items_are_bullets():
    blocks = parse_text("Title\n\n1. apples\n2. pears\n3. Plums\n")
    assert [b.text for b in _kinds(blocks, "bullet")] == ["apples", "pears", "Plums"]


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_blocks():
    return parse_html((FIX / "article.html").read_text(encoding="utf-8"))


def test_html_dropped_content(html_blocks):
    _check_invariants(html_blocks)
    alltext = " ".join(b.text for b in html_blocks) + " ".join(c for b in html_blocks for r in b.rows for c in r)
    for bad in ("Should Not Appear", "42B", "999 GW", "77%", "12345", "1,000", "SVG 123", "Template 456", "color"):
        assert bad not in alltext


def test_html_headings_entities_br(html_blocks):
    h = _kinds(html_blocks, "heading")
    assert [(x.level, x.text) for x in h] == [
        (1, "Chip Makers & Cloud Spend"), (2, "Capex by company"), (3, "Notes"), (2, "Outlook"),
    ]
    assert h[0].line == 11
    p = _find(html_blocks, "paragraph", "Revenue reached")
    assert p.text == "Revenue reached $5.1 billion in Q4, up 38% year over year."   # &nbsp; and <br>
    assert p.line == 12
    assert p.headings == ("Chip Makers & Cloud Spend",)
    assert _find(html_blocks, "paragraph", "Demand").headings == ("Chip Makers & Cloud Spend", "Outlook")


def test_html_table_spans_and_caption(html_blocks):
    t = _kinds(html_blocks, "table")[0]
    assert t.headings == ("Chip Makers & Cloud Spend", "Capex by company")
    assert t.rows == (
        ("Company", "CapEx 2025", "CapEx 2026"),   # two header rows merged, rowspan/colspan expanded
        ("Meta", "$72B", "$115–135B"),
        ("Amazon", "~$200B", "~$200B"),            # colspan repeated
        ("Google", "$91.4B", ""),                  # ragged row padded
    )
    assert 14 <= t.line <= 17
    assert _find(html_blocks, "paragraph", "2026 guidance").line == 15


def test_html_row_sources_are_each_rows_markup():
    """A table's row quotes are rendered only when read, yet equal the rows' markup (the merged header rows' joined),
    compare and pickle as the tuple of those strings."""
    import pickle

    from bs4 import BeautifulSoup

    html = ("<table><thead><tr><th>Company</th><th colspan=2>CapEx</th></tr><tr><th></th><th>2025</th>"
            "<th>2026 &amp; later</th></tr></thead><tr><td>Meta</td><td>$72B</td><td>$115B</td></tr>"
            "<tr><td>Amazon</td><td>~$200B</td><td>&lt;$250B</td></tr></table>")
    t = _kinds(parse_html(html), "table")[0]
    trs = [str(tr) for tr in BeautifulSoup(html, "lxml").find_all("tr")]
    expected = (trs[0] + trs[1], trs[2], trs[3])
    assert len(t.row_sources) == 3 and t.row_sources[1] == trs[2] and "&lt;$250B" in t.row_sources[2]
    assert t.row_sources == expected and tuple(t.row_sources) == expected and t.row_sources[1:] == expected[1:]
    assert pickle.loads(pickle.dumps(t)) == t and pickle.loads(pickle.dumps(t)).row_sources == expected


def test_html_lists_divs_and_unicode(html_blocks):
    bullets = [b.text for b in _kinds(html_blocks, "bullet")]
    assert bullets == ["Figures in USD × 10^9", "Source: company filings", "Nested: 10-K & 10-Q"]
    assert _find(html_blocks, "paragraph", "Loose div").text == "Loose div text with “curly quotes” and 日本語 → kept"
    assert [b.text for b in html_blocks if b.text in ("Backlog", "3.6 million units")] \
        == ["Backlog", "3.6 million units"]


def test_html_nested_and_layout_tables():
    doc = """<html><body>
<table role="presentation"><tr><td><h2>Inside layout</h2><p>Body $1B.</p></td><td>Side</td></tr></table>
<table><tr><th>Name</th><th>Detail</th></tr>
<tr><td>A</td><td><table><tr><td>x</td><td>1</td></tr><tr><td>y</td><td>2</td></tr></table></td></tr></table>
<table><tr><td colspan="0">one</td><td colspan="abc">two</td><td colspan="1000000">3</td></tr><tr><td>a</td></tr></table>
</body></html>"""  # noqa: E501 (the document is kept as written)
    blocks = parse_html(doc)
    _check_invariants(blocks)
    assert _find(blocks, "heading", "Inside layout").level == 2
    assert _find(blocks, "paragraph", "Body").text == "Body $1B."
    tables = _kinds(blocks, "table")
    assert tables[0].rows == (("Name", "Detail"), ("A", "x 1 y 2"))   # nested table flattened into the cell
    assert len(tables[1].rows[0]) == 102                                # absurd colspan capped at 100


def test_html_fragment_and_double_br():
    blocks = parse_document("<p>First &lt;line&gt;<br><br>Second&#8212;line</p><li>item</li>", "html")
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "First <line>"), ("paragraph", "Second—line"), ("bullet", "item"),
    ]


# ---------------------------------------------------------------------------
# Hygiene, sniffing, labels, dispatch
# ---------------------------------------------------------------------------


def test_normalize_text_hygiene():
    s = "a\r\nb\u00a0c\u200bd\ufeff e\u0301 “q” × ~ → — 中文 🚀\r"
    out = normalize_text(s)
    assert out == "a\nb cd é “q” × ~ → — 中文 🚀\n"
    assert out.count("\n") == 2


@pytest.mark.parametrize("fmt", ["markdown", "text", "html"])
def test_non_ascii_preserved_everywhere(fmt):
    doc = {
        "markdown": "# 标题 — Ünïcode\n\nGrowth “≈40%” × 2 → ~$5B 🚀\n",
        "text": "标题 — Ünïcode\nGrowth “≈40%” × 2 → ~$5B 🚀 today.\n",
        "html": "<h1>标题 — Ünïcode</h1><p>Growth “≈40%” × 2 → ~$5B 🚀</p>",
    }[fmt]
    blocks = parse_document(doc.replace(" ", "\u00a0", 1), fmt)
    assert blocks[0].text == "标题 — Ünïcode"
    assert blocks[1].text.startswith("Growth “≈40%” × 2 → ~$5B 🚀")


def test_line_numbers_with_crlf():
    blocks = parse_document("# A\r\n\r\npara one\r\n\r\n- b\r\n", "markdown")
    assert [(b.kind, b.line) for b in blocks] == [("heading", 1), ("paragraph", 3), ("bullet", 5)]


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("a.md", "", "markdown"),
        ("A.MARKDOWN", "<html>", "markdown"),
        ("notes.txt", "# looks md", "text"),
        ("x.text", "", "text"),
        ("page.HTM", "", "html"),
        ("page.html", "plain", "html"),
        ("", "<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
        ("doc", "<p>Hello</p>", "html"),
        ("doc", "intro\n\n## Section\n\ntext", "markdown"),
        ("doc", "| a | b |\n|---|---|\n| 1 | 2 |", "markdown"),
        ("doc", "Just a plain blog post.\nWith lines.", "text"),
        ("doc", "bin\x00ary\x00data", None),
    ],
)
def test_sniff_format(name, text, expected):
    assert sniff_format(name, text) == expected


@pytest.mark.parametrize(
    "heading,label",
    [
        ("Slide 19 — OpenAI: Growth Metrics | OpenAI：增长数据", "slide 19"),
        ("Page 3 Financial Summary", "page 3"),
        ("Section 2.1 Foo", "section 2.1"),
        ("Chapter IV: The End", "chapter IV"),
        ("AWS Bedrock: Model-Agnostic Platform | 亚马逊", "AWS Bedrock: Model-Agnostic Platform"),
        ("📋 Week At A Glance", "Week At A Glance"),
        ("1. OpenAI’s $100B Round & IPO Plans Signal “Too Big to Fail” Status", None),
        ("", ""),
    ],
)
def test_heading_label(heading, label):
    out = heading_label(heading)
    if label is None:
        assert 20 <= len(out) <= 61 and out.endswith("…") and out.startswith("1. OpenAI’s $100B")
    else:
        assert out == label


def test_parse_document_dispatch_and_aliases():
    md = "# H\n\ntext"
    assert parse_document(md, "md") == parse_document(md, "markdown") == parse_markdown(md)
    assert parse_document("<h1>H</h1>", "HTML")[0].text == "H"
    assert parse_document("<h1>H</h1>", "unknown-format")[0].kind == "heading"  # sniffed
    assert parse_document("", "text") == []
    assert parse_document("\n\n   \n", "markdown") == []
    assert parse_document("<html></html>", "html") == []


# ---------------------------------------------------------------------------
# The two real development sources
# ---------------------------------------------------------------------------


def test_real_markdown_report():
    text = (SOURCES / "agentic-ai-infrastructure-race-r1.0.md").read_text(encoding="utf-8")
    blocks = parse_document(text, sniff_format("agentic-ai-infrastructure-race-r1.0.md", text))
    _check_invariants(blocks)
    tables = _kinds(blocks, "table")
    assert len(tables) >= 40
    slide19 = [t for t in tables if t.headings and t.headings[0].startswith("Slide 19")]
    assert slide19
    first = slide19[0]
    assert first.headings == ("Slide 19 — OpenAI: Growth Metrics | OpenAI：增长数据",)
    assert first.rows[0] == ("Metric", "Value", "Date")
    assert first.rows[1] == ("Weekly Active Users", "900M+", "December 2025")
    assert heading_label(first.headings[0]) == "slide 19"
    rev = [t for t in slide19 if t.rows[0] == ("Period", "ARR")][0]
    assert rev.headings == ("Slide 19 — OpenAI: Growth Metrics | OpenAI：增长数据", "Revenue Trajectory")
    assert len([b for b in blocks if b.kind == "heading" and b.level == 1 and b.text.startswith("Slide ")]) == 23
    lead = _find(blocks, "paragraph", "Project Rainier:")
    assert "**" not in lead.text and "30-40% lower" in lead.text
    assert _find(blocks, "paragraph", "Combined 2026 infrastructure spending").text.endswith("~$700B+")
    lines = text.split("\n")
    for t in tables:
        assert "|" in lines[t.line - 1]


def test_real_text_blog():
    text = (SOURCES / "ai-weekly-2026-w05.txt").read_text(encoding="utf-8")
    blocks = parse_document(text, sniff_format("ai-weekly-2026-w05.txt", text))
    _check_invariants(blocks)
    tables = [t for t in _kinds(blocks, "table") if t.rows[0] == ("Metric", "Value", "Significance")]
    assert len(tables) == 1 and len(tables[0].rows) == 9          # header + 8 data rows
    assert tables[0].headings == ("📊 Key Data This Week",)
    assert tables[0].rows[1][:2] == ("Big Tech Combined 2026 AI CapEx", "$505 Billion")
    glance = [b for b in _kinds(blocks, "bullet") if b.headings and b.headings[-1] == "📋 Week At A Glance"]
    assert len(glance) == 7 and glance[0].text.startswith("OpenAI’s Historic $100B Round")
    imp = _find(blocks, "bullet", "Capital Gravity")
    assert imp.headings == (
        "🔟 Top 10 Deep Insights This Week",
        "1. OpenAI’s $100B Round & IPO Plans Signal “Too Big to Fail” Status",
        "Global Impact:",
    )
    numbered = [b for b in _kinds(blocks, "heading") if b.level == 2 and b.text[0].isdigit()]
    assert len(numbered) == 10
    assert _find(blocks, "heading", "🔸 The Bifurcation").headings == ("💡 Key Trend Insights",)
    assert _find(blocks, "paragraph", "Week 5 of 2026").headings == ("🎯 Summary",)
    lines = text.split("\n")
    for b in blocks:
        if b.kind != "table":
            assert b.text[:10] in lines[b.line - 1]


# ---------------------------------------------------------------------------
# Robustness and speed
# ---------------------------------------------------------------------------

_TOKENS = st.sampled_from([
    "#", "## ", "# Slide 1 — X | 中", "|", "| a | b |", "|---|---|", "---", "===", "- ", "* ", "1. ", "> ",
    "```", "~~~", "    ", "\t", "**", "*", "_", "__", "~~", "`", "[x](y)", "![i](j)", "\\|", "\\", "<!--", "-->",
    "<p>", "</p>", "<table>", "<tr>", "<td colspan='3'>", "<th rowspan=2>", "</td>", "</table>", "<br>",
    "<h2>", "</h2>", "<script>", "</script>", "<li>", "<ul>", "<sup>", "&amp;", "&#x1F600;", "&nbsp;",
    "🔸 ", "📊 ", "Label:", "Title Case Words", "$5B", "40%", "\n", "\n\n", "\r\n", "\u00a0", "\u200b",
    "\ud800", "\x00", "\x0c", "中文", " ", ".", "<!DOCTYPE html>", "<", ">", "&",
])
_DOCS = st.one_of(st.text(max_size=400), st.lists(_TOKENS, max_size=60).map("".join))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_DOCS, fmt=st.sampled_from(["markdown", "text", "html"]))
def test_parse_document_never_raises(doc, fmt):
    blocks = parse_document(doc, fmt)
    assert isinstance(blocks, list)
    _check_invariants(blocks)
    assert isinstance(sniff_format("f", doc), (str, type(None)))
    for b in blocks:
        if b.kind == "heading":
            assert isinstance(heading_label(b.text), str)


def test_linear_time_on_large_inputs():
    md = (SOURCES / "agentic-ai-infrastructure-race-r1.0.md").read_text(encoding="utf-8") * 40   # ~1.2 MB
    txt = (SOURCES / "ai-weekly-2026-w05.txt").read_text(encoding="utf-8") * 80                   # ~1.2 MB
    html = (FIX / "article.html").read_text(encoding="utf-8") * 300                                # ~0.4 MB
    patho = "|" * 20000 + "\n" + "*" * 20000 + "_a" * 10000 + "[" * 5000 + "<!--" * 5000 + "\n- x" * 5000
    t0 = time.perf_counter()
    for doc, fmt in ((md, "markdown"), (txt, "text"), (html, "html"), (patho, "markdown"), (patho, "text")):
        assert parse_document(doc, fmt)
    assert time.perf_counter() - t0 < 8
