"""Parsing stays linear on many unclosed HTML comments (issue 12, item 26: 100,000 `<!--` in
markdown took 47 s), and the shortcut that makes it linear says exactly what the stdlib parser says."""
from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.parse.inline import _TagStripper

N = 100_000
SHAPES = {                                      # name → (text, how many '<!--' survive as text)
    "one per line": ("<!--\n" * N, N),
    "one line": ("<!--" * N, N),
    "spaced": ("<!-- " * N, N),
    "each before a '>'": ("<!-- a> " * N, N),
    "closed at the very end": ("<!--\n" * N + "-- >", 0),
}

_CHILD = """
import json, sys, time
from reconcile.parse import parse_markdown
text, = json.loads(sys.stdin.read())
t = time.process_time()
blocks = parse_markdown(text)
print(json.dumps([time.process_time() - t, sum(b.text.count("<!--") for b in blocks)]))
"""


def _parse_in_child(text: str) -> tuple[float, int]:
    """CPU seconds the parse used (the work, whatever the load on the machine) and the comment
    openers left in the blocks. The timeout only guards the test run: quadratic parsing of these
    inputs takes minutes."""
    run = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps([text]), capture_output=True,
                         text=True, timeout=300, check=True)
    cpu, kept = json.loads(run.stdout)
    return cpu, kept


def test_many_unclosed_comments_parse_in_linear_time():
    for name, (text, kept_expected) in SHAPES.items():
        cpu, kept = _parse_in_child(text)
        assert kept == kept_expected, name      # unclosed openers are text, nothing lost
        assert cpu < 10, f"{name}: {cpu:.1f} s of CPU for {N:,} '<!--' (linear parsing takes well under 1 s)"


class _StdlibStripper(_TagStripper):
    """The same stripper with the stdlib's own comment handling: the reference."""

    goahead = HTMLParser.goahead
    parse_comment = HTMLParser.parse_comment


def _strip(parser: HTMLParser, s: str) -> list[str]:
    parser.feed(s)
    parser.close()
    return parser.out


_PIECES = ["<!--", "<!-- ", "-->", "-- >", "--", ">", "<", "<b>", "</b>", "<br>", "<script>", "</script>",
           "&amp;", "&amp", "&#38;", "&#", ";", "x", " ", "\n", "<!", "<?x", "<a href='>'"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_comment_shortcut_matches_the_stdlib(pieces):
    s = "".join(pieces)
    assert _strip(_TagStripper(), s) == _strip(_StdlibStripper(), s)


def test_indented_code_inside_a_quote_ends():
    """'>     code' used to loop forever: the code block was measured on the line with its '>'."""
    run = subprocess.run(
        [sys.executable, "-c", "from reconcile.parse import parse_markdown as p; "
         "print([b.text for b in p('> quote\\n>\\n>     code in a quote\\n> after\\n\\ntail')])"],
        capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == "['quote', 'after', 'tail']"
