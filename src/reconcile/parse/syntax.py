"""Line syntax that both the markdown and the plain-text parsers recognise: ATX headings and
pipe-table rows."""
from __future__ import annotations

import re

from .hygiene import collapse

_ATX_OPEN = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)")
DELIM = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
PIPE_SPLIT = re.compile(r"(?<!\\)\|")


def atx_heading(line: str) -> tuple[int, str] | None:
    """`## Title ##` → (2, "Title"), else None; the closing hashes are cut without a backtracking regex."""
    m = _ATX_OPEN.match(line)
    if not m:
        return None
    rest = line[m.end():].strip(" \t")
    if rest.endswith("#"):
        core = rest.rstrip("#")
        if not core or core[-1] in " \t":
            rest = core.rstrip(" \t")
    return len(m.group(1)), rest


def split_row(line: str) -> list[str]:
    """A pipe-table row → its cells (outer pipes optional, `\\|` is not a separator)."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return PIPE_SPLIT.split(s)


def unescape_pipe(c: str) -> str:
    return collapse(c.replace("\\|", "|"))


def tsv_cells(s: str) -> list[str]:
    return [c.strip() for c in s.strip("\n").split("\t")]
