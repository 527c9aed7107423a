"""How a figure reads for people — one formatter for the report, the resolve stage and the CLI."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

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
    if as_float(low) is not None and as_float(low) == as_float(high):
        return format_value(low, unit)
    return f"{format_value(low, unit)}–{format_value(high, unit)}"
