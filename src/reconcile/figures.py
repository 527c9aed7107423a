"""How a figure reads for people — one formatter for the report, the resolve stage and the CLI."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from .quantities.periods import date_of_code

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def present(value: Any) -> bool:
    """A cell that holds something: not None, not NaN, not a blank string."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cells
        return True


def as_float(value: Any) -> float | None:
    if not present(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def format_value(value: Any, unit: Any = None) -> str:
    """A figure as a steward reads it: $730B, 1.2B, 38%, 3.5x, 2 GW; '—' when there is none."""
    number = as_float(value)
    unit = str(unit).strip() if present(unit) else ""
    if number is None:
        return str(value).strip() if present(value) else "—"
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if unit == "date":
        day = date_of_code(number)
        return day.isoformat() if day else f"{number:.0f}"
    if unit == "percent":
        return f"{number:g}%"
    if unit == "multiple":
        return f"{number:g}x"
    scaled = next((f"{number / size:.4g}{suffix}" for size, suffix in _SCALES if abs(number) >= size),
                  f"{number:.4g}")
    if unit in _CURRENCY_SIGNS:
        sign, digits = ("-", scaled[1:]) if scaled.startswith("-") else ("", scaled)
        return f"{sign}{_CURRENCY_SIGNS[unit]}{digits}"
    return scaled if unit in ("", "count") else f"{scaled} {unit}"


def format_interval(low: Any, high: Any, unit: Any) -> str:
    low_f, high_f = as_float(low), as_float(high)
    if unit == "date" and low_f is not None and high_f is not None:
        return date_span(low_f, high_f)
    if as_float(low) is not None and as_float(low) == as_float(high):
        return format_value(low, unit)
    return f"{format_value(low, unit)}–{format_value(high, unit)}"


def date_span(low: float, high: float) -> str:
    """A date interval as people write it: 2027, 2026-Q4, 2026-H2, 2026-01, 2026-01-28, or 'a – b'."""
    start, end = date_of_code(low), date_of_code(high)
    if start is None or end is None:
        return f"{low:.0f}–{high:.0f}"
    if start == end:
        return start.isoformat()
    next_day = end + dt.timedelta(days=1)
    months = (next_day.year - start.year) * 12 + next_day.month - start.month
    if start.day == 1 and next_day.day == 1:
        if months == 12 and start.month == 1:
            return str(start.year)
        if months == 6 and start.month in (1, 7):
            return f"{start.year}-H{1 if start.month == 1 else 2}"
        if months == 3 and start.month in (1, 4, 7, 10):
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        if months == 1:
            return f"{start.year}-{start.month:02d}"
    return f"{start.isoformat()} – {end.isoformat()}"
