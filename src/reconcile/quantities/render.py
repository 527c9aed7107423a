"""Canonical text for figures: `render_quantity(q)` and `render_value(value, unit)`.

The canonical form reads back through `parse_quantity` (`2×`, `$1,234,567`, `58.5800333205%`): it is what
conflict explanations state, so it keeps every stated digit. How a figure reads for people in the report and the
CLI (`2x`, `$1.235M`) is `reconcile.figures.format_value`.
"""
from __future__ import annotations

import math
from decimal import Decimal

from .figures import Quantity
from .lexicon import CUR_SYMBOL, KNOWN_UNITS, MAG_LETTER


def _plain(x: float, commas: bool = False) -> str:
    """A finite float as a plain decimal string (no exponent), ~12 significant digits."""
    if x == 0:
        return "0"
    if x == int(x) and abs(x) < 1e15:
        iv = int(x)
        return f"{iv:,}" if commas else str(iv)
    s = f"{x:.12g}"
    if "e" in s or "E" in s:
        s = format(Decimal(s), "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    if commas and "." in s:
        ip, fp = s.split(".")
        s = f"{int(ip):,}.{fp}"
    return s


def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def _compact(values: list[float]) -> tuple[list[str], str]:
    """Mantissas with one shared magnitude letter for amounts and counts."""
    top = max(abs(v) for v in values)
    for e, letter in MAG_LETTER:
        if top >= 10.0 ** e:
            ms = [_plain(v / 10.0 ** e) for v in values]
            if all(v == int(v) for v in values) and any(_decimals(m) > 2 for m in ms) and top < 1e15:
                return [_plain(v, commas=True) for v in values], ""
            return ms, letter
    return [_plain(v, commas=True) for v in values], ""


def _fmt_parts(values: list[float], unit: str) -> list[str]:
    """Render one or two numbers of the same unit; the unit/magnitude goes on the last one."""
    absvals = [abs(v) for v in values]
    signs = ["-" if v < 0 else "" for v in values]
    if unit in CUR_SYMBOL or unit == "count":
        ms, letter = _compact(absvals)
        sym = CUR_SYMBOL.get(unit, "")
        if len(ms) == 1:
            return [f"{signs[0]}{sym}{ms[0]}{letter}"]
        return [f"{signs[0]}{sym}{ms[0]}", f"{signs[1]}{sym if signs[1] else ''}{ms[1]}{letter}"]
    ms = [_plain(v, commas=True) for v in absvals]
    suffix = {"percent": "%", "pp": "pp", "bps": " bps", "multiple": "×"}.get(unit, " " + unit)
    if unit not in KNOWN_UNITS and unit != "count":
        suffix = ""            # unknown unit: number only (it cannot be read back anyway)
    if len(ms) == 1:
        return [f"{signs[0]}{ms[0]}{suffix}"]
    return [f"{signs[0]}{ms[0]}", f"{signs[1]}{ms[1]}{suffix}"]


def render_value(value: float, unit: str) -> str:
    """One number with its unit in canonical form (`render_quantity`'s; parse_quantity reads it back):
    (730e9, "USD") → "$730B", (555000, "count") → "555K", (50.0, "percent") → "50%", (2.0, "multiple") → "2×",
    (2.0, "GW") → "2 GW"."""
    try:
        if value is None:
            return "?"
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return _fmt_parts([float(value)], unit)[0]
    except Exception:          # pragma: no cover
        return str(value)


def _per_suffix(per: str | None) -> str:
    if not per:
        return ""
    return f" per {per}" if " " in per else f"/{per}"


def render_quantity(q: Quantity) -> str:
    """Canonical text for `q`: `~$730B`, `$175-185B`, `$115B+`, `up to $1T`, `555K+`, `30-40%`,
    `~2×`, `+50%`, `$37.5B/quarter`. `parse_quantity(render_quantity(q))` reads it back."""
    per = _per_suffix(q.per)
    qual = q.qualifier
    if q.value is None or qual in ("range", "approx_range"):
        lo, hi = q.low, q.high
        pre = "~" if qual == "approx_range" else ""
        if lo == -hi and hi > 0 and not pre:
            return f"±{_fmt_parts([hi], q.unit)[0]}{per}"
        if lo < 0 or hi < 0:
            # signed bounds: "-10% to -5%" (a dash between signed numbers would be ambiguous)
            a = _fmt_parts([lo], q.unit)[0]
            b = _fmt_parts([hi], q.unit)[0]
            return f"{pre}{a} to {b}{per}"
        a, b = _fmt_parts([lo, hi], q.unit)
        return f"{pre}{a}-{b}{per}"
    v = q.value
    body = _fmt_parts([v], q.unit)[0]
    if qual == "approx":
        return f"~{body}{per}"
    if qual == "at_least":
        return f"{body}+{per}"
    if qual == "at_most":
        return f"up to {body}{per}"
    if qual == "change":
        return f"{'' if v < 0 else '+'}{body}{per}"
    return f"{body}{per}"
