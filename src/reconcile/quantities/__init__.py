"""Normalise stage, numbers and periods: the text forms of figures → intervals.

Parts: `lexicon` (the words: currencies, magnitudes, unit spellings from vocab/units.yaml, qualifiers, months),
`figures` (the figure lexer), `periods` (stated and relative periods, date codes), `render` (canonical text).

Contract (extract and cli rely on it):
- `find_quantities(text)` returns every figure-like span in `text`, in order,
  as `Quantity` (readable) or `Unparsed` (looks like a figure, cannot be read
  safely: `$1.2.3B`, `$-5B`, `1e400`, `$B`, `~~5`). It never raises.
- `parse_quantity(text)` reads one whole figure string (e.g. a steward's
  `--value 730B`) or returns None.
- `find_periods(text, as_of, fiscal)` returns every period/date span,
  stated ('Q4 2025') or relative to the source's date ('last year'). Never raises.
- Intervals: `low <= value <= high` whenever value is set; ranges keep
  value=None; open bounds are ±inf. Nothing is collapsed to a midpoint.

Other public helpers: `render_quantity(q)` and `render_value(value, unit)` (canonical text, round-trips
through `parse_quantity`); `date_code(day)` / `date_of_code(code)` (dates as YYYYMMDD numbers);
`format_value(value, unit)` is `reconcile.figures.format_value`, the one formatter for people.

Conventions
-----------
- Money is plain currency units: `$730B` → 730e9 "USD"; `€`/`£` → "EUR"/"GBP".
- Percent points are stored as shown: `39%` → 39.0 "percent".
- Multiples `2×`/`2x` → 2.0 "multiple". Physical units (GW, MW, kW, W, GB,
  TB, TB/s, TFLOPS, PFLOPS, EXAFLOPS, TOPS, nm ...) and durations (days,
  weeks, months, years, hours ...) become the unit; everything else "count".
- Qualifiers: exact | approx (`~`, `≈`, about, roughly ...) | at_least
  (trailing `+`, over, more than, at least ...; high=inf) | at_most (up to,
  under, below ...; low=0.0 for amounts/counts/physical units, -inf for
  percent/pp) | range | approx_range | vague ('tens of billions': a range never compared) | change (leading sign:
  `+50%`, `-10%`).
- `sig` is half a unit in the last stated digit, in value scale.
- Numbers inside names are not figures: a digit glued to letters on its left
  (`H100`, `v7`, `GPT-5.1`), a bare number right after a capitalised word
  (`Llama 4`, `Claude 4.5`, `Microsoft 365`, `Jan 28`), bare years 1900-2100,
  dates, times, version strings, footnote and list markers.

Performance: candidates are found with one cheap anchor regex (digit runs and
currency signs); context is read with anchored matches on small windows, so
the cost is linear in the text length.
"""
from __future__ import annotations

from collections.abc import Callable

from .figures import Quantity, Unparsed, find_quantities, parse_quantity
from .periods import Period, date_code, date_of_code, find_periods, is_weekday
from .render import render_quantity, render_value

__all__ = [
    "Quantity", "Unparsed", "Period",
    "find_quantities", "parse_quantity", "find_periods", "render_quantity", "render_value", "format_value",
    "date_code", "date_of_code", "is_weekday",
]


def __getattr__(name: str) -> Callable[..., str]:
    # `format_value` lives in reconcile.figures, which reads date codes from here: fetched on first use, not at
    # import, so that neither module needs the other half-built.
    if name == "format_value":
        from ..figures import format_value
        return format_value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
