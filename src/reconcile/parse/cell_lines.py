"""Tables written one cell per line, as plain-text copies of press releases and filings print them:

    GAAP
    ($ in millions, except earnings per share)
    Q4 FY26
    Q3 FY26
    Q/Q
    Revenue
    $68,127
    $57,006
    20 %

A run of column headers (periods, 'Q/Q', 'Y/Y', '% Change'), optionally after up to three banner lines and
a spanning 'Three Months Ended …' line, then rows of a label line followed by its value lines, becomes one
table: banners as one-cell rows, the header row, then a row per label. Blank lines between cells are ignored.
"""
from __future__ import annotations

import re

_HEADER = re.compile(
    r"(?ix)^(?:"
    r"Q[1-4]\s*(?:FY|CY|F)?\s*'?\d{2,4}|(?:FY|CY|F)\s*'?\d{2,4}(?:\s*Q[1-4])?|(?:19|20)\d{2}|"
    r"Q/Q|Y/Y|QoQ|YoY|(?:%|percent|pct\.?)\s*change|change|"
    r"(?:three|six|nine|twelve|\d{1,2})\s+months\s+ended.*|(?:fiscal\s+)?(?:year|quarter)\s+ended.*|as\s+of\s+.*|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d{2}"
    r")[,:]?$")
_SPANNING = re.compile(r"(?i)\bended\b|^as\s+of\b")
_VALUE = re.compile(
    r"(?i)^\(?\s*[$€£]?\s*\(?\s*-?\d[\d,]*(?:\.\d+)?\s*\)?\s*(?:%|pts?|bps|x|×)?\s*\)?$|^(?:—|–|-|n/?m|n/?a)$")
_CURRENCY = ("$", "€", "£")
_OPEN = re.compile(r"^\(\s*[$€£]?\s*-?\d[\d,]*(?:\.\d+)?$")   # '(110,124' waiting for its ')'
_CLOSE = re.compile(r"^\)?\s*(?:%|pts?)?$")
_BANNER_MAX = 3
MIN_ROWS = 2


def cell_per_line_rows(st: list[str], nxt: list[int], i: int) -> tuple[list[list[str]], int] | None:
    """The rows of a one-cell-per-line table starting at non-blank line i, and the line after it; None if the
    lines there do not form one."""
    n = len(st)
    banners: list[str] = []
    k = i
    while k < n and len(banners) < _BANNER_MAX and _is_banner(st[k]):
        banners.append(st[k])
        k = nxt[k]
    spanning: list[str] = []
    headers: list[str] = []
    while k < n and _HEADER.match(st[k]):
        (spanning if _SPANNING.search(st[k]) and not headers else headers).append(st[k])
        k = nxt[k]
    if len(headers) < 2 and not (spanning and headers):
        return None
    rows, end = _body(st, nxt, k, len(headers))
    if len(rows) < MIN_ROWS:
        return None
    head = [" ".join(spanning)] + headers
    return [[b] for b in banners] + [head] + rows, end


def _body(st: list[str], nxt: list[int], k: int, width: int) -> tuple[list[list[str]], int]:
    """Label lines each followed by 1..width value lines; banner lines inside ('Non-GAAP') end the table."""
    rows: list[list[str]] = []
    n = len(st)
    end = k
    while k < n and _is_label(st[k]):
        values: list[str] = []
        j = nxt[k]
        while j < n and len(values) < width:
            cell, j = _value_at(st, nxt, j)
            if cell is None:
                break
            values.append(cell)
        if not values:
            break
        rows.append([st[k]] + values)
        end = k = j
    return rows, end


def _value_at(st: list[str], nxt: list[int], j: int) -> tuple[str | None, int]:
    """The value cell at line j ('$' on a line of its own joins the figure under it), and the line after it."""
    n = len(st)
    prefix = ""
    if st[j] in _CURRENCY and nxt[j] < n:
        prefix, j = st[j] + " ", nxt[j]
    cell = st[j] if j < n else ""
    if not _VALUE.match(cell) and not (_OPEN.match(cell) and nxt[j] < n and _CLOSE.match(st[nxt[j]])):
        return None, j
    j = nxt[j]
    if j < n and _CLOSE.match(st[j]):  # '(8' then ')%', '4' then '%': a figure split over two lines
        cell, j = cell + st[j], nxt[j]
    return prefix + cell, j


def _is_label(s: str) -> bool:
    return bool(s) and len(s) <= 120 and any(c.isalpha() for c in s) and not _VALUE.match(s) and s not in _CURRENCY \
        and not _HEADER.match(s) and not s.endswith((".", "!", "?"))


def _is_banner(s: str) -> bool:
    """'GAAP', 'Non-GAAP', '($ in millions, except per share data)', 'Q4 Fiscal 2026 Summary'."""
    return any(c.isalpha() for c in s) and len(s) <= 80 and not _VALUE.match(s) and not _HEADER.match(s) \
        and not s.endswith((".", "!", "?"))
